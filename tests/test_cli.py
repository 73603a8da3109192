"""The `segatp` command as a user runs it: help, exit codes, clear errors, real data end to end."""
import json
import shutil
import subprocess

import pytest

from segatp.test_utils import leandojo_search_output, toy_trajectory, write_json

SUBCOMMANDS = ["segment", "sft", "stats", "check", "trace", "corpus", "train", "prove", "experiment", "demo"]


def segatp(*args, cwd=None):
    """Run the CLI in a subprocess; return (exit code, stdout, stderr)."""
    exe = shutil.which("segatp")
    assert exe, "the segatp console script is not installed (pip install -e .)"
    r = subprocess.run([exe, *map(str, args)], capture_output=True, text=True, cwd=cwd)
    return r.returncode, r.stdout, r.stderr


@pytest.mark.parametrize("sub", [None, *SUBCOMMANDS])
def test_help(sub):
    code, out, _ = segatp(*([sub] if sub else []), "--help")
    assert code == 0 and "usage: segatp" in out


@pytest.mark.parametrize("args,message", [
    (["segment", "{tmp}/nope.json", "--out", "{tmp}/x.jsonl"], "nope.json: no such file or folder"),
    (["segment", "{tmp}/t.json", "--out", "{tmp}/x.jsonl", "--granularity", "proof"], "invalid choice: 'proof'"),
    (["segment", "{tmp}/t.json"], "the following arguments are required: --out"),
    (["segment", "{tmp}/t.json", "--out", "{tmp}/x.jsonl", "--min-len", "0"], "min_len must be at least 1"),
    (["sft", "{tmp}/t.json", "--out-dir", "{tmp}/o", "--prompt-format", "gpt"], "invalid choice: 'gpt'"),
    (["sft", "{tmp}/t.json", "--out-dir", "{tmp}/o", "--minif2f", "{tmp}/missing.jsonl"], "missing.jsonl"),
    (["stats", "{tmp}/bad.json", "--figure", "{tmp}/f.png"], "bad.json, record results[0].attempt_results[0]: empty trace"),
    ([], "the following arguments are required: COMMAND"),
    # values that make no sense are refused, naming the option (issue 11)
    (["sft", "{tmp}/t.json", "--out-dir", "{tmp}/o", "--no-decontaminate", "--valid-frac", "2"], "valid_frac must be between 0 and 1"),
    (["sft", "{tmp}/t.json", "--out-dir", "{tmp}/o", "--no-decontaminate", "--valid-frac", "-1"], "valid_frac must be between 0 and 1"),
    (["sft", "{tmp}/t.json", "--out-dir", "{tmp}/o", "--no-decontaminate", "--valid-frac", "nan"], "valid_frac must be between 0 and 1"),
    (["segment", "{tmp}/t.json", "--out", "{tmp}/x.jsonl", "--min-len", "5", "--max-len", "2"],
     "min_len (5) must not exceed max_len (2)"),
    (["corpus", "generate", "--out", "{tmp}/c", "--n", "-3"], "n must be at least 1, not -3"),
    (["corpus", "generate", "--out", "{tmp}/c", "--n", "3", "--proofs-per-theorem", "0"], "proofs_per_theorem must be at least 1"),
    (["corpus", "verify", "{tmp}/t.json", "--sample", "-1"], "sample must be at least 1, not -1"),
    (["demo", "--out", "{tmp}/d", "--figures", "{tmp}/f", "--quick", "--full"], "choose --quick or --full, not both"),
    # empty inputs are an error, not an empty dataset
    (["segment", "{tmp}/empty.json", "--out", "{tmp}/x.jsonl"], "no trajectories in"),
    (["sft", "{tmp}/empty.json", "--out-dir", "{tmp}/o", "--no-decontaminate"], "no trajectories in"),
    (["stats", "{tmp}/empty.json", "--figure", "{tmp}/f.png"], "no trajectories in"),
    # outputs that cannot be written, or would destroy an input
    (["segment", "{tmp}/t.json", "--out", "/proc/nope/x.jsonl"], "cannot write /proc/nope/x.jsonl"),
    (["segment", "{tmp}/t.json", "--out", "{tmp}/./t.json"], "is the input"),
    (["sft", "{tmp}/t.json", "--out-dir", "/proc/nope", "--no-decontaminate"], "/proc/nope"),
    (["segment", "{tmp}/" + "a" * 300, "--out", "{tmp}/x.jsonl"], "File name too long"),  # an OSError: one line
])
def test_bad_arguments_exit_2_without_traceback(tmp_path, args, message):
    write_json(tmp_path / "t.json", leandojo_search_output([toy_trajectory([1, 0])]))
    write_json(tmp_path / "bad.json", {"results": [{"attempt_results": [{"theorem": "t", "success": True, "trace": []}]}]})
    write_json(tmp_path / "empty.json", [])
    before = (tmp_path / "t.json").read_bytes()
    code, out, err = segatp(*[a.format(tmp=tmp_path) for a in args])
    assert code == 2, (out, err)
    assert not (tmp_path / "x.jsonl").exists()  # nothing is written when the input is bad
    assert not any((tmp_path / d).exists() for d in ["o", "c", "d"])
    assert (tmp_path / "t.json").read_bytes() == before  # the input is never touched
    assert message in err and "Traceback" not in err, err
    assert len(err.strip().splitlines()) == 1 or err.startswith("usage:"), err


