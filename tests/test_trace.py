"""Tracing whole proofs: linearisation on real proofs, replay through the lean-repl backend (the player) and minilean, and the resumable `trace` command."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from lean_fixtures import TRANSCRIPTS, needs_transcripts, player_config
from segatp.cli import main
from segatp.core import DataError, SegatpError, Theorem, Verdict, shared_data_dir
from segatp.outputs import output_lock
from segatp.lean.repl import LeanReplEnv
from segatp.lexer import split_tactics
from segatp.trace import trace_command, trace_whole_proof
from segatp.trajectory import iter_trajectories, split_lean_proof

BRANCHING_PROOF = """
  intro h
  have hp : p := h.left
  have hq : q := h.right
  apply And.intro
  · exact hq
  · exact hp
"""


@needs_transcripts
def test_trace_through_repl_player():
    """A bulleted proof linearises to exactly the tactics the real REPL session ran, in order, and traces."""
    thm = Theorem("and_swap", "example (p q : Prop) : p ∧ q → q ∧ p")
    make = lambda t: LeanReplEnv(t, player_config(TRANSCRIPTS / "proof_branching2.in"))  # order mode: strict
    res = trace_whole_proof(thm, BRANCHING_PROOF, make)
    assert res.verdict == Verdict.PROVED, res.message
    assert [s.tactic for s in res.steps] == \
        ["intro h", "have hp : p := h.left", "have hq : q := h.right", "apply And.intro", "exact hq", "exact hp"]
    assert [s.state_after.count("⊢") for s in res.steps] == [1, 1, 1, 2, 1, 0]
    json.dumps(res.row("k"))


@needs_transcripts
def test_trace_failure_and_start_error():
    """A failing step and an unstartable theorem give `failed` and `error` results, not exceptions."""
    thm = Theorem("and_swap", "example (p q : Prop) : p ∧ q → q ∧ p")
    make = lambda t: LeanReplEnv(t, player_config(TRANSCRIPTS / "proof_branching2.in", "--mode", "lookup"))
    bad = Theorem("nope", "theorem nope : False")
    results = [trace_whole_proof(thm, "intro h\nexact h", make), trace_whole_proof(bad, "simp", make)]
    assert [r.verdict for r in results] == ["failed", "error"]
    assert "step 2" in results[0].message and len(results[0].steps) == 1


DSP = shared_data_dir() / "proofs" / "dsp-plus-minif2f-test" if shared_data_dir() else None


@pytest.mark.skipif(DSP is None, reason="no ../shared/data")
def test_split_real_proofs():
    """Every DSP-Plus proof splits into clean steps: no bullets or `:= by` blocks left, no empty step."""
    total = 0
    for f in sorted(DSP.glob("*.lean")):
        w = split_lean_proof(f.read_text(), f.name)
        steps = split_tactics(w.proof)
        assert steps and w.statement.startswith(("theorem", "lemma")), f.name
        for s in steps:
            assert s.strip() and not s.startswith(("·", ". ")), (f.name, s)
            assert not (s.startswith("have") and s.rstrip().endswith(":= by")), (f.name, s)
        total += len(steps)
    assert total > 1000


def test_trace_with_minilean():
    """The same tracer runs over the embedded minilean backend, with bullets and `have … := by` linearised."""
    env = pytest.importorskip("segatp.minilean.env")
    items = [(Theorem("two_eqs", "theorem two_eqs (x y : ℝ) (h₀ : x + y = 10) (h₁ : x - y = 2) : x = 6 ∧ y = 4"),
              "  constructor\n  · linarith\n  · linarith"),
             (Theorem("amgm", "theorem amgm (a b : ℝ) : 2 * a * b ≤ a ^ 2 + b ^ 2"),
              "  have h : 0 ≤ (a - b) ^ 2 := by\n    positivity\n  nlinarith [h]")]
    results = [trace_whole_proof(thm, proof, env.MiniLeanEnv) for thm, proof in items]
    assert [r.verdict for r in results] == ["proved", "proved"]
    assert [[s.state_after.count("⊢") for s in r.steps] for r in results] == [[2, 1, 0], [2, 1, 0]]
    assert results[1].steps[0].tactic == "have h : 0 ≤ (a - b) ^ 2"


def test_trace_command_rows_keys_and_resume(tmp_path, capsys):
    """`trace_command` writes proved rows and failures in their JSONL shapes, keyed by `WholeProof.key`, and resumes."""
    src = tmp_path / "in"
    src.mkdir()
    (src / "a.lean").write_text("import Mathlib\n\ntheorem a (x : ℕ) : x + 0 = x := by\n  simp\n")
    (src / "b.lean").write_text("theorem b (x : ℕ) : x + 1 = x := by\n  simp\n")
    out = tmp_path / "o" / "t.jsonl"
    assert trace_command([str(src)], out=str(out)) == 0
    assert capsys.readouterr().out.startswith("1 traced → ")
    [row] = [json.loads(l) for l in out.read_text().splitlines()]
    [fail] = [json.loads(l) for l in (tmp_path / "o" / "t.failed.jsonl").read_text().splitlines()]
    assert list(row) == ["key", "theorem", "statement", "source", "steps"] and row["theorem"] == "a"
    assert list(fail) == ["key", "theorem", "status", "message"] and (fail["theorem"], fail["status"]) == ("b", "failed")
    w = split_lean_proof((src / "a.lean").read_text(), str(src / "a.lean"))
    assert row["key"] == w.key and row["source"] == str(src / "a.lean")
    assert [t.tactics for t in iter_trajectories(out)] == [["simp"]]
    assert trace_command([str(src / "a.lean"), str(src / "b.lean")], out=str(out)) == 0
    assert "0 traced" in (said := capsys.readouterr().out) and "(2 done before, skipped)" in said
    assert len(out.read_text().splitlines()) == 1


# issue 11: outputs, resume, bad input and bad arguments of `trace`


GOOD = {"formal_proof": "theorem g (x : ℕ) : x + 0 = x := by\n  simp"}
GOOD2 = {"formal_proof": "theorem g2 (x : ℕ) : 0 + x = x := by\n  simp"}
WRONG = {"formal_proof": "theorem w (x : ℕ) : x + 1 = x := by\n  simp"}


def _jsonl(path, rows):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    return path


def _lines(path):
    return [json.loads(l) for l in path.read_text().splitlines()]


def test_trace_refuses_its_own_input(tmp_path, monkeypatch):
    """`trace x.jsonl --out x.jsonl` (under any name) is refused and the input is left as it was."""
    monkeypatch.chdir(tmp_path)
    before = _jsonl(tmp_path / "x.jsonl", [GOOD]).read_bytes()
    for out in ("x.jsonl", str(tmp_path / "x.jsonl"), "sub/../x.jsonl"):
        with pytest.raises(SegatpError, match="is the input"):
            trace_command(["x.jsonl"], out=out)
    (tmp_path / "d").mkdir()
    _jsonl(tmp_path / "d" / "a.jsonl", [GOOD])
    with pytest.raises(SegatpError, match="inside the input folder"):
        trace_command(["d"], out="d/traced.jsonl")
    assert (tmp_path / "x.jsonl").read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["d", "x.jsonl"]


def test_trace_fails_fast_when_another_run_writes_out(tmp_path):
    src = _jsonl(tmp_path / "in.jsonl", [GOOD])
    out = tmp_path / "t.jsonl"
    with output_lock(out):
        with pytest.raises(SegatpError, match="being written by another run"):
            trace_command([str(src)], out=str(out))


def test_relative_and_absolute_paths_share_keys(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    _jsonl(tmp_path / "in.jsonl", [GOOD, WRONG])
    assert trace_command(["in.jsonl"], out="t.jsonl") == 0
    assert trace_command([str(tmp_path / "in.jsonl")], out=str(tmp_path / "t.jsonl")) == 0
    assert "0 traced" in (said := capsys.readouterr().out) and "(2 done before, skipped)" in said
    assert len(_lines(tmp_path / "t.jsonl")) == 1 and len(_lines(tmp_path / "t.failed.jsonl")) == 1


def test_resume_drops_a_truncated_last_line(tmp_path, capsys):
    src = _jsonl(tmp_path / "in.jsonl", [GOOD, GOOD2])
    out = tmp_path / "t.jsonl"
    assert trace_command([str(src)], out=str(out)) == 0
    full = out.read_bytes()
    out.write_bytes(full[:len(full) - 20])  # killed while writing the second row
    capsys.readouterr()
    assert trace_command([str(src)], out=str(out)) == 0
    said = capsys.readouterr()
    assert "dropped a truncated last line" in said.err and "1 truncated lines dropped" in said.out
    assert "1 traced" in said.out and out.read_bytes() == full


def test_resume_repairs_a_missing_newline(tmp_path):
    src = _jsonl(tmp_path / "in.jsonl", [GOOD])
    out = tmp_path / "t.jsonl"
    assert trace_command([str(src)], out=str(out)) == 0
    out.write_bytes(out.read_bytes().rstrip(b"\n"))  # a complete row, its newline not written
    _jsonl(src, [GOOD, GOOD2])
    assert trace_command([str(src)], out=str(out)) == 0
    assert [r["theorem"] for r in _lines(out)] == ["g", "g2"]


def test_retry_failed(tmp_path, capsys):
    """--retry-failed traces the failed proofs again and replaces their old .failed rows; the others stay."""
    src = _jsonl(tmp_path / "in.jsonl", [GOOD, WRONG])
    out, failed = tmp_path / "t.jsonl", tmp_path / "t.failed.jsonl"
    assert trace_command([str(src)], out=str(out)) == 0
    other = {"key": "other-key", "theorem": "elsewhere", "status": "failed", "message": "from another input"}
    failed.write_text(failed.read_text() + json.dumps(other) + "\n")
    assert trace_command([str(src)], out=str(out)) == 0
    assert "0 traced" in capsys.readouterr().out  # a plain resume never retries
    assert trace_command([str(src)], out=str(out), retry_failed=True) == 0
    assert "0 traced → " in (said := capsys.readouterr().out) and "1 failed" in said and "(1 done before" in said
    assert [r["theorem"] for r in _lines(failed)] == ["elsewhere", "w"]
    assert len(_lines(out)) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl", "t.failed.jsonl", "t.jsonl"]


def test_retry_failed_moves_a_now_proved_proof(tmp_path):
    src = _jsonl(tmp_path / "in.jsonl", [GOOD])
    out, failed = tmp_path / "t.jsonl", tmp_path / "t.failed.jsonl"
    assert trace_command([str(src)], out=str(out), timeout=1e-9) == 0  # every step times out
    assert [r["theorem"] for r in _lines(failed)] == ["g"] and _lines(out) == []
    assert trace_command([str(src)], out=str(out), retry_failed=True) == 0
    assert [r["theorem"] for r in _lines(out)] == ["g"] and _lines(failed) == []


@pytest.mark.parametrize("rec,field", [({"formal_statement": 5, "proof": "simp"}, "formal_statement"),
                                       ({"formal_proof": 3}, "formal_proof")])
def test_wrong_field_type_is_a_data_error(tmp_path, rec, field):
    src = _jsonl(tmp_path / "in.jsonl", [GOOD, rec])
    with pytest.raises(DataError, match=rf"in.jsonl, record line 2: field '{field}' must be a string"):
        trace_command([str(src)], out=str(tmp_path / "t.jsonl"))
    assert not (tmp_path / "t.jsonl").exists()


def test_null_proofs_and_malformed_lines_are_counted(tmp_path, capsys):
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps(GOOD) + "\n{broken\n" + json.dumps({"formal_statement": "theorem n : True", "proof": None})
                   + "\n")
    with pytest.raises(DataError, match="line 2: malformed JSON"):
        trace_command([str(src)], out=str(tmp_path / "t.jsonl"))
    with pytest.warns(UserWarning, match="line 2"):
        assert trace_command([str(src)], out=str(tmp_path / "t.jsonl"), skip_bad=True) == 0
    assert "left out: 1 records without a proof, 1 bad records skipped" in capsys.readouterr().out


def test_byte_order_mark(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_bytes(b"\xef\xbb\xbf" + json.dumps(GOOD).encode() + b"\n")
    (tmp_path / "p.lean").write_bytes(b"\xef\xbb\xbf" + GOOD2["formal_proof"].encode() + b"\n")
    assert trace_command([str(src), str(tmp_path / "p.lean")], out=str(tmp_path / "t.jsonl")) == 0
    assert [r["theorem"] for r in _lines(tmp_path / "t.jsonl")] == ["g", "g2"]


@pytest.mark.parametrize("content", ["[]", "", "\n\n", '{"formal_proof": null}\n'])
def test_empty_input_is_an_error(tmp_path, content):
    (tmp_path / "in.json").write_text(content)
    with pytest.raises(SegatpError, match="no whole proofs to trace in"):
        trace_command([str(tmp_path / "in.json")], out=str(tmp_path / "t.jsonl"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.json"]


CORPUS = Path(__file__).resolve().parents[1] / "data" / "corpus"


@pytest.mark.skipif(not (CORPUS / "theorems_test.jsonl").exists(), reason="no data/corpus")
def test_corpus_theorems_trace(tmp_path):
    """The corpus's own theorems_*.jsonl (statement + bare tactic proof) are whole proofs `trace` accepts."""
    rows = [json.loads(l) for l in (CORPUS / "theorems_test.jsonl").read_text().splitlines()[:3]]
    src = _jsonl(tmp_path / "theorems_test.jsonl", rows)
    assert trace_command([str(src)], out=str(tmp_path / "t.jsonl")) == 0
    traced = _lines(tmp_path / "t.jsonl") + _lines(tmp_path / "t.failed.jsonl")
    assert sorted(r["theorem"] for r in traced) == sorted(r["name"] for r in rows)


