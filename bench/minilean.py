"""Benchmark the embedded minilean prover: structural tactics per second and decision-tactic latency.

Run: `python bench/minilean.py [--seconds 3]`. Targets (issue 3): ≥ 5,000 structural tactics/s on one core,
median decision tactic ≤ 20 ms.
"""
import argparse
import statistics
import time

from segatp.core import ProofFinished, TacticState, Theorem
from segatp.minilean.env import MiniLeanEnv, parse_statement
from segatp.minilean.goals import parse_tactic_block

STRUCTURAL = [  # (statement, tactics): structural steps only, replayed from the initial state
    ("theorem s1 (p q r : Prop) (hp : p) (hq : q) (hr : r) : (p ∧ q) ∧ r",
     ["constructor", "constructor", "exact hp", "exact hq", "exact hr"]),
    ("theorem s2 (p q : Prop) (h : p ∨ q) : q ∨ p",
     ["cases h with\n| inl h => right; exact h\n| inr h => left; exact h"]),
    ("theorem s3 (x y : ℝ) (f : ℝ → ℝ) : ∀ a b : ℝ, a = b → f a = f b → f b = f a",
     ["intro a b hab hf", "rw [hf]"]),
    ("theorem s4 (P Q : ℕ → Prop) (h : ∀ n, P n → Q n) (h0 : P 0) (h1 : P 1) : Q 0 ∧ Q 1",
     ["refine ⟨?_, ?_⟩", "apply h", "exact h0", "exact h 1 h1"]),
    ("theorem s5 (a b : ℤ) (h : ∃ k : ℤ, a = 2 * k ∧ b = a) : ∃ m : ℤ, b = 2 * m",
     ["obtain ⟨k, hk, hb⟩ := h", "use k", "rw [hb, hk]"]),
    ("theorem s6 (p q : Prop) (hpq : p → q) (hnq : ¬q) : ¬p",
     ["intro hp", "have hq : q := hpq hp", "exact hnq hq"]),
    ("theorem s7 (x : ℝ) (h : x = 2) (h' : x = 3) : x = x",
     ["subst h", "rfl"]),
]
DECISION = [  # (statement, setup tactics, decision tactic)
    ("theorem d1 (a b : ℝ) : 2 * a * b ≤ a ^ 2 + b ^ 2", [], "nlinarith [sq_nonneg (a - b)]"),
    ("theorem d2 (x y : ℝ) (h₀ : x + y = 10) (h₁ : x - y = 2) : x = 6", [], "linarith"),
    ("theorem d3 (n : ℕ) (h : n % 4 = 3) : n % 2 = 1", [], "omega"),
    ("theorem d4 : (2 : ℝ) ^ 10 - 24 = 1000", [], "norm_num"),
    ("theorem d5 (a b c : ℝ) (ha : 0 < a) (hb : 0 < b) (hc : 0 < c) : 0 < a * b * c + a", [], "positivity"),
    ("theorem d6 (x : ℝ) : (x + 1) ^ 2 = x ^ 2 + 2 * x + 1", [], "ring"),
    ("theorem d7 (a : ℤ) (h : a = -7) : a / 2 = -4", [], "simp [h]"),
    ("theorem d8 (x y : ℝ) (h : x < y) (hx : 0 < x) : x ^ 2 < y ^ 2", [], "nlinarith"),
    ("theorem d9 (a b : ℕ) (h₀ : a + b = 20) (h₁ : a = 3 * b) : a - b = 10", [], "omega"),
    ("theorem d10 (x : ℝ) (hx : x ≠ 0) : x / x = 1", [], "field_simp"),
    ("theorem d11 (f : ℝ → ℝ) (h : ∀ x, f x = 3 * x + 1) : f 2 = 7", [], "norm_num [h]"),
    ("theorem d12 (x y : ℝ) (h : x = 2 ∧ y = 3) : x * y = 6", ["obtain ⟨hx, hy⟩ := h"], "nlinarith"),
    ("theorem d13 (a b : ℤ) (h₀ : 3 * a + 2 * b = 12) (h₁ : a - b = -1) : a = 2", [], "omega"),
    ("theorem d14 (n : ℕ) (h : n % 4 = 2) : n % 2 = 0", [], "omega"),
    ("theorem d15 (x : ℝ) : 0 < x ^ 2 + 1", [], "positivity"),
    ("theorem d16 (x y : ℝ) : 0 ≤ x ^ 2 + |y|", [], "positivity"),
    ("theorem d17 : (37 : ℕ) % 5 = 2", [], "decide"),
    ("theorem d18 : (7 : ℤ) - 10 < 0", [], "decide"),
    ("theorem d19 (p q r : Prop) : (p → q) → (q → r) → p → r", [], "tauto"),
    ("theorem d20 (p q : Prop) (hp : p) (hq : q) : p ∧ q ∨ ¬p", [], "tauto"),
    ("theorem d21 : (15 : ℝ) / 4 - 1 / 4 = 7 / 2", [], "norm_num"),
    ("theorem d22 : (123 : ℕ) * 7 % 10 = 1", [], "norm_num"),
    ("theorem d23 (x : ℝ) (h : 5 * x + 3 < 8) : x < 1", [], "linarith"),
]  # every goal is Lean-valid and inside its tactic's Mathlib scope (issue 9)


