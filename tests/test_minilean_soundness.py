"""Soundness of minilean: no false statement is ever proved, whatever the tactics."""
import itertools
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from segatp.core import LeanError, ProofFinished, ProofTimeout, TacticState, Theorem
from segatp.minilean.env import MiniLeanEnv, check_lean_text

# --- an independent model of Lean's arithmetic, to build statements known to be false -------------------------------


def lean_op(op, a, b, ty):
    """Lean's `a op b` at type `ty` (ℕ truncating subtraction, x / 0 = 0, Euclidean ℤ `/` and `%`)."""
    if op == "+": return a + b
    if op == "*": return a * b
    if op == "-": return max(a - b, 0) if ty == "ℕ" else a - b
    if ty == "ℝ": return Fraction(0) if b == 0 else Fraction(a) / b
    if b == 0: return 0 if op == "/" else a
    r = a % abs(b)
    return (a - r) // b if op == "/" else r


REL = {"=": lambda a, b: a == b, "≠": lambda a, b: a != b, "<": lambda a, b: a < b, "≤": lambda a, b: a <= b,
       ">": lambda a, b: a > b, "≥": lambda a, b: a >= b}


@st.composite
def exprs(draw, ty, depth=2):
    """(text, evaluator) of a random term over x, y and small numerals."""
    if depth == 0 or draw(st.booleans()):
        leaf = draw(st.sampled_from(["x", "y", "0", "1", "2", "3"]))
        text = leaf if leaf in "xy" or ty == "ℕ" else f"({leaf} : {ty})"  # numerals alone would default to ℕ
        return (text, (lambda v, l=leaf: v[l] if l in v else int(l)))
    ops = ["+", "-", "*", "/"] + (["%"] if ty != "ℝ" else [])
    op = draw(st.sampled_from(ops))
    (ta, fa), (tb, fb) = draw(exprs(ty, depth - 1)), draw(exprs(ty, depth - 1))
    return (f"({ta} {op} {tb})", lambda v: lean_op(op, fa(v), fb(v), ty))


@st.composite
def atoms(draw, ty):
    (ta, fa), (tb, fb) = draw(exprs(ty)), draw(exprs(ty))
    rel = draw(st.sampled_from(list(REL)))
    return (f"{ta} {rel} {tb}", lambda v: REL[rel](fa(v), fb(v)))


@st.composite
def props(draw, ty, depth=1):
    """(text, evaluator) of a random proposition: comparisons combined with ∧ ∨ → ¬."""
    if depth == 0 or draw(st.booleans()): return draw(atoms(ty))
    c = draw(st.sampled_from(["∧", "∨", "→", "¬"]))
    a = draw(props(ty, depth - 1))
    if c == "¬": return (f"¬({a[0]})", lambda v: not a[1](v))
    b = draw(props(ty, depth - 1))
    f = {"∧": lambda p, q: p and q, "∨": lambda p, q: p or q, "→": lambda p, q: (not p) or q}[c]
    return (f"({a[0]}) {c} ({b[0]})", lambda v: f(a[1](v), b[1](v)))


@st.composite
def false_statements(draw):
    """`theorem` text with a hypothesis, false because some small (x, y) satisfies the hypothesis but not the goal."""
    ty = draw(st.sampled_from(["ℕ", "ℤ", "ℝ"]))
    (ht, hf), (gt, gf) = draw(props(ty)), draw(props(ty))
    lo = 0 if ty == "ℕ" else -3
    for x, y in itertools.product(range(lo, 4), repeat=2):
        v = {"x": x, "y": y}
        if hf(v) and not gf(v): return f"theorem t (x y : {ty}) (h : {ht}) : {gt}"
    return f"theorem t (x y : {ty}) (h : x = 1 ∨ y = 1) : x = 1 ∧ y = 1"