@pytest.mark.parametrize("timeout", [0, -1, float("nan")])
def test_bad_timeout(tmp_path, timeout):
    src = _jsonl(tmp_path / "in.jsonl", [GOOD])
    with pytest.raises(SegatpError, match="--timeout must be a positive number of seconds"):
        trace_command([str(src)], out=str(tmp_path / "t.jsonl"), timeout=timeout)


def test_unwritable_out_and_bad_timeout_are_one_line_exit_2(tmp_path, capsys):
    src = _jsonl(tmp_path / "in.jsonl", [GOOD])
    assert main(["trace", str(src), "--out", "/proc/nope/a.jsonl"]) == 2
    assert capsys.readouterr().err.strip().splitlines() == \
        ["segatp: error: cannot write /proc/nope/a.jsonl: No such file or directory"]
    assert main(["trace", str(src), "--out", str(tmp_path / "t.jsonl"), "--timeout", "0"]) == 2
    assert "--timeout must be a positive number of seconds, not 0" in capsys.readouterr().err


# issue 11: `segatp check` (segatp.backends.check_command), the other command on the same backends

OK_LEAN = "theorem ok (x : ℕ) : x + 0 = x := by\n  simp\n"
FALSE_LEAN = "theorem no (x : ℕ) : x + 1 = x := by\n  simp\n"


@pytest.mark.parametrize("text,needle", [
    ("", "no theorem, lemma or example to check in"),
    ("/- everything after this is a comment\n" + FALSE_LEAN, ":1:0: unterminated comment: the file does not lex"),
    (OK_LEAN + "/- hides the false theorem\n" + FALSE_LEAN, ":3:0: unterminated comment: the file does not lex"),
])
def test_check_refuses_empty_and_unlexable_files(tmp_path, capsys, text, needle):
    (tmp_path / "f.lean").write_text(text)
    assert main(["check", str(tmp_path / "f.lean")]) == 2
    assert needle in capsys.readouterr().err


@pytest.mark.parametrize("value", ["0", "-1", "nan"])
def test_check_bad_timeout(tmp_path, capsys, value):
    (tmp_path / "f.lean").write_text(OK_LEAN)
    assert main(["check", str(tmp_path / "f.lean"), "--timeout", value]) == 2
    assert "--timeout must be a positive number of seconds" in capsys.readouterr().err
    assert main(["check", str(tmp_path / "f.lean"), "--timeout", "5"]) == 0
