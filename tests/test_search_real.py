"""Search on real Mathlib states: replay environments built from LeanDojo trajectories in ../shared/data.

A theorem is selected when its recorded steps, read as one proof (`core.linear_steps`: a step traced on the main
goal of the current state, as inside a `·` focus, continues it on that goal), reach `no goals` with tactics a scripted
policy can propose. On every state of that proof a scripted policy proposes the recorded tactic at a seeded random
rank among three distractors (tactics recorded for other theorems): the search must recover the recorded proof,
re-check it in a fresh replay environment, and its goal-aware rollouts must fire at exactly the states after the
recorded steps that change the goal count.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field

import pytest

from segatp.core import ReplayEnv, Verdict, count_goals, linear_steps, run_tactics
from segatp.policy import Candidate, Hygiene, ScriptedPolicy, completion_tactics
from segatp.segment import CutRule, is_cut
from segatp.trajectory import Trajectory, iter_trajectories

search = pytest.importorskip("segatp.search", reason="segatp.search (issue 12) is not exported yet")

BENCHMARK = "leandojo-benchmark-4/random_val_prefix.json"
INTERNLM = "trajectories/internlm-minif2f"
DISTRACTORS = 3  # wrong tactics proposed beside the recorded one
CFG = search.SearchConfig(expansions=64, candidates=DISTRACTORS + 1, wall_seconds=60.0)


def chains(traj: Trajectory) -> bool:
    """Whether the recorded steps lead one to the next from the initial state to `no goals`."""
    linked = all(a.state_after == b.state_before for a, b in zip(traj.steps, traj.steps[1:]))
    return linked and count_goals(traj.steps[-1].state_after) == 0


def proposable(tactic: str) -> bool:
    """Whether a scripted completion of this text is this one tactic and survives the policy's hygiene."""
    return completion_tactics(tactic) == (tactic.strip(),) and bool(Hygiene().apply([Candidate((tactic,), 0.0, 1)]))


def selected(traj: Trajectory) -> bool:
    """Whether the linear proof exists, never returns to a state, and has only proposable tactics."""
    path = linear_steps(traj.steps)
    return path is not None and len({b for b, _, _ in path}) == len(path) and all(proposable(t) for _, t, _ in path)


def load(shared, rel: str) -> tuple[list[Trajectory], list[Trajectory]]:
    """All trajectories of a shared-data file or folder, and the selected ones."""
    trajs = list(iter_trajectories(shared / rel))
    return trajs, [t for t in trajs if selected(t)]


def distractor_pool(trajs: list[Trajectory]) -> list[str]:
    """Every distinct proposable tactic recorded anywhere in `trajs`, sorted."""
    return sorted({s.tactic.strip() for t in trajs for s in t.steps if proposable(s.tactic)})


def recorded_policy(traj: Trajectory, pool: list[str], seed: int) -> ScriptedPolicy:
    """Each recorded state → its recorded tactic at a random rank among distractors not recorded for this theorem."""
    rng = random.Random(seed)
    own = {s.tactic.strip() for s in traj.steps}
    others = [t for t in pool if t not in own]
    table = {}
    for before, tactic, _ in linear_steps(traj.steps):
        options = rng.sample(others, DISTRACTORS)
        options.insert(rng.randrange(DISTRACTORS + 1), tactic)
        table[before] = options
    return ScriptedPolicy(table)


def boundary_states(traj: Trajectory) -> set[str]:
    """The open states after recorded steps that change the goal count (where goal-aware rollouts fire)."""
    return {a for b, _, a in linear_steps(traj.steps)
            if is_cut(CutRule.CHANGE, count_goals(b), count_goals(a)) and count_goals(a) > 0}


