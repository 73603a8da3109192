"""Best-first search: tree invariants and re-checked proofs on random replay graphs and random minilean policies,
segment score attribution, rollout firing, and errors that are results rather than exceptions."""
from __future__ import annotations

import random
from types import SimpleNamespace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from segatp.core import LeanError, ReplayEnv, TacticState, Theorem, Verdict
from segatp.minilean.env import MiniLeanEnv, trace_proof
from segatp.policy import Candidate, ScriptedPolicy
from segatp.search import (NodeStatus, Priority, Search, SearchConfig, SearchTree, prove_theorem, random_replay,
                           recheck_proof, replay_reaches_proof)

TWO = Theorem("two", "theorem two (x y : ℝ) (h₀ : x + y = 3) (h₁ : x - y = 1) : x = 2 ∧ y = 1")
IMP = Theorem("imp", "theorem imp (p q : Prop) (hp : p) (hq : q) : p ∧ q ∧ p")
POOL = ["constructor", "linarith", "nlinarith", "skip", "norm_num", "exact hp", "exact hq", "assumption",
        "constructor\nlinarith", "constructor\nexact hp", "bogus", "linarith\nlinarith", "refine ⟨?_, ?_⟩"]


@st.composite
def replay_graphs(draw):
    """A random replay graph over a few states, with scripted completions per state (segments and junk included)."""
    n = draw(st.integers(1, 7))
    names = [f"⊢ s{i}" for i in range(n)] + ["no goals"]
    trans = {}
    for s in names[:-1]:
        for t in draw(st.lists(st.sampled_from("abcde"), max_size=4, unique=True)):
            trans[(s, t)] = draw(st.sampled_from(names))
    table = {}
    for s in names[:-1]:
        tacs = [t for (a, t) in trans if a == s] + draw(st.lists(st.sampled_from(["junk", "x"]), max_size=2))
        if len(tacs) > 1 and draw(st.booleans()): tacs.insert(draw(st.integers(0, len(tacs))), "\n".join(tacs[:2]))
        table[s] = tacs
    return Theorem("g", "theorem g : True"), names[0], trans, table


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(replay_graphs(), st.sampled_from(list(Priority)), st.floats(0, 2), st.integers(1, 12), st.integers(1, 6))
def test_random_replay_invariants(graph, priority, alpha, expansions, candidates):
    """Any budget and priority: the invariants hold, a proof re-checks, and `failed` with nothing left means no proof
    in the tree; with budget to try everything, a proof is found exactly when one is reachable."""
    th, init_pp, trans, table = graph
    make = lambda t: ReplayEnv(t, init_pp, trans)
    cfg = SearchConfig(expansions=expansions, candidates=candidates, priority=priority, alpha=alpha)
    with make(th) as (env, init):
        s = Search(env, init, th, ScriptedPolicy(table), cfg)
        r = s.run()
    s.tree.check_invariants()
    assert r.nodes == len(s.tree.nodes) and r.expansions <= expansions
    if r.status is Verdict.PROVED:
        assert recheck_proof(th, make, s.tree.proof()) == ("", len(s.tree.proof()))
    else:
        assert r.proof is None and r.reason
    if r.reason.startswith("exhausted"): assert s.tree.root.status is NodeStatus.FAILED
    full = prove_theorem(th, make, ScriptedPolicy(table), SearchConfig(expansions=50, candidates=10))
    assert (full.status is Verdict.PROVED) == replay_reaches_proof(init_pp, trans), full


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from([TWO, IMP]), st.lists(st.sampled_from(POOL), min_size=1, max_size=6, unique=True),
       st.integers(1, 8), st.sampled_from(list(Priority)))
def test_random_minilean_policies(theorem, tactics, expansions, priority):
    """Random scripted policies on minilean: invariants hold and every proof found checks as a whole proof."""
    cfg = SearchConfig(expansions=expansions, candidates=4, priority=priority)
    with MiniLeanEnv(theorem) as (env, init):
        s = Search(env, init, theorem, ScriptedPolicy(default=tactics), cfg)
        r = s.run()
    s.tree.check_invariants()
    if r.status is Verdict.PROVED:
        verdict, _ = trace_proof(theorem, r.proof)
        assert verdict.verdict is Verdict.PROVED, (r.proof, verdict)
        assert prove_theorem(theorem, MiniLeanEnv, ScriptedPolicy(default=tactics), cfg).status is Verdict.PROVED


def test_random_replay_module_graphs():
    """The exported graph generator: 100 seeds, invariants and reachability."""
    for seed in range(100):
        th, init_pp, trans, table = random_replay(seed, states=8)
        r = prove_theorem(th, lambda t: ReplayEnv(t, init_pp, trans), ScriptedPolicy(table),
                          SearchConfig(expansions=100, candidates=10))
        assert (r.status is Verdict.PROVED) == replay_reaches_proof(init_pp, trans), seed


class _Fixed:
    """A policy with one fixed candidate list for every state."""

    def __init__(self, cands): self.cands = cands

    def propose(self, queries, n): return [list(self.cands[:n]) for _ in queries]


def test_segment_attribution():
    """The k-th of m tactics gets parent + logprob·k/m and its share of the tokens; the endpoint gets the whole."""
    cand = Candidate(("constructor", "linarith", "linarith"), -6.0, 10)
    with MiniLeanEnv(TWO) as (env, init):
        s = Search(env, init, TWO, _Fixed([cand]))
        reached = s.apply(s.tree.root, cand)
    assert [(n.depth, n.score, n.tokens) for n in reached] == [(1, -2.0, 3), (2, -4.0, 6), (3, -6.0, 10)]
    assert s.tree.proved and s.tree.proof() == cand.tactics
    s.tree.check_invariants()


