"""Output safety: an output is never an input, one writer at a time (across processes, after kill -9 too), atomic whole files, unwritable paths as one-line errors."""
import os
import signal
import subprocess
import sys
import time

import pytest

from segatp.core import SegatpError
from segatp.outputs import output_file, output_lock, refuse_inputs, write_output


def test_same_file_under_another_name_is_refused(tmp_path, monkeypatch):
    """A relative path, an absolute path and a symlink to the input are all the input."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "x.jsonl").write_text("keep\n")
    (tmp_path / "link.jsonl").symlink_to(tmp_path / "x.jsonl")
    for out in ("x.jsonl", str(tmp_path / "x.jsonl"), "./sub/../x.jsonl", "link.jsonl"):
        with pytest.raises(SegatpError, match="is the input"):
            with output_file(out, inputs=["x.jsonl"]) as f: f.write("")
    assert (tmp_path / "x.jsonl").read_text() == "keep\n"


def test_output_inside_an_input_folder_is_refused(tmp_path):
    (tmp_path / "data").mkdir()
    with pytest.raises(SegatpError, match="inside the input folder"):
        refuse_inputs(tmp_path / "data" / "deeper" / "out.jsonl", [tmp_path / "data"])
    refuse_inputs(tmp_path / "out.jsonl", [tmp_path / "data"])


def test_failed_run_leaves_old_output_and_no_temp_file(tmp_path):
    out = tmp_path / "out.jsonl"
    write_output(out, "old\n")
    with pytest.raises(KeyboardInterrupt):
        with output_file(out) as f:
            f.write("new, half written\n")
            raise KeyboardInterrupt
    assert out.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.jsonl"]


def test_no_output_until_the_run_succeeds(tmp_path):
    out = tmp_path / "out.jsonl"
    with output_file(out) as f:
        f.write("a\n")
        assert not out.exists()
    assert out.read_text() == "a\n"


def test_append_mode_appends_in_place(tmp_path):
    out = tmp_path / "res.jsonl"
    for line in ("1\n", "2\n"):
        with output_file(out, mode="a") as f: f.write(line)
    assert out.read_text() == "1\n2\n"
    with output_file(out, mode="ab") as f: f.write(b"3\n")
    assert out.read_text() == "1\n2\n3\n"


@pytest.mark.parametrize("path", ["/proc/nope/a.jsonl", "/proc/version/a.jsonl"])
def test_unwritable_path_is_a_segatp_error_naming_it(path):
    for mode in ("w", "a"):
        with pytest.raises(SegatpError, match=f"cannot write {path}"):
            with output_file(path, mode=mode): pass


def test_bad_mode():
    with pytest.raises(ValueError, match="mode"):
        with output_file("x", mode="r"): pass


def _holder(path):
    """A child process that holds output_file(path, mode='a') until killed; returns it once it holds the lock."""
    code = ("import sys, time\nfrom segatp.outputs import output_file\n"
            "with output_file(sys.argv[1], mode='a'):\n    print('locked', flush=True); time.sleep(60)")
    p = subprocess.Popen([sys.executable, "-c", code, str(path)], stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "locked"
    return p


def test_second_writer_fails_fast_naming_the_other_run(tmp_path):
    out = tmp_path / "res.jsonl"
    p = _holder(out)
    try:
        t0 = time.monotonic()
        with pytest.raises(SegatpError, match=rf"{out} is being written by another run \(pid {p.pid}"):
            with output_file(out, mode="a"): pass
        assert time.monotonic() - t0 < 2
    finally:
        p.kill(); p.wait()


def test_kill_9_releases_the_lock(tmp_path):
    out = tmp_path / "res.jsonl"
    p = _holder(out)
    os.kill(p.pid, signal.SIGKILL); p.wait()
    with output_file(out, mode="a") as f: f.write("after\n")
    assert out.read_text() == "after\n"
    assert not (tmp_path / "res.jsonl.lock").exists()


def test_folder_lock(tmp_path):
    run = tmp_path / "run"
    with output_lock(run):
        with pytest.raises(SegatpError, match="being written by another run"):
            with output_lock(run): pass
        with output_file(run / "metrics.jsonl", mode="a") as f: f.write("{}\n")
    with output_lock(run): pass
