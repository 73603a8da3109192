"""Decision tactics with their Mathlib counterparts' scope: in-scope goals proved, out-of-scope ones rejected, no false
statement ever proved."""
import importlib.util
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from segatp.core import ProofFinished, TacticState, Theorem
from segatp.minilean.env import MiniLeanEnv, check_lean_text
from test_minilean_soundness import REL, lean_op  # one independent model of Lean's arithmetic for the tests


def verdict(decl: str, proof: str) -> str:
    """The verdict of `decl := by proof` (one declaration)."""
    body = proof.replace("\n", "\n  ")
    vs = check_lean_text(f"{decl} := by\n  {body}\n", timeout=5)
    assert len(vs) == 1, vs
    return vs[0].verdict


REJECTED = [  # Lean's tactic fails on these (out of its scope), so minilean's must too
    ("example (p q : Prop) : p ∧ q → q ∧ p", "linarith"),
    ("example (p q : Prop) : p ∧ q → q ∧ p", "intro h\nlinarith"),
    ("example (x : ℝ) : x < 1 ∧ x < 2", "positivity"),
    ("example (f : ℕ → ℕ) (h : ∀ n, f (n + 1) = f n + 5) (h0 : f 0 = 4) : f 2 = 14", "omega"),
    ("example (x : ℝ) : x ^ 2 ≥ 0", "linarith"),
    ("example (n : ℕ) (h : n % 4 = 2) : n % 2 = 0", "linarith"),
    ("example (x : ℝ) : x ≠ 1", "linarith"),
    ("example (x : ℝ) (h : x < 1) : x ≠ 1", "linarith"),
    ("example (a b : ℝ) (h : b < a) : 0 < a - b", "positivity"),
    ("example (x : ℝ) (h : x + 1 = 3) : x = 2", "omega"),
    ("example (n : ℕ) : n + 0 = n", "decide"),
    ("example (x : ℝ) (h : x < 1 ∨ 0 < x) : x < 2", "linarith"),
    ("example (x : ℤ) (h : 2 * x ≤ 1) : 2 * x ≤ 0", "linarith"),
    ("example (a b : ℕ) : a - b + b ≥ a", "linarith"),
    ("example (x : ℝ) : x ^ 2 ≥ x", "nlinarith"),
    ("example (x : ℝ) (h : x = 2) : x * x = 4", "linarith"),
    ("example (x y : ℝ) (h : x = y) : x / y = 1", "field_simp"),
    ("example (x : ℝ) (h : x = 2) : x + 1 = 3", "ring"),
    ("example (x : ℝ) (h : x = 2) : x + 1 = 3", "norm_num"),
    ("example (x : ℝ) (h : x = 2) : x + 1 = 3", "simp"),
    ("example (x : ℝ) (h : 0 < x) : 0 < x", "omega"),
    ("example (x : ℝ) (h : 0 < x) : 0 < x", "decide"),
    ("example (x : ℝ) (h : 0 < x) : 0 < x", "positivity at h"),
    ("example (x : ℝ) (h : 0 < x) : 0 < x", "linarith at h"),
    ("example (x : ℝ) (h : x < 0) (h' : 0 < x) : False", "positivity"),
    ("example (p : Prop) (x : ℝ) (h : x < 0) : x < 1", "tauto"),
    ("example : (2 : ℝ) + 2 = 4", "decide"),
    ("example (n : ℕ) (h : n < 3) : n ^ 2 < 9", "omega"),
    ("example (a : ℤ) (h : a = -7) : a / 2 = -4", "simp"),
]

