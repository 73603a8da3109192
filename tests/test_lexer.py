"""The Lean lexer: tokens, comments, strings, numerals, commands and their prefixes, declarations and their proofs."""
import json

import pytest

from segatp.core import SegatpError, shared_data_dir
from segatp.lexer import LexError, lex, split_commands, split_declaration, strip_comments


def texts(src):
    return [t.text for t in lex(src)]


@pytest.mark.parametrize("src,tokens", [
    ("/- a /- nested -/ b -/ x", ["x"]),
    ("x -- comment\ny", ["x", "y"]),
    ("/-- doc -/ /-! module -/ x", ["/-- doc -/", "/-! module -/", "x"]),
    ('"a \\" /- b" x', ['"a \\" /- b"', "x"]),
    ('"-- not a comment" x', ['"-- not a comment"', "x"]),
    ('r"a\\b" r#"say "hi""# r##"x"#y"## z', ['r"a\\b"', 'r#"say "hi""#', 'r##"x"#y"##', "z"]),
    ("'a' '\\n' '\\'' h' h'' x", ["'a'", "'\\n'", "'\\''", "h'", "h''", "x"]),
    ("«foo bar».baz Nat.succ _root_.X h.mp", ["«foo bar».baz", "Nat.succ", "_root_.X", "h.mp"]),
    ("42 0x2A 0b101 0o17 2.5 1e3 1.5E-3", ["42", "0x2A", "0b101", "0o17", "2.5", "1e3", "1.5E-3"]),
    ("h.1.2 (f x).2", ["h", ".", "1", ".", "2", "(", "f", "x", ")", ".", "2"]),
    ("a <;> b ≤ c ⁻¹ ↑x ?_ · ⟨a, b⟩ @[simp] f '' s", ["a", "<;>", "b", "≤", "c", "⁻¹", "↑", "x", "?_", "·", "⟨", "a",
                                                     ",", "b", "⟩", "@[", "simp", "]", "f", "''", "s"]),
    ("#eval #check #[1]", ["#eval", "#check", "#[", "1", "]"]),
    ("∑ i ∈ Finset.range n, √x", ["∑", "i", "∈", "Finset.range", "n", ",", "√", "x"]),
])
def test_tokens(src, tokens):
    assert texts(src) == tokens


def test_positions_are_lean_positions():
    toks = lex("theorem t :\n  «a b» = 0x1F := by\n    simp")
    assert [(t.text, t.line, t.col) for t in toks] == [("theorem", 1, 0), ("t", 1, 8), (":", 1, 10), ("«a b»", 2, 2),
                                                       ("=", 2, 8), ("0x1F", 2, 10), (":=", 2, 15), ("by", 2, 18),
                                                       ("simp", 3, 4)]
    src = "x = 'a'"
    assert all(src[t.start:t.end] == t.text for t in lex(src))


@pytest.mark.parametrize("src,where", [
    ("theorem t : 1 = 1 := by\n\trfl", "2:0: tabs are not allowed"),
    ("x =\u00a01", "1:3: unexpected character U+00A0 (NO-BREAK SPACE)"),
    ("x = 1\u200b", "1:5: unexpected character U+200B"),
    ("x = \ufeff1", "1:4: unexpected character U+FEFF"),
    ("x = ١", "1:4: unexpected character '١' (ARABIC-INDIC DIGIT ONE): only ASCII digits are numerals"),
    ("x = ２", "1:4: unexpected character '２'"),
    ("x = é", "1:4: unexpected character U+00E9"),
    ("/- open /- nested -/", "1:0: unterminated comment"),
    ('\n  s = "abc', "2:6: unterminated string literal"),
    ('r#"abc"', "1:0: unterminated raw string literal"),
    ("'ab'", "1:0: missing end of character literal"),
    ("«abc", "1:0: unterminated identifier escape"),
])
def test_lexical_errors_name_line_and_column(src, where):
    with pytest.raises(LexError, match=None) as e:
        lex(src)
    assert where in str(e.value)
    assert isinstance(e.value, SegatpError)


def test_tabs_and_odd_characters_inside_strings_and_comments_are_fine():
    assert texts('"\t١\u00a0" -- \t١\n/- \u200b -/ x') == ['"\t١\u00a0"', "x"]


def test_strip_comments_keeps_offsets_and_strings():
    src = 'def s := "/- -- \\" x" -- c\n/-- d\n -/ theorem t /- a /- b -/ -/ : p'
    out = strip_comments(src)
    assert len(out) == len(src) and out.count("\n") == src.count("\n")
    assert out.split("\n")[0].rstrip() == 'def s := "/- -- \\" x"'
    assert out.split("\n")[2].split() == ["theorem", "t", ":", "p"]
    assert out.index("theorem") == src.index("theorem")


