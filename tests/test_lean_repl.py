"""Configuration, missing-Lean errors, the version check, whole-proof verdicts and whole-file checks, via the player."""
from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path

import pytest

from lean_fixtures import TRANSCRIPTS, leftovers, needs_transcripts, player_config
from segatp.core import SegatpError, Theorem, Verdict
from segatp.lean.player import player_command
from segatp.lean.pool import ReplPool
from segatp.lean.process import LeanReplConfig, check_lean_version, repl_command
from segatp.lean.repl import LeanReplEnv, check_lean_file, guard_file, verify_whole_proof
from segatp.lexer import declarations

FILE = "import Mathlib\n\ntheorem a : 1 + 1 = 2 := by\n  norm_num\n\nlemma b (x : ℕ) : x = x := by\n  sorry\n\nexample : 2 = 3 := by\n  simp\n"
ANSWER = {"tactics": [{"tactic": "norm_num", "proofState": 0, "pos": {"line": 4, "column": 2}, "goals": "⊢ 1 + 1 = 2",
                       "endPos": {"line": 4, "column": 10}},
                      {"tactic": "simp", "proofState": 1, "pos": {"line": 10, "column": 2}, "goals": "⊢ 2 = 3",
                       "endPos": {"line": 10, "column": 6}}],
          "messages": [{"severity": "warning", "pos": {"line": 6, "column": 6}, "endPos": {"line": 6, "column": 7},
                        "data": "declaration uses `sorry`"},
                       {"severity": "error", "pos": {"line": 10, "column": 2}, "endPos": {"line": 10, "column": 6},
                        "data": "simp made no progress"}],
          "env": 0}


def recorded(tmp: Path, request: dict, answer: dict) -> Path:
    """A one-request transcript in `tmp`, the answer framed as the REPL frames it."""
    (tmp / "rec.in").write_text(json.dumps(request, ensure_ascii=False) + "\n")
    (tmp / "rec.expected.out").write_text(json.dumps(answer, ensure_ascii=False, indent=1) + "\n\n")
    return tmp / "rec.in"


def executable(path: Path, text: str) -> Path:
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return path


@pytest.fixture
def no_lean_env(monkeypatch, tmp_path):
    """No Lean settings in the environment and an empty PATH (so no `lake`)."""
    for v in ("SEGATP_LEAN_PROJECT", "SEGATP_REPL_CMD", "SEGATP_LEAN_VERSION"): monkeypatch.delenv(v, raising=False)
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))


def test_config_from_env(monkeypatch):
    monkeypatch.setenv("SEGATP_LEAN_PROJECT", "~/lean/proj")
    monkeypatch.setenv("SEGATP_REPL_MEMORY_MB", "2048")
    c = LeanReplConfig.from_env(tactic_timeout=3)
    assert (c.project, c.memory_mb, c.tactic_timeout) == (Path("~/lean/proj").expanduser(), 2048, 3.0)


def test_check_without_lean_names_what_is_missing(no_lean_env, tmp_path):
    f = tmp_path / "t.lean"
    f.write_text(FILE)
    with pytest.raises(SegatpError, match="no Lean project given") as e: check_lean_file(f)
    assert "elan" in str(e.value) and "lake build repl" in str(e.value)
    with pytest.raises(SegatpError, match="not a Lean project"): check_lean_file(f, project=tmp_path)
    (tmp_path / "lean-toolchain").write_text("leanprover/lean4:v4.9.0\n")
    with pytest.raises(SegatpError, match="`lake` .* is not on PATH"): check_lean_file(f, project=tmp_path)
    with pytest.raises(SegatpError, match="REPL command 'nope-repl' was not found"): check_lean_file(f, repl_cmd="nope-repl")


