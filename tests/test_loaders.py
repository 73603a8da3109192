"""Loaders on files written here: every format, bad input located by file and record, and 🤗 datasets loading."""
import json
import warnings

import pytest

from segatp.core import DataError
from segatp.test_utils import leandojo_benchmark, leandojo_search_output, toy_trajectory, write_json
from segatp.trajectory import (LoadReport, detect_format, iter_trajectories, iter_whole_proofs, load_hf_whole_proofs,
                               load_minif2f)

TRAJS = [toy_trajectory([1, 2, 1, 0], theorem=f"t{i}") for i in range(4)]


@pytest.mark.parametrize("name,obj,lines,fmt", [
    ("search.json", leandojo_search_output(TRAJS, failed=1), False, "leandojo-search"),
    ("trace.json", leandojo_search_output(TRAJS, sstrace=False), False, "leandojo-search"),
    ("bench.json", leandojo_benchmark(TRAJS, term_proofs=2), False, "leandojo-benchmark"),
    ("own.jsonl", [t.to_dict() for t in TRAJS], True, "segatp-jsonl"),
])
def test_every_format_detected_and_loaded(tmp_path, name, obj, lines, fmt):
    path = write_json(tmp_path / name, obj, lines)
    assert detect_format(path) == fmt
    got = list(iter_trajectories(path))
    assert [t.steps for t in got] == [t.steps for t in TRAJS]
    assert [t.theorem for t in got] == [t.theorem for t in TRAJS]


def test_pretty_printed_search_output(tmp_path):
    path = tmp_path / "pretty.json"
    path.write_text(json.dumps(leandojo_search_output(TRAJS), indent=4, ensure_ascii=False))
    assert detect_format(path) == "leandojo-search"
    assert len(list(iter_trajectories(path))) == 4


