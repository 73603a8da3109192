"""The LeanDojo adapter against LeanDojo's own result classes (or faithful replicas) and real traced states."""
from __future__ import annotations

import importlib.util
import json
import sys
from types import SimpleNamespace

import pytest

from lean_fixtures import lean_dojo_replica
from segatp.core import BackendCrash, LeanError, ProofFinished, ProofTimeout, SegatpError, TacticState, Theorem, \
    count_goals, shared_data_dir
from segatp.lean.dojo import LeanDojoEnv, from_dojo

REAL = importlib.util.find_spec("lean_dojo") is not None


def repo(url: str, commit: str) -> SimpleNamespace:
    """A repository handle (the real `LeanGitRepo` resolves its commit over the network when built)."""
    return SimpleNamespace(url=url, commit=commit)


@pytest.fixture(params=["real", "replica"])
def ld(request, monkeypatch):
    """LeanDojo's module: the installed one, or the replica put in its place."""
    if request.param == "real":
        if not REAL: pytest.skip("lean_dojo is not installed (pip install lean-dojo)")
        import lean_dojo
        return lean_dojo
    mod = lean_dojo_replica()
    monkeypatch.setitem(sys.modules, "lean_dojo", mod)
    return mod


def chains() -> list[dict]:
    """Real LeanDojo-traced theorems whose tactics form one chain ending in `no goals`."""
    d = shared_data_dir()
    if d is None: return []
    out = []
    for t in json.loads((d / "leandojo-benchmark-4" / "random_val_prefix.json").read_text()):
        tt = t["traced_tactics"]
        if tt and tt[-1]["state_after"] == "no goals" and \
                all(a["state_after"] == b["state_before"] for a, b in zip(tt, tt[1:])):
            out.append(t)
    return out


class FakeDojo:
    """Replays one traced theorem with LeanDojo's classes; `HANG`/`CRASH` in a tactic raise LeanDojo's exceptions."""

    def __init__(self, ld, trace: dict, thm, timeout: int):
        self.ld, self.thm, self.timeout = ld, thm, timeout
        self.steps = {(s["state_before"], s["tactic"]): s["state_after"] for s in trace["traced_tactics"]}
        self.init, self.next_id, self.entered = trace["traced_tactics"][0]["state_before"], 1, 0

    def __enter__(self):
        self.entered += 1
        return self, self.ld.TacticState(self.init, 0)

    def __exit__(self, *exc): pass

    def run_tac(self, state, tactic):
        if "HANG" in tactic: raise self.ld.DojoTacticTimeoutError()
        if "CRASH" in tactic: raise self.ld.DojoCrashError("OOM" if "OOM" in tactic else "Unexpected EOF")
        if "GIVEUP" in tactic: return self.ld.ProofGivenUp()
        after = self.steps.get((state.pp, tactic))
        if after is None: return self.ld.LeanError(f"unknown tactic {tactic}")
        self.next_id += 1
        return self.ld.ProofFinished(self.next_id) if after == "no goals" else self.ld.TacticState(after, self.next_id)


def test_from_dojo_maps_each_class(ld):
    """Each LeanDojo result class maps to its segatp value."""
    s = from_dojo(ld.TacticState("case h\nx : ℕ\n⊢ x = x\n\ny : ℕ\n⊢ y = y", 7), 1, ("intro x",))
    assert isinstance(s, TacticState) and (s.id, s.num_goals, s.payload.tactics) == (7, 2, ("intro x",))
    assert from_dojo(ld.ProofFinished(9, "warning")) == ProofFinished(9, "warning")
    assert from_dojo(ld.LeanError("unsolved goals")) == LeanError("unsolved goals")
    assert isinstance(from_dojo(ld.ProofGivenUp()), LeanError)
    with pytest.raises(TypeError): from_dojo("no goals")


@pytest.mark.skipif(not chains(), reason="no LeanDojo benchmark data in ../shared/data")
def test_env_on_real_traced_theorems(ld):
    """Every tactic chain of the real benchmark replays through LeanDojoEnv with the right states and counts."""
    for trace in chains():
        thm = Theorem(trace["full_name"], "", source=trace["file_path"])
        fac = lambda t, timeout: FakeDojo(ld, trace, t, timeout)
        with LeanDojoEnv(thm, repo(trace["url"], trace["commit"]), 60, fac) as (env, s):
            assert s.pp == trace["traced_tactics"][0]["state_before"]
            for step in trace["traced_tactics"]:
                s = env.run_tac(s, step["tactic"])
                if step["state_after"] == "no goals": assert isinstance(s, ProofFinished)
                else: assert s.pp == step["state_after"] and s.num_goals == count_goals(step["state_after"])