class _Recorder:
    """A rollout that records where it fires and takes one greedy step with source="rollout"."""

    def __init__(self): self.fired = []

    def fires(self, before, after): return True

    def run(self, search, node):
        self.fired.append(node)
        n0 = len(search.tree.nodes)
        cands = search.ask(node, 1)
        if cands: search.apply(node, cands[0], source="rollout")
        return SimpleNamespace(steps=1 if cands else 0, nodes=len(search.tree.nodes) - n0, proved=search.proved,
                               stop="")


def test_rollouts_fire_only_at_new_search_nodes():
    """Rollouts fire at nodes search edges created, never at rollout nodes, and are charged to the ledger."""
    th, init_pp, trans, table = random_replay(3, states=8)
    rec = _Recorder()
    with ReplayEnv(th, init_pp, trans) as (env, init):
        s = Search(env, init, th, ScriptedPolicy(table), SearchConfig(expansions=30, candidates=10), rollout=rec)
        r = s.run()
    s.tree.check_invariants()
    assert rec.fired and all(n.source == "search" and n.index > 0 for n in rec.fired)
    assert len({n.index for n in rec.fired}) == len(rec.fired) == r.rollouts
    assert r.rollout_nodes == sum(n.source == "rollout" for n in s.tree.nodes.values())
    assert r.model_calls == r.expansions + len(rec.fired)


def test_errors_are_results():
    """Outside the fragment: an error result. A fresh environment that rejects the proof: an error, not a success."""
    r = prove_theorem(Theorem("i", "theorem i {α : Type} [Fintype α] : True"), MiniLeanEnv, ScriptedPolicy())
    assert r.status is Verdict.ERROR and "outside the minilean fragment" in r.reason
    made = []

    def make(t):
        made.append(t)
        return MiniLeanEnv(t) if len(made) == 1 else MiniLeanEnv(IMP)
    r = prove_theorem(TWO, make, ScriptedPolicy(default=["constructor", "linarith"]))
    assert r.status is Verdict.ERROR and r.reason.startswith("proof did not re-check: "), r.reason


def test_with_goal_aware_rollout():
    """The real rollout (`segatp.rollout`) through the hook: it fires at constructor's 1 → 2 goals and its nodes
    join the tree; the tree stays consistent and the proof re-checks."""
    from segatp.rollout import GoalAwareRollout
    with MiniLeanEnv(TWO) as (env, init):
        s = Search(env, init, TWO, ScriptedPolicy(default=["linarith", "constructor"]), rollout=GoalAwareRollout())
        r = s.run()
    s.tree.check_invariants()
    assert r.status is Verdict.PROVED and r.rollouts >= 1 and r.rollout_nodes >= 1, r
    assert r.rollout_nodes == sum(n.source == "rollout" for n in s.tree.nodes.values())
    assert recheck_proof(TWO, MiniLeanEnv, r.proof)[0] == ""


def _reaches(a, b):
    """Brute force: whether `a` reaches `b` along followed edges."""
    seen, todo = {a.index}, [a]
    while todo:
        n = todo.pop()
        if n is b: return True
        for e in n.out:
            if e.followed and e.dst.index not in seen:
                seen.add(e.dst.index)
                todo.append(e.dst)
    return False


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 100), st.integers(0, 12), st.integers(0, 3)), min_size=1, max_size=60))
def test_cycle_detection_matches_brute_force(ops):
    """Edges added in any order: an edge is marked as closing a cycle exactly when its target already reached its
    source (the maintained topological order agrees with a plain search)."""
    t = SearchTree(TacticState("⊢ s0"))
    for pick, dst, tac in ops:
        nodes = [n for n in t.nodes.values() if not n.is_leaf]
        node = nodes[pick % len(nodes)]
        if f"t{tac}" in node.by_tactic: continue
        target = t.nodes.get(f"⊢ s{dst}")
        cycle = target is not None and _reaches(target, node)
        e = t.add_edge(node, f"t{tac}", LeanError("no") if dst == 12 else TacticState(f"⊢ s{dst}"))
        assert e.cycle == cycle
        for a in t.nodes.values():
            assert all(t.is_ancestor(a, b) == _reaches(a, b) for b in t.nodes.values())
    t.check_invariants()


class _CheckedSearch(Search):
    """A search that checks every pop against a brute-force choice over the open, unexpanded nodes."""

    def _pop(self):
        node = super()._pop()
        frontier = [n for n in self.tree.nodes.values() if not n.expanded and n.status is NodeStatus.OPEN]
        best = max(frontier, key=lambda n: (self.priority(n), -n.index), default=None)
        assert node is best, (node, best)
        return node


@settings(max_examples=100, deadline=None)
@given(replay_graphs(), st.sampled_from(list(Priority)), st.floats(0, 2), st.integers(0, 10**6))
def test_best_first_order(graph, priority, alpha, seed):
    """Each expansion takes the open node of highest priority, ties to the earliest inserted (random scores)."""
    th, init_pp, trans, table = graph
    rng = random.Random(seed)
    scored = {s: [(t, -rng.random() * 3, rng.randint(1, 5)) for t in ts] for s, ts in table.items()}

    class Pol:
        def propose(self, queries, n):
            return [[Candidate(tuple(t.split("\n")), lp, k, t) for t, lp, k in scored[q.state]][:n] for q in queries]
    with ReplayEnv(th, init_pp, trans) as (env, init):
        s = _CheckedSearch(env, init, th, Pol(), SearchConfig(expansions=30, candidates=5, priority=priority,
                                                                alpha=alpha))
        s.run()
    s.tree.check_invariants()