def structural_rate(seconds: float, cold: bool) -> tuple[float, int]:
    """Structural tactics per second, replaying the fixed proofs for about `seconds` (`cold`: no parse caches)."""
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        for stmt, tactics in STRUCTURAL:
            if cold:
                parse_tactic_block.cache_clear()
                parse_statement.cache_clear()
            with MiniLeanEnv(Theorem("b", stmt)) as (env, s):
                for tac in tactics:
                    s = env.run_tac(s, tac)
                    n += 1
                assert isinstance(s, ProofFinished), (stmt, s)
    return n / (time.perf_counter() - t0), n


def decision_times(repeats: int) -> dict[str, list[float]]:
    """Wall times (s) of each decision tactic, `repeats` times each, by tactic name."""
    out = {}
    for stmt, setup, tac in DECISION:
        with MiniLeanEnv(Theorem("b", stmt)) as (env, s):
            for t in setup: s = env.run_tac(s, t)
            assert isinstance(s, TacticState)
            for _ in range(repeats):
                t0 = time.perf_counter()
                r = env.run_tac(s, tac)
                out.setdefault(tac.split()[0], []).append(time.perf_counter() - t0)
                assert isinstance(r, ProofFinished), (stmt, tac, r)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=3.0, help="how long to replay structural proofs")
    ap.add_argument("--repeats", type=int, default=10, help="runs of each decision tactic")
    args = ap.parse_args()
    for cold in (True, False):
        rate, n = structural_rate(args.seconds, cold)
        print(f"structural tactics ({'cold: parsing every tactic' if cold else 'warm: parse caches hit'}): {rate:,.0f}/s "
              f"({n} tactics, {len(STRUCTURAL)} proofs, one core; target ≥ 5,000/s)")
    by_tactic = decision_times(args.repeats)
    times = sorted(t for ts in by_tactic.values() for t in ts)
    p95 = lambda ts: sorted(ts)[min(len(ts) - 1, int(0.95 * len(ts)))]
    print(f"decision tactics: median {1000 * statistics.median(times):.1f} ms, p95 {1000 * p95(times):.1f} ms "
          f"({len(times)} calls, {len(DECISION)} goals; target median ≤ 20 ms)")
    for tac, ts in sorted(by_tactic.items()):
        print(f"  {tac}: median {1000 * statistics.median(ts):.1f} ms, p95 {1000 * p95(ts):.1f} ms ({len(ts)} calls)")


if __name__ == "__main__":
    main()