TACTICS = ["intro h2", "constructor", "left", "right", "exfalso", "assumption", "trivial", "rfl", "contradiction",
           "linarith", "nlinarith [sq_nonneg (x - y), sq_nonneg (x + y), h]", "positivity", "norm_num", "simp",
           "omega", "decide", "ring", "ring_nf", "field_simp", "norm_num at h", "norm_num at h ⊢", "simp at h",
           "push_neg", "push_neg at h", "by_contra hc", "subst h", "rw [h]", "rw [← h]", "rw [h] at h",
           "exact h", "apply h", "cases h", "rcases h with h | h", "obtain ⟨a, b⟩ := h", "induction x",
           "have h3 : x = y := by omega", "have h3 : x = y", "have h4 : x ≤ y ∨ y ≤ x := by omega",
           "all_goals linarith", "any_goals simp", "repeat constructor", "first | linarith | rfl", "try omega",
           "constructor <;> linarith", "use 0", "specialize h 0", "exact absurd h h", "exact False.elim h",
           "exact ⟨h, h⟩", "show x = x", "clear h", "· linarith", "case h => rfl", "norm_num [h] at h ⊢", "by_cases hc : x = y",
           "calc x = x := rfl", "suffices h5 : x = y by linarith", "rcases le_total x y with h6 | h6",
           "rcases lt_trichotomy x 1 with h7 | h7 | h7", "interval_cases x", "interval_cases y <;> omega",
           "sorry"]
FAST = settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(false_statements(), st.lists(st.sampled_from(TACTICS), min_size=1, max_size=5))
def test_random_proofs_of_false_statements_fail(stmt, tactics):
    decl = f"{stmt} := by\n" + "".join(f"  {t}\n" for t in tactics)
    v = check_lean_text(decl, timeout=5)[0]
    assert v.verdict != "proved", decl


@FAST
@given(false_statements(), st.lists(st.sampled_from(TACTICS), min_size=1, max_size=8))
def test_env_never_finishes_false_statements(stmt, tactics):
    with MiniLeanEnv(Theorem("t", stmt), timeout=3) as (env, state):
        frontier = [state]
        for tac in tactics:
            nxt = []
            for s in frontier:
                r = env.run_tac(s, tac)
                assert not isinstance(r, ProofFinished), (stmt, tac, s.pp)
                assert isinstance(r, (TacticState, LeanError, ProofTimeout))
                nxt.append(r if isinstance(r, TacticState) else s)
            frontier = nxt