def test_output_that_is_an_input_is_refused_however_spelled(tmp_path):
    write_json(tmp_path / "t.json", leandojo_search_output([toy_trajectory([1, 0])]))
    code, _, err = segatp("segment", "t.json", "--out", tmp_path / "t.json", cwd=tmp_path)
    assert code == 2 and "is the input" in err, err
    (tmp_path / "link.json").symlink_to(tmp_path / "t.json")
    code, _, err = segatp("segment", "link.json", "--out", "t.json", cwd=tmp_path)
    assert code == 2 and "is the input" in err, err
    code, _, err = segatp("sft", tmp_path, "--out-dir", tmp_path / "sft", "--no-decontaminate")
    assert code == 2 and "inside the input folder" in err, err
    assert json.loads((tmp_path / "t.json").read_text())["results"]


def test_second_writer_of_an_output_fails_fast(tmp_path):
    from segatp.outputs import output_lock
    write_json(tmp_path / "t.json", leandojo_search_output([toy_trajectory([1, 0])]))
    (tmp_path / "x.jsonl").write_text("previous\n")
    with output_lock(tmp_path / "x.jsonl"):  # another run is writing x.jsonl
        code, _, err = segatp("segment", tmp_path / "t.json", "--out", tmp_path / "x.jsonl")
    assert code == 2 and "is being written by another run" in err, err
    assert (tmp_path / "x.jsonl").read_text() == "previous\n"
    with output_lock(tmp_path / "sft" / "train.jsonl"):
        code, _, err = segatp("sft", tmp_path / "t.json", "--out-dir", tmp_path / "sft", "--no-decontaminate")
    assert code == 2 and "is being written by another run" in err, err
    with output_lock(tmp_path / "demo"):  # another `segatp demo` into the same folder
        code, _, err = segatp("demo", "--out", tmp_path / "demo", "--figures", tmp_path / "fig", "--quick")
    assert code == 2 and "is being written by another run" in err, err
    assert not (tmp_path / "demo").exists() and not (tmp_path / "fig").exists()


def test_segment_and_stats_on_real_data(shared, tmp_path):
    code, out, err = segatp("segment", shared / "trajectories", "--granularity", "step", "--out", tmp_path / "s.jsonl")
    assert code == 0, err
    rows = [json.loads(l) for l in (tmp_path / "s.jsonl").read_text().splitlines()]
    assert len(rows) == 534
    assert set(rows[0]) >= {"theorem", "state", "tactics", "goals_before", "goals_after", "source"}
    code, out, err = segatp("segment", shared / "trajectories", "--out", tmp_path / "g.jsonl")
    seg = [json.loads(l) for l in (tmp_path / "g.jsonl").read_text().splitlines()]
    assert code == 0 and sum(len(r["tactics"]) for r in seg) == 534 and len(seg) < 534
    code, out, err = segatp("stats", shared / "trajectories", shared / "leandojo-benchmark-4", "--json",
                            "--figure", tmp_path / "f.png")
    assert code == 0, err
    stats = json.loads(out.splitlines()[0])
    assert stats["examples"]["step"] == 534 + 513 and stats["examples"]["whole"] == 354 + 122
    assert (tmp_path / "f.png").stat().st_size > 10_000


