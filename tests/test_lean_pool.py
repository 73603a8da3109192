"""The REPL pool under faults: hangs, crashes, memory growth, recycling, warm reuse; every call gets one result."""
from __future__ import annotations

import json
import random
import shlex
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from lean_fixtures import BRANCHING, GOALS, TACTICS, THM, TRANSCRIPTS, leftovers, needs_transcripts, player_config
from segatp.lean.player import player_command
from segatp.lean.process import LeanReplConfig
from segatp.core import BackendCrash, LeanError, ProofFinished, ProofTimeout, SegatpError, TacticState
from segatp.lean.pool import ReplPool
from segatp.lean.protocol import CommandResponse, ReplFailure
from segatp.lean.repl import LeanReplEnv

pytestmark = needs_transcripts



def fault_pool(size: int = 2, timeout: float = 0.3, **limits) -> ReplPool:
    """A pool of lookup-mode players on the branching proof that hang on `HANG` and crash on `CRASH`."""
    cfg = player_config(BRANCHING, "--mode", "lookup", "--hang_on", "HANG", "--crash_on", "CRASH", "--child",
                        tactic_timeout=timeout, command_timeout=20, **limits)
    return ReplPool(cfg, size=size)


def run_theorem(pool: ReplPool, calls: int, rng: random.Random, fault_rate: float) -> list[tuple[str, object]]:
    """`calls` tactic calls on one theorem, each on a random reached state, some with an injected fault."""
    out = []
    with LeanReplEnv(THM, pool=pool) as (env, init):
        reached = [init]
        for _ in range(calls):
            k = rng.randrange(len(reached))
            fault = rng.choice(["HANG", "CRASH"]) if rng.random() < fault_rate else None
            tac = TACTICS[k] + (f" -- {fault}" if fault else "")
            res = env.run_tac(reached[k], tac)
            out.append((fault or k, res))
            if isinstance(res, TacticState) and len(reached) == k + 1: reached.append(res)
    return out


def test_pool_1000_calls_with_faults():
    """1,000 calls, ~10% hangs and crashes: one result each, failures are timeout/crash, the rest are exact."""
    rng = random.Random(0)
    seeds = [rng.randrange(10**9) for _ in range(100)]
    t0 = time.monotonic()
    with fault_pool(size=3, timeout=0.5) as pool:
        with ThreadPoolExecutor(4) as ex:
            results = [r for rs in ex.map(lambda s: run_theorem(pool, 10, random.Random(s), 0.1), seeds) for r in rs]
        pids = list(pool.pids)
    assert len(results) == 1000
    faults = [(f, r) for f, r in results if isinstance(f, str)]
    assert 60 <= len(faults) <= 140
    for f, r in faults: assert isinstance(r, ProofTimeout if f == "HANG" else BackendCrash), (f, r)
    for k, r in results:
        if isinstance(k, int):
            want = ProofFinished if GOALS[k] == 0 else TacticState
            assert isinstance(r, want) and r.num_goals == GOALS[k], (k, r)
    assert len(pids) > len(faults) // 2  # crashed and hung processes were replaced
    assert leftovers(pids) == []
    assert time.monotonic() - t0 < 120


def test_hang_kills_process_tree():
    """A hanging REPL with a child process: timeout value, the whole group gone, the next call works."""
    with fault_pool(size=1, timeout=0.3) as pool, pool.session() as s:
        s.command(THM.statement + " := by sorry")
        pid = s.proc.pid
        assert isinstance(s.tactic("intro h -- HANG", 0), ProofTimeout)
        assert leftovers([pid]) == []
        assert s.proc is None
        assert isinstance(s.command(THM.statement + " := by sorry"), CommandResponse)
        assert s.generation == 2


def test_memory_cap_kills_growing_process():
    """A REPL that grows past the memory cap is killed and reported as a crash."""
    cfg = player_config(BRANCHING, "--mode", "lookup", "--grow_on", "GROW", tactic_timeout=20, memory_mb=150)
    with ReplPool(cfg) as pool, pool.session() as s:
        s.command(THM.statement + " := by sorry")
        pid = s.proc.pid
        t0 = time.monotonic()
        res = s.tactic("intro h -- GROW", 0)
        assert isinstance(res, BackendCrash) and "memory cap" in res.error, res
        assert time.monotonic() - t0 < 15
        assert leftovers([pid]) == []


def test_crash_reports_stderr():
    """A crashing REPL gives a crash value carrying its stderr."""
    with fault_pool(size=1) as pool, pool.session() as s:
        s.command(THM.statement + " := by sorry")
        res = s.tactic("intro h -- CRASH", 0)
        assert isinstance(res, BackendCrash) and "injected crash" in res.error


def test_env_replays_after_crash():
    """States from a crashed process are rebuilt by replaying their tactics in the replacement."""
    with fault_pool(size=1) as pool, LeanReplEnv(THM, pool=pool) as (env, s0):
        s1 = env.run_tac(s0, "intro h")
        s2 = env.run_tac(s1, "have hp : p := h.left")
        assert isinstance(env.run_tac(s2, "have hq : q := h.right -- CRASH"), BackendCrash)
        s3 = env.run_tac(s2, "have hq : q := h.right")
        assert isinstance(s3, TacticState) and s3.num_goals == 1 and env.session.generation == 2
        s4 = env.run_tac(s3, "apply And.intro")
        assert s4.num_goals == 2 and "case left" in s4.pp


