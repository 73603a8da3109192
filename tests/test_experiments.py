"""The papermill experiment notebooks, run in batch as the README shows: segment_dataset once per real dataset, and the paper's pipeline per dataset through `segatp experiment` (minilean at --quick size; the real datasets stop at their prerequisites here)."""
import json
import os
import subprocess
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


# --- the paper's pipeline per dataset (nbs/experiments/pipeline.ipynb) through `segatp experiment` ---
REAL = ("stp", "leanworkbook", "numinamath")


def _segatp(*args: str, env: dict | None = None, timeout: float = 600) -> subprocess.CompletedProcess:
    """Run the `segatp` command as a user does, from the repository root."""
    return subprocess.run(["segatp", *args], cwd=NB.parents[2],
                          capture_output=True, text=True, env={**os.environ, **(env or {})}, timeout=timeout)


@pytest.fixture
def no_lean_no_gpu(tmp_path, monkeypatch):
    """An environment with no Lean project (an empty folder) and no visible GPU, here and in subprocesses."""
    empty = tmp_path / "not-a-lean-project"
    empty.mkdir()
    env = {"SEGATP_LEAN_PROJECT": str(empty), "CUDA_VISIBLE_DEVICES": ""}
    for k, v in env.items(): monkeypatch.setenv(k, v)
    monkeypatch.delenv("SEGATP_REPL_CMD", raising=False)
    return env


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    """One `segatp experiment minilean --quick` run (the experiments folder and the command's result)."""
    out = tmp_path_factory.mktemp("experiments")
    return out, _segatp("experiment", "minilean", "--quick", "--out", str(out))


def test_minilean_pipeline_quick(quick_run):
    """The whole minilean pipeline at --quick size: SFT data, three trained policies, prove runs, results, figures."""
    out, res = quick_run
    assert res.returncode == 0, res.stderr[-3000:]
    run = out / "minilean"
    nb = json.loads((run / "pipeline.ipynb").read_text())
    assert not [o for c in nb["cells"] for o in c.get("outputs", []) if o.get("output_type") == "error"]
    rows = json.loads((run / "results.json").read_text())
    assert [r["policy"] for r in rows] == ["step", "segment", "whole", "step+rollouts"]
    for r in rows:
        summary = json.loads((run / "prove" / "test" / r["policy"] / "seed-0" / "summary.json").read_text())
        assert summary["theorems"] == r["theorems"] == 2 and r["pass_rate"] == summary["pass_rate"]
        assert (run / "prove" / "test" / r["policy"] / "seed-0" / "results.jsonl").read_text().count("\n") == 2
        manifest = json.loads((run / "prove" / "test" / r["policy"] / "seed-0" / "manifest.json").read_text())
        assert manifest["config"]["strategy"] == ("sample" if r["policy"] == "whole" else "best-first")  # pass@k
    for g in ("step", "segment", "whole"):
        assert (run / "train" / g / "model" / "config.json").exists() and (run / "figures" / f"loss_{g}.png").exists()
        assert json.loads((run / "sft" / g / "report.json").read_text())["granularity"] == g
    assert (run / "figures" / "pass_rate.png").exists() and "| test | step+rollouts | 1 |" in res.stdout
    settings = json.loads((run / "settings.json").read_text())["settings"]
    assert settings["steps"] == 4 and settings["seeds"] == [0] and settings["env"] == "minilean"


def test_report_in_paper_layout(quick_run, tmp_path):
    """The report notebook puts the quick run in the paper's layout, the other rows "not run", the paper's beside."""
    import papermill as pm
    out, res = quick_run
    assert res.returncode == 0, res.stderr[-3000:]
    pm.execute_notebook(str(NB.parent / "report.ipynb"), str(tmp_path / "report.ipynb"),
                        parameters={"runs_dir": str(out)}, kernel_name="python3", progress_bar=False, cwd=str(NB.parent))
    table = (out / "report.md").read_text()
    k = {r["policy"]: r["proved"] for r in json.loads((out / "minilean" / "results.json").read_text())}
    assert f"| minilean corpus | trained here | segment | test | {k['segment'] / 2:.2%} ({k['segment']}/2, 1 seed) | – |" in table
    assert "| STP | trained here | segment | minif2f-test | not run | 64.84% |" in table
    assert "| BFS-Prover-V2-7B | released | step+rollouts | minif2f-test | not run | 70.74% |" in table


