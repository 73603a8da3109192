"""Proof search through the `lean-repl` backend on real REPL sessions, with the transcript player as the REPL.

What runs: `search.prove_theorem` → `Search` → `LeanReplEnv.run_tac` (guard, proof-state trail) → `ReplPool` session →
`ReplProcess` JSON over the pipes of a real subprocess → the transcript player (`--mode lookup`), which answers
every recorded request with Lean's recorded response and any other request with a REPL failure message
(`{"message": "player: no recorded response ..."}`), which the protocol turns into a `LeanError`, as it does the
REPL's own failures. The re-check of the found proof runs in a fresh `LeanReplEnv` on the same pool.
What does not run: Lean itself (the states and errors are Lean's, recorded) and fresh proof-state numbers for
unrecorded tactics (the player hands out none, so a distractor never creates a state).
"""
from __future__ import annotations

import random
from pathlib import Path

import pytest

from lean_fixtures import TRANSCRIPTS, TRANSCRIPTS_MISSING, leftovers, player_config
from segatp.core import Theorem, Verdict
from segatp.lean.pool import ReplPool
from segatp.lean.protocol import Transcript, decode, state_pp, transcript_pairs
from segatp.lean.repl import LeanReplEnv
from segatp.policy import ScriptedPolicy

search = pytest.importorskip("segatp.search", reason="segatp.search (issue 12) is not exported yet")

DISTRACTORS = ("simp", "omega", "exact rfl")  # not recorded on any state of these sessions: the player refuses them
CFG = search.SearchConfig(expansions=32, candidates=6, wall_seconds=60.0)


class Session:
    """A search-shaped REPL transcript: a `... := by sorry` command, then tactic requests on its proof states."""

    def __init__(self, path: Path):
        tr = Transcript.load(path)
        self.path, self.name = path, tr.name
        self.requests = [decode(q) for q in tr.requests]
        self.responses = [decode(r) for r in tr.responses]
        self.theorem = Theorem(self.name, self.requests[0].get("cmd", "").removesuffix(":= by sorry").rstrip())
        self.pp, self.edges = {}, []  # proof state → its goals; (proof state, tactic, state after / "done" / None)
        if not self.shaped: return
        hole = self.responses[0]["sorries"][0]
        self.pp[hole["proofState"]] = hole["goal"]
        for q, r in zip(self.requests[1:], self.responses[1:]):
            done = r.get("proofStatus") == "Completed" and not r.get("goals")
            after = r.get("proofState") if r.get("goals") and not r.get("messages") else None
            if after is not None: self.pp[after] = state_pp(r["goals"])
            self.edges.append((q["proofState"], q["tactic"], "done" if done else after))

    @property
    def shaped(self) -> bool:
        """Whether the first request states a theorem with `by sorry` and every later one is a tactic on a state."""
        first, rest = self.requests[0], self.requests[1:]
        return first.keys() == {"cmd"} and first["cmd"].endswith(":= by sorry") and bool(self.responses[0].get("sorries")) \
            and bool(rest) and all(q.keys() == {"tactic", "proofState"} for q in rest)

    def proof(self) -> list[str]:
        """The recorded tactics from the initial state to the completed proof."""
        parent = {a: (b, t) for b, t, a in self.edges if a is not None}
        state, tactics = parent["done"][0], [parent["done"][1]]
        while state in parent: state, tactics = parent[state][0], [parent[state][1], *tactics]
        return tactics

    def policy(self, seed: int) -> ScriptedPolicy:
        """Each recorded state → its recorded tactics (in recorded order) with the distractors at random ranks."""
        rng, table = random.Random(seed), {}
        for ps, pp in self.pp.items():
            options = [t for b, t, _ in self.edges if b == ps]
            for d in DISTRACTORS: options.insert(rng.randrange(len(options) + 1), d)
            table[pp] = options
        return ScriptedPolicy(table, default=DISTRACTORS)


def sessions() -> list:
    """The search-shaped transcripts, one param each."""
    found = [Session(p) for p in transcript_pairs(TRANSCRIPTS)] if TRANSCRIPTS.is_dir() else []
    found = [s for s in found if s.shaped]
    if not found: return [pytest.param(None, marks=pytest.mark.skip(reason=TRANSCRIPTS_MISSING))]
    return [pytest.param(s, id=s.name) for s in found]


PROVED = ["assumption_proof", "proof_branching2", "proof_step", "readme"]


def test_proof_sessions_found():
    """The sessions with a completed proof are the four the transcripts hold."""
    if not TRANSCRIPTS.is_dir(): pytest.skip(TRANSCRIPTS_MISSING)
    got = sorted(p.id for p in sessions() if any(a == "done" for _, _, a in p.values[0].edges))
    assert got == PROVED


