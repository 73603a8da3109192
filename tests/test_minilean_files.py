"""minilean on whole files: correct proofs check, wrong ones are rejected, goals print as Lean prints them."""
import json
from pathlib import Path

import pytest

from segatp.core import LeanError, ProofFinished, TacticState, Theorem, shared_data_dir
from segatp.minilean.env import MiniLeanEnv, check_lean_file, check_lean_text, parse_statement, trace_proof
from segatp.core import SegatpError

LEAN = Path(__file__).parent / "lean"


def test_good_file_all_proved():
    vs = check_lean_file(LEAN / "minilean_good.lean")
    assert len(vs) >= 30
    assert [(v.name, v.verdict, v.message) for v in vs if v.verdict != "proved"] == []
    assert "example" in [v.name for v in vs]


def test_bad_file_none_proved():
    vs = check_lean_file(LEAN / "minilean_bad.lean")
    assert len(vs) >= 20
    assert [v.name for v in vs if v.verdict == "proved"] == []
    by_name = {v.name: v for v in vs}
    assert by_name["uses_sorry"].message == "declaration uses 'sorry'"
    assert by_name["open_goal"].message.startswith("unsolved goals")
    assert by_name["after_done"].message == "no goals to be proved"
    assert by_name["outside"].verdict == "error" and "ℂ" in by_name["outside"].message
    assert by_name["bad_tactic"].verdict == "error"


def test_header_and_unknown_commands():
    vs = check_lean_text("import Mathlib\nopen Real\nset_option maxHeartbeats 0\n\ndef f := 1\n\nexample : 1 + 1 = 2 := by\n  rfl\n")
    assert [(v.name, v.verdict) for v in vs] == [("def", "error"), ("example", "proved")]
    assert vs[1].line == 7


def test_goal_display_tags():
    thm = Theorem("t", "theorem t (x y : ℝ) (h₀ : x < y ∨ x = y) (n : ℕ) : x ≤ y ∧ (n = 0 ∨ n ≥ 1)")
    with MiniLeanEnv(thm) as (env, s):
        assert s.pp == "x y : ℝ\nh₀ : x < y ∨ x = y\nn : ℕ\n⊢ x ≤ y ∧ (n = 0 ∨ n ≥ 1)"
        s2 = env.run_tac(s, "constructor")
        assert [g.tag for g in s2.goals] == ["left", "right"]
        s3 = env.run_tac(s2, "cases h₀")
        assert [g.tag for g in s3.goals] == ["left.inl", "left.inr", "right"]
        assert s3.goals[0].hyps == ("x y : ℝ", "n : ℕ", "h✝ : x < y")
        assert isinstance(env.run_tac(s2, "intro z"), LeanError)
        s5 = env.run_tac(s2, "have h : x ≤ y")
        assert [g.tag for g in s5.goals] == ["h", "left", "right"] and s5.num_goals == 3
        s6 = env.run_tac(s2, "linarith")
        assert s6.num_goals == 1 and s6.goals[0].tag == "right"
        s7 = env.run_tac(s6, "induction n")
        assert [g.tag for g in s7.goals] == ["right.zero", "right.succ"]
        assert isinstance(env.run_tac(s7, "all_goals omega"), ProofFinished)


def test_intro_keeps_goal_count_and_states_hash_on_text():
    thm = Theorem("t", "theorem t : ∀ a b : ℤ, a < b → a + 1 ≤ b")
    with MiniLeanEnv(thm) as (env, s):
        s1 = env.run_tac(s, "intro a b h")
        assert s1.num_goals == 1 and s1.pp == "a b : ℤ\nh : a < b\n⊢ a + 1 ≤ b"
        assert env.run_tac(s, "intro a b h") == s1 and hash(env.run_tac(s, "intros a b h")) != 0
        assert isinstance(env.run_tac(s1, "omega"), ProofFinished)


