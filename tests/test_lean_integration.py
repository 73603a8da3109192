"""Real Lean: the lean-repl backend on a tiny theorem, when SEGATP_LEAN_PROJECT names a Lean project with the REPL built."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from segatp.core import LeanError, ProofFinished, TacticState, Theorem, Verdict
from segatp.lean.pool import ReplPool
from segatp.lean.process import LeanReplConfig
from segatp.lean.repl import LeanReplEnv, check_lean_file, verify_whole_proof

PROJECT = os.environ.get("SEGATP_LEAN_PROJECT")
pytestmark = [pytest.mark.lean,
              pytest.mark.skipif(not PROJECT, reason="set SEGATP_LEAN_PROJECT to a Lean 4 project with the REPL built"),
              pytest.mark.skipif(shutil.which("lake") is None, reason="`lake` is not on PATH (install Lean with elan)")]

THM = Theorem("and_swap", "theorem and_swap (p q : Prop) : p ∧ q → q ∧ p")


def config() -> LeanReplConfig:
    return LeanReplConfig.from_env(project=PROJECT, tactic_timeout=60, command_timeout=600)


def test_real_repl_proof():
    """Start a theorem, branch into two goals, finish it; a bad tactic is a LeanError."""
    with LeanReplEnv(THM, config()) as (env, s):
        assert s.num_goals == 1
        assert isinstance(env.run_tac(s, "exact foo_bar_baz"), LeanError)
        s = env.run_tac(s, "intro h")
        s = env.run_tac(s, "constructor")
        assert isinstance(s, TacticState) and s.num_goals == 2
        s = env.run_tac(s, "exact h.2")
        assert isinstance(env.run_tac(s, "exact h.1"), ProofFinished)


def test_real_whole_proof_verdicts():
    """Whole proofs: proved, sorry, failed."""
    with ReplPool(config()) as pool:
        assert verify_whole_proof(THM, "intro h\nexact ⟨h.2, h.1⟩", pool).verdict == Verdict.PROVED
        assert verify_whole_proof(THM, "intro h\nexact h", pool).verdict == Verdict.FAILED
        assert verify_whole_proof(THM, "sorry", pool).verdict == Verdict.SORRY


def test_real_check_lean_file(tmp_path: Path):
    """A file with a proved, a sorried and a broken declaration."""
    f = tmp_path / "t.lean"
    f.write_text("theorem a : 1 + 1 = 2 := by\n  rfl\n\ntheorem b : 2 = 2 := by\n  sorry\n\nexample : 2 = 3 := by\n  rfl\n")
    got = [(v.name, v.verdict) for v in check_lean_file(f, project=PROJECT)]
    assert got == [("a", "proved"), ("b", "failed"), ("example", "failed")]