@dataclass
class Recording:
    """A rollout wrapper that notes every `fires` question and every state a rollout ran from."""
    inner: object
    asked: list[tuple[str, str, bool]] = field(default_factory=list)
    fired: list[str] = field(default_factory=list)

    def fires(self, before, after) -> bool:
        ans = self.inner.fires(before, after)
        self.asked.append((before.pp, after.pp, ans))
        return ans

    def run(self, srch, node):
        self.fired.append(node.pp)
        return self.inner.run(srch, node)


def recheck(traj: Trajectory, tactics: list[str]) -> bool:
    """Whether `tactics` prove the theorem in a fresh replay environment."""
    with ReplayEnv.from_trajectory(traj) as (env, init):
        return run_tactics(env, init, tactics).finished


def search_one(traj: Trajectory, pool: list[str], seed: int, roll=None):
    """Run a search on a fresh replay environment of `traj`; return the search and its result."""
    env = ReplayEnv.from_trajectory(traj)
    with env as (e, init):
        s = search.Search(e, init, env.theorem, recorded_policy(traj, pool, seed), CFG, roll)
        return s, s.run()


def check_recovered(traj: Trajectory, pool: list[str], seed: int) -> str | None:
    """Why a search did not recover the recorded proof, or None when it did."""
    s, res = search_one(traj, pool, seed)
    want = [t for _, t, _ in linear_steps(traj.steps)]
    if res.status != Verdict.PROVED: return f"{res.status}: {res.reason}"
    s.tree.check_invariants()
    got = list(s.tree.proof())
    if got != want: return f"proof {got} is not the recorded {want}"
    if not recheck(traj, got): return "the proof does not re-check in a fresh replay environment"
    if res.expansions != len(want): return f"{res.expansions} expansions for a {len(want)}-step chain"
    return None


def check_rollouts(traj: Trajectory, pool: list[str], seed: int) -> str | None:
    """Why rollouts did not fire exactly at the recorded goal-count changes, or None."""
    rollout = pytest.importorskip("segatp.rollout", reason="segatp.rollout (issue 12) is not exported yet")
    miss = ScriptedPolicy(default=tuple(random.Random(seed).sample(pool, DISTRACTORS)))  # rollouts stop at once
    rec = Recording(rollout.GoalAwareRollout(rollout.RolloutConfig(), policy=miss))
    s, res = search_one(traj, pool, seed, rec)
    if res.status != Verdict.PROVED: return f"{res.status} with rollouts: {res.reason}"
    wrong = [(b, a) for b, a, ans in rec.asked if ans != is_cut(CutRule.CHANGE, count_goals(b), count_goals(a))]
    if wrong: return f"fires() disagrees with the change rule on {wrong[:1]}"
    want = boundary_states(traj)
    if set(rec.fired) != want or len(rec.fired) != len(want):
        return f"rollouts fired at {len(rec.fired)} states, {len(set(rec.fired) ^ want)} differ from the {len(want)} recorded changes"
    if res.rollouts != len(want): return f"result counts {res.rollouts} rollouts, {len(want)} fired"
    return None


def rollout_plan(traj: Trajectory, depth: int) -> tuple[list[str], int]:
    """Where rollouts that follow the recorded proof fire, and their steps: each fires at a goal-count change the
    search itself reached and runs the next steps up to the next change, the proof or `depth` steps; the states it
    creates are the rollout's, so a change among them fires nothing."""
    path, fired, steps, covered = linear_steps(traj.steps), [], 0, 0
    for p, (b, _, a) in enumerate(path, 1):
        if p <= covered or count_goals(a) == 0 or not is_cut(CutRule.CHANGE, count_goals(b), count_goals(a)): continue
        fired.append(a)
        covered = p
        for b2, _, a2 in path[p:p + depth]:
            covered += 1
            if count_goals(a2) == 0 or is_cut(CutRule.CHANGE, count_goals(b2), count_goals(a2)): break
        steps += covered - p
    return fired, steps


