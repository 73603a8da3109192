"""minilean on whole files: correct proofs check, wrong ones are rejected, goals print as Lean prints them."""
import json
from pathlib import Path

import pytest

from segatp.core import LeanError, ProofFinished, SegatpError, TacticState, Theorem, Verdict, shared_data_dir
from segatp.minilean.env import MiniLeanEnv, check_lean_file, check_lean_text, parse_statement, trace_proof

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
    assert all(isinstance(v.verdict, Verdict) for v in vs) and {v.verdict for v in vs} == {Verdict.FAILED, Verdict.ERROR}
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
        s6 = env.run_tac(s2, "rcases h₀ with h | h <;> linarith")  # linarith does not split a disjunction
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


# --- strict file checking: a false theorem with a plausible proof must be found wherever it hides -------------------

FALSE = "theorem t : (2:ℕ) + 2 = 5 := by\n  norm_num\n"
ESCAPES = {  # the escapes (same line as Lean allows them, or after a header command), and their variants
    "indented": "import Mathlib\n  " + FALSE.replace("\n  ", "\n    "),
    "open_in": "import Mathlib\nopen Nat in " + FALSE,
    "open_in_next_line": "open Nat in\n" + FALSE,
    "set_option_in": "import Mathlib\nset_option maxHeartbeats 400000 in " + FALSE,
    "set_option_in_next_line": "set_option maxHeartbeats 400000 in\n" + FALSE,
    "chained_in": "open Nat in set_option maxRecDepth 1000 in\n" + FALSE,
    "namespace": "namespace Foo " + FALSE + "end Foo\n",
    "namespace_next_line": "namespace Foo\n" + FALSE + "end Foo\n",
    "section": "section " + FALSE + "end\n",
    "universe": "universe u " + FALSE,
    "docstring": "import Mathlib\n/-- A doc comment. -/ " + FALSE,
    "docstring_next_line": "/-- A doc comment. -/\n" + FALSE,
    "noncomputable": "noncomputable " + FALSE,
    "noncomputable_section": "noncomputable section " + FALSE,
    "private": "import Mathlib\n private " + FALSE,
    "attribute": "@[simp] " + FALSE,
    "string_in_def": 'def s := "/-"\n' + FALSE,
    "string_in_eval": '#eval "/- not a comment"\n' + FALSE,
    "comment_in_string": 'def s := "-/"\n/- a comment -/\n' + FALSE,
    "nested_comment": "/- a /- nested -/ comment -/ " + FALSE,
    "same_line": "theorem ok : (2:ℕ) + 2 = 4 := by norm_num " + FALSE,
    "after_module_doc": "/-! # Notes -/ " + FALSE,
}


@pytest.mark.parametrize("name", ESCAPES)
def test_false_theorem_is_never_hidden(name):
    vs = check_lean_text(ESCAPES[name], timeout=5)
    assert [v.name for v in vs if v.verdict == "proved"] in ([], ["ok"]), vs
    assert any(v.verdict != "proved" for v in vs)
    assert "t" in [v.name for v in vs]


def check_cli(tmp_path, text, *extra):
    from segatp.cli import main
    f = tmp_path / "f.lean"
    f.write_text(text)
    return main(["check", str(f), *extra])


@pytest.mark.parametrize("name", ESCAPES)
def test_false_theorem_exits_nonzero(tmp_path, name, capsys):
    assert check_cli(tmp_path, ESCAPES[name]) == 1
    assert ": t: " in capsys.readouterr().out


@pytest.mark.parametrize("text", ["", "import Mathlib\nopen Real\n", "def f := 1\n", "-- theorem t : 1 = 1 := rfl\n",
                                  '#eval "theorem t : 1 = 1 := rfl"\n'])
def test_file_without_declaration_exits_2(tmp_path, text, capsys):
    assert check_cli(tmp_path, text, "--json") == 2
    err = capsys.readouterr().err
    assert "no theorem, lemma or example to check in" in err and err.count("\n") == 1


def test_exit_codes_and_json_values(tmp_path, capsys):
    assert check_cli(tmp_path, "  theorem a : (2:ℕ) + 2 = 4 := by\n    norm_num\n") == 0
    assert check_cli(tmp_path, FALSE, "--json") == 1
    assert json.loads(capsys.readouterr().out.splitlines()[-1])["verdict"] == "failed"
    assert check_cli(tmp_path, "def f := 1\n" + FALSE.replace("5", "4"), "--json") == 1
    assert [json.loads(l)["verdict"] for l in capsys.readouterr().out.splitlines()] == ["error", "proved"]


OK = "theorem t : (2:ℕ) + 2 = 4 := by\n  norm_num\n"


