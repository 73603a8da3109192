"""Case tags follow Lean's `appendParentTag`: a tagged goal's new goals are tagged `parent.binder` (as in the real data)."""
from segatp.core import Theorem, Verdict
from segatp.minilean.env import trace_proof


def tags_after(statement: str, proof: str) -> list[list[str | None]]:
    verdict, steps = trace_proof(Theorem("t", statement), proof)
    assert verdict.verdict is Verdict.PROVED, verdict.message
    return [[g.tag for g in after.goals] if after.num_goals else [] for _, _, after in steps]


def test_constructor_under_a_tag():
    tags = tags_after("theorem t (p q : Prop) (h : p ∧ q) : q ∧ p", "obtain ⟨hp, hq⟩ := h\nconstructor\n· exact hq\n· exact hp")
    assert tags[:2] == [["intro"], ["intro.left", "intro.right"]]


def test_left_and_iff_under_cases():
    tags = tags_after("theorem t (p q : Prop) (h : p ∨ q) : q ∨ p", "rcases h with h | h\n· right\n  exact h\n· left\n  exact h")
    assert tags[0] == ["inl", "inr"] and tags[1] == ["inl.h", "inr"]
    tags = tags_after("theorem t (p : Prop) : p ↔ p", "constructor\n· intro h\n  exact h\n· intro h\n  exact h")
    assert tags[0] == ["mp", "mpr"]
