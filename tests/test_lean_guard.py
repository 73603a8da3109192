"""The Lean guard: every bypass class of the regex guard refused on every path to a backend, real proofs unchanged."""
from __future__ import annotations

import re

import pytest

from lean_fixtures import BRANCHING, THM, TRANSCRIPTS, needs_transcripts, player_config
from segatp.core import LeanError, Theorem, Verdict, shared_data_dir
from segatp.lean.guard import UnsafeLeanError, guard, scan_lean, unsafe_reason
from segatp.lean.pool import ReplPool
from segatp.lean.repl import LeanReplEnv, guard_file, verify_whole_proof
from segatp.lexer import declarations

# Each passed the regex guard (segatp before issue 11) unless marked; each is refused now.
BYPASSES = {
    "qualified-spawn": 'exact (_root_.IO.Process.spawn {cmd := "sh"})',
    "qualified-ofReduceBool": "exact Lean.ofReduceBool _ _ rfl",
    "qualified-sorryAx": "exact _root_.sorryAx _ false",
    "open-in": 'open IO in\nexact Process.spawn {cmd := "sh"}',
    "open-nested": "open Lean in\nexact Elab.Term.elabTerm",
    "by_elab": "exact by_elab do return Lean.mkConst ``True.intro",
    "quoted-namespace": "exact «IO».«Process».spawn",
    "quoted-option": "set_option «maxHeartbeats» 0 in\nnlinarith",
    "option-00": "set_option maxHeartbeats 00 in\nnlinarith",
    "option-0x0": "set_option maxHeartbeats 0x0 in\nnlinarith",
    "option-bound": "set_option maxRecDepth 100000000 in\nnlinarith",
    "interpolation": 'exact s!"{(by native_decide : 1 = 1)}"',
    "interpolated-by_elab": 'exact m!"{by_elab pure (Lean.mkConst ``True)}"',
    "quoted-config": "decide (config := {«native» := true})",
    "hash-quoted": "#«eval» 1",
    # refused by the regex guard already since the lexer blanks strings (issue 10); kept as regressions
    "raw-string-run_tac": 'exact r"\\" ; run_tac pure () -- "',
    "raw-string-native_decide": 'exact r#"x"# ; native_decide',
    "quoted-identifier": "exact «native_decide»",
}


@pytest.mark.parametrize("text", BYPASSES.values(), ids=BYPASSES.keys())
def test_bypass_is_refused(text):
    assert scan_lean(text) and unsafe_reason(text).startswith("refused by the Lean guard")
    with pytest.raises(UnsafeLeanError): guard(text)
    assert scan_lean(text, "proof")


def test_accepted_text_and_harmless_lookalikes():
    for ok in ["nlinarith [sq_nonneg (a - b)]", "exact h.sorry_free", "aesop (add unsafe 50% apply mul_pos)",
               "open Real in\nnlinarith [pi_pos]", 'exact r#"run_tac native_decide"#',
               "set_option maxHeartbeats 0x61A80 in\nsimp",
               "simp (config := {decide := false})", "exact «Nat».succ_le_of_lt h"]:
        assert unsafe_reason(ok) is None, ok


def test_decide_true_still_refused_in_real_proofs():
    """On the DSP-Plus files the guard refuses exactly the files with `decide := true`, for that reason only."""
    root = shared_data_dir()
    if root is None: pytest.skip("shared data absent")
    files = sorted((root / "proofs" / "dsp-plus-minif2f-test").glob("*.lean"))
    assert files
    for f in files:
        text = f.read_text()
        rules = {v.rule for v in scan_lean(text, "file")}
        assert rules == ({"decide option"} if re.search(r"decide\s*:=\s*true", text) else set()), f.name


@needs_transcripts
def test_bypasses_never_reach_the_repl_as_tactics():
    """An order-mode player would fall out of step if a refused tactic reached it."""
    with LeanReplEnv(THM, player_config(BRANCHING)) as (env, s):
        for text in BYPASSES.values():
            r = env.run_tac(s, text)
            assert isinstance(r, LeanError) and r.error.startswith("refused by the Lean guard"), text
        assert env.run_tac(s, "intro h").num_goals == 1


@needs_transcripts
def test_bypasses_never_reach_the_repl_as_whole_proofs():
    ex = Theorem("ex", "theorem ex : False")
    with ReplPool(player_config(TRANSCRIPTS, "--mode", "lookup", command_timeout=5)) as pool:
        for text in BYPASSES.values():
            got = verify_whole_proof(ex, text, pool)
            assert got.verdict in (Verdict.ERROR, Verdict.SORRY) and got.seconds == 0.0, text
        assert verify_whole_proof(ex, "exact _root_.sorryAx _ false", pool).verdict == Verdict.SORRY


def test_bypasses_are_blanked_in_files():
    proofs = "".join(f"theorem t{i} : True := by\n  {b}\n\n" for i, b in enumerate(BYPASSES.values()))
    text = "import Mathlib\n\n" + proofs
    decls = declarations(text, strict=False)
    sent, refused = guard_file(text, decls)
    # Lean itself reports a `sorry` in a file, and a file may lift the heartbeat limit (its wall-time limit holds)
    lean_judges = {"qualified-sorryAx", "quoted-option", "option-00", "option-0x0"}
    assert [k for i, k in enumerate(BYPASSES) if i not in refused] == sorted(lean_judges, key=list(BYPASSES).index)
    assert all(b not in sent for k, b in BYPASSES.items() if k not in lean_judges)
