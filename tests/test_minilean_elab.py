"""Elaboration as Lean 4 + Mathlib does it: numerals at the expected type, untyped binders by unification, locals shadow globals."""
import pytest

from segatp.core import TacticState, Theorem
from segatp.minilean.env import MiniLeanEnv, check_lean_text


def verdict(text: str) -> str:
    """minilean's verdict on a one-declaration file."""
    vs = check_lean_text(text + "\n", timeout=5)
    assert len(vs) == 1, vs
    return vs[0].verdict


def goal_after(stmt: str, *tactics: str) -> str:
    """The printed state after running `tactics` on `stmt`."""
    with MiniLeanEnv(Theorem("t", stmt)) as (env, s):
        for tac in tactics:
            s = env.run_tac(s, tac)
            assert isinstance(s, TacticState), (tac, s)
        return s.pp


# `(↑e : T)` elaborates `e` first, then unifies its still-unknown numeral type with `T` (Lean's `elabCoe`); the cast
# is only real when `e` already has a type, e.g. `((e : ℕ) : ℤ)` or `↑(x - 5)` with `x : ℕ`.
# Each statement with its truth in Lean; both a proof by `norm_num` and the closing by `decide`/`rfl` are tried.
NUMERALS = [
    ("(↑(2 - 5) : ℤ) = 0", False),
    ("(↑(2 - 5) : ℤ) = -3", True),
    ("((2 - 5 : ℕ) : ℤ) = 0", True),
    ("(((2 : ℕ) - 5 : ℕ) : ℤ) = 0", True),
    ("(↑(2 / 4) : ℝ) = 0", False),
    ("(↑(2 / 4) : ℝ) = 1 / 2", True),
    ("((2 / 4 : ℕ) : ℝ) = 0", True),
    ("(2 : ℝ) / 4 = 1 / 2", True),
    ("(2 / 4 : ℝ) = 1 / 2", True),
    ("(2 / 4 : ℕ) = 0", True),
    ("(2 : ℝ) / 4 = 0", False),
    ("(2 - 5 : ℤ) = -3", True),
    ("(2 - 5 : ℕ) = 0", True),
    ("(7 / 2 : ℤ) = 3", True),
    ("(-7 / 2 : ℤ) = -4", True),
    ("(-7 % 2 : ℤ) = 1", True),
    ("(↑(-7 / 2) : ℤ) = -4", True),
]


@pytest.mark.parametrize("stmt,true", NUMERALS)
def test_numerals_take_the_expected_type(stmt, true):
    v = verdict(f"theorem t : {stmt} := by norm_num")
    if true: assert v == "proved", stmt
    else: assert v != "proved", stmt


@pytest.mark.parametrize("stmt,true", [(s, t) for s, t in NUMERALS if "ℝ" not in s])
def test_numerals_take_the_expected_type_decide(stmt, true):
    if not true: assert verdict(f"theorem t : {stmt} := by decide") != "proved", stmt
    else: assert verdict(f"theorem t : {stmt} := by decide") == "proved", stmt


def test_cast_of_a_typed_variable_keeps_nat_subtraction():
    assert verdict("theorem t (x : ℕ) : (↑(x - 5) : ℤ) ≥ 0 := by omega") == "proved"
    assert verdict("theorem t (x : ℕ) (h : x = 2) : (↑(x - 5) : ℤ) = -3 := by omega") != "proved"


def test_untyped_binders_are_unified_with_the_typed_side():
    """`∀ x y, x + y = (1:ℝ) → …`: both binders are ℝ in Lean."""
    pp = goal_after("theorem t : ∀ x y, x + y = (1:ℝ) → x = 1 - y", "intro x y")
    assert "x y : ℝ" in pp.splitlines(), pp
    assert "↑" not in pp, pp


def test_untyped_binder_unified_through_a_later_use():
    pp = goal_after("theorem t : ∀ x, x / 2 = (1 : ℝ) → x = 2", "intro x")
    assert "x : ℝ" in pp.splitlines(), pp
    assert verdict("theorem t : ∀ x, x / 2 = (1 : ℝ) → x = 2 := by\n  intro x h\n  linarith") == "proved"


def test_unconstrained_binder_defaults_to_nat():
    pp = goal_after("theorem t : ∀ x, x - 1 = x", "intro x")
    assert "x : ℕ" in pp.splitlines(), pp


def test_local_named_like_a_type_is_a_local():
    assert verdict("theorem t (Nat : Prop) (h : Nat) : Nat := h") == "proved"
    assert verdict("theorem t (Nat : Prop) (h : Nat) : Nat := by exact h") == "proved"
    assert verdict("theorem t (Real : ℕ) (x : Real) : x = x := by rfl") != "proved"  # `Real` is a number here
    assert verdict("theorem t (Real : ℕ) (h : Real > 2) : Real > 1 := by omega") == "proved"


def test_binder_predicate_applies_to_every_name():
    """`∃ x y > 0, P` is `∃ x > 0, ∃ y > 0, P` (false over ℕ for `x + y = 1`)."""
    pp = goal_after("theorem t : ∃ x y > 0, x + y = 1")
    assert "∃ x > 0, ∃ y > 0, x + y = 1" in pp, pp
    for proof in ["use 0, 1", "use 0, 1\n  all_goals omega", "use 0, 1 <;> simp", "exact ⟨0, 1, by omega⟩",
                  "refine ⟨0, 1, ?_⟩\n  omega"]:
        assert verdict(f"theorem t : ∃ x y > 0, x + y = 1 := by\n  {proof}") != "proved", proof
    assert verdict("theorem t : ∃ x y > 0, x + y = 2 := by\n  use 1, 1\n  all_goals omega") == "proved"


def test_binder_predicate_forall_applies_to_every_name():
    pp = goal_after("theorem t : ∀ x y > 0, x + y > 1", "intro x hx y hy")
    assert "hx : x > 0" in pp and "hy : y > 0" in pp, pp