def test_trace_proof_linearises_bullets():
    thm = Theorem("t", "theorem t (a b : ℝ) (h : a = 2 * b) (hb : b = 1) : a = 2 ∧ b ≤ a")
    v, steps = trace_proof(thm, "constructor\n· rw [h, hb]\n  norm_num\n· linarith")
    assert v.verdict == "proved"
    assert [(s.num_goals, t, a.num_goals) for s, t, a in steps] == [(1, "constructor", 2), (2, "rw [h, hb]", 2),
                                                                     (2, "norm_num", 1), (1, "linarith", 0)]
    assert all(isinstance(s, TacticState) for s, _, _ in steps) and isinstance(steps[-1][2], ProofFinished)
    assert steps[1][2].goals[0].target == "2 * 1 = 2"


def test_statement_errors_are_clear():
    for stmt, needle in [("theorem t (s : Finset ℕ) : s.card = 0", "unknown type"),
                         ("theorem t (x : ℝ) : Real.sqrt x ≥ 0", "unknown identifier 'Real.sqrt'"),
                         ("theorem t (x : ℝ) : x % 2 = 0", "HMod"), ("theorem t (x : ℝ : x", "expected"),
                         ("def t : 1 = 1", "must start with")]:
        with pytest.raises(SegatpError, match="outside the minilean fragment") as e:
            parse_statement(stmt)
        assert needle in str(e.value)


@pytest.mark.skipif(shared_data_dir() is None, reason="shared data absent")
def test_initial_goals_match_real_lean_on_minif2f():
    rows = [json.loads(l) for l in open(shared_data_dir() / "minif2f" / "minif2f.jsonl")]
    checked = 0
    for r in rows:
        try:
            _, g = parse_statement(r["formal_statement"])
        except SegatpError:
            continue
        assert g.pp == r["goal"], r["name"]
        checked += 1
    assert checked >= 200


def test_env_protocol_and_timeout():
    from segatp.core import ProofEnv, ProofTimeout
    thm = Theorem("t", "theorem t (x : ℝ) (h : 0 < x) : 0 < x ^ 2 + x := by")
    with MiniLeanEnv(thm, timeout=0.0) as (env, s):
        assert isinstance(env, ProofEnv)
        r = env.run_tac(s, "nlinarith [sq_nonneg x]")
        assert isinstance(r, ProofTimeout) and r.seconds == 0.0
    with MiniLeanEnv(thm) as (env, s):
        done = env.run_tac(s, "nlinarith [sq_nonneg x]")
        assert isinstance(done, ProofFinished)
        assert isinstance(env.run_tac(done, "simp"), LeanError)
        assert isinstance(env.run_tac(s, "exact (by positivity : 0 < x ^ 2 + x)"), ProofFinished)


@pytest.mark.skipif(shared_data_dir() is None, reason="shared data absent")
def test_real_dsp_proofs_sample():
    folder = shared_data_dir() / "proofs" / "dsp-plus-minif2f-test"
    verdicts = [v for f in sorted(folder.glob("*.lean")) for v in check_lean_file(f, timeout=10)]
    assert len(verdicts) == 205
    assert sum(v.verdict == "proved" for v in verdicts) >= 40


@pytest.mark.skipif(shared_data_dir() is None, reason="shared data absent")
def test_replay_real_leandojo_steps():
    """Replay real LeanDojo steps (InternLM2-plus on miniF2F) whose statements are in the fragment: states must match."""
    files = sorted((shared_data_dir() / "trajectories" / "internlm-minif2f").glob("internLM2-plus*/*.json"))
    same = differ = 0
    for f in files:
        for r in json.load(open(f))["results"]:
            for a in r["attempt_results"]:
                if not a.get("success") or not a.get("sstrace"): continue
                try:
                    env, s = MiniLeanEnv(Theorem("t", r["example"]["statement"])).__enter__()
                except SegatpError:
                    continue
                assert s.pp == a["sstrace"][0]["state_before"]
                for step in a["sstrace"]:
                    if not isinstance(s, TacticState) or s.pp != step["state_before"]: break
                    s = env.run_tac(s, step["tactic"])
                    if not isinstance(s, (TacticState, ProofFinished)): break
                    if s.pp == step["state_after"]: same += 1
                    else: differ += 1
    assert same >= 80 and same >= 4 * differ, (same, differ)  # differences: decision tactics closing goals Lean's leave
