import Mathlib
import Aesop
set_option maxHeartbeats 400000
open BigOperators Real Nat

/-! Correct proofs in the minilean fragment: every declaration must check as `proved`. -/
namespace Good

theorem amgm (a b : ℝ) : 2 * a * b ≤ a ^ 2 + b ^ 2 := by
  nlinarith [sq_nonneg (a - b)]

theorem two_eqs (x y : ℝ) (h₀ : x + y = 10) (h₁ : x - y = 2) : x = 6 ∧ y = 4 := by
  constructor
  · linarith
  · linarith

lemma or_comm' (p q : Prop) (hp : p ∨ q) : q ∨ p := by
  cases hp with
  | inl h => right; exact h
  | inr h => left; exact h

theorem rcases_demo (a b : ℤ) (h : a = 1 ∧ b = 2 ∨ a = 2 ∧ b = 1) : a + b = 3 := by
  rcases h with ⟨ha, hb⟩ | ⟨ha, hb⟩
  · rw [ha, hb]
    norm_num
  · subst ha hb
    rfl

theorem obtain_demo (f : ℕ → ℕ) (h : ∃ n, f n = 0 ∧ n > 3) : ∃ m, f m = 0 := by
  obtain ⟨n, hn, -⟩ := h
  exact ⟨n, hn⟩

theorem have_demo (x : ℝ) (h₀ : 3 * x + 2 = 11) : x ^ 2 = 9 := by
  have h₁ : x = 3 := by linarith
  have h₂ : x ^ 2 = 3 ^ 2 := by rw [h₁]
  norm_num [h₂]

theorem have_goal_first (x : ℝ) (h : 0 < x) : 0 < x ^ 3 + x := by
  have hx3 : 0 < x ^ 3
  · positivity
  linarith

theorem induction_demo (n : ℕ) : 2 * n + 1 > n := by
  induction n with
  | zero => norm_num
  | succ k ih => omega

theorem then_demo (a b : ℝ) (ha : 0 < a) (hb : 0 < b) : 0 < a + b ∧ 0 < a * b := by
  constructor <;> positivity

theorem all_goals_demo (x : ℤ) (h : x = 3) : x + 1 = 4 ∧ x * 2 = 6 ∧ x - 3 = 0 := by
  refine ⟨?_, ?_, ?_⟩
  all_goals subst h; rfl

theorem case_demo (p q : Prop) (hp : p) (hq : q) : p ∧ q := by
  constructor
  case right => exact hq
  case left => exact hp

theorem intro_apply (P Q : ℕ → Prop) (h : ∀ n, P n → Q n) (h0 : P 0) : Q 0 := by
  apply h
  exact h0

theorem term_proof (p q : Prop) (hp : p) (hq : q) : q ∧ p := ⟨hq, hp⟩

theorem use_demo : ∃ n : ℕ, n * n = 49 := by
  use 7

theorem push_neg_demo (f : ℝ → ℝ) (h : ¬∀ x, f x ≤ 0) : ∃ x, f x > 0 := by
  push_neg at h
  exact h

theorem by_contra_demo (x : ℝ) (h : x ^ 2 < 0) : False := by
  nlinarith [sq_nonneg x]

theorem by_contra_demo2 (n : ℕ) (h : n * n = 2) : False := by
  by_contra hc
  have h1 : n ≤ 1 ∨ n ≥ 2 := by omega
  rcases h1 with h1 | h1 <;> nlinarith

theorem nat_sub (n : ℕ) (h : n ≥ 1) : n - 1 + 1 = n := by
  omega

theorem int_div (a : ℤ) (h : a = -7) : a / 2 = -4 ∧ a % 2 = 1 := by
  subst h
  constructor <;> decide

theorem specialize_demo (f : ℝ → ℝ) (h₀ : ∀ x, f x = 2 * x + 1) : f 3 = 7 := by
  specialize h₀ 3
  rw [h₀]
  norm_num

theorem rw_demo (a b c : ℝ) (h₁ : a = b) (h₂ : b = c) : a = c := by
  rw [h₁, ← h₂]

theorem iff_demo (x : ℝ) : x + 1 = 3 ↔ x = 2 := by
  constructor
  · intro h
    linarith
  · intro h
    rw [h]
    norm_num

theorem first_try_demo (x : ℝ) (h : x > 2) : x > 1 := by
  try contradiction
  first
  | exact h
  | linarith

theorem exfalso_demo (x : ℕ) (h₀ : x < 0) : x = 5 := by
  exfalso
  omega

theorem contradiction_demo (p : Prop) (h₁ : p) (h₂ : ¬p) : 1 = 2 := by
  contradiction

theorem abs_demo (x : ℝ) : |x| ^ 2 = x ^ 2 := by
  nlinarith [sq_abs x, abs_nonneg x]

theorem mul_pos_demo (a b : ℝ) (ha : 0 < a) (hb : 0 < b) : 0 < a * b + a := by
  have h := mul_pos ha hb
  linarith

theorem div_zero_demo (x : ℝ) : x / 0 = 0 := by
  simp

theorem cast_demo (n : ℕ) (x : ℝ) (h : x = n) : x ≥ 0 := by
  rw [h]
  positivity

example (a b : ℕ) (h : a ≤ b) : ∃ c, b = a + c := by
  exact ⟨b - a, by omega⟩

theorem calc_demo (a b c : ℝ) (h₁ : a = 2 * b) (h₂ : b ≤ c) (h₃ : 0 ≤ c) : a < 2 * c + 1 := by
  calc a = 2 * b := h₁
    _ ≤ 2 * c := by linarith
    _ < 2 * c + 1 := by linarith

theorem by_cases_demo (x : ℝ) : |x| ≥ 0 := by
  by_cases h : x ≥ 0
  · positivity
  · exact abs_nonneg x

theorem suffices_demo (x : ℝ) (h : x > 3) : x ^ 2 > 4 := by
  suffices h2 : x > 2 by nlinarith
  linarith

theorem trichotomy_demo (a b : ℤ) (h : a ≠ b) : a < b ∨ b < a := by
  rcases lt_trichotomy a b with h1 | h1 | h1
  · left; exact h1
  · exact absurd h1 h
  · right; exact h1

theorem interval_demo (n : ℕ) (h₀ : 2 ≤ n) (h₁ : n < 5) (h₂ : n % 3 = 0) : n = 3 := by
  interval_cases n <;> simp_all

theorem nested_patterns (p q r s : Prop) (h : (p ∧ q) ∧ (r ∧ s)) : s ∧ p ∧ q := by
  obtain ⟨⟨a, b⟩, ⟨-, d⟩⟩ := h
  exact ⟨d, a, b⟩

end Good