ACCEPTED = [  # Lean's tactic proves these
    ("example (x : ℝ) (h : 5 * x + 3 < 8) : x < 1", "linarith"),
    ("example (x : ℤ) (h : 5 * x + 3 < 8) : x < 1", "linarith"),
    ("example (x : ℝ) : 0 < x ^ 2 + 1", "positivity"),
    ("example (n : ℕ) (h : n % 4 = 2) : n % 2 = 0", "omega"),
    ("example (a b : ℝ) : 2 * a * b ≤ a ^ 2 + b ^ 2", "nlinarith [sq_nonneg (a - b)]"),
    ("example (x y : ℝ) (hx : 0 < x) (h : x < y) : x ^ 2 < y ^ 2", "nlinarith"),
    ("example : (2 : ℝ) ^ 10 - 24 = 1000", "norm_num"),
    ("example (x : ℝ) : (x + 1) ^ 2 = x ^ 2 + 2 * x + 1", "ring"),
    ("example (a : ℤ) (h : a = -7) : a / 2 = -4", "simp [h]"),
    ("example (a : ℤ) (h : a = -7) : a / 2 = -4", "norm_num [h]"),
    ("example (x : ℝ) (hx : x ≠ 0) : x / x = 1", "field_simp"),
    ("example (a b : ℕ) : a + b = 20 → a = 3 * b → a - b = 10", "omega"),
    ("example (p q : Prop) : p ∧ q → q ∧ p", "tauto"),
    ("example : (3 : ℕ) ∣ 12", "decide"),
    ("example (x : ℝ) : x ^ 2 ≥ 0", "nlinarith"),
    ("example (x : ℝ) : x ^ 2 ≥ 0", "positivity"),
    ("example (x y : ℝ) (h₀ : x + y = 10) (h₁ : x - y = 2) : x = 6", "linarith"),
    ("example (x : ℝ) (h : x < 1 ∧ 0 < x) : x < 2", "linarith [h.1]"),
    ("example (x : ℝ) (h : x < 1 ∧ 0 < x) : x < 2", "linarith"),  # Mathlib's splitConjunctions
    ("example (a : ℕ → ℝ) (h₀ : ∀ n, a (n + 2) - a (n + 1) = a (n + 1) - a n) (h₁ : a 1 = 2 / 3) (h₂ : a 9 = 4 / 5) : "
     "a 5 = 11 / 15", "linarith [h₀ 0, h₀ 1, h₀ 2, h₀ 3, h₀ 4, h₀ 5, h₀ 6, h₀ 7, h₀ 8, h₁, h₂]"),
    ("example (f : ℕ → ℕ) (h : ∀ n, f (n + 1) = f n + 5) (h0 : f 0 = 4) : f 2 = 14", "have := h 0\nhave := h 1\nomega"),
    ("example (x : ℝ) (h : x < 1 ∧ 0 < x) : x < 2", "obtain ⟨h1, h2⟩ := h\nlinarith"),
    ("example (n : ℕ) (h : n < 3) : n ^ 2 < 9", "interval_cases n <;> norm_num"),
    ("example (n m : ℕ) (h : n < m) : n + 1 ≤ m", "linarith"),
    ("example (x : ℝ) (h : 0 < x) : 0 < x / 2 + x ^ 3", "positivity"),
    ("example (f : ℝ → ℝ) (h : ∀ x, f x = 3 * x + 1) : f 2 = 7", "norm_num [h]"),
    ("example (f : ℝ → ℝ) (h : ∀ x, f x = 3 * x + 1) : f 2 = 7", "rw [h]\nnorm_num"),
    ("example (x : ℝ) (h : x + 0 = 2) : x = 2", "simp at h\nexact h"),
    ("example (x : ℝ) (h : x < 0) (h' : 0 < x) : x = 7", "linarith"),
    ("example (x : ℕ) (h : x < 3) : (x : ℝ) < 3", "exact_mod_cast h"),
    ("example (a b : ℕ) : ((a + b : ℕ) : ℤ) = (a : ℤ) + (b : ℤ)", "push_cast"),
    ("example (p q : Prop) (hp : p) (hq : q) : p ∧ q", "simp_all"),
    ("example (x : ℝ) (y : ℝ) (hy : y ≠ 0) : x / y * y = x", "field_simp"),
    ("example (a b : ℕ) : a + 1 + b ≤ b + 2 + a", "simp_arith"),
    ("example : (1 : ℝ) / 3 ≠ 0.3", "norm_num"),
    ("example (a : ℤ) : a - a = 0", "simp"),
    ("example (a : ℤ) : a - a = 0", "ring"),
    ("example (n : ℕ) : (7 : ℕ) % 0 = 7 ∧ n = n", "constructor\n· decide\n· rfl"),
]


@pytest.mark.parametrize("decl,proof", REJECTED)
def test_out_of_scope_is_rejected(decl, proof):
    assert verdict(decl, proof) != "proved"


@pytest.mark.parametrize("decl,proof", ACCEPTED)
def test_in_scope_is_proved(decl, proof):
    assert verdict(decl, proof) == "proved"


