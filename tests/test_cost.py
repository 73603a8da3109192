"""`segatp report cost`: a prove run's ledger scaled to the paper's setting."""
from pathlib import Path

import pytest

from segatp.core import SegatpError
from segatp.cost import Target, estimate_cost, measure_run, report_cost_command
from segatp.prove import Budget, prove_command

DATA = Path(__file__).resolve().parent.parent / "data/corpus/theorems_test.jsonl"


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("cost")
    (tmp / "pol.yaml").write_text("backend: scripted\ntactics: [simp, linarith, norm_num, omega, constructor]\n")
    prove_command([str(DATA)], out=str(tmp / "run"), policy=str(tmp / "pol.yaml"), budget=Budget(expansions=3), limit=4)
    return tmp / "run"


def test_measure_matches_results(run):
    m = measure_run(run)
    assert (m.theorems, m.expansions_budget, m.candidates) == (4, 3, 5)
    assert m.generated_tokens > 0 and m.env_calls > 0 and m.env_seconds > 0
    assert m.spend_fraction == pytest.approx(m.expansions / 12)


def test_paper_setting_bounds(run):
    m = measure_run(run)
    c = estimate_cost(m, Target(tactic_seconds=1.0, tokens_per_candidate=10, workers=100, gpus=2, tokens_per_second=1000))
    assert c.upper.expansions == 244 * 5 * 600
    assert c.upper.env_calls == pytest.approx(244 * 5 * 600 * m.env_calls_per_expansion)
    assert c.upper.lean_core_hours == pytest.approx(c.upper.env_calls / 3600)
    assert c.upper.generated_tokens == pytest.approx(244 * 5 * 600 * 5 * 10)
    assert c.upper.gpu_hours == pytest.approx(c.upper.generated_tokens / 1000 / 3600)
    assert c.upper.wall_hours == pytest.approx(max(c.upper.lean_core_hours / 100, c.upper.gpu_hours / 2))
    assert 0 < c.estimate.expansions <= c.upper.expansions


def test_report_prints_and_errors(run, tmp_path, capsys):
    assert report_cost_command(str(run), target=Target(tactic_seconds=0.5)) == 0
    out = capsys.readouterr().out
    assert "| Lean core-hours |" in out and "0.5 s per tactic (given)" in out and "244 theorems × 5 passes" in out
    with pytest.raises(SegatpError, match="no such run folder"): report_cost_command(str(tmp_path / "nope"))
    with pytest.raises(SegatpError, match="no manifest.json"): report_cost_command(str(tmp_path))
    (tmp_path / "manifest.json").write_text((run / "manifest.json").read_text())
    (tmp_path / "results.jsonl").write_text("")
    with pytest.raises(SegatpError, match="results.jsonl: no results lines"): report_cost_command(str(tmp_path))


def test_cli_report_cost(run, tmp_path):
    """`segatp report cost RUN` prints the cost table; a missing run folder is a one-line error with exit 2."""
    import shutil, subprocess
    cmd = [shutil.which("segatp"), "report", "cost"]
    ok = subprocess.run(cmd + [str(run), "--tactic-seconds", "0.5"], capture_output=True, text=True)
    assert ok.returncode == 0 and "| Lean core-hours |" in ok.stdout, ok.stderr
    bad = subprocess.run(cmd + [str(tmp_path / "absent")], capture_output=True, text=True)
    assert bad.returncode == 2 and "no such run folder" in bad.stderr and "Traceback" not in bad.stderr