def test_rerun_refused_then_resumed(quick_run):
    """A second run into the same folder is refused; with resume=true it keeps the models and the results."""
    out, res = quick_run
    assert res.returncode == 0, res.stderr[-3000:]
    before = (out / "minilean" / "results.json").read_text()
    trained = json.loads((out / "minilean" / "settings.json").read_text())["trained"]
    models = {g: (out / "minilean" / "train" / g / "model" / "config.json").stat().st_mtime_ns for g in trained}
    again = _segatp("experiment", "minilean", "--quick", "--out", str(out), timeout=300)
    assert again.returncode == 2 and "already has a run: pass resume (--set resume=true)" in again.stderr
    resumed = _segatp("experiment", "minilean", "--quick", "--out", str(out), "--set", "resume=true")
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert (out / "minilean" / "results.json").read_text() == before
    assert json.loads((out / "minilean" / "settings.json").read_text())["trained"] == trained
    assert sorted(models) == ["segment", "step", "whole"]
    assert models == {g: (out / "minilean" / "train" / g / "model" / "config.json").stat().st_mtime_ns for g in models}


def test_experiment_refuses_unknown_parameter(tmp_path):
    res = _segatp("experiment", "minilean", "--out", str(tmp_path), "--set", "stepz=3", timeout=120)
    assert res.returncode == 2 and "--set stepz: not a parameter; one of" in res.stderr and "steps" in res.stderr


@pytest.mark.parametrize("name", REAL)
def test_real_dataset_prerequisites_named(no_lean_no_gpu, name):
    """No Lean project and no GPU here: both named precisely; a local data path that is absent too."""
    from segatp.experiment import MissingPrerequisites, require_prerequisites
    with pytest.raises(MissingPrerequisites) as e:
        require_prerequisites(name, data=f"/nonexistent/{name}.jsonl")
    lines = str(e.value).splitlines()
    assert lines[0] == f"the {name} experiment cannot run here; missing:"
    assert lines[1] == f"  - data: /nonexistent/{name}.jsonl does not exist"
    assert lines[2].startswith(f"  - Lean: {no_lean_no_gpu['SEGATP_LEAN_PROJECT']} is not a Lean project (no lean-toolchain file).")
    assert lines[3] == "  - GPU: no CUDA device (torch.cuda.is_available() is False); the 7B policies train and search on a GPU"


def test_experiment_stp_stops_with_message(tmp_path, no_lean_no_gpu):
    """`segatp experiment stp` stops in the notebook's prerequisite cell, exit 2, naming what is missing."""
    res = _segatp("experiment", "stp", "--out", str(tmp_path), env=no_lean_no_gpu, timeout=300)
    assert res.returncode == 2, res.stderr[-2000:]
    err = res.stderr
    assert "segatp: error: MissingPrerequisites: the stp experiment cannot run here; missing:" in err
    assert "  - Lean: " in err and "is not a Lean project (no lean-toolchain file)" in err
    assert "  - GPU: no CUDA device (torch.cuda.is_available() is False)" in err
    # the hub is reachable or not from here; either way the data line is exact about it
    data = [l for l in err.splitlines() if l.startswith("  - data:")]
    assert not data or data[0].startswith("  - data: the hub dataset kfdong/STP_Lean_0320 is not reachable (")
    executed = tmp_path / "stp" / "pipeline.ipynb"
    assert executed.exists() and f"(executed notebook: {executed})" in err
    assert not (tmp_path / "stp" / "sft").exists()  # nothing ran before the check


@pytest.mark.parametrize("name", REAL)
def test_experiment_check_names_what_is_missing(no_lean_no_gpu, name):
    """`segatp experiment NAME --check` prints every missing prerequisite and exits 1, without running anything."""
    res = _segatp("experiment", name, "--check", "--set", f"data=/nonexistent/{name}.jsonl", env=no_lean_no_gpu,
                  timeout=120)
    assert res.returncode == 1, res.stderr[-2000:]
    lines = res.stdout.splitlines()
    assert lines[0] == f"missing: data: /nonexistent/{name}.jsonl does not exist"
    assert lines[1].startswith("missing: Lean: ") and "is not a Lean project (no lean-toolchain file)" in lines[1]
    assert lines[2] == "missing: GPU: no CUDA device (torch.cuda.is_available() is False); the 7B policies train and search on a GPU"
