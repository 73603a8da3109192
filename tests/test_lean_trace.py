"""Tracing whole proofs: linearisation on real proofs, and replay through the lean-repl backend and the player."""
from __future__ import annotations

import json

import pytest

from lean_fixtures import TRANSCRIPTS, needs_transcripts, player_config
from segatp.core import Theorem, shared_data_dir
from segatp.lean.repl import LeanReplEnv
from segatp.lean.trace import split_tactics, theorem_from_lean, trace_whole_proofs

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
    [rec] = list(trace_whole_proofs([(thm, BRANCHING_PROOF)], make))
    assert rec["status"] == "proved", rec["message"]
    assert [x["tactic"] for x in rec["traced_tactics"]] == \
        ["intro h", "have hp : p := h.left", "have hq : q := h.right", "apply And.intro", "exact hq", "exact hp"]
    assert [x["state_after"].count("⊢") for x in rec["traced_tactics"]] == [1, 1, 1, 2, 1, 0]
    json.dumps(rec)


@needs_transcripts
def test_trace_failure_and_start_error():
    """A failing step and an unstartable theorem give `failed` and `error` records, not exceptions."""
    thm = Theorem("and_swap", "example (p q : Prop) : p ∧ q → q ∧ p")
    make = lambda t: LeanReplEnv(t, player_config(TRANSCRIPTS / "proof_branching2.in", "--mode", "lookup"))
    bad = Theorem("nope", "theorem nope : False")
    recs = list(trace_whole_proofs([(thm, "intro h\nexact h"), (bad, "simp")], make))
    assert [r["status"] for r in recs] == ["failed", "error"]
    assert "step 2" in recs[0]["message"] and len(recs[0]["traced_tactics"]) == 1


DSP = shared_data_dir() / "proofs" / "dsp-plus-minif2f-test" if shared_data_dir() else None


@pytest.mark.skipif(DSP is None, reason="no ../shared/data")
def test_split_real_proofs():
    """Every DSP-Plus proof splits into clean steps: no bullets or `:= by` blocks left, no empty step."""
    total = 0
    for f in sorted(DSP.glob("*.lean")):
        thm, proof = theorem_from_lean(f.read_text(), f.name)
        steps = split_tactics(proof)
        assert steps and thm.statement.startswith(("theorem", "lemma")), f.name
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
    recs = list(trace_whole_proofs(items, env.MiniLeanEnv))
    assert [r["status"] for r in recs] == ["proved", "proved"]
    assert [[t["state_after"].count("⊢") for t in r["traced_tactics"]] for r in recs] == [[2, 1, 0], [2, 1, 0]]
    assert recs[1]["traced_tactics"][0]["tactic"] == "have h : 0 ≤ (a - b) ^ 2"