KNOWN_FALSE = [
    ("theorem f1 (a b : ℝ) (h₀ : a ≤ b) : a < b", "linarith"),
    ("theorem f2 (x : ℝ) : x ^ 2 > 0", "positivity"),
    ("theorem f3 (x : ℝ) : x ^ 2 > 0", "nlinarith [sq_nonneg x]"),
    ("theorem f4 (n : ℕ) : n - 1 < n", "omega"),
    ("theorem f5 (a b : ℕ) (h : a - b = 0) : a = b", "omega"),
    ("theorem f6 (a : ℤ) : a / 2 * 2 = a", "ring"),
    ("theorem f7 (x y : ℝ) (h : x * y = 0) : x = 0", "nlinarith"),
    ("theorem f8 (p q : Prop) (h : p ∨ q) : p ∧ q", "cases h with\n  | inl h => constructor <;> assumption\n  | inr h => constructor <;> assumption"),
    ("theorem f9 (f : ℕ → ℕ) (h : ∀ n, f n ≤ f (n + 1)) : f 0 = f 1", "specialize h 0\n  omega"),
    ("theorem f10 (x : ℝ) (h : x ≠ 0) : x / x = 2", "field_simp"),
    ("theorem f11 (x : ℝ) (h : ∃ y : ℝ, y > x) : x > 0", "obtain ⟨y, hy⟩ := h\n  linarith"),
    ("theorem f12 (x : ℝ) : ∀ y : ℝ, y = x", "intro x\n  rfl"),
    ("theorem f13 (x : ℝ) (h : ∃ x : ℝ, x > 5) : x > 5", "obtain ⟨x, hx⟩ := h\n  exact hx"),
    ("theorem f14 (n : ℕ) (h : n > 0) : n > 1", "induction n with\n  | zero => omega\n  | succ n ih => omega"),
    ("theorem f15 (k n : ℕ) (h : k > n) : k > n + 1", "induction n with\n  | zero => omega\n  | succ k ih => omega"),
    ("theorem f16 : (0 + 1 : ℕ) ≠ 1", "intro h\n  contradiction"),
    ("theorem f17 (a : ℝ) (h : a = 1) : a = 2", "rw [h]"),
    ("theorem f18 (a : ℝ) (h : a = 1) : a = 2", "subst h\n  rfl"),
    ("theorem f19 (p : Prop) : p", "by_contra h\n  push_neg at h\n  exact h"),
    ("theorem f20 (x : ℤ) (h : 2 * x = 1 + x) : x = 2", "omega"),
    ("theorem f21 : ∃ q : ℚ, q * q = 2", "nlinarith"),
    ("theorem f22 (f : ℝ → ℝ) (h : ∀ x, f x = f (x + 1)) : f 0 = 0", "simp [h]"),
    ("theorem f23 (a b : ℕ) : a / b * b = a", "nlinarith"),
    ("theorem f24 (x y : ℝ) (h : x < y) : ∃ z : ℝ, z < x ∧ z > y", "use x\n  constructor <;> linarith"),
    ("theorem f25 (p q : Prop) (hp : p) : p ∧ q", "exact ⟨hp, hp⟩"),
    ("theorem f26 (p q : Prop) (hp : p) : p ∧ q", "refine ⟨hp, ?_⟩"),
    ("theorem f27 (x : ℝ) : x = 1", "have h : x = 1\n  · sorry\n  exact h"),
    ("theorem f28 (x : ℝ) (h : x > 0) : x > 1", "first | linarith | nlinarith | positivity"),
    ("theorem f29 (x : ℝ) (h : x > 0) : x > 1", "repeat linarith"),
    ("theorem f30 (n : ℕ) : n = 0", "cases n\n  · rfl\n  · omega"),
    ("theorem f31 (a b : ℝ) (hab : a < b) : b < a", "exact mul_pos hab hab"),
    ("theorem f32 (x : ℝ) (h : 0 < x) : x ^ 2 < x", "nlinarith [pow_pos h 2, sq_nonneg (x - 1)]"),
    ("theorem f33 (x y : ℕ) (h : x % 2 = 1) : x % 4 = 1", "omega"),
    ("theorem f34 (x : ℝ) (h : x ^ 2 = 4) : x = 2", "nlinarith [sq_nonneg (x - 2), sq_nonneg (x + 2)]"),
    ("theorem f35 (f : ℕ → ℕ) (h₀ : ∀ n, f (n + 1) > f n) : f 2 = f 0 + 2", "have := h₀ 0\n  have := h₀ 1\n  omega"),
]


def test_known_false_statements_with_plausible_proofs_are_rejected():
    for stmt, proof in KNOWN_FALSE:
        v = check_lean_text(f"{stmt} := by\n  {proof}\n", timeout=5)[0]
        assert v.verdict != "proved", stmt


# --- issue 9: unification never captures a bound variable ---------------------------------------------------------
# Each proof below is rejected by Lean 4 + Mathlib (the statement is false, or the step needs a variable to escape
# its binder, or a shadowed name to stand for the newer variable).

