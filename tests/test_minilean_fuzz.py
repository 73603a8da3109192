"""Parser and elaborator fuzzing: arbitrary input gives clean errors, never a crash."""
from hypothesis import HealthCheck, given, settings, strategies as st

from segatp.core import SegatpError, TacticState, Theorem, is_failure
from segatp.minilean.env import MiniLeanEnv, check_lean_text, parse_statement
from segatp.minilean.syntax import MiniLeanError
from segatp.minilean.goals import parse_tactics

PIECES = ["theorem", "t", "(", ")", "x", "y", "h", ":", "ℝ", "ℕ", "ℤ", "ℚ", "Prop", ":=", "by", "\n", "\n  ", "·",
          "⟨", "⟩", ",", "|", "∀", "∃", "→", "↔", "∧", "∨", "¬", "=", "≠", "<", "≤", "+", "-", "*", "/", "%", "^",
          "2", "0", "intro", "exact", "apply", "cases", "with", "inl", "inr", "=>", "rcases", "obtain", "have",
          "induction", "zero", "succ", "linarith", "nlinarith", "[", "]", "sq_nonneg", "at", "⊢", "<;>", ";",
          "all_goals", "first", "try", "repeat", "rw", "←", "?_", "refine", "use", "case", "left", "right", ".1",
          "h.mp", "True", "False", "sorry", "{", "}", "↑", "∣", "--", "/-", "-/", "_", "!", "@"]
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(st.lists(st.sampled_from(PIECES), max_size=30).map(" ".join))
def test_token_soup_files(text):
    for v in check_lean_text(text, timeout=2):
        assert v.verdict in ("proved", "failed", "error")


@FUZZ
@given(st.text(max_size=60))
def test_arbitrary_text(text):
    for v in check_lean_text("theorem t (x : ℝ) (h : x > 0) : x ≥ 0 := by\n  " + text, timeout=2):
        assert v.verdict in ("proved", "failed", "error")
    try:
        parse_statement(text)
    except SegatpError:
        pass
    try:
        parse_tactics(text)
    except MiniLeanError:
        pass


@FUZZ
@given(st.lists(st.sampled_from(PIECES), min_size=1, max_size=15).map(" ".join))
def test_token_soup_tactics_in_env(tactic):
    with MiniLeanEnv(Theorem("t", "theorem t (x y : ℝ) (h : x < y ∨ x = y) : x ≤ y ∧ y ≥ x"), timeout=2) as (env, s):
        r = env.run_tac(s, tactic)
        assert isinstance(r, TacticState) or is_failure(r) or r.num_goals == 0


@FUZZ
@given(st.lists(st.sampled_from(PIECES), min_size=1, max_size=20).map(" ".join))
def test_token_soup_statements(text):
    try:
        parse_statement("theorem t " + text)
    except SegatpError:
        pass


def test_deep_nesting_is_a_clean_error():
    deep = "(" * 3000 + "x" + ")" * 3000
    vs = check_lean_text(f"theorem t (x : ℝ) : {deep} = x := by\n  rfl\n")
    assert vs[0].verdict == "error"
    with MiniLeanEnv(Theorem("t", "theorem t (x : ℝ) : x = x"), timeout=2) as (env, s):
        assert is_failure(env.run_tac(s, f"exact {deep}"))


@st.composite
def terms(draw, depth=3):
    """Random well-bracketed Lean-ish terms over the fragment's syntax (often ill-typed: that is the point)."""
    if depth == 0 or draw(st.integers(0, 3)) == 0:
        return draw(st.sampled_from(["x", "y", "n", "h", "hp", "f", "p", "0", "1", "2.5", "True", "False", "?_", "_",
                                     "sq_nonneg", "Or.inl", "absurd", "rfl", "h.1", "h.mp", "(2 : ℝ)", "(n : ℤ)"]))
    a, b = draw(terms(depth - 1)), draw(terms(depth - 1))
    form = draw(st.sampled_from(["{a} + {b}", "{a} - {b}", "{a} * {b}", "{a} / {b}", "{a} % {b}", "{a} ^ {b}", "-{a}",
                                 "|{a}|", "↑{a}", "({a} : ℕ)", "({a} : ℝ)", "{a} = {b}", "{a} < {b}", "{a} ≤ {b}",
                                 "{a} ∧ {b}", "{a} ∨ {b}", "¬{a}", "{a} → {b}", "{a} ↔ {b}", "∀ z : ℝ, {a}", "∃ z, {a}",
                                 "∀ k > 0, {a}", "f {a}", "{a} {b}", "⟨{a}, {b}⟩", "({a}).2", "({a})", "(by simp : {a})",
                                 "{a} ∣ {b}", "show {a} from {b}"]))
    return form.format(a=a, b=b)


TACTIC_FORMS = ["exact {t}", "apply {t}", "have h2 : {t} := by simp", "have h3 := {t}", "use {t}", "rw [{t}]",
                "nlinarith [{t}]", "refine {t}", "show {t}", "specialize h {t}", "obtain ⟨a, b⟩ := {t}",
                "rcases {t} with a | b", "calc {t} := by simp", "by_cases hc : {t}", "cases {t}", "simp [{t}] at h ⊢"]


@FUZZ
@given(terms(), st.sampled_from(TACTIC_FORMS))
def test_random_terms_in_tactics_give_values(t, form):
    stmt = "theorem t (x y : ℝ) (n : ℕ) (f : ℕ → ℕ) (p : Prop) (hp : p) (h : x < y ∧ y < 2) : x < 2"
    with MiniLeanEnv(Theorem("t", stmt), timeout=2) as (env, s):
        r = env.run_tac(s, form.format(t=t))
        assert isinstance(r, TacticState) or is_failure(r) or r.num_goals == 0


@FUZZ
@given(terms())
def test_random_terms_as_statements(t):
    try:
        parse_statement(f"theorem t (x y : ℝ) (n : ℕ) (f : ℕ → ℕ) (p : Prop) (h : x < y) (hp : p) : {t}")
    except SegatpError:
        pass