def commands(src):
    return [(c.keyword, c.name, c.line) for c in split_commands(src)]


def test_commands_at_any_column_and_on_one_line():
    src = "import Mathlib\n    theorem a : 1 = 1 := rfl theorem b : 2 = 2 := rfl\n  lemma c : True := trivial"
    assert commands(src) == [("import", None, 1), ("theorem", "a", 2), ("theorem", "b", 2), ("lemma", "c", 3)]


def test_in_prefixes_chain_and_attach_to_the_declaration():
    src = "open Nat in\nset_option maxHeartbeats 400000 in\nset_option linter.all false in\ntheorem t : x := by\n  simp"
    (c,) = split_commands(src)
    assert (c.keyword, c.name, c.line) == ("theorem", "t", 4)
    assert [p.text for p in c.prefixes] == ["open Nat", "set_option maxHeartbeats 400000", "set_option linter.all false"]
    assert c.start == 0 and src[c.start:c.end] == src


def test_modifiers_attributes_and_docstrings():
    src = "/-- The doc. -/\n@[simp, norm_num high] private noncomputable nonrec theorem t : x := rfl"
    (c,) = split_commands(src)
    assert c.docstring == "/-- The doc. -/" and c.modifiers == ("@[simp, norm_num high]", "private", "noncomputable", "nonrec")
    assert (c.line, c.col, c.text) == (2, 52, "theorem t : x := rfl")


def test_keywords_inside_commands_do_not_split():
    src = ("theorem t : ∑ k in Finset.range 3, k = 3 := by\n  open Real in simp\n  set_option maxRecDepth 900 in\n"
           "    norm_num [Finset.sum_range_succ]\nstructure S where\n  /-- field -/ x : Nat\nderiving Repr\nend")
    assert commands(src) == [("theorem", "t", 1), ("structure", "S", 5), ("end", None, 8)]


def test_string_with_comment_opener_does_not_hide_the_next_command():
    src = 'def s := "/-"\ntheorem bad : (2:ℕ) + 2 = 5 := by norm_num\n#eval "--"\nexample : True := trivial'
    assert commands(src) == [("def", "s", 1), ("theorem", "bad", 2), ("#eval", None, 3), ("example", None, 4)]


def test_unbalanced_brackets_do_not_hide_a_declaration():
    assert commands("def f := (1 + [2\ntheorem t : 1 = 1 := rfl") == [("def", "f", 1), ("theorem", "t", 2)]


def test_namespaces_sections_module_docs():
    src = "/-! # Title -/\nnamespace A\nnoncomputable section\nuniverse u\nlemma l : True := trivial\nend\nend A"
    assert [(c.keyword, c.modifiers) for c in split_commands(src)] == [
        ("/-!", ()), ("namespace", ()), ("section", ("noncomputable",)), ("universe", ()), ("lemma", ()), ("end", ()),
        ("end", ())]


def test_split_declaration():
    decl = 'theorem t (x : ℕ := 2) (h : "a := b" = s) /- := -/ : ⟨x, y⟩ = z := by\n  simp'
    stmt, proof = split_declaration(decl)
    assert stmt == 'theorem t (x : ℕ := 2) (h : "a := b" = s) /- := -/ : ⟨x, y⟩ = z '
    assert len(proof) == len(decl) and proof.split("\n")[1] == "  simp" and proof.strip() == "by\n  simp"
    assert proof.index("by") == decl.rindex("by")
    assert split_declaration("theorem t : p := ⟨a, b⟩")[1].strip() == "⟨a, b⟩"
    assert split_declaration("theorem t : p") is None


@pytest.mark.skipif(shared_data_dir() is None, reason="shared data absent (../shared/data)")
def test_real_files_split_into_their_commands():
    """Every DSP-Plus proof file: 2 imports, 2 set_options, 1 open, 1 theorem (one file adds add_aesop_rules)."""
    files = sorted((shared_data_dir() / "proofs" / "dsp-plus-minif2f-test").glob("*.lean"))
    kws = [[c.keyword for c in split_commands(f.read_text())] for f in files]
    assert len(files) == 204 and sum(k.count("theorem") for k in kws) == 204
    assert sum(map(len, kws)) == 1225
    rows = [json.loads(l) for l in open(shared_data_dir() / "minif2f" / "minif2f_valid_few_shot.jsonl")]
    assert [c.keyword for r in rows for c in split_commands(r["formal_statement"] + r["formal_proof"])] == ["theorem"] * len(rows)