def check_rollouts_follow(traj: Trajectory, pool: list[str], seed: int) -> str | None:
    """Why rollouts with the recorded tactic first did not fire and run as planned, or None."""
    rollout = pytest.importorskip("segatp.rollout", reason="segatp.rollout (issue 12) is not exported yet")
    cfg = rollout.RolloutConfig()
    follow = ScriptedPolicy({b: [t] for b, t, _ in linear_steps(traj.steps)})
    rec = Recording(rollout.GoalAwareRollout(cfg, policy=follow))
    s, res = search_one(traj, pool, seed, rec)
    if res.status != Verdict.PROVED: return f"{res.status} with rollouts: {res.reason}"
    fired, steps = rollout_plan(traj, cfg.depth)
    got = (rec.fired, res.rollouts, res.rollout_steps, res.rollout_nodes, res.proof_used_rollout)
    want = (fired, len(fired), steps, steps, bool(fired))
    if got != want: return f"rollouts (fired, count, steps, nodes, used) {got[1:]} are not the planned {want[1:]}"
    s.tree.check_invariants()
    if list(s.tree.proof()) != [t for _, t, _ in linear_steps(traj.steps)]: return "not the recorded proof"
    return None


def segments(traj: Trajectory) -> list[list[tuple[str, str, str]]]:
    """The linear proof cut where the goal count changes (the training segments' default rule)."""
    out, cur = [], []
    for b, t, a in linear_steps(traj.steps):
        cur.append((b, t, a))
        if is_cut(CutRule.CHANGE, count_goals(b), count_goals(a)):
            out.append(cur)
            cur = []
    return out + [cur] if cur else out


def check_segments(traj: Trajectory, pool: list[str], seed: int) -> str | None:
    """Why a search with whole recorded segments as candidates did not recover the proof, or None."""
    rng, segs = random.Random(seed), segments(traj)
    others = [t for t in pool if t not in {s.tactic.strip() for s in traj.steps}]
    table = {}
    for seg in segs:
        text = "\n".join(t for _, t, _ in seg)
        if completion_tactics(text) != tuple(t for _, t, _ in seg): return f"segment text {text[:60]!r} splits otherwise"
        options = rng.sample(others, DISTRACTORS)
        options.insert(rng.randrange(DISTRACTORS + 1), text)
        table[seg[0][0]] = options
    env = ReplayEnv.from_trajectory(traj)
    with env as (e, init):
        s = search.Search(e, init, env.theorem, ScriptedPolicy(table), CFG)
        res = s.run()
    want = [t for _, t, _ in linear_steps(traj.steps)]
    if res.status != Verdict.PROVED: return f"{res.status}: {res.reason}"
    s.tree.check_invariants()
    if list(s.tree.proof()) != want or not recheck(traj, want): return f"proof {s.tree.proof()} is not the recorded one"
    if not all(b in s.tree.nodes for b, _, _ in linear_steps(traj.steps)): return "an intermediate state is not a node"
    if res.model_calls != res.expansions or res.expansions < len(segs): return f"{res.expansions} expansions"
    return None


def run_all(check, chosen: list[Trajectory], pool: list[str]) -> dict[str, str]:
    """The failures of `check` on every selected trajectory (seeded by its index), by theorem and record."""
    bad = {}
    for i, t in enumerate(chosen):
        why = check(t, pool, i)
        if why: bad[f"{t.theorem} {t.source}:{t.record}"] = why
    return bad