@needs_transcripts
def test_project_layout_end_to_end(monkeypatch, tmp_path):
    """A project with `lake` and a built REPL: the command is `lake -d PROJECT env REPL` and it runs."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    executable(bindir / "lake", '#!/bin/sh\n# fake lake: lake -d DIR env CMD...\nshift 3\nexec "$@"\n')
    proj = tmp_path / "proj"
    (proj / ".lake/packages/REPL/.lake/build/bin").mkdir(parents=True)
    (proj / "lean-toolchain").write_text("leanprover/lean4:v4.9.0\n")
    (proj / ".lake/packages/REPL/lean-toolchain").write_text("leanprover/lean4:v4.9.0\n")
    with pytest.raises(SegatpError, match="lake build repl"):
        monkeypatch.setenv("PATH", f"{bindir}:{os.environ['PATH']}")
        repl_command(LeanReplConfig(project=proj))
    rec = recorded(tmp_path, {"cmd": FILE, "allTactics": True}, ANSWER)
    executable(proj / ".lake/packages/REPL/.lake/build/bin/repl",
               f"#!/bin/sh\nexec {' '.join(player_command(rec))}\n")
    cmd = repl_command(LeanReplConfig(project=proj))
    assert cmd[1:3] == ["-d", str(proj.resolve())] and cmd[3] == "env"
    f = tmp_path / "t.lean"
    f.write_text(FILE)
    got = check_lean_file(f, project=proj, timeout=30)
    assert [(v.name, v.verdict, v.steps, v.line) for v in got] == \
        [("a", "proved", 1, 3), ("b", "failed", 0, 6), ("example", "failed", 1, 9)]
    assert "simp made no progress" in got[2].message and "sorry" in got[1].message
    monkeypatch.setenv("SEGATP_LEAN_VERSION", "4.15.0")
    with pytest.raises(SegatpError, match="Lean version mismatch"): check_lean_file(f, project=proj)


def test_version_check(tmp_path):
    (tmp_path / "lean-toolchain").write_text("leanprover/lean4:v4.15.0\n")
    assert check_lean_version(LeanReplConfig(project=tmp_path)) == "4.15.0"
    with pytest.raises(SegatpError, match="Lean 4.9.0 is required"):
        check_lean_version(LeanReplConfig(project=tmp_path, lean_version="4.9.0"))


def test_check_file_guard_refuses_header(tmp_path):
    """A refused construct outside every declaration refuses the whole file, before any REPL starts."""
    f = tmp_path / "t.lean"
    f.write_text("import Mathlib\n#eval IO.Process.run {cmd := \"curl\"}\n" + FILE[len("import Mathlib\n"):])
    with pytest.raises(SegatpError, match="refused by the Lean guard: line 2: command"):
        check_lean_file(f, repl_cmd=sys.executable)


@needs_transcripts
def test_check_file_guard_refuses_declaration(tmp_path):
    """A refused declaration is blanked before Lean sees the file and gets the verdict `error`."""
    text = FILE.replace("norm_num", "native_decide")
    sent, refused = guard_file(text, declarations(text))
    assert "native_decide" not in sent and sent.count("\n") == text.count("\n")
    rec = recorded(tmp_path, {"cmd": sent, "allTactics": True}, {**ANSWER, "tactics": ANSWER["tactics"][1:]})
    f = tmp_path / "t.lean"
    f.write_text(text)
    got = check_lean_file(f, repl_cmd=player_command(rec), timeout=30)
    assert [(v.name, v.verdict) for v in got] == [("a", "error"), ("b", "failed"), ("example", "failed")]
    assert "native_decide" in got[0].message


@needs_transcripts
def test_check_file_timeout_and_crash(tmp_path):
    f = tmp_path / "t.lean"
    f.write_text(FILE)
    rec = recorded(tmp_path, {"cmd": FILE, "allTactics": True}, ANSWER)
    for fault, word, secs in (("--hang", "within", 0.5), ("--crash", "injected crash", 10)):  # the player starts in ~0.4 s
        got = check_lean_file(f, repl_cmd=player_command(rec, fault, "1"), timeout=secs)
        assert {v.verdict for v in got} == {"error"} and word in got[0].message


@needs_transcripts
def test_whole_proof_verdicts_from_real_transcripts():
    """proved / failed / sorry from recorded answers; error from the guard; timeout / crash from injected faults."""
    cfg = player_config(TRANSCRIPTS, "--mode", "lookup", "--hang_on", "HANG", "--crash_on", "CRASH", command_timeout=3)
    ex = Theorem("ex", "theorem ex : False")
    with ReplPool(cfg) as pool:
        assert verify_whole_proof(Theorem("t", "example : True"), 'trace "!"\ntrivial', pool).verdict == Verdict.PROVED
        bad = verify_whole_proof(Theorem("f", "def f : Nat"), "apply Nat.succ", pool)
        assert bad.verdict == Verdict.FAILED and "unsolved goals" in bad.message
        assert verify_whole_proof(ex, "exact?", pool).verdict == Verdict.FAILED
        assert verify_whole_proof(ex, "  sorry", pool).verdict == Verdict.SORRY
        assert verify_whole_proof(ex, "exact? -- HANG", pool).verdict == Verdict.TIMEOUT
        assert verify_whole_proof(ex, "exact? -- CRASH", pool).verdict == Verdict.CRASH
        assert verify_whole_proof(ex, "exact?", pool).verdict == Verdict.FAILED
        assert verify_whole_proof(ex, "axiom cheat : False\nexact cheat", pool).verdict == Verdict.ERROR


def test_env_start_error_is_user_facing(tmp_path):
    """A statement Lean rejects gives a SegatpError carrying Lean's message, and the process is gone."""
    rec = recorded(tmp_path, {"cmd": "theorem t : 1 = 2 := by sorry"},
                   {"messages": [{"severity": "error", "pos": {"line": 1, "column": 12}, "data": "unknown constant 'x'"}],
                    "env": 0})
    pool = ReplPool(player_config(rec))
    with pytest.raises(SegatpError, match="cannot start t: unknown constant 'x'"):
        with LeanReplEnv(Theorem("t", "theorem t : 1 = 2 := by"), pool=pool): pass
    pool.close()
    assert leftovers(pool.pids) == []
