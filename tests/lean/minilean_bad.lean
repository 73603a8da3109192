import Mathlib

/-- Wrong proofs (several of false statements): no declaration may check as `proved`. -/

theorem nat_sub_wrong (n : ℕ) : n - 1 + 1 = n := by
  omega

theorem sq_ge_self (x : ℝ) : x ^ 2 ≥ x := by
  nlinarith [sq_nonneg x, sq_nonneg (x - 1)]

theorem div_wrong (x : ℝ) : x / 0 = x := by
  field_simp

theorem int_div_trunc (a : ℤ) (h : a = -7) : a / 2 = -3 := by
  subst h
  norm_num

theorem mod_neg (a : ℤ) (h : a = -7) : a % 2 = -1 := by
  subst h
  decide

theorem uses_sorry (x : ℝ) (h : x > 0) : x ^ 2 > 0 := by
  sorry

theorem uses_admit (x : ℝ) : x = x := by
  admit

theorem open_goal (a b : ℝ) (h : a < b) : a ≤ b ∧ b ≤ a + 1 := by
  constructor
  · linarith

theorem after_done (a : ℝ) : a = a := by
  rfl
  simp

theorem wrong_case (p q : Prop) (h : p ∨ q) : p := by
  cases h with
  | inl h => exact h
  | inr h => assumption

theorem wrong_exists : ∃ n : ℕ, n + 1 = 0 := by
  use 0

theorem wrong_rw (a b : ℝ) (h : a = b + 1) : a = b := by
  rw [h]

theorem wrong_induction (n : ℕ) : n = 0 := by
  induction n with
  | zero => rfl
  | succ k ih => omega

theorem rat_sqrt : ∃ q : ℚ, q * q = 2 := by
  nlinarith

theorem shadow_trick (x : ℝ) : ∀ y : ℝ, y = x := by
  intro x
  rfl

theorem wrong_exact (x y : ℝ) (h : x < y) : y < x := by
  exact h

theorem wrong_term (p q : Prop) (hp : p) : p ∧ q := ⟨hp, hp⟩

theorem bad_tactic (x : ℝ) : x = x := by
  frobnicate

theorem outside (z : ℂ) : z = z := by
  rfl

theorem unknown_hint (a b : ℝ) : a * b ≤ a ^ 2 + b ^ 2 := by
  nlinarith [two_mul_le_add_sq a b]

theorem trunc_mul (n : ℕ) (h : n - 3 = 0) : n = 3 := by
  omega

theorem calc_wrong (a b c : ℝ) (h₁ : a ≤ b) (h₂ : b ≤ c) : a < c := by
  calc a ≤ b := h₁
    _ ≤ c := h₂

theorem by_cases_wrong (x : ℝ) : x ≥ 0 := by
  by_cases h : x ≥ 0
  · exact h
  · positivity

theorem suffices_wrong (x : ℝ) (h : x > 1) : x > 3 := by
  suffices h2 : x > 2 by linarith
  linarith

theorem interval_wrong (n : ℕ) (h₀ : 2 ≤ n) (h₁ : n ≤ 6) (h₂ : n % 3 = 0) : n = 3 := by
  interval_cases n <;> simp_all
