"""REPL processes under kernel limits, and a REPL that answers twice: recycled, so no call gets another's answer."""
from __future__ import annotations

import random
import resource
import time
from pathlib import Path

import pytest

from lean_fixtures import BRANCHING, GOALS, TACTICS, THM, TRANSCRIPTS, leftovers, needs_transcripts, player_config
from segatp.core import BackendCrash, LeanError, ProofFinished, TacticState
from segatp.lean.player import player_command
from segatp.lean.pool import ReplPool
from segatp.lean.process import (NPROC_HEADROOM, LeanReplConfig, ReplCrashError, ReplProcess, cpu_budget,
                                 group_pids)
from segatp.lean.protocol import CommandResponse
from segatp.lean.repl import LeanReplEnv

pytestmark = needs_transcripts

README = TRANSCRIPTS / "readme.in"
START = {"cmd": "def f (x : Unit) : Nat := by sorry"}
NAMES = {"Max cpu time": resource.RLIMIT_CPU, "Max file size": resource.RLIMIT_FSIZE,
         "Max processes": resource.RLIMIT_NPROC, "Max address space": resource.RLIMIT_AS,
         "Max core file size": resource.RLIMIT_CORE}


def limits(pid: int) -> dict[int, int]:
    """The soft limits of a process, from /proc/PID/limits."""
    out = {}
    for line in Path(f"/proc/{pid}/limits").read_text().splitlines()[1:]:
        name = next((n for n in NAMES if line.startswith(n + " ")), None)
        if name: out[NAMES[name]] = line[len(name):].split()[0]
    return out


def test_limits_hold_from_spawn_for_the_whole_tree():
    """The REPL and the child it starts run under address-space, process, file-size, core and CPU limits."""
    cfg = LeanReplConfig(memory_mb=300, file_size_mb=7, command_timeout=3, tactic_timeout=2)
    p = ReplProcess(player_command(README, "--child"), cfg)
    try:
        deadline = time.monotonic() + 10
        while len(group_pids(p.pid)) < 2 and time.monotonic() < deadline: time.sleep(0.05)
        pids = group_pids(p.pid)
        assert len(pids) == 2
        for pid in pids:
            got = limits(pid)
            assert got[resource.RLIMIT_AS] == str((2 * 300 + 4096) << 20)
            assert got[resource.RLIMIT_FSIZE] == str(7 << 20) and got[resource.RLIMIT_CORE] == "0"
            assert int(got[resource.RLIMIT_NPROC]) >= NPROC_HEADROOM
            assert int(got[resource.RLIMIT_CPU]) == cpu_budget(3)
        p.request(START, 10)
        assert int(limits(p.pid)[resource.RLIMIT_CPU]) >= cpu_budget(10)  # renewed for each request
    finally:
        p.kill()


def test_address_space_limit_stops_growth_without_polling():
    """With resident-memory polling off, the address-space limit still stops a growing REPL at once."""
    cfg = player_config(BRANCHING, "--mode", "lookup", "--grow_on", "GROW", tactic_timeout=30, memory_mb=None,
                        address_space_mb=400)
    with ReplPool(cfg) as pool, pool.session() as s:
        s.command(THM.statement + " := by sorry")
        pid, t0 = s.proc.pid, time.monotonic()
        res = s.tactic("intro h -- GROW", 0)
        assert isinstance(res, BackendCrash) and "MemoryError" in res.error, res
        assert time.monotonic() - t0 < 15
        assert leftovers([pid]) == []


def test_process_that_answers_twice_is_recycled():
    """The request after a doubled answer fails as a crash instead of receiving the previous answer."""
    p = ReplProcess(player_command(README, "--twice", "1"), LeanReplConfig())
    first = p.request(START, 10)
    assert "sorries" in first
    with pytest.raises(ReplCrashError, match="out of step"):
        p.request({"tactic": "apply Int.natAbs", "proofState": 0}, 10)
    assert not p.alive and leftovers([p.pid]) == []


def test_no_call_receives_the_previous_answer():
    """300 tactic calls, ~15% answered twice: every other call gets exactly its own answer (states are replayed)."""
    cfg = player_config(BRANCHING, "--mode", "lookup", "--twice_on", "TWICE", tactic_timeout=5, command_timeout=20)
    rng, doubled, exact = random.Random(1), 0, 0
    with ReplPool(cfg) as pool:
        for _ in range(30):
            with LeanReplEnv(THM, pool=pool) as (env, init):
                reached = [init]
                for _ in range(10):
                    k = rng.randrange(len(reached))
                    if rng.random() < 0.15:
                        doubled += 1
                        assert isinstance(env.run_tac(reached[k], TACTICS[k] + " -- TWICE"), LeanError)
                        continue
                    r = env.run_tac(reached[k], TACTICS[k])
                    assert isinstance(r, ProofFinished if GOALS[k] == 0 else TacticState), (k, r)
                    assert r.num_goals == GOALS[k]
                    exact += 1
                    if isinstance(r, TacticState) and len(reached) == k + 1: reached.append(r)
        pids = list(pool.pids)
    assert doubled > 20 and exact + doubled == 300 and len(pids) > doubled // 2
    assert leftovers(pids) == []


def test_doubled_answer_is_not_given_to_the_next_lease():
    """A process out of step when it is leased again is replaced before the whole-proof command is sent."""
    with ReplPool(player_config(BRANCHING, "--mode", "lookup", "--twice_on", "TWICE")) as pool:
        with pool.session() as s: s.command("theorem nope : False := by sorry -- TWICE")
        time.sleep(0.2)
        with pool.session() as s:
            r = s.command(THM.statement + " := by sorry")
            assert isinstance(r, CommandResponse) and r.sorries, r