def prove(session: Session, seed: int, rollout=None):
    """Search for a proof of the session's theorem through a pooled player-backed REPL; the result and the pool's pids."""
    cfg = player_config(session.path, "--mode", "lookup", command_timeout=30)
    with ReplPool(cfg) as pool:
        res = search.prove_theorem(session.theorem, lambda thm: LeanReplEnv(thm, pool=pool), session.policy(seed),
                                   CFG, rollout)
        pids = list(pool.pids)
    return res, pids


@pytest.mark.parametrize("session", sessions())
@pytest.mark.parametrize("seed", [0, 1])
def test_search_through_repl(session, seed):
    """Proved sessions give back their recorded proof; the others fail once every state has failed; no process is left."""
    res, pids = prove(session, seed)
    assert leftovers(pids) == []
    if session.name in PROVED:
        assert res.status == Verdict.PROVED, res.reason
        assert res.proof.split("\n") == session.proof()
        assert res.env_calls > len(session.proof()) and res.expansions >= len(session.proof())
    else:  # every recorded tactic fails in Lean or is refused (`sorry`), every distractor is unrecorded
        assert res.status == Verdict.FAILED and res.reason.startswith("exhausted") and res.proof is None, res


def test_dead_end_branch_is_explored():
    """proof_step: `apply Int.natAbs` (ranked first) reaches `⊢ Int`, where only refused tactics remain; it fails
    and the search proves the theorem through the `have` branch."""
    if not (TRANSCRIPTS / "proof_step.in").is_file(): pytest.skip(TRANSCRIPTS_MISSING)
    s = Session(TRANSCRIPTS / "proof_step.in")
    policy = ScriptedPolicy({"⊢ Nat": ["apply Int.natAbs", "have t : Nat := 42", *DISTRACTORS],
                             "t : Nat\n⊢ Nat": [*DISTRACTORS, "exact t"]}, default=DISTRACTORS)
    cfg = player_config(s.path, "--mode", "lookup", command_timeout=30)
    with ReplPool(cfg) as pool, LeanReplEnv(s.theorem, pool=pool) as (env, init):
        srch = search.Search(env, init, s.theorem, policy, CFG)
        res = srch.run()
        srch.tree.check_invariants()
        assert res.status == Verdict.PROVED and list(srch.tree.proof()) == ["have t : Nat := 42", "exact t"]
        assert srch.tree.nodes["⊢ Int"].status == search.NodeStatus.FAILED
        assert res.expansions == 3 and res.env_calls == 5 + 3 + 4  # every candidate reached the player
        errors = [e.error for e in srch.tree.edges if e.dst is None]
        assert len(errors) == 3 * len(DISTRACTORS) and all("player: no recorded response" in x for x in errors)


def test_lean_error_from_recording_is_an_error_leaf():
    """invalid_tactic: Lean's recorded answer (an unknown identifier) makes an error leaf, and the search fails."""
    if not (TRANSCRIPTS / "invalid_tactic.in").is_file(): pytest.skip(TRANSCRIPTS_MISSING)
    s = Session(TRANSCRIPTS / "invalid_tactic.in")
    cfg = player_config(s.path, "--mode", "lookup", command_timeout=30)
    with ReplPool(cfg) as pool, LeanReplEnv(s.theorem, pool=pool) as (env, init):
        srch = search.Search(env, init, s.theorem, s.policy(0), CFG)
        res = srch.run()
    assert res.status == Verdict.FAILED and res.reason.startswith("exhausted") and res.expansions == 1
    errors = {e.tactic: e.error for e in srch.tree.edges}
    assert "Unknown identifier `my_fake_premise`" in errors["exact my_fake_premise"]
    assert all("player: no recorded response" in errors[d] for d in DISTRACTORS)


def test_goal_count_change_fires_rollout_through_repl():
    """proof_branching2: `apply And.intro` splits the goal (1 → 2) and `exact hq` closes one (2 → 1); a goal-aware
    rollout fires at both states and its greedy steps run in the REPL too."""
    rollout = pytest.importorskip("segatp.rollout", reason="segatp.rollout (issue 12) is not exported yet")
    if not (TRANSCRIPTS / "proof_branching2.in").is_file(): pytest.skip(TRANSCRIPTS_MISSING)
    s = Session(TRANSCRIPTS / "proof_branching2.in")
    res, pids = prove(s, 0, rollout.GoalAwareRollout(rollout.RolloutConfig()))
    assert res.status == Verdict.PROVED and res.proof.split("\n") == s.proof(), res.reason
    assert res.rollouts == 2 and res.rollout_steps >= 1 and leftovers(pids) == []