def test_sft_decontaminates_real_minif2f_proofs(shared, tmp_path):
    code, out, err = segatp("sft", shared / "trajectories", "--out-dir", tmp_path / "a", "--json")
    assert code == 0, err
    rep = json.loads(out)
    assert rep["examples"] == 0 and rep["decontamination"]["dropped_theorems"] > 100
    code, out, err = segatp("sft", shared / "leandojo-benchmark-4", "--out-dir", tmp_path / "b", "--json",
                            "--prompt-format", "internlm-stepprover", "--granularity", "segment")
    rep = json.loads(out)
    assert code == 0 and rep["train"] + rep["valid"] > 100 and rep["decontamination"]["dropped_theorems"] == 0
    first = json.loads((tmp_path / "b" / "train.jsonl").read_text().splitlines()[0])
    assert first["prompt"].startswith("<|im_start|>user") and first["completion"].endswith("<|im_end|>")


GOOD = """import Mathlib
open Real

theorem and_swap (p q : Prop) (h : p ∧ q) : q ∧ p := by
  obtain ⟨hp, hq⟩ := h
  constructor
  · exact hq
  · exact hp

example (x y : ℝ) (h₀ : x + y = 10) (h₁ : x - y = 2) : x = 6 ∧ y = 4 := by
  constructor <;> linarith
"""
BAD = GOOD + """
theorem wrong (x : ℝ) (h : x > 0) : x > 1 := by
  linarith

theorem cheat (x : ℕ) : x = x + 1 := by
  sorry
"""


def test_check_minilean_exit_codes_and_json(tmp_path):
    (tmp_path / "good.lean").write_text(GOOD)
    (tmp_path / "bad.lean").write_text(BAD)
    code, out, err = segatp("check", tmp_path / "good.lean", "--env", "minilean")
    assert code == 0, (out, err)
    assert out.count(": proved") == 2
    code, out, err = segatp("check", tmp_path / "bad.lean", "--json")
    rows = [json.loads(l) for l in out.splitlines()]
    assert code == 1
    assert [(r["name"], r["verdict"]) for r in rows] == [("and_swap", "proved"), ("example", "proved"),
                                                         ("wrong", "failed"), ("cheat", "failed")]
    assert set(rows[0]) >= {"name", "verdict", "message", "steps"}
    code, out, err = segatp("check", tmp_path / "missing.lean")
    assert code == 2 and "missing.lean" in err and "Traceback" not in err


def test_check_lean_repl_without_lean_says_what_is_missing(tmp_path, monkeypatch):
    (tmp_path / "good.lean").write_text(GOOD)
    monkeypatch.delenv("SEGATP_LEAN_PROJECT", raising=False)
    monkeypatch.delenv("SEGATP_REPL_CMD", raising=False)
    code, out, err = segatp("check", tmp_path / "good.lean", "--env", "lean-repl")
    assert code == 2 and "Traceback" not in err
    assert "elan" in err and "--project" in err


def test_trace_whole_proof_dataset_with_minilean_and_resume(tmp_path):
    rows = [{"uuid": "a", "formal_proof": "theorem n1 (x y : ℝ) (h₀ : x + y = 10) (h₁ : x - y = 2) : x = 6 ∧ y = 4 := by\n"
                                          "  constructor\n  · linarith\n  · linarith"},
            {"uuid": "b", "formal_proof": "theorem n2 (x : ℝ) (h : x > 0) : x > 1 := by\n  linarith"}]
    write_json(tmp_path / "numina.jsonl", rows, lines=True)
    code, out, err = segatp("trace", tmp_path / "numina.jsonl", "--out", tmp_path / "t.jsonl")
    assert code == 0, err
    from segatp.trajectory import iter_trajectories
    trajs = list(iter_trajectories(tmp_path / "t.jsonl"))
    assert [t.theorem for t in trajs] == ["n1"] and [s.tactic for s in trajs[0].steps] == ["constructor", "linarith", "linarith"]
    assert trajs[0].goal_counts == ((1, 2), (2, 1), (1, 0))
    failed = [json.loads(l) for l in (tmp_path / "t.failed.jsonl").read_text().splitlines()]
    assert [f["theorem"] for f in failed] == ["n2"] and "linarith failed" in failed[0]["message"]
    code, out, err = segatp("trace", tmp_path / "numina.jsonl", "--out", tmp_path / "t.jsonl")
    assert code == 0 and "0 traced" in out and "2 done before" in out


def test_trace_real_dsp_proofs(shared, tmp_path):
    code, out, err = segatp("trace", shared / "proofs" / "dsp-plus-minif2f-test", "--out", tmp_path / "dsp.jsonl")
    assert code == 0, err
    from segatp.trajectory import iter_trajectories
    assert len(list(iter_trajectories(tmp_path / "dsp.jsonl"))) > 30