CAPTURE = {
    "apply_to_false": "theorem t : False := by\n  have h : ∀ n : ℕ, ∃ m : ℕ, m ≠ n := by\n    intro n\n    use n + 1\n"
                      "    omega\n  have h2 : ∃ m : ℕ, m ≠ m := by apply h\n  obtain ⟨m, hm⟩ := h2\n  exact hm rfl",
    "apply_hyp_inside_have": "theorem t (h : ∀ n : ℕ, ∃ m : ℕ, m ≠ n) : ∃ m : ℕ, m ≠ m := by\n  apply h",
    "apply_natural_false": "theorem t (f : ℕ → ℕ) (h : ∀ n, ∃ m, f m > n) : ∃ m, f m > m := by apply h",
    "apply_Pxy_to_Pyy": "theorem t (P : ℕ → ℕ → Prop) (h : ∀ x, ∃ y, P x y) : ∃ y, P y y := by\n  apply h",
    "apply_nested": "theorem t (h : ∀ a b : ℕ, ∃ c, c > a + b) : ∃ c : ℕ, c > c + c := by\n  apply h",
    "exact_hole": "theorem t (f : ℕ → ℕ) (h : ∀ n, ∃ m, f m > n) : ∃ m, f m > m := by\n  exact h _",
    "refine_hole": "theorem t (f : ℕ → ℕ) (h : ∀ n, ∃ m, f m > n) : ∃ m, f m > m := by\n  refine h ?_",
    "obtain_hole": "theorem t (P : ℕ → ℕ → Prop) (h : ∀ x, ∃ y, P x y) : ∃ y, P y y := by\n"
                   "  obtain ⟨y, hy⟩ := h _\n  exact ⟨y, hy⟩",
    "specialize_name_clash": "theorem t (f : ℕ → ℕ) (m : ℕ) (h : ∀ n, ∃ m, f m > n) : ∃ k, f k > k := by\n"
                             "  specialize h m\n  exact h",
    "specialize_bound_name": "theorem t (P : ℕ → ℕ → Prop) (h : ∀ x, ∃ y, P x y) (y : ℕ) : ∃ y, P y y := by\n"
                             "  specialize h y\n  exact h",
    "have_app_bound_name": "theorem t (P : ℕ → ℕ → Prop) (h : ∀ x, ∃ y, P x y) (y : ℕ) : ∃ y, P y y := by\n"
                           "  have h2 := h y\n  exact h2",
    "rw_free_vs_bound": "theorem t (f : ℕ → ℕ) (x : ℕ) (h : f x = 0) : ∀ x, f x = 0 := by\n  rw [h]\n  intro y\n  rfl",
    "rw_under_binder": "theorem t (f : ℕ → ℕ) (h : ∀ n, f n = 0) : ∀ m, f m = 0 := by\n  rw [h]\n  intro m\n  rfl",
    "simp_free_vs_bound": "theorem t (f : ℕ → ℕ) (x : ℕ) (h : f x = 0) : ∀ x, f x = 0 := by\n  simp [h]",
    "intro_shadow_twice": "theorem t : ∀ x y : ℕ, x = y := by\n  intro x\n  intro x\n  rfl",
    "intro_shadow_hyp": "theorem t (x : ℕ) (hx : x = 0) : ∀ x : ℕ, x = 0 := by\n  intro x\n  exact hx",
    "intro_shadow_assumption": "theorem t (P : ℕ → Prop) (x : ℕ) (hx : P x) : ∀ x, P x := by\n  intro x\n  assumption",
    "intro_shadow_rw": "theorem t (x : ℕ) (hx : x = 0) : ∀ x : ℕ, x = 0 := by\n  intro x\n  rw [hx]",
    "intro_shadow_simp": "theorem t (x : ℕ) (hx : x = 0) : ∀ x : ℕ, x = 0 := by\n  intro x\n  simp [hx]",
    "intro_shadow_omega": "theorem t (x : ℕ) (hx : x = 0) : ∀ x : ℕ, x = 0 := by\n  intro x\n  omega",
    "intro_shadow_subst": "theorem t (x : ℕ) (hx : x = 0) : ∀ x : ℕ, x = 0 := by\n  intro x\n  subst hx\n  rfl",
    "obtain_shadow": "theorem t (x : ℕ) (hx : x = 0) (h : ∃ y : ℕ, y = 1) : x = 1 := by\n  obtain ⟨x, h1⟩ := h\n"
                     "  exact h1",
    "rcases_shadow": "theorem t (x : ℕ) (hx : x = 0) (h : ∃ y : ℕ, y = 1) : x = 1 := by\n  rcases h with ⟨x, h1⟩\n"
                     "  exact h1",
    "cases_shadow": "theorem t (x : ℕ) (hx : x = 0) (h : ∃ y : ℕ, y = 1) : x = 1 := by\n  cases h with\n"
                    "  | intro x h1 => exact h1",
    "induction_shadow": "theorem t (x : ℕ) (hx : x = 0) (y : ℕ) : y = 0 := by\n  induction y with\n  | zero => rfl\n"
                        "  | succ x ih => exact hx",
}