@pytest.mark.parametrize("text,line,needle", [
    ("set_option autoImplicit true in\n" + OK, 2, "option 'autoImplicit' is outside the minilean fragment"),
    ("set_option maxHeartbeats 100 in\n" + OK, 2, "lowers a limit"),
    ("open Nat renaming add_comm → sq_nonneg in\n" + OK, 2, "no hiding, renaming"),
    ("variable (h : False) in\n" + OK, 2, "'variable … in' is outside"),
    ("noncomputable " + OK, 1, "'noncomputable' is outside"),
    ("@[simp] " + OK, 1, "'@[simp]' is outside"),
    ("protected " + OK, 1, "protected declarations must be in a namespace"),
    (OK + OK, 3, "'t' has already been declared"),
    ("namespace A\n" + OK + "end A\nnamespace A\n" + OK, 6, "'A.t' has already been declared"),
])
def test_declarations_outside_the_fragment_are_errors(text, line, needle):
    v = check_lean_text(text, timeout=5)[-1]
    assert (v.verdict, v.line) == ("error", line) and needle in v.message, v


def test_duplicate_names_in_other_namespaces_and_examples_are_fine():
    text = "namespace A\n" + OK + "end A\nnamespace B\n" + OK + "end B\n" + OK + OK.replace("theorem t", "example") * 2
    assert [(v.name, v.verdict) for v in check_lean_text(text, timeout=5)] == [("t", "proved")] * 3 + [("example", "proved")] * 2


@pytest.mark.parametrize("text,line,needle", [
    ("import Mathlib\nvariable (h : False)\n" + OK, 2, "'variable' is outside"),
    ("import Mathlib\nset_option autoImplicit true\n" + OK, 2, "option 'autoImplicit'"),
    ("end\n" + OK, 1, "invalid 'end', insufficient scopes"),
    ("namespace A\nend B\n" + OK, 2, "invalid 'end', name mismatch (expected A)"),
    ("namespace A\nend\n" + OK, 2, "invalid 'end', name is missing (expected A)"),
    (OK + "import Mathlib\n", 3, "it must be used in the beginning of the file"),
    ("import Mathlib.Tactic\n" + OK, 1, "only 'import Mathlib' and 'import Aesop'"),
    ("open Bogus\n" + OK, 1, "unknown namespace 'Bogus'"),
    ("/-- doc -/\nnamespace A\n" + OK, 2, "cannot precede 'namespace'"),
    ("axiom ax : (2:ℕ) + 2 = 5\n" + OK, 1, "command 'axiom' is outside"),
    ("instance : Inhabited Nat := ⟨0⟩\n" + OK, 1, "command 'instance' is outside"),
    ("macro \"t\" : tactic => `(tactic| rfl)\n" + OK, 1, "command 'macro' is outside"),
])
def test_header_mistakes_and_other_commands_are_errors(text, line, needle):
    vs = check_lean_text(text, timeout=5)
    bad = [v for v in vs if v.verdict == "error"]
    assert bad and bad[0].line == line and needle in bad[0].message, vs


@pytest.mark.parametrize("text,needle", [
    ("theorem t : 1 = 1 := by\n\trfl\n", "2:0: tabs are not allowed; please configure your editor to expand them"),
    ("theorem t : (1:ℕ) = ١ := by\n  rfl\n", "1:20: unexpected character '١'"),
    ("theorem t : (2:ℕ) = ２ := by\n  rfl\n", "unexpected character '２'"),
    ("theorem t : 1 = 1 :=\u00a0by\n  rfl\n", "unexpected character U+00A0 (NO-BREAK SPACE)"),
    ("theorem t : 1 = 1 := by\n  rfl\u200b\n", "unexpected character U+200B"),
    ("/- unterminated\n" + OK, "1:0: unterminated comment"),
])
def test_lexical_errors_are_error_verdicts(text, needle):
    (v,) = check_lean_text(text, timeout=5)
    assert v.verdict == "error" and needle in v.message, v


def test_duplicate_alternative_is_rejected():
    """Lean: `duplicate alternative` (the tactic parser's job, 04d)."""
    text = ("theorem t (p q : Prop) (h : p ∨ q) (hq : q → p) : p := by\n  cases h with\n  | inl h => exact h\n"
            "  | inl h => exact h\n  | inr h => exact hq h\n")
    assert check_lean_text(text, timeout=5)[0].verdict != "proved"


def test_states_carry_their_environment():
    thm = Theorem("t", "theorem t (p : Prop) (hp : p) : p ∧ p")
    with MiniLeanEnv(thm) as (env, s), MiniLeanEnv(thm) as (other, s2):
        mine = env.run_tac(s, "constructor")
        assert isinstance(mine, TacticState) and isinstance(env.run_tac(mine, "all_goals exact hp"), ProofFinished)
        for foreign in (s2, other.run_tac(s2, "constructor"), TacticState(s.pp), TacticState(s.pp, 0, s.payload.goals)):
            r = env.run_tac(foreign, "all_goals exact hp")
            assert isinstance(r, LeanError) and "state does not come from this environment" in r.error
    _, steps = trace_proof(thm, "constructor <;> exact hp")
    with MiniLeanEnv(thm) as (env, s):
        assert isinstance(env.run_tac(steps[0][0], "constructor"), LeanError)
