"""`segatp prove` as a user runs it: a run folder end to end, kill -9 at three moments and `--resume`, refused
folders, bad inputs as one-line errors, and results that do not depend on concurrency or worker processes."""
import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from segatp.core import PACKAGE_ROOT
from segatp.prove import RESULTS, SUMMARY, TIMING_FIELDS, Budget, prove_command

CORPUS_TEST = PACKAGE_ROOT.parent / "data" / "corpus" / "theorems_test.jsonl"
BUDGET = ["--expansions", "20"]


def segatp_cmd(*args) -> list[str]:
    exe = shutil.which("segatp")
    assert exe, "the segatp console script is not installed (pip install -e .)"
    return [exe, *map(str, args)]


def segatp(*args):
    """Run the CLI in a subprocess; return (exit code, stdout, stderr)."""
    r = subprocess.run(segatp_cmd(*args), capture_output=True, text=True)
    return r.returncode, r.stdout, r.stderr


def results(run: Path) -> list[dict]:
    return [json.loads(l) for l in (run / RESULTS).read_text().splitlines()]


def comparable(rows: list[dict]) -> list[dict]:
    """Rows sorted by key, timings aside: what two runs of a seeded policy must agree on."""
    return sorted(({k: v for k, v in r.items() if k not in TIMING_FIELDS} for r in rows), key=lambda r: r["key"])


@pytest.fixture(scope="module")
def theorems(tmp_path_factory) -> Path:
    """The first 10 corpus test theorems (3 proved by automation, 7 exhaust the budget)."""
    f = tmp_path_factory.mktemp("data") / "ten.jsonl"
    f.write_text("".join(CORPUS_TEST.read_text().splitlines(keepends=True)[:10]))
    return f


@pytest.fixture(scope="module")
def reference(theorems, tmp_path_factory) -> list[dict]:
    """An uninterrupted CLI run of the ten theorems."""
    run = tmp_path_factory.mktemp("ref") / "run"
    code, out, err = segatp("prove", theorems, "--out", run, *BUDGET)
    assert code == 0, err
    assert "10 theorems:" in out and "pass rate" in out and "95% CI" in out
    return results(run)


def test_help():
    code, out, _ = segatp("prove", "--help")
    assert code == 0 and "--rollout-depth" in out and "--concurrency" in out and "--shard" in out


def test_run_folder(reference, theorems):
    assert len(reference) == 10 and len({r["key"] for r in reference}) == 10
    need = {"theorem", "key", "statement", "status", "proof", "reason", "expansions", "nodes", "model_calls",
            "generated_tokens", "env_calls", *TIMING_FIELDS, "rollouts", "proof_used_rollout"}
    assert all(need <= set(r) for r in reference)
    proved = [r for r in reference if r["status"] == "proved"]
    assert proved and all(r["proof"] for r in proved)
    assert {r["status"] for r in reference} <= {"proved", "failed", "error"}


def test_manifest_and_summary(tmp_path, theorems):
    run = tmp_path / "run"
    code, _, err = segatp("prove", theorems, "--out", run, "--limit", "3", "--seed", "7", *BUDGET)
    assert code == 0, err
    man = json.loads((run / "manifest.json").read_text())
    assert man["config"]["seed"] == 7 and man["config"]["search"]["expansions"] == 20
    assert man["data"]["ten.jsonl"]["sha256"] and man["seeds"] == {"seed": 7} and "versions" in man
    s = json.loads((run / SUMMARY).read_text())
    assert s["theorems"] == 3 and len(s["ci95"]) == 2 and s["cost_per_theorem"]["expansions"] > 0