@pytest.mark.parametrize("name", list(CAPTURE))
def test_no_bound_variable_capture(name):
    v = check_lean_text(CAPTURE[name] + "\n", timeout=5)
    assert v and all(d.verdict != "proved" for d in v), CAPTURE[name]


def test_apply_with_a_genuine_instance_still_works():
    """The capture check must not forbid the sound uses: the instance is a term of the goal's context."""
    ok = ["theorem t (P : ℕ → ℕ → Prop) (h : ∀ x, ∃ y, P x y) : ∃ y, P 3 y := by\n  apply h",
          "theorem t (f : ℕ → ℕ) (h : ∀ n, ∃ m, f m > n) (k : ℕ) : ∃ m, f m > k := by\n  exact h k",
          "theorem t (P : ℕ → Prop) (h : ∀ x, P x) : ∀ y, P y := by\n  intro y\n  apply h"]
    for text in ok:
        assert check_lean_text(text + "\n", timeout=5)[0].verdict == "proved", text


# --- issue 9: a state is only valid in the environment that made it -------------------------------------------------


def test_run_tac_rejects_a_state_of_another_theorem():
    with MiniLeanEnv(Theorem("a", "theorem a (p : Prop) (hp : p) : p")) as (env_a, sa), \
         MiniLeanEnv(Theorem("b", "theorem b : False")) as (env_b, sb):
        assert isinstance(env_a.run_tac(sa, "exact hp"), ProofFinished)
        r = env_b.run_tac(sa, "exact hp")
        assert isinstance(r, LeanError), r
        assert not isinstance(env_b.run_tac(sb, "exact hp"), ProofFinished)


def test_run_tac_rejects_a_state_of_another_environment_of_the_same_theorem():
    thm = Theorem("a", "theorem a (p q : Prop) (hp : p) (hq : q) : p ∧ q")
    with MiniLeanEnv(thm) as (env1, s1), MiniLeanEnv(thm) as (env2, _):
        mid = env1.run_tac(s1, "constructor")
        assert isinstance(mid, TacticState)
        assert isinstance(env2.run_tac(mid, "exact hp"), LeanError)
        assert isinstance(env1.run_tac(mid, "exact hp"), TacticState)


# --- issue 9: decision tactics have their Mathlib scope (a handful; tests/test_minilean_tactics_scope is helper B's) --

OUT_OF_SCOPE = [
    "theorem t (p q : Prop) : p ∧ q → q ∧ p := by linarith",
    "theorem t (x : ℝ) (h : x < 0) : x < 1 ∧ x < 2 := by positivity",
    "theorem t (x : ℝ) : x ^ 2 ≥ 0 := by linarith",
    "theorem t (f : ℕ → ℕ) (h : ∀ n, f (n + 1) = f n + 5) (h0 : f 0 = 4) : f 2 = 14 := by omega",
    "theorem t (x : ℝ) (h : 5 * x + 3 < 8) : x < 1 := by omega",
    "theorem t (x : ℝ) (h : x = 2) : x ^ 2 = 4 := by decide",
]
IN_SCOPE = [
    "theorem t (x : ℝ) (h : 5 * x + 3 < 8) : x < 1 := by linarith",
    "theorem t (x : ℝ) : 0 < x ^ 2 + 1 := by positivity",
    "theorem t (n : ℕ) (h : n % 4 = 2) : n % 2 = 0 := by omega",
    "theorem t (x : ℝ) : x ^ 2 ≥ 0 := by nlinarith [sq_nonneg x]",
    "theorem t (p q : Prop) : p ∧ q → q ∧ p := by tauto",
    "theorem t : (7 : ℕ) % 3 = 1 := by decide",
]


@pytest.mark.parametrize("text", OUT_OF_SCOPE)
def test_decision_tactic_out_of_scope_fails(text):
    assert check_lean_text(text + "\n", timeout=5)[0].verdict != "proved", text


@pytest.mark.parametrize("text", IN_SCOPE)
def test_decision_tactic_in_scope_succeeds(text):
    assert check_lean_text(text + "\n", timeout=5)[0].verdict == "proved", text