def test_real_trajectories_selected(shared):
    """Benchmark: 76 of the 122 theorems with traced tactics chain step to step; 112 have a linear proof (the bullets'
    tactics are traced on the focused goal), all with proposable tactics (`cases … with | inl …` included); 20 of them
    change the goal count on the way (at 56 states), 56 have a segment of several tactics. InternLM: all 354 attempts
    chain; 19 change the count, 109 have a segment of several tactics."""
    trajs, chosen = load(shared, BENCHMARK)
    linear = [t for t in trajs if linear_steps(t.steps)]
    assert (len(trajs), sum(map(chains, trajs)), len(linear), len(chosen)) == (122, 76, 112, 112)
    assert all(linear_steps(t.steps) == [(s.state_before, s.tactic.strip(), s.state_after) for s in t.steps]
               for t in trajs if chains(t))
    assert (sum(bool(boundary_states(t)) for t in chosen), sum(map(len, map(boundary_states, chosen)))) == (20, 56)
    assert any("\n| inl" in t for c in chosen for _, t, _ in linear_steps(c.steps))
    assert sum(any(len(seg) > 1 for seg in segments(t)) for t in chosen) == 56  # a segment of several tactics
    trajs, chosen = load(shared, INTERNLM)
    assert (len(trajs), sum(map(chains, trajs)), len(chosen), sum(bool(boundary_states(t)) for t in chosen)) == \
        (354, 354, 354, 19)
    assert sum(any(len(seg) > 1 for seg in segments(t)) for t in chosen) == 109


SOURCES = [pytest.param(BENCHMARK, id="leandojo-benchmark"), pytest.param(INTERNLM, id="internlm-minif2f")]


@pytest.mark.parametrize("rel", SOURCES)
def test_search_recovers_recorded_proofs(shared, rel):
    """Every selected proof is found among distractors, re-checks, and costs one expansion per step."""
    trajs, chosen = load(shared, rel)
    bad = run_all(check_recovered, chosen, distractor_pool(trajs))
    assert not bad, f"{len(bad)} of {len(chosen)}: {list(bad.items())[:3]}"


@pytest.mark.parametrize("rel", SOURCES)
def test_segment_candidates_recover_recorded_proofs(shared, rel):
    """Each recorded segment (up to a goal-count change) proposed as one multi-tactic candidate: every state inside
    it enters the tree, and the search recovers the proof."""
    trajs, chosen = load(shared, rel)
    bad = run_all(check_segments, chosen, distractor_pool(trajs))
    assert not bad, f"{len(bad)} of {len(chosen)}: {list(bad.items())[:3]}"


@pytest.mark.parametrize("rel", SOURCES)
def test_rollouts_fire_at_recorded_goal_changes(shared, rel):
    """Goal-aware rollouts fire at exactly the states after the recorded steps that change the goal count."""
    trajs, chosen = load(shared, rel)
    bad = run_all(check_rollouts, chosen, distractor_pool(trajs))
    assert not bad, f"{len(bad)} of {len(chosen)}: {list(bad.items())[:3]}"


@pytest.mark.parametrize("rel", SOURCES)
def test_rollouts_follow_recorded_proofs(shared, rel):
    """Rollouts whose policy proposes the recorded tactic fire at the goal changes the search reaches, run to the
    next change, and their states carry the proof."""
    trajs, chosen = load(shared, rel)
    bad = run_all(check_rollouts_follow, chosen, distractor_pool(trajs))
    assert not bad, f"{len(bad)} of {len(chosen)}: {list(bad.items())[:3]}"


def test_prove_theorem_rechecks_on_replay(shared):
    """`prove_theorem` proves a multi-goal benchmark theorem through a fresh replay env and reports its costs."""
    trajs, chosen = load(shared, BENCHMARK)
    traj = max(chosen, key=lambda t: (len(boundary_states(t)), len(t.steps), t.theorem))
    env = ReplayEnv.from_trajectory(traj)
    res = search.prove_theorem(env.theorem, lambda thm: ReplayEnv.from_trajectory(traj, thm),
                               recorded_policy(traj, distractor_pool(trajs), 0), CFG)
    assert res.status == Verdict.PROVED and res.key == env.theorem.key, res.reason
    tactics = [t for _, t, _ in linear_steps(traj.steps)]
    assert res.proof == "\n".join(tactics) and res.rollouts == 0
    assert res.env_calls >= len(tactics) * (DISTRACTORS + 1) and res.model_calls == len(tactics)