def _kill_when(run: Path, theorems: Path, lines: int) -> None:
    """Start a run and kill -9 it once its results file has `lines` lines (0: once its manifest exists)."""
    p = subprocess.Popen(segatp_cmd("prove", theorems, "--out", run, *BUDGET),
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    f, deadline = run / RESULTS, time.monotonic() + 60
    while time.monotonic() < deadline and p.poll() is None:
        if (run / "manifest.json").exists() and (f.read_bytes().count(b"\n") if f.exists() else 0) >= lines: break
        time.sleep(0.005)
    os.kill(p.pid, signal.SIGKILL)
    assert p.wait() == -signal.SIGKILL, "the run ended before it could be killed"


@pytest.mark.parametrize("lines", [0, 4, 8], ids=["early", "mid", "late"])
def test_kill_and_resume(tmp_path, theorems, reference, lines):
    run = tmp_path / "run"
    _kill_when(run, theorems, lines)
    if (run / RESULTS).exists() and (run / RESULTS).stat().st_size:  # results there: a plain rerun is refused
        code, _, err = segatp("prove", theorems, "--out", run, *BUDGET)
        assert code == 2 and "--resume" in err
    code, out, err = segatp("prove", theorems, "--out", run, *BUDGET, "--resume")
    assert code == 0, err
    rows = results(run)
    assert len(rows) == len({r["key"] for r in rows}) == 10
    assert comparable(rows) == comparable(reference)


def test_truncated_last_line(tmp_path, theorems, reference):
    run = tmp_path / "run"
    code, _, err = segatp("prove", theorems, "--out", run, "--limit", "4", *BUDGET)
    assert code == 0, err
    text = (run / RESULTS).read_text()
    (run / RESULTS).write_text(text[:len(text) - 30])  # the 4th line cut mid-way, as a kill leaves it
    code, out, err = segatp("prove", theorems, "--out", run, "--limit", "4", *BUDGET, "--resume")
    assert code == 0 and "dropped a truncated last line" in err and "1 searched now, 3 done before" in out
    assert comparable(results(run)) == comparable(reference[:4])


def test_manifest_mismatch_refused(tmp_path, theorems):
    run = tmp_path / "run"
    assert segatp("prove", theorems, "--out", run, "--limit", "2", *BUDGET)[0] == 0
    code, _, err = segatp("prove", theorems, "--out", run, "--limit", "2", "--expansions", "21", "--resume")
    assert code == 2 and "config.search.expansions" in err and len(err.strip().splitlines()) == 1


def test_outside_fragment_is_an_error_record(tmp_path):
    f = tmp_path / "stmts.lean"
    f.write_text("theorem p7 : Nat.Prime 7 := by sorry\n\ntheorem easy (x : ℝ) (h : x > 2) : x > 1 := by sorry\n")
    code, _, err = segatp("prove", f, "--out", tmp_path / "run")
    assert code == 0, err
    rows = {r["theorem"]: r for r in results(tmp_path / "run")}
    assert rows["p7"]["status"] == "error" and "outside the minilean fragment" in rows["p7"]["reason"]
    assert rows["easy"]["status"] == "proved" and rows["easy"]["proof"] == "linarith"


def _bad_inputs(tmp: Path) -> dict[str, Path]:
    good = tmp / "good.jsonl"
    good.write_text(CORPUS_TEST.read_text().splitlines()[0] + "\n")
    bad_json = tmp / "badjson.jsonl"
    bad_json.write_text(CORPUS_TEST.read_text().splitlines()[0] + "\n{not json\n")
    bad_type = tmp / "badtype.jsonl"
    bad_type.write_text('{"name": 5, "formal_statement": "theorem t : 1 = 1"}\n')
    empty = tmp / "empty.jsonl"
    empty.write_text("")
    return {"good": good, "bad_json": bad_json, "bad_type": bad_type, "empty": empty}


@pytest.mark.parametrize("args,message", [
    (["{missing}"], "missing.jsonl: no such file or folder"),
    (["{bad_json}"], "badjson.jsonl, record line 2: malformed JSON"),
    (["{bad_type}"], "badtype.jsonl, record line 1: bad miniF2F record: Expected `str`, got `int` - at `$.name`"),
    (["{empty}"], "empty.jsonl: no theorems in the file"),
    (["{good}", "--shard", "2/2"], "--shard must be I/N"),
    (["{good}", "--shard", "x"], "--shard must be I/N"),
    (["{good}", "--limit", "-1"], "--limit must be"),
    (["{good}", "--concurrency", "0"], "--concurrency must be at least 1"),
    (["{good}", "--expansions", "0"], "--expansions must be at least 1"),
    (["{good}", "--timeout", "0"], "--timeout must be a positive"),
    (["{good}", "--rollout-rule", "sideways"], "--rollout-rule"),
    (["{good}", "--policy", "{tmp}/nope.yaml"], "--policy: no such config file"),
])
def test_bad_inputs(tmp_path, args, message):
    files = {k: str(v) for k, v in _bad_inputs(tmp_path).items()} | {"missing": str(tmp_path / "missing.jsonl"),
                                                                      "tmp": str(tmp_path)}
    code, _, err = segatp("prove", *[a.format(**files) for a in args], "--out", tmp_path / "run")
    assert code == 2, err
    assert err.startswith("segatp: error:") and len(err.strip().splitlines()) == 1 and message in err, err


def test_skip_bad_counts(tmp_path):
    f = _bad_inputs(tmp_path)["bad_json"]
    code, _, err = segatp("prove", f, "--out", tmp_path / "run", "--skip-bad", *BUDGET)
    assert code == 0 and "1 bad records skipped" in err and len(results(tmp_path / "run")) == 1


def test_shards_partition_the_set(tmp_path, theorems, reference):
    for i in range(3):
        assert segatp("prove", theorems, "--out", tmp_path / f"s{i}", "--shard", f"{i}/3", *BUDGET)[0] == 0
    rows = [r for i in range(3) for r in results(tmp_path / f"s{i}")]
    assert comparable(rows) == comparable(reference)


def test_results_do_not_depend_on_concurrency_or_workers(tmp_path, theorems, reference):
    prove_command([str(theorems)], out=str(tmp_path / "k4"), budget=Budget(expansions=20), concurrency=4, workers=2)
    summary = json.loads((tmp_path / "k4" / SUMMARY).read_text())
    assert summary["session"]["concurrency"] == 4 and summary["session"]["workers"] == 2
    assert comparable(results(tmp_path / "k4")) == comparable(reference)


def test_minif2f_outside_the_fragment_recorded(tmp_path):
    from segatp.core import SHARED_DATA_MISSING, shared_data_dir
    if shared_data_dir() is None: pytest.skip(SHARED_DATA_MISSING)
    code, out, err = segatp("prove", shared_data_dir() / "minif2f" / "minif2f.jsonl", "--out", tmp_path / "run",
                            "--limit", "12", "--expansions", "5")
    assert code == 0, err
    rows = results(tmp_path / "run")
    assert len(rows) == 12 and "12 theorems:" in out
    errors = [r for r in rows if r["status"] == "error"]
    assert errors and all("outside the minilean fragment" in r["reason"] for r in errors)



def test_rollout_results_do_not_depend_on_concurrency_or_workers(tmp_path, theorems):
    from segatp.prove import Rollouts
    kw = dict(budget=Budget(expansions=10), rollouts=Rollouts(True), limit=6)
    prove_command([str(theorems)], out=str(tmp_path / "k1"), **kw)
    prove_command([str(theorems)], out=str(tmp_path / "k3"), concurrency=3, workers=2, **kw)
    one, three = results(tmp_path / "k1"), results(tmp_path / "k3")
    assert sum(r["rollouts"] for r in one) > 0
    assert comparable(one) == comparable(three)


def test_lean_repl_through_the_transcript_player(tmp_path):
    """`--env lean-repl` end to end, the REPL being the transcript player on a recorded session (Lean's answers)."""
    import sys
    from segatp.core import SHARED_DATA_MISSING, shared_data_dir
    if shared_data_dir() is None: pytest.skip(SHARED_DATA_MISSING)
    transcript = (shared_data_dir() / "lean-repl-transcripts" / "assumption_proof.in").resolve()
    (tmp_path / "aa.lean").write_text("theorem aa (x : Nat) (h1 : x  = 2) : x = 2 := by sorry\n")
    (tmp_path / "policy.yaml").write_text("backend: scripted\ntactics: [simp, assumption]\n")
    code, out, err = segatp("prove", tmp_path / "aa.lean", "--env", "lean-repl", "--out", tmp_path / "run",
                            "--policy", tmp_path / "policy.yaml", "--concurrency", "2",
                            "--repl-cmd", f"{sys.executable} -m segatp.lean.player {transcript} --mode lookup")
    assert code == 0, err
    [row] = results(tmp_path / "run")
    assert (row["status"], row["proof"]) == ("proved", "assumption")
    assert json.loads((tmp_path / "run" / "manifest.json").read_text())["config"]["policy"]["tactics"] == ["simp", "assumption"]


def test_sampled_model_results_do_not_depend_on_concurrency(tmp_path, theorems):
    """A seeded, sampling tiny `hf` policy: the same samples, hence the same trees and results, at any concurrency."""
    pytest.importorskip("torch", reason="the hf backend needs torch (the train extra)")
    from segatp.lm import TinyLlama, make_tiny_model
    texts = [json.loads(l)["statement"] for l in theorems.read_text().splitlines()] + ["linarith", "norm_num", "simp"]
    make_tiny_model(texts, tmp_path / "tiny", TinyLlama(vocab_size=300, hidden_size=32, layers=1, heads=2,
                                                        intermediate_size=64))
    (tmp_path / "policy.yaml").write_text(f"backend: hf\nmodel: {tmp_path / 'tiny'}\ndevice: cpu\n"
                                          "gen:\n  max_new_tokens: 12\n  temperature: 1.0\n")
    four = tmp_path / "four.jsonl"
    four.write_text("".join(theorems.read_text().splitlines(keepends=True)[:4]))
    kw = dict(policy=str(tmp_path / "policy.yaml"), budget=Budget(expansions=3), seed=5)
    prove_command([str(four)], out=str(tmp_path / "k1"), **kw)
    prove_command([str(four)], out=str(tmp_path / "k4"), concurrency=4, **kw)
    one, many = comparable(results(tmp_path / "k1")), comparable(results(tmp_path / "k4"))
    assert all(r["generated_tokens"] > 0 for r in one)  # the model really sampled
    assert one == many
    prove_command([str(four)], out=str(tmp_path / "other-seed"), concurrency=4, **{**kw, "seed": 6})
    assert [r["generated_tokens"] for r in comparable(results(tmp_path / "other-seed"))] != \
        [r["generated_tokens"] for r in one]  # the seed matters: the test can fail


@pytest.mark.parametrize("config", sorted((PACKAGE_ROOT.parent / "configs" / "policy").glob("*.yaml")), ids=lambda p: p.stem)
def test_shipped_policy_configs_load(config):
    from segatp.policy import BACKENDS
    from segatp.prove import load_policy_config
    from segatp.sft_data import PROMPT_FORMATS
    cfg = load_policy_config(config)
    assert cfg.backend in BACKENDS and cfg.prompt_format in PROMPT_FORMATS and cfg.model


def test_sampled_run_rechecks_honours_budget_and_resumes(tmp_path, theorems):
    """`--strategy sample` (pass@k, as a whole-proof policy is evaluated): proofs re-check from scratch, model calls
    stay within `--expansions`, a resume finishes the run, and a resume with the other strategy is refused."""
    from segatp.core import Theorem
    from segatp.minilean.env import MiniLeanEnv
    from segatp.prove import AUTOMATION_TACTICS
    from segatp.search import recheck_proof
    run, args = tmp_path / "run", ["--strategy", "sample", "--expansions", "3"]
    code, _, err = segatp("prove", theorems, "--out", run, "--limit", "10", *args)
    assert code == 0, err
    code, out, err = segatp("prove", theorems, "--out", run, *args, "--limit", "9", "--resume")
    assert code == 2 and "config.limit" in err  # the limit is config too; same settings then
    code, out, err = segatp("prove", theorems, "--out", run, *args, "--limit", "10", "--resume")
    assert code == 0 and "0 searched now, 10 done before" in out, err
    rows = results(run)
    assert len(rows) == 10 and all(r["model_calls"] <= 3 and r["nodes"] <= r["model_calls"] * len(AUTOMATION_TACTICS) for r in rows)
    assert json.loads((run / "manifest.json").read_text())["config"]["strategy"] == "sample"
    proved = [r for r in rows if r["status"] == "proved"]
    assert proved, "automation proves some of the ten theorems in one tactic"
    for r in proved: assert recheck_proof(Theorem(r["theorem"], r["statement"]), MiniLeanEnv, r["proof"])[0] == ""
    code, _, err = segatp("prove", theorems, "--out", run, "--limit", "10", "--expansions", "2", "--resume")
    assert code == 2 and "config.strategy" in err
    code, _, err = segatp("prove", theorems, "--out", tmp_path / "r2", "--strategy", "sample", "--rollout")
    assert code == 2 and "--strategy best-first" in err
