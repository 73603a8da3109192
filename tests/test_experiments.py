"""The papermill experiment notebook, run in batch as the README shows, once per real dataset."""
from pathlib import Path

import pytest

NB = Path(__file__).resolve().parent.parent / "nbs" / "experiments" / "segment_dataset.ipynb"


@pytest.mark.parametrize("name,inputs,granularity,fmt", [
    ("internlm", ["trajectories"], "step", "internlm-stepprover"),
    ("leandojo", ["leandojo-benchmark-4"], "segment", "reprover"),
])
def test_papermill_run_per_dataset(shared, tmp_path, name, inputs, granularity, fmt):
    import papermill as pm
    params = {"input_paths": [str(shared / p) for p in inputs], "name": name, "granularity": granularity,
              "prompt_format": fmt, "output_dir": str(tmp_path / "runs"), "figures_dir": str(tmp_path / "fig")}
    pm.execute_notebook(str(NB), str(tmp_path / "out.ipynb"), parameters=params, kernel_name="python3",
                        progress_bar=False, cwd=str(NB.parent))
    out = tmp_path / "runs" / f"{name}_{granularity}_{fmt}"
    assert (out / "report.json").exists() and (tmp_path / "fig" / f"segment_dataset_{name}.png").exists()
    import json
    rep = json.loads((out / "report.json").read_text())
    assert rep["granularity"] == granularity and rep["prompt_format"] == fmt
    if name == "internlm": assert rep["decontamination"]["dropped_theorems"] > 100  # they are miniF2F proofs
