"""Lean's arithmetic semantics in minilean: ℕ truncation, division by zero, `/` and `%` on ℕ and ℤ."""
import pytest

from segatp.minilean.env import check_lean_text

TRUE = ["(5 : ℕ) - 7 = 0", "(3 : ℕ) - 3 + 2 = 2", "(7 : ℕ) / 0 = 0", "(7 : ℕ) % 0 = 7", "(0 : ℕ) / 5 = 0",
        "(7 : ℕ) / 2 = 3", "(7 : ℕ) % 2 = 1", "(-7 : ℤ) / 2 = -4", "(-7 : ℤ) % 2 = 1", "(7 : ℤ) / -2 = -3",
        "(7 : ℤ) % -2 = 1", "(-7 : ℤ) / -2 = 4", "(-7 : ℤ) % -2 = 1", "(-7 : ℤ) / 0 = 0", "(-7 : ℤ) % 0 = -7",
        "(2 : ℤ) - 5 = -3", "(1 : ℝ) / 0 = 0", "(3 : ℚ) / 0 = 0", "(2 : ℕ) ^ 10 = 1024", "(0 : ℕ) ^ 0 = 1",
        "(6 : ℕ) ∣ 12", "(0 : ℤ) ∣ 0", "((5 : ℕ) - 7 : ℤ) = -2", "(((5 : ℕ) - 7 : ℕ) : ℤ) = 0", "((2 : ℤ) : ℝ) / 4 = 1 / 2"]
FALSE = ["(5 : ℕ) - 7 = 1", "(3 : ℕ) - 5 + 5 = 3", "(7 : ℕ) / 0 = 7", "(7 : ℕ) % 0 = 0", "(-7 : ℤ) / 2 = -3",
         "(-7 : ℤ) % 2 = -1", "(7 : ℤ) / -2 = -4", "(7 : ℤ) % -2 = -1", "(-7 : ℤ) / -2 = 3", "(-7 : ℤ) % 0 = 0",
         "(1 : ℝ) / 0 = 1", "(1 : ℚ) / 0 = 1", "(0 : ℕ) ∣ 3", "(4 : ℤ) ∣ 6", "(7 : ℕ) / 2 = 7 / 2 + 1"]
VARS = ["∀ n : ℕ, n - 1 + 1 = n", "∀ a b : ℕ, a - b + b = a", "∀ a : ℤ, a / 0 = a", "∀ a : ℤ, a % 2 = 0 ∨ a % 2 = -1",
        "∀ x : ℝ, x / x = 1", "∀ a b : ℤ, (a / b) * b = a", "∀ n : ℕ, n % 0 = 0", "∀ a : ℤ, a % -3 < 0 ∨ a = 0 - 0 + a * 0 + 1"]
TRUE_VARS = [  # (statement, a proof Lean accepts)
    ("∀ n : ℕ, n ≥ 1 → n - 1 + 1 = n", "intro n h\n  omega"), ("∀ a b : ℕ, a - b + b ≥ a", "intro a b\n  omega"),
    ("∀ a : ℤ, a / 0 = 0", "intro a\n  simp"), ("∀ a : ℤ, a % 0 = a", "intro a\n  simp"),
    ("∀ a : ℤ, a % 2 = 0 ∨ a % 2 = 1", "intro a\n  omega"), ("∀ x : ℝ, x ≠ 0 → x / x = 1", "intro x hx\n  field_simp"),
    ("∀ n : ℕ, n / 1 = n", "intro n\n  simp"), ("∀ x : ℝ, x / 0 = 0", "intro x\n  simp"),
    ("∀ a : ℤ, a / 0 = 0", "simp"), ("∀ n : ℕ, n % 0 = n", "norm_num"),
    ("∀ a b : ℤ, b > 0 → 0 ≤ a % b ∨ a = a", "intro a b h\n  right\n  rfl")]
DECIDERS = ["omega", "norm_num", "simp", "decide", "linarith", "nlinarith", "positivity", "ring", "ring_nf", "field_simp",
            "rfl", "tauto", "simp_all", "norm_cast", "push_cast", "simp_arith", "intros; omega", "intros; norm_num",
            "intros; nlinarith", "intros; simp_all", "intros; tauto", "intros; field_simp"]


def verdict(stmt, proof):
    return check_lean_text(f"example : {stmt} := by\n  {proof}\n", timeout=5)[0]


@pytest.mark.parametrize("stmt", TRUE)
def test_true_closed_facts_are_proved_by_norm_num(stmt):
    v = verdict(stmt, "norm_num")
    assert v.verdict == "proved", v.message


@pytest.mark.parametrize("stmt,proof", TRUE_VARS)
def test_true_facts_are_proved(stmt, proof):
    v = verdict(stmt, proof)
    assert v.verdict == "proved", v.message


@pytest.mark.parametrize("stmt", FALSE + VARS)
def test_false_facts_are_never_proved(stmt):
    for tac in DECIDERS:
        v = verdict(stmt, tac)
        assert v.verdict != "proved", (stmt, tac)


@pytest.mark.parametrize("stmt", ["(5 : ℕ) - 7 = 0", "(-7 : ℤ) / 2 = -4", "(-7 : ℤ) % 2 = 1", "(7 : ℕ) % 0 = 7"])
def test_rfl_and_decide_compute_closed_terms(stmt):
    assert verdict(stmt, "rfl").verdict == "proved"
    assert verdict(stmt, "decide").verdict == "proved"


def test_rfl_does_not_compute_reals():
    assert verdict("(2 : ℝ) + 2 = 4", "rfl").verdict == "failed"
    assert verdict("(2 : ℝ) + 2 = 4", "norm_num").verdict == "proved"
