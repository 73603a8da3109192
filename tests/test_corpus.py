"""The shipped minilean corpus: regenerated bit for bit, every trajectory re-checks, bad records are named."""
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from segatp.core import DataError
from segatp.corpus import generate_corpus, load_corpus_theorems, verify_corpus

CORPUS = Path(__file__).resolve().parent.parent / "data" / "corpus"
FILES = ["theorems_train.jsonl", "theorems_valid.jsonl", "theorems_test.jsonl", "trajectories_train.jsonl", "summary.json"]


def test_corpus_regenerates_bit_for_bit(tmp_path):
    """The command in data/README.md reproduces data/corpus exactly."""
    summary = json.loads((CORPUS / "summary.json").read_text())
    generate_corpus(tmp_path, summary["n"], summary["seed"], summary["proofs_per_theorem"], progress=False)
    for f in FILES:
        assert (tmp_path / f).read_bytes() == (CORPUS / f).read_bytes(), f"{f} differs from a fresh generation"


def test_failed_generation_leaves_no_files_and_bad_sizes_are_refused(tmp_path, monkeypatch):
    """A generation that fails writes nothing (the files are written together, atomically, at the end) (issue 11)."""
    import segatp.corpus
    from segatp.core import SegatpError
    generate_corpus(tmp_path, 12, 3, progress=False)
    before = {f: (tmp_path / f).read_bytes() for f in FILES}

    def interrupted(*args, **kwargs): raise KeyboardInterrupt
    monkeypatch.setattr(segatp.corpus, "one_tactic_share", interrupted)
    with pytest.raises(KeyboardInterrupt): generate_corpus(tmp_path / "new", 12, 4, progress=False)
    assert not (tmp_path / "new").exists()
    with pytest.raises(KeyboardInterrupt): generate_corpus(tmp_path, 12, 4, progress=False)
    assert {f: (tmp_path / f).read_bytes() for f in FILES} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(FILES)  # no temp or lock files left behind
    for n, k in [(0, 1), (-3, 1), (5, 0)]:
        with pytest.raises(SegatpError, match="must be at least 1"): generate_corpus(tmp_path / "bad", n, 0, k, progress=False)
    assert not (tmp_path / "bad").exists()


def test_every_stored_trajectory_rechecks():
    checked, failures = verify_corpus(CORPUS / "trajectories_train.jsonl", progress=False)
    assert checked > 3000 and failures == []


def test_corpus_counts_and_splits_are_disjoint():
    stmts = {s: {t.statement.split(" ", 2)[2] for t in load_corpus_theorems(CORPUS / f"theorems_{s}.jsonl")}
             for s in ("train", "valid", "test")}
    assert sum(map(len, stmts.values())) >= 2500
    assert not (stmts["train"] & stmts["valid"]) and not (stmts["train"] & stmts["test"]) and not (stmts["valid"] & stmts["test"])
    summary = json.loads((CORPUS / "summary.json").read_text())
    assert summary["unproved"] == []
    assert {int(k.split("level")[1]) for k in summary["theorems_by_split_and_level"]} == {1, 2, 3, 4}


def test_corpus_needs_search():
    """No single closing tactic proves more than 30% of the test theorems, nor does their union (issue 9)."""
    one = json.loads((CORPUS / "summary.json").read_text())["one_tactic_test"]
    assert one["theorems"] == json.loads((CORPUS / "summary.json").read_text())["theorems"]["test"]
    assert one["any_tactic_share"] <= 0.3
    assert max(one["by_tactic_share"].values()) <= one["any_tactic_share"]
    assert len(one["by_family"]) >= 15


def test_segments_of_two_to_six_steps_are_common_and_some_proofs_are_long():
    shapes = json.loads((CORPUS / "summary.json").read_text())["train_shapes"]
    seg = {int(k): v for k, v in shapes["segment_length"].items()}
    assert sum(v for k, v in seg.items() if 2 <= k <= 6) >= 0.3 * sum(seg.values())
    assert sum(v for k, v in shapes["proof_length"].items() if int(k) >= 10) >= 50


def test_malformed_corpus_record_is_named(tmp_path):
    lines = (CORPUS / "theorems_valid.jsonl").read_text().splitlines()[:3]
    bad = tmp_path / "theorems_valid.jsonl"
    bad.write_text("\n".join([lines[0], '{"name": "x"}', lines[2]]) + "\n")
    with pytest.raises(DataError, match=r"theorems_valid.jsonl, record line 2: bad corpus record"):
        load_corpus_theorems(bad)


def test_a_proof_that_does_not_check_is_reported(tmp_path):
    rec = json.loads((CORPUS / "trajectories_train.jsonl").read_text().splitlines()[0])
    rec["steps"][-1]["tactic"] = "rfl"
    path = tmp_path / "t.jsonl"
    path.write_text(json.dumps(rec, ensure_ascii=False) + "\n")
    checked, failures = verify_corpus(path, progress=False)
    assert checked == 1 and len(failures) == 1 and "t.jsonl, line 1" in failures[0] and rec["theorem"] in failures[0]
    code = subprocess.run([shutil.which("segatp"), "corpus", "verify", str(path)], capture_output=True, text=True).returncode
    assert code == 1