def write_transcript(path, pairs: list[tuple[dict, dict]]):
    """A recorded session at `path` (`NAME.in`) from (request, answer) pairs."""
    path.write_text("".join(json.dumps(q, ensure_ascii=False) + "\n\n" for q, _ in pairs))
    path.with_name(path.name[:-3] + ".expected.out").write_text(
        "".join(json.dumps(a, ensure_ascii=False, indent=1) + "\n\n" for _, a in pairs))
    return path


def test_env_replay_that_diverges_is_a_crash(tmp_path):
    """A replacement process where a recorded tactic no longer leads to a state: a crash value naming that tactic."""
    start = ({"cmd": THM.statement + " := by sorry"},
             {"sorries": [{"proofState": 0, "goal": "p q : Prop\n⊢ p ∧ q → q ∧ p"}], "env": 0})
    first = write_transcript(tmp_path / "first.in", [start, ({"tactic": "intro h", "proofState": 0},
                             {"proofState": 1, "goals": ["p q : Prop\nh : p ∧ q\n⊢ q ∧ p"]})])
    then = write_transcript(tmp_path / "then.in", [start, ({"tactic": "intro h", "proofState": 0},
                            {"messages": [{"severity": "error", "data": "unknown tactic"}], "proofState": 1, "goals": []})])
    flag = tmp_path / "started"
    one, two = (shlex.join(player_command(t, "--crash_on", "CRASH")) for t in (first, then))
    cmd = ("sh", "-c", f"if [ -e {flag} ]; then exec {two}; else touch {flag}; exec {one}; fi")
    with LeanReplEnv(THM, LeanReplConfig(repl_cmd=cmd, tactic_timeout=20)) as (env, s0):
        s1 = env.run_tac(s0, "intro h")
        assert isinstance(s1, TacticState) and s1.num_goals == 1
        assert isinstance(env.run_tac(s1, "exact h -- CRASH"), BackendCrash)
        res = env.run_tac(s1, "exact ⟨h.2, h.1⟩")
        assert res == BackendCrash("replaying 'intro h' after a restart gave LeanError(error='unknown tactic')"), res


def test_recycle_after_max_commands():
    """A process is replaced after `max_commands` requests; the proof still goes through."""
    cfg = player_config(BRANCHING, "--mode", "lookup", max_commands=4, tactic_timeout=5)
    with ReplPool(cfg) as pool:
        with LeanReplEnv(THM, pool=pool) as (env, s):
            for tac, n in zip(TACTICS, GOALS):
                s = env.run_tac(s, tac)
                assert isinstance(s, TacticState if n else ProofFinished) and s.num_goals == n, (tac, s)
        assert len(pool.pids) >= 2
        pids = list(pool.pids)
    assert leftovers(pids) == []


def test_warm_process_reused_by_header():
    """Two sessions with the same header share one process and one header import."""
    cfg = player_config(TRANSCRIPTS / "trace_simp.in", "--mode", "lookup")
    with ReplPool(cfg, size=1) as pool:
        for _ in range(2):
            with pool.session("def f := 37") as s:
                assert s.env == 0 or s.proc is None
                r = s.command("@[simp] theorem f_def : f = 37 := by rfl")
                assert isinstance(r, CommandResponse) and r.env == 1 and s.env == 0
        assert len(pool.pids) == 1


def test_other_header_evicts_idle_process():
    """A full pool evicts an idle process of another header rather than wait."""
    cfg = player_config(TRANSCRIPTS / "trace_simp.in", "--mode", "lookup")
    with ReplPool(cfg, size=1) as pool:
        with pool.session("def f := 37") as s: s.command("@[simp] theorem f_def : f = 37 := by rfl")
        with pool.session("") as s: assert isinstance(s.command("example : True := by\n  trace \"!\"\n  trivial"), CommandResponse)
        assert len(pool.pids) == 2 and pool.kills == 1
        pids = list(pool.pids)
    assert leftovers(pids) == []


def test_pool_waits_for_a_free_process():
    """With one process and two users, the second waits for the first to finish."""
    order = []
    with fault_pool(size=1) as pool:
        def user(name):
            with pool.session() as s:
                order.append(f"{name}+")
                s.command(THM.statement + " := by sorry")
                time.sleep(0.2)
                order.append(f"{name}-")
        ts = [threading.Thread(target=user, args=(n,)) for n in "ab"]
        for t in ts: t.start()
        for t in ts: t.join(30)
    assert order in (["a+", "a-", "b+", "b-"], ["b+", "b-", "a+", "a-"])


def test_closed_pool_refuses():
    """A closed pool raises a clear error."""
    pool = fault_pool(size=1)
    pool.close()
    with pytest.raises(SegatpError, match="closed"):
        with pool.session(): pass


def test_guard_refuses_before_lean():
    """Refused tactics never reach the REPL (an order-mode player would fall out of step)."""
    with LeanReplEnv(THM, player_config(BRANCHING)) as (env, s):
        for bad in ["native_decide", "sorry", "#eval 1", "run_tac pure ()", "set_option debug.skipKernelTC true in rfl"]:
            r = env.run_tac(s, bad)
            assert isinstance(r, LeanError) and r.error.startswith("refused by the Lean guard"), bad
        assert env.run_tac(s, "intro h").num_goals == 1


def test_unknown_request_is_a_failure_value():
    """The player answers requests it has no record of in the REPL's failure shape."""
    with ReplPool(player_config(BRANCHING, "--mode", "lookup")) as pool, pool.session() as s:
        r = s.command("theorem nope : False := by sorry")
        assert isinstance(r, ReplFailure) and "no recorded response" in r.message