BAD = {
    "truncated": ('{"results": [{"attempt_results": [', "malformed JSON"),
    "missing_field": (json.dumps({"results": [{"attempt_results": [{"success": True, "sstrace": [
        {"tactic": "simp", "state_before": "⊢ p"}]}]}]}), "results[0].attempt_results[0].sstrace[0]: Object missing required field `state_after`"),
    "no_turnstile": (json.dumps({"results": [{"attempt_results": [{"theorem": "t", "success": True, "sstrace": [
        {"tactic": "simp", "state_before": "x : ℕ", "state_after": "no goals"}]}]}]}), "results[0].attempt_results[0]: step 0 state_before"),
    "empty_trace": (json.dumps({"results": [{"attempt_results": [{"theorem": "t", "success": True, "trace": []}]}]}),
                    "results[0].attempt_results[0]: empty trace"),
    "wrong_type": (json.dumps([{"full_name": "x", "traced_tactics": [{"tactic": 3, "state_before": "⊢ p", "state_after": "no goals"}]}]),
                   "record [0].traced_tactics[0].tactic: Expected `str`, got `int`"),
    "not_json": ("hello", "not JSON"),
    "empty_file": ("", "file is empty"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_is_located(tmp_path, case):
    text, expected = BAD[case]
    path = tmp_path / f"{case}.json"
    path.write_text(text)
    with pytest.raises(DataError) as e:
        list(iter_trajectories(path))
    assert str(path) in str(e.value) and expected in str(e.value)


def test_skip_bad_counts_and_warns_and_keeps_the_good_records(tmp_path):
    good = leandojo_search_output(TRAJS[:2])
    good["results"].insert(1, {"attempt_results": [{"theorem": "bad", "success": True, "trace": []}]})
    good["results"].insert(0, {"attempt_results": [{"success": True, "sstrace": [{"tactic": "x"}]}]})
    path = write_json(tmp_path / "mixed.json", good)
    with pytest.raises(DataError):
        list(iter_trajectories(path))
    report = LoadReport()
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        got = list(iter_trajectories(path, report, skip_bad=True))
    assert [t.theorem for t in got] == ["t0", "t1"]
    assert len(report.bad) == 2 and len(w) == 2
    assert "record results[0].attempt_results[0].sstrace[0]" in report.bad[0]
    assert "record results[2].attempt_results[0]: empty trace" in report.bad[1]


def test_missing_path_and_empty_folder(tmp_path):
    with pytest.raises(DataError, match="no such file"):
        list(iter_trajectories(tmp_path / "nope.json"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="has no"):
        list(iter_trajectories(tmp_path / "empty"))


WORKBOOK = [{"id": "lean_workbook_1", "status": "proved", "natural_language_statement": "...",
             "formal_statement": "theorem lean_workbook_1 (x : ℝ) : x ^ 2 ≥ 0 := by sorry",
             "proof": ["theorem lean_workbook_1 (x : ℝ) : x ^ 2 ≥ 0 := by\n  nlinarith [sq_nonneg x]",
                       "theorem lean_workbook_1 (x : ℝ) : x ^ 2 ≥ 0 := by\n  positivity"]},
            {"id": "lean_workbook_2", "status": "open", "formal_statement": "theorem lean_workbook_2 : True := by sorry",
             "proof": []}]
NUMINA = [{"uuid": "u1", "problem": "...", "formal_statement": "theorem n1 (a : ℕ) : a + 0 = a := by sorry",
           "formal_proof": "import Mathlib\n\ntheorem n1 (a : ℕ) : a + 0 = a := by\n  simp"}]
STP = [{"prompt": "Complete the following Lean 4 code:\n\n```lean4\nimport Mathlib\n\ntheorem s1 (a b : ℕ) (h : a ≤ b) : a < b + 1 := by\n",
        "target": "  omega\n```", "tag": "['conjecture']", "iteration": 3}]


@pytest.mark.parametrize("rows,proofs", [(WORKBOOK, ["nlinarith [sq_nonneg x]", "positivity"]), (NUMINA, ["simp"]),
                                         (STP, ["omega"])], ids=["lean-workbook", "numina-lean", "stp"])
def test_whole_proof_datasets_local_and_through_datasets(tmp_path, rows, proofs):
    path = write_json(tmp_path / "train.jsonl", rows, lines=True)
    assert detect_format(path) == "whole-proof"
    assert [w.proof for w in iter_whole_proofs(path)] == proofs
    assert [w.proof for w in load_hf_whole_proofs(str(path))] == proofs  # the datasets code path
    import pandas as pd
    pd.DataFrame(rows).to_parquet(tmp_path / "train.parquet")
    assert [w.proof for w in load_hf_whole_proofs(str(tmp_path / "train.parquet"))] == proofs


def test_hf_dataset_folder(tmp_path):
    """A dataset folder laid out as on the hub (data/train-*.parquet) loads by path as a hub id would."""
    import pandas as pd
    (tmp_path / "ds" / "data").mkdir(parents=True)
    pd.DataFrame(NUMINA * 3).to_parquet(tmp_path / "ds" / "data" / "train-00000-of-00001.parquet")
    got = list(load_hf_whole_proofs(str(tmp_path / "ds"), split="train"))
    assert len(got) == 3 and got[0].theorem == "n1" and got[0].header == "import Mathlib"


def test_whole_proof_bad_record(tmp_path):
    path = write_json(tmp_path / "w.jsonl", [NUMINA[0], {"uuid": "x"}], lines=True)
    with pytest.raises(DataError, match=r"w.jsonl, record line 2: no proof field"):
        list(iter_whole_proofs(path))
    report = LoadReport()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert len(list(iter_whole_proofs(path, report, skip_bad=True))) == 1
    assert len(report.bad) == 1


def test_minif2f(shared):
    thms = load_minif2f()
    assert len(thms) == 488 and {t.split for t in thms} == {"valid", "test"}
    assert all(t.statement.startswith("theorem ") and not t.statement.rstrip().endswith("by") for t in thms)


# issue 11: bad input is a clear error at the file and record, never a crash or a silent loss

@pytest.mark.parametrize("rec,field", [({"formal_statement": 5, "proof": "simp"}, "formal_statement"),
                                       ({"formal_statement": "theorem t : True", "proof": 7}, "proof"),
                                       ({"formal_proof": {"a": 1}}, "formal_proof"),
                                       ({"prompt": ["x"], "target": "omega"}, "prompt")])
def test_wrong_field_type_is_a_data_error(tmp_path, rec, field):
    path = write_json(tmp_path / "w.jsonl", [NUMINA[0], rec], lines=True)
    with pytest.raises(DataError, match=rf"w.jsonl, record line 2: field '{field}' must be a string"):
        list(iter_whole_proofs(path))


def test_null_proofs_are_counted(tmp_path):
    rows = [NUMINA[0], {"formal_statement": "theorem t : True := by sorry", "proof": None},
            {"formal_proof": None, "formal_statement": "theorem u : True := by sorry"}]
    report = LoadReport()
    assert len(list(iter_whole_proofs(write_json(tmp_path / "w.jsonl", rows, lines=True), report))) == 1
    assert report.no_proof == 2 and "2 records without a proof" in report.summary()


def test_malformed_line_skipped_with_skip_bad(tmp_path):
    path = tmp_path / "w.jsonl"
    path.write_text(json.dumps(NUMINA[0]) + "\n{not json\n" + json.dumps(NUMINA[0]) + "\n")
    with pytest.raises(DataError, match="record line 2: malformed JSON"):
        list(iter_whole_proofs(path))
    report = LoadReport()
    with pytest.warns(UserWarning, match="line 2"):
        assert len(list(iter_whole_proofs(path, report, skip_bad=True))) == 2
    assert len(report.bad) == 1


@pytest.mark.parametrize("name,obj,lines", [
    ("search.json", leandojo_search_output(TRAJS), False),
    ("bench.json", leandojo_benchmark(TRAJS), False),
    ("own.jsonl", [t.to_dict() for t in TRAJS], True),
])
def test_byte_order_mark_is_dropped(tmp_path, name, obj, lines):
    path = write_json(tmp_path / name, obj, lines)
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert [t.steps for t in iter_trajectories(path)] == [t.steps for t in TRAJS]


@pytest.mark.parametrize("lines", [True, False])
def test_byte_order_mark_whole_proofs(tmp_path, lines):
    path = write_json(tmp_path / "w.json", NUMINA, lines)
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert [w.proof for w in iter_whole_proofs(path)] == ["simp"]


def test_corpus_theorem_files_are_whole_proofs(tmp_path):
    """segatp's own corpus (`theorems_*.jsonl`: statement + bare tactic proof) reads as whole-proof data."""
    rows = [{"family": "mod_arith", "level": 1, "name": "corpus_mod_arith_0000", "proof": "omega", "split": "test",
             "statement": "theorem corpus_mod_arith_0000 (n : ℕ) (h₀ : n % 9 = 2) : n % 3 = 2", "style": "omega"}]
    path = write_json(tmp_path / "theorems_test.jsonl", rows, lines=True)
    assert detect_format(path) == "whole-proof"
    [w] = iter_whole_proofs(path)
    assert (w.theorem, w.statement, w.proof) == ("corpus_mod_arith_0000", rows[0]["statement"], "omega")