@pytest.mark.skipif(not chains(), reason="no LeanDojo benchmark data in ../shared/data")
def test_env_timeout_crash_and_replay(ld):
    """LeanDojo's timeout and crash become values; the next call restarts the Dojo and replays to the state."""
    trace = max(chains(), key=lambda t: len(t["traced_tactics"]))
    dojos = []
    fac = lambda t, timeout: dojos.append(FakeDojo(ld, trace, t, timeout)) or dojos[-1]
    tacs = [x["tactic"] for x in trace["traced_tactics"]]
    with LeanDojoEnv(Theorem(trace["full_name"], "", source=trace["file_path"]), repo("u", "c"), 5, fac) as (env, s0):
        s1 = env.run_tac(s0, tacs[0])
        assert env.run_tac(s1, "simp -- HANG") == ProofTimeout("LeanDojo timed out after 5s", 5.0)
        s2 = env.run_tac(s1, tacs[1])
        assert s2.pp == trace["traced_tactics"][1]["state_after"] or isinstance(s2, ProofFinished)
        res = env.run_tac(s1, "simp -- CRASH OOM")
        assert isinstance(res, BackendCrash) and "out of memory" in res.error
        assert len(dojos) == 3
    assert env.dojo is None


def test_env_replay_that_diverges_is_a_crash(ld):
    """A new Dojo where a recorded tactic no longer leads to a state: a crash value naming that tactic."""
    trace = {"traced_tactics": [{"state_before": "⊢ p ∧ q", "tactic": "constructor", "state_after": "⊢ p\n\n⊢ q"},
                                {"state_before": "⊢ p\n\n⊢ q", "tactic": "exact hp", "state_after": "⊢ q"}]}
    dojos = []

    def fac(t, timeout):
        dojos.append(FakeDojo(ld, trace, t, timeout))
        if len(dojos) > 1: del dojos[-1].steps[("⊢ p ∧ q", "constructor")]  # the new Dojo disagrees
        return dojos[-1]
    with LeanDojoEnv(Theorem("t", "", source="T.lean"), repo("u", "c"), 5, fac) as (env, s0):
        s1 = env.run_tac(s0, "constructor")
        assert isinstance(env.run_tac(s1, "exact hp -- CRASH"), BackendCrash)
        res = env.run_tac(s1, "exact hp")
        assert res == BackendCrash("replaying 'constructor' after a restart gave "
                                   "LeanError(error='unknown tactic constructor')"), res
        assert len(dojos) == 2


def test_guard_and_sorry(ld):
    """Refused tactics never reach LeanDojo; `ProofGivenUp` is an error."""
    trace = {"traced_tactics": [{"state_before": "⊢ True", "tactic": "trivial", "state_after": "no goals"}]}
    fac = lambda t, timeout: FakeDojo(ld, trace, t, timeout)
    with LeanDojoEnv(Theorem("t", "", source="T.lean"), repo("u", "c"), 5, fac) as (env, s):
        assert env.run_tac(s, "native_decide").error.startswith("refused by the Lean guard")
        assert env.run_tac(s, "exact sorry_free").error.startswith("refused by the Lean guard")
        assert env.run_tac(s, "simp -- GIVEUP") == LeanError("proof given up: the tactic uses `sorry`")
        assert env.run_tac(s, "simp") == LeanError("unknown tactic simp")
        assert isinstance(env.run_tac(s, "trivial"), ProofFinished)


def test_init_error_is_user_facing(ld):
    """A Dojo that cannot start gives a SegatpError naming the theorem."""
    def fac(t, timeout): raise ld.DojoInitError("Cannot find the *.ast.json file")
    env = LeanDojoEnv(Theorem("foo", "", source="Foo.lean"), repo("u", "c"), 5, fac)
    with pytest.raises((SegatpError, ld.DojoInitError)): env.__enter__()


def test_missing_lean_dojo(monkeypatch):
    """Without lean_dojo, entering the environment says how to install it."""
    monkeypatch.setitem(sys.modules, "lean_dojo", None)
    with pytest.raises(SegatpError, match="pip install lean-dojo"):
        LeanDojoEnv(Theorem("t", "", source="T.lean"), ("u", "c")).__enter__()
