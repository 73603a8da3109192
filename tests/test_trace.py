"""Tracing whole proofs: linearisation on real proofs, replay through the lean-repl backend (the player) and minilean, and the resumable `trace` command."""
from __future__ import annotations

import json

import pytest

from lean_fixtures import TRANSCRIPTS, needs_transcripts, player_config
from segatp.core import Theorem, Verdict, shared_data_dir
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
