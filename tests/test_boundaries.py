"""The boundary-rule comparison (`segatp.boundaries`): its papermill notebook at a tiny size, and `segatp demo --full` asking for it."""
import csv
import json

import pytest

from segatp import demo
from segatp.boundaries import RULES, run_boundaries_notebook
from segatp.core import shared_data_dir

TINY = {"name": "test", "train_tokens": 2_000, "search_seeds": 1, "corpus_theorems": 3, "minif2f_theorems": 1,
        "max_tokens": 32, "expansions": 4, "concurrency": 3, "trajectories": 300}


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """The notebook executed once at a tiny size: (its output folder, its figures folder)."""
    tmp = tmp_path_factory.mktemp("boundaries")
    executed = run_boundaries_notebook(tmp / "out", tmp / "fig", "quick", TINY)
    assert executed == tmp / "out" / "boundaries.ipynb" and executed.exists()
    return tmp / "out", tmp / "fig"


def _csv(path):
    return list(csv.DictReader(open(path)))


def test_table_has_a_row_per_benchmark_and_rule(run):
    out, fig = run
    benchmarks = ["corpus-test"] + (["minif2f"] if shared_data_dir() else [])
    table = _csv(out / "table.csv")
    assert [(r["benchmark"], r["rule"]) for r in table] == [(b, r.name) for b in benchmarks for r in RULES]
    for r in table:
        assert 0 <= float(r["ci_low"]) <= float(r["pass_rate"]) <= float(r["ci_high"]) <= 1
        assert int(r["attempts"]) == int(r["theorems"]) * int(r["seeds"]) > 0
    md = (out / "table.md").read_text().splitlines()
    assert md[0].startswith("| benchmark | policy | proved | pass rate (95% CI)") and len(md) == 2 + len(table)
    assert "| corpus-test | segment (change, max 4) |" in md[2 + len(RULES) - 1]
    assert (fig / "boundaries.png").stat().st_size > 10_000


def test_rules_cut_the_same_trajectories_differently(run):
    out, _ = run
    data = {r["rule"]: r for r in _csv(out / "data.csv")}
    assert list(data) == [r.name for r in RULES]
    n = lambda rule, k: float(data[rule][k])
    assert n("increase", "examples") < n("change", "examples") and n("increase", "mean_tactics") > n("change", "mean_tactics")
    assert n("change, min 2", "examples") < n("change", "examples")
    assert n("focus", "examples") >= n("change", "examples")
    assert n("change", "max_tactics") > 4 >= n("change, max 4", "max_tactics")
    for b in RULES:  # each folder was cut with its own rule
        assert json.loads((out / f"sft_{b.slug}" / "report.json").read_text())["rule"] == json.loads(
            json.dumps(vars(b.rule)))
    for line in open(out / "sft_change_max4" / "train.jsonl"): assert 1 <= len(json.loads(line)["tactics"]) <= 4


def test_same_theorems_seed_and_budget_for_every_rule(run):
    out, _ = run
    training = _csv(out / "training.csv")
    assert [r["rule"] for r in training] == [r.name for r in RULES] and {r["seed"] for r in training} == {"0"}
    for r in training:  # steps × batch × tokens per example is the budget to within half a step
        tpe = float(r["tokens_per_example"])
        assert abs(int(r["steps"]) * 16 * tpe - TINY["train_tokens"]) <= 8 * tpe + 16 * 0.05 * int(r["steps"])
        assert int(r["train_tokens"]) > 0
    rows = [json.loads(l) for l in open(out / "results.jsonl")]
    keys = {b.name: sorted(r["key"] for r in rows if r["rule"] == b.name) for b in RULES}
    assert len({tuple(k) for k in keys.values()}) == 1 and len(keys["change"]) == TINY["corpus_theorems"] + (
        TINY["minif2f_theorems"] if shared_data_dir() else 0)
    longest = max(int(r["max_new_tokens"]) for r in training)
    size = demo.SIZES["quick"]
    assert all(r["generated_tokens"] < TINY["max_tokens"] + size.candidates * longest for r in rows)
    assert {r["seed"] for r in rows} == {0}


@pytest.mark.parametrize("flags,asked", [({}, None), ({"quick": True}, None), ({"full": True}, "default")])
def test_only_demo_full_runs_the_comparison(tmp_path, monkeypatch, flags, asked):
    seen = {}
    monkeypatch.setattr(demo, "run_demo", lambda out, figures, size, echo, boundaries=None: seen.update(
        size=size.name, boundaries=boundaries))
    assert demo.demo_command(out=str(tmp_path / "o"), figures=str(tmp_path / "f"), **flags) == 0
    assert seen["boundaries"] == asked
    if asked:  # the default theorem set: 22 corpus + 12 miniF2F theorems, 3 search seeds, 1 training seed
        s = demo.SIZES[asked]
        assert (s.corpus_theorems, s.minif2f_theorems, s.search_seeds, s.train_seeds) == (22, 12, 3, 1)