def _bench_decision():
    path = Path(__file__).resolve().parents[1] / "bench" / "minilean.py"
    spec = importlib.util.spec_from_file_location("bench_minilean", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.DECISION


@pytest.mark.parametrize("stmt,setup,tac", _bench_decision())
def test_bench_decision_goals_stay_in_scope(stmt, setup, tac):
    with MiniLeanEnv(Theorem("b", stmt)) as (env, s):
        for t in setup: s = env.run_tac(s, t)
        assert isinstance(s, TacticState), s
        assert isinstance(env.run_tac(s, tac), ProofFinished), (stmt, tac)


# --- soundness: random false facts are never proved -------------------------------------------------------------------

DECIDERS = ["linarith", "nlinarith", "positivity", "omega", "decide", "norm_num", "simp", "ring", "ring_nf", "field_simp",
            "tauto", "simp_all", "norm_cast", "push_cast", "simp_arith", "norm_num [h1, h2]", "simp [h1, h2]",
            "nlinarith [h1, h2]", "norm_num at h1 h2 ⊢", "simp at *", "exact_mod_cast h1", "linarith [h1, h2]"]


@st.composite
def linear(draw, ty):
    """(text, evaluator) of `c₁ * x + c₂ * y + c₀`, or of `x - y`, `x % k`, `x / k` (ℕ, ℤ)."""
    lo = 0 if ty == "ℕ" else -3
    kind = draw(st.sampled_from(["lin", "lin", "sub"] + (["mod", "div"] if ty != "ℝ" else [])))
    if kind == "sub": return "(x - y)", lambda v: lean_op("-", v["x"], v["y"], ty)
    if kind in ("mod", "div"):
        k = draw(st.integers(1, 4))
        op = "%" if kind == "mod" else "/"
        return f"(x {op} {k})", lambda v: lean_op(op, v["x"], k, ty)
    c1, c2, c0 = (draw(st.integers(lo, 3)) for _ in range(3))
    c1 = c1 or 1
    text = f"({c1} * x + {c2} * y + {c0})"
    return text, lambda v: c1 * v["x"] + c2 * v["y"] + c0


@st.composite
def fact(draw, ty):
    (ta, fa), rel = draw(linear(ty)), draw(st.sampled_from(list(REL)))
    c = draw(st.integers(0 if ty == "ℕ" else -4, 6))
    rhs = str(c) if c >= 0 else f"({c})"
    return f"{ta} {rel} {rhs}", lambda v: REL[rel](fa(v), c)


def grid(ty):
    xs = range(0, 9) if ty == "ℕ" else range(-6, 7) if ty == "ℤ" else [Fraction(k, 2) for k in range(-8, 9)]
    return [{"x": a, "y": b} for a in xs for b in xs]


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.sampled_from(["ℕ", "ℤ", "ℝ"]).flatmap(lambda ty: st.tuples(st.just(ty), fact(ty), fact(ty), fact(ty))))
def test_false_linear_and_modular_facts_are_never_proved(case):
    ty, (h1, f1), (h2, f2), (g, fg) = case
    counter = [v for v in grid(ty) if f1(v) and f2(v) and not fg(v)]
    if not counter: return  # not known to be false
    decl = f"example (x y : {ty}) (h1 : {h1}) (h2 : {h2}) : {g}"
    for tac in DECIDERS:
        assert verdict(decl, tac) != "proved", (decl, tac, counter[0])


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.sampled_from(["ℕ", "ℤ", "ℝ"]), st.integers(-9, 9), st.integers(-9, 9), st.sampled_from(["+", "-", "*", "/", "%"]),
       st.integers(1, 5))
def test_false_closed_facts_are_never_proved(ty, a, b, op, off):
    if ty == "ℕ": a, b = abs(a), abs(b)
    if ty == "ℝ" and op == "%": op = "*"
    value = Fraction(0) if ty == "ℝ" and op == "/" and b == 0 else Fraction(a, b) if ty == "ℝ" and op == "/" else lean_op(op, a, b, ty)
    wrong = value + off
    lit = lambda n: f"({n} : {ty})" if n >= 0 else f"(-{-n} : {ty})"
    rhs = f"{wrong}" if wrong >= 0 else f"-{-wrong}"
    decl = f"example : {lit(a)} {op} {lit(b)} = {rhs}"
    for tac in ["decide", "norm_num", "simp", "omega", "linarith", "nlinarith", "ring", "rfl", "positivity", "tauto",
                "field_simp", "simp_all", "norm_cast", "simp_arith"]:
        assert verdict(decl, tac) != "proved", (decl, tac)
