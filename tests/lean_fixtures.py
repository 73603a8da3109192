"""Shared helpers for the Lean backend tests: transcript discovery, player configs, leftover-process checks."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from segatp.core import Theorem
from segatp.lean.player import player_command
from segatp.lean.process import LeanReplConfig, group_pids
from segatp.lean.protocol import transcript_pairs

REPO = Path(__file__).resolve().parents[1]
TRANSCRIPTS = Path(os.environ.get("SEGATP_REPL_TRANSCRIPTS", REPO / ".." / "shared" / "data" / "lean-repl-transcripts"))
TRANSCRIPTS_MISSING = f"no REPL transcripts at {TRANSCRIPTS} (set SEGATP_REPL_TRANSCRIPTS)"
needs_transcripts = pytest.mark.skipif(not TRANSCRIPTS.is_dir(), reason=TRANSCRIPTS_MISSING)
BRANCHING = TRANSCRIPTS / "proof_branching2.in"
THM = Theorem("and_swap", "example (p q : Prop) : p ∧ q → q ∧ p")
TACTICS = ["intro h", "have hp : p := h.left", "have hq : q := h.right", "apply And.intro", "exact hq", "exact hp"]
GOALS = [1, 1, 1, 2, 1, 0]  # goals after each tactic in the recording


def transcript_params() -> list:
    """One pytest param per transcript pair, id `transcript-NAME`; a single skipped param when there are none."""
    pairs = transcript_pairs(TRANSCRIPTS) if TRANSCRIPTS.is_dir() else []
    if not pairs: return [pytest.param(None, id="transcript-missing", marks=pytest.mark.skip(reason=TRANSCRIPTS_MISSING))]
    return [pytest.param(p, id=f"transcript-{p.name[:-3]}") for p in pairs]


def player_config(transcript: str | Path, *args: str, **limits) -> LeanReplConfig:
    """A config whose REPL is the transcript player on `transcript` with player options `args`."""
    return LeanReplConfig(repl_cmd=tuple(player_command(transcript, *args)), **limits)


def alive(pid: int) -> bool:
    """Whether a process exists and is not a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def leftovers(pids: list[int]) -> list[int]:
    """Processes still alive among `pids` and their process groups."""
    return sorted({p for pid in pids for p in [pid, *group_pids(pid)] if alive(p)})


def lean_dojo_replica():
    """A stand-in `lean_dojo` module whose result classes and exceptions copy LeanDojo 4.20's (fields, equality)."""
    import types
    from dataclasses import dataclass, field

    @dataclass(frozen=True)
    class TacticState:
        pp: str
        id: int = field(compare=False)
        message: str | None = field(default=None, compare=False)

        @property
        def num_goals(self) -> int: return self.pp.count("⊢")

    @dataclass(frozen=True)
    class ProofFinished:
        tactic_state_id: int
        message: str | None = field(default=None, compare=False)

    @dataclass(frozen=True)
    class ProofGivenUp:
        pass

    @dataclass(frozen=True)
    class LeanError:
        error: str

    class DojoCrashError(Exception):
        @property
        def is_out_of_memory(self) -> bool: return str(self) == "OOM"

    class DojoTacticTimeoutError(Exception): pass
    class DojoInitError(Exception): pass

    @dataclass(frozen=True)
    class LeanGitRepo:
        url: str
        commit: str

    @dataclass(frozen=True)
    class Theorem:
        repo: LeanGitRepo
        file_path: Path
        full_name: str

        def __post_init__(self):
            assert Path(self.file_path).suffix == ".lean", f"File extension must be .lean: {self.file_path}"

    class Dojo:
        def __init__(self, entry, timeout=600): raise DojoInitError("the replica cannot run Lean")

    mod = types.ModuleType("lean_dojo")
    for obj in (TacticState, ProofFinished, ProofGivenUp, LeanError, DojoCrashError, DojoTacticTimeoutError,
                DojoInitError, LeanGitRepo, Theorem, Dojo):
        setattr(mod, obj.__name__, obj)
    return mod
