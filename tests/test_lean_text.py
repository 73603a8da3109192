"""Lean text on the lexer: the comment blanker, the declaration finder, proof stubs, statement keys, tactic blocks."""
import json
import random

import pytest

from segatp.core import shared_data_dir
from segatp.lexer import (LexError, declarations, lex, normalize_statement, split_tactics, statement_key, strip_comments,
                          strip_proof_stub)
from segatp.trajectory import split_lean_proof

SHARED = shared_data_dir()
needs_shared = pytest.mark.skipif(SHARED is None, reason="shared data absent (../shared/data)")


def dsp_files():
    return sorted((SHARED / "proofs" / "dsp-plus-minif2f-test").glob("*.lean"))


def test_blanking_keeps_every_offset_and_hides_comments_and_strings():
    src = '#eval "sorry" -- sorry\n/- sorry /- nested -/ -/ theorem t : s = r#"sorry"# := by\n  exact \'"\''
    out = strip_comments(src, strings=True)
    assert len(out) == len(src) and [len(l) for l in out.split("\n")] == [len(l) for l in src.split("\n")]
    assert "sorry" not in out and out.count('"') == src.count('"')
    assert out.split("\n")[1].strip().startswith("theorem t : s = r#")


def test_lenient_lexing_never_raises():
    rng = random.Random(0)
    alphabet = list("ab :=()[]{}⟨⟩\"'«»-/!#\t\u00a0é\n") + ["/-", "-/", "--", 'r#"', "by", "theorem", "in"]
    for _ in range(500):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
        toks = lex(text, strict=False)
        assert all(text[t.start:t.end] == t.text for t in toks)
        assert len(strip_comments(text, strings=True, strict=False)) == len(text)
        declarations(text, strict=False)
        split_tactics(text)
        strip_proof_stub(text)


def test_strict_lexing_still_raises():
    with pytest.raises(LexError, match="tabs are not allowed"):
        declarations("theorem t : True := by\n\ttrivial")


def test_declarations_name_lines_statement_and_proof():
    src = ("import Mathlib\n\ntheorem a : 1 = 1 := by\n  rfl\n\n  lemma b (x : Nat) : x = x := by\n  sorry\n"
           "open Nat in\nexample : 2 = 3 := by\n  simp\ntheorem c : True := trivial\n")
    got = [(d.name, d.line, d.first_line, d.last_line, d.statement, d.proof, d.tactic) for d in declarations(src)]
    assert got == [("a", 3, 3, 5, "theorem a : 1 = 1", "\n  rfl", True),
                   ("b", 6, 6, 7, "lemma b (x : Nat) : x = x", "\n  sorry", True),
                   ("example", 9, 8, 10, "example : 2 = 3", "\n  simp", True),
                   ("c", 11, 11, 12, "theorem c : True", " trivial", False)]


@needs_shared
def test_real_proof_files_have_their_theorem():
    """Each DSP-Plus file declares one theorem, named as the file, proved by tactics."""
    for f in dsp_files():
        (d,) = declarations(f.read_text())
        assert (d.keyword, d.name, d.tactic) == ("theorem", f.stem, True), f.name
        assert d.statement.startswith("theorem ") and not d.statement.endswith(":=")


@needs_shared
def test_whole_proofs_split_into_clean_tactic_steps():
    total = 0
    for f in dsp_files():
        w = split_lean_proof(f.read_text(), f.name)
        steps = split_tactics(w.proof)
        assert steps and w.to_theorem().full_name == f.stem and w.header.startswith("import")
        assert all(s.strip() and not s.startswith(("·", ". ")) for s in steps), f.name
        total += len(steps)
    assert total > 1000


@needs_shared
def test_minif2f_statements_and_goals_have_keys():
    rows = [json.loads(l) for l in open(SHARED / "minif2f" / "minif2f.jsonl")]
    for r in rows:
        s = r["formal_statement"]
        assert strip_proof_stub(s).startswith("theorem ") and not strip_proof_stub(s).endswith(("by", "sorry", ":="))
        assert statement_key(s) == statement_key(strip_proof_stub(s)) == statement_key(strip_proof_stub(s) + " := by")
        assert normalize_statement(s) and " " not in normalize_statement(r["goal"])
    assert len({statement_key(r["formal_statement"]) for r in rows}) > 480  # near-duplicates aside, one key each
