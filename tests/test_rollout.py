"""Goal-aware rollouts: the firing rule, where probes stop, probes, the ledger, no recursion, released provers' prompt
formats (fake backend and loopback OpenAI server), greedy policies, random replay graphs, and the tree drawing."""
import random
import re

import pytest

from segatp.core import ProofFinished, ReplayEnv, TacticState, Theorem, Verdict, run_tactics
from segatp.minilean.env import MiniLeanEnv
from segatp.policy import Candidate, Completion, GenConfig, Hygiene, LMPolicy, Query, ScriptedPolicy
from segatp.rollout import (ROLLOUT_RULES, GoalAwareRollout, RolloutConfig, RolloutStats, at_boundary, ends_rollout,
                            fired_nodes, greedy, plot_search_tree, tree_layout)
from segatp.search import Priority, Search, SearchConfig, prove_theorem, recheck_proof, replay_reaches_proof

T = Theorem("t", "theorem t (x y : ℝ) (h₀ : x + y = 3) (h₁ : x - y = 1) : x = 2 ∧ y = 1")
V = Theorem("v", "theorem v (x y : ℝ) (h₀ : x = 2) : x = 2 ∧ y = 1")  # false: nothing constrains y
FLAT = ["have h : x = 2 := by linarith", "have h' : y = 1 := by linarith", "have h'' : x + y = 3 := by linarith"]

with MiniLeanEnv(T) as (_env, _init):
    R, C, CR = (s.pp for s in run_tactics(_env, _init, ["constructor", "linarith"]).states)
    _, H, H2, H3 = (s.pp for s in run_tactics(_env, _init, FLAT).states)


def roll(table, first="constructor", cfg=RolloutConfig(), scfg=SearchConfig()):
    """The root of T expanded with `first` only, then a rollout (scripted by `table`) from that child."""
    with MiniLeanEnv(T) as (env, init):
        s = Search(env, init, T, ScriptedPolicy(), scfg)
        [child] = s.apply(s.tree.root, Candidate((first,), -1.0, 1))
        stats = GoalAwareRollout(cfg, ScriptedPolicy(table)).run(s, child)
    s.tree.check_invariants()
    return stats, s


class Recording(GoalAwareRollout):
    """Records the nodes it ran from and the stats it returned."""

    def __init__(self, *args, **kw):
        super().__init__(*args, **kw)
        self.fired, self.stats = [], []

    def run(self, search, node):
        self.fired.append(node)
        self.stats.append(super().run(search, node))
        return self.stats[-1]


def boundary_nodes(tree, rule, source):
    return [n.index for n in tree.nodes.values() if n.source == source and not n.is_leaf and n.parents
            and at_boundary(rule, n.parents[0].src.state, n.state)]


# --- the rule ---------------------------------------------------------------------------------------------------

ONE, ONE_B = TacticState("x : ℝ\n⊢ x = 2"), TacticState("x : ℝ\nh : x = 2\n⊢ x = 2")
TWO = TacticState("case left\nx : ℝ\n⊢ x = 2\n\ncase right\nx : ℝ\n⊢ x = 3")
TWO_B = TacticState("case left\nx : ℝ\n⊢ x = 2\n\ncase right\nx : ℝ\n⊢ x = 4")
STEPS = {"split": (ONE, TWO), "close": (TWO, ONE), "flat": (ONE, ONE_B), "refocus": (TWO, TWO_B), "finish": (ONE, ProofFinished())}
FIRES = {"change": {"split", "close"}, "increase": {"split"}, "decrease": {"close"},
         "focus": {"split", "close", "refocus"}, "unchanged": {"flat", "refocus"}}
ENDS = {"change": {"split", "close", "finish"}, "increase": {"split", "finish"}, "decrease": {"close", "finish"},
        "focus": {"split", "close", "refocus", "finish"}, "unchanged": {"split", "close", "finish"}}


@pytest.mark.parametrize("rule", ROLLOUT_RULES)
def test_fires_and_ends_by_rule(rule):
    """`fires` is the segment cut rule (never on a finished proof); a rollout ends at the next boundary or a proof."""
    ro = GoalAwareRollout(RolloutConfig(rule=rule))
    assert {k for k, (b, a) in STEPS.items() if ro.fires(b, a)} == FIRES[rule]
    assert {k for k, (b, a) in STEPS.items() if ends_rollout(rule, b, a)} == ENDS[rule]


def test_config_errors():
    for bad in [dict(rule="sideways"), dict(probes=0), dict(depth=0), dict(temperature=-1.0)]:
        with pytest.raises(ValueError): RolloutConfig(**bad)


@pytest.mark.parametrize("rule", ROLLOUT_RULES)
def test_fires_exactly_where_the_rule_says_in_search(rule):
    """On a false statement: rollouts ran from exactly the search's boundary nodes, never from a rollout's; the
    ledger holds every model call and tactic; rollout_nodes counts the rollout-made nodes."""
    search_pol, roll_pol = ScriptedPolicy(default=["constructor", "have h : x + y = 2 + y := by linarith",
                                                   "by_cases hx : y = 1", "linarith"]), \
        ScriptedPolicy(default=["linarith", "by_cases hy : y = 1", "have h2 : y + x = 3 := by linarith"])
    ro = Recording(RolloutConfig(rule=rule, depth=2), roll_pol)
    with MiniLeanEnv(V) as (env, init):
        s = Search(env, init, V, search_pol, SearchConfig(expansions=6), ro)
        r = s.run()
    s.tree.check_invariants()
    assert r.status is Verdict.FAILED and ro.fired
    assert [n.index for n in ro.fired] == boundary_nodes(s.tree, rule, "search")
    assert all(n.source == "search" for n in ro.fired)
    assert (r.rollouts, r.rollout_steps, r.rollout_nodes) == (len(ro.stats), sum(x.steps for x in ro.stats),
                                                              sum(x.nodes for x in ro.stats))
    assert r.rollout_nodes == sum(n.source == "rollout" for n in s.tree.nodes.values())
    assert r.model_calls == search_pol.calls + roll_pol.calls
    assert r.env_calls == sum(len(n.out) for n in s.tree.nodes.values())
    if rule in ("change", "focus"): assert boundary_nodes(s.tree, rule, "rollout")  # they exist, and did not fire


# --- where a probe stops ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("table, first, cfg, expect", [
    ({C: ["linarith"]}, "constructor", RolloutConfig(), RolloutStats(1, 1, False, "boundary")),
    ({C: ["linarith"], CR: ["linarith"]}, "constructor", RolloutConfig(rule="increase"), RolloutStats(2, 2, True, "proved")),
    ({C: ["norm_num"]}, "constructor", RolloutConfig(), RolloutStats(1, 0, False, "error")),
    ({C: ["linarith"], CR: ["have h : y = 1 := by linarith"]}, "constructor", RolloutConfig(rule="increase", depth=2),
     RolloutStats(2, 2, False, "depth")),
    ({C: ["linarith", "nlinarith"], CR: ["norm_num"]}, "constructor", RolloutConfig(rule="increase", probes=2),
     RolloutStats(3, 1, False, "error,merged")),
    ({C: ["have h₂ : x = 2 := by linarith\nlinarith"]}, "constructor", RolloutConfig(), RolloutStats(1, 2, False, "boundary")),
    ({C: ["linarith\nnorm_num"]}, "constructor", RolloutConfig(rule="increase"), RolloutStats(1, 1, False, "error")),
    ({C: ["linarith\nnorm_num"]}, "constructor", RolloutConfig(), RolloutStats(1, 1, False, "boundary")),
    ({}, "constructor", RolloutConfig(), RolloutStats(0, 0, False, "no candidates")),
    ({C: ["admit"]}, "constructor", RolloutConfig(), RolloutStats(0, 0, False, "no candidates")),
    ({C: ["linarith"]}, "constructor", RolloutConfig(rule="increase"), RolloutStats(1, 1, False, "no candidates")),
    ({H: [FLAT[1]], H2: ["exact ⟨h, h'⟩"]}, FLAT[0], RolloutConfig(rule="unchanged"), RolloutStats(2, 2, True, "proved")),
    ({H: [FLAT[1]], H2: ["constructor"]}, FLAT[0], RolloutConfig(rule="unchanged"), RolloutStats(2, 2, False, "boundary")),
    ({H: [FLAT[1]], H2: [FLAT[2]], H3: ["constructor"]}, FLAT[0], RolloutConfig(rule="unchanged", depth=2),
     RolloutStats(2, 2, False, "depth")),
])
def test_probe_stops(table, first, cfg, expect):
    stats, s = roll(table, first, cfg)
    assert stats == expect
    assert s.proved == expect.proved
    made = [n for n in s.tree.nodes.values() if n.source == "rollout"]
    assert len(made) == expect.nodes and all(n.parents[0].source == "rollout" for n in made)


def test_budget_stops_the_rollout():
    """The search's token budget counts the rollout's tokens; a spent budget stops it before or after a step."""
    stats, s = roll({C: ["linarith"], CR: ["linarith"]}, cfg=RolloutConfig(rule="increase"), scfg=SearchConfig(max_tokens=1))
    assert stats == RolloutStats(1, 1, False, "budget") and s.over_budget() == "budget: tokens"
    with MiniLeanEnv(T) as (env, init):
        s = Search(env, init, T, ScriptedPolicy(), SearchConfig(wall_seconds=1e-9))
        [child] = s.apply(s.tree.root, Candidate(("constructor",), -1.0, 1))
        assert GoalAwareRollout(policy=ScriptedPolicy({C: ["linarith"]})).run(s, child) == RolloutStats(0, 0, False, "budget")
        assert s.model_calls == 0


def test_probes_differ_and_share_one_first_call():
    """Probe i starts with the i-th best distinct candidate of one model call, then continues greedily."""
    stats, s = roll({C: ["linarith", "constructor", "linarith"]}, cfg=RolloutConfig(probes=3))
    assert stats == RolloutStats(2, 1, False, "boundary,error") and s.model_calls == 1
    assert [(e.tactic, e.source) for e in s.tree.nodes[C].out] == [("linarith", "rollout"), ("constructor", "rollout")]
    stats, s = roll({C: ["linarith", "nlinarith"], CR: ["linarith"]}, cfg=RolloutConfig(rule="increase", probes=2))
    assert stats == RolloutStats(2, 2, True, "proved") and s.model_calls == 2  # the proof ends it: no second probe


class SameBackend:
    """A deterministic model: the same completion `n` times (what temperature 0 gives on vLLM)."""

    def complete(self, prompts, n, gen, stop=()):
        return [[Completion("linarith", -0.1, 2)] * n for _ in prompts]


def test_probes_of_a_greedy_lm_collapse_to_one():
    """At temperature 0 an LM's `probes` answers coincide; the hygiene merges them, so one probe runs (documented)."""
    with MiniLeanEnv(T) as (env, init):
        s = Search(env, init, T, LMPolicy(SameBackend(), "bfs-prover", GenConfig(temperature=1.0)), SearchConfig())
        [child] = s.apply(s.tree.root, Candidate(("constructor",), -1.0, 1))
        assert GoalAwareRollout(RolloutConfig(probes=3)).run(s, child) == RolloutStats(1, 1, False, "boundary")
    s.tree.check_invariants()


# --- in prove_theorem -------------------------------------------------------------------------------------------

def _pol():
    return ScriptedPolicy(default=["linarith", "constructor"])


def test_theorem_solved_only_thanks_to_a_rollout():
    alone = prove_theorem(T, MiniLeanEnv, _pol(), SearchConfig(expansions=1))
    assert (alone.status, alone.reason, alone.rollouts, alone.proof_used_rollout) == (Verdict.FAILED, "budget: expansions", 0, False)
    cfg = SearchConfig(expansions=1)
    r = prove_theorem(T, MiniLeanEnv, _pol(), cfg, GoalAwareRollout(RolloutConfig(rule="increase")))
    assert (r.status, r.proof, r.proof_used_rollout) == (Verdict.PROVED, "constructor\nlinarith\nlinarith", True)
    assert (r.expansions, r.rollouts, r.rollout_steps, r.rollout_nodes, r.model_calls) == (1, 1, 2, 2, 3)
    assert r.generated_tokens == alone.generated_tokens + 2 and r.env_calls > alone.env_calls
    assert recheck_proof(T, MiniLeanEnv, r.proof) == ("", 3)
    # the same search with the default rule stops the rollout at the first closed goal
    d = prove_theorem(T, MiniLeanEnv, _pol(), cfg, GoalAwareRollout())
    assert (d.status, d.rollouts, d.rollout_steps, d.rollout_nodes) == (Verdict.FAILED, 1, 1, 1)


def test_mean_depth_priority_with_rollouts():
    r = prove_theorem(T, MiniLeanEnv, _pol(), SearchConfig(expansions=3, priority=Priority.MEAN_DEPTH),
                      GoalAwareRollout(RolloutConfig(probes=2)))
    assert r.status is Verdict.PROVED and r.rollouts >= 1


def _random_graph(seed: int):
    """A replay graph whose states have 1-3 goals, scripted completions per state (segments and junk included)."""
    rng = random.Random(seed)
    goals = lambda i, k: "\n\n".join(f"case g{j}\n⊢ s{i} = {j}" for j in range(k))
    names = [goals(i, rng.randint(1, 3)) for i in range(rng.randint(2, 7))] + ["no goals"]
    trans = {(s, t): rng.choice(names if rng.random() < 0.25 else names[:-1])
             for s in names[:-1] for t in rng.sample("abcde", rng.randint(0, 3))}
    table = {s: [t for (s2, t) in trans if s2 == s] + ["junk"] for s in names[:-1]}
    for ts in table.values():
        if len(ts) > 2 and rng.random() < 0.5: ts.insert(0, "\n".join(ts[:2]))
        rng.shuffle(ts)
    return Theorem(f"g{seed}", f"theorem g{seed} : True"), names[0], trans, table


@pytest.mark.parametrize("rule", ROLLOUT_RULES)
def test_random_replay_graphs(rule):
    """Random graphs with varying goal counts: invariants hold, rollouts fire only from the search's boundary nodes
    (all of them when no proof ended the search), proofs re-check, and rollouts never cost completeness."""
    for seed in range(40):
        th, init_pp, trans, table = _random_graph(seed)
        make = lambda t: ReplayEnv(t, init_pp, trans)
        ro = Recording(RolloutConfig(rule=rule, probes=1 + seed % 3, depth=1 + seed % 4))
        with make(th) as (env, init):
            s = Search(env, init, th, ScriptedPolicy(table), SearchConfig(expansions=60, candidates=8), ro)
            r = s.run()
        s.tree.check_invariants()
        fired, expect = [n.index for n in ro.fired], boundary_nodes(s.tree, rule, "search")
        assert set(fired) <= set(expect) and (r.status is Verdict.PROVED or fired == expect), seed
        assert r.rollout_nodes == sum(n.source == "rollout" for n in s.tree.nodes.values()), seed
        assert (r.status is Verdict.PROVED) == replay_reaches_proof(init_pp, trans), seed
        if r.status is Verdict.PROVED:
            proof = s.tree.proof()
            assert recheck_proof(th, make, "\n".join(proof)) == ("", len(proof)), seed
            assert r.proof_used_rollout == any(e.source == "rollout" for e in s.tree.proof_path())


# --- released provers' prompt formats ---------------------------------------------------------------------------

PROMPT_RE = {
    "bfs-prover": re.compile(r"(?P<state>.*):::", re.S),
    "internlm-stepprover": re.compile(r"<\|im_start\|>user\n---\nNAME: (?P<name>.*)\n\n---\nPROOF_BEFORE: (?P<before>.*)\n\n"
                                      r"---\nSTATE_BEFORE: (?P<state>.*)\n\n---\nTACTIC: <\|im_end\|>\n<\|im_start\|>assistant\n", re.S),
    "reprover": re.compile(r"\[GOAL\]\n(?P<state>.*)\n\[PROOFSTEP\]\n", re.S)}
TAIL = {"bfs-prover": "", "internlm-stepprover": "<|im_end|>\n<|im_start|>user", "reprover": "\n[GOAL]\nx : ℝ"}
TABLE = {R: ["linarith", "constructor"], C: ["linarith"], CR: ["linarith"]}


class ProverBackend:
    """A fake released step prover: parses each prompt in its format (or fails), answers from a table of states."""

    def __init__(self, fmt):
        self.fmt, self.seen = fmt, []

    def complete(self, prompts, n, gen, stop=()):
        out = []
        for p in prompts:
            m = PROMPT_RE[self.fmt].fullmatch(p)
            assert m, f"not a {self.fmt} prompt: {p!r}"
            self.seen.append((m.groupdict(), n, gen.temperature, gen.beam))
            out.append([Completion(t + TAIL[self.fmt], -0.5 - i, 4) for i, t in enumerate(TABLE.get(m["state"], [])[:n])])
        return out


def _check_prover_run(r, backend, beam):
    """Proved through the rollout; the search asked with its settings, the rollout greedily, all in the format."""
    assert (r.status, r.proof, r.proof_used_rollout, r.rollout_steps) == (Verdict.PROVED, "constructor\nlinarith\nlinarith", True, 2)
    assert [(g["state"], n, temp, b) for g, n, temp, b in backend.seen] == [
        (R, 4, 1.0, beam), (C, 1, 0.0, False), (CR, 1, 0.0, False)]
    if backend.fmt == "internlm-stepprover":
        assert [(g["name"], g["before"]) for g, *_ in backend.seen] == [("t", ""), ("t", "constructor"), ("t", "constructor\nlinarith")]


@pytest.mark.parametrize("fmt", list(PROMPT_RE))
def test_released_prover_formats_fake_backend(fmt):
    """A beam-search step prover in its own format; the rollout asks it greedily, in the same format."""
    backend = ProverBackend(fmt)
    policy = LMPolicy(backend, fmt, GenConfig(temperature=1.0, beam=True))
    r = prove_theorem(T, MiniLeanEnv, policy, SearchConfig(expansions=1), GoalAwareRollout(RolloutConfig(rule="increase")))
    _check_prover_run(r, backend, True)


@pytest.mark.parametrize("fmt", list(PROMPT_RE))
def test_released_prover_formats_openai_loopback(fmt):
    """The same prover behind the loopback OpenAI-compatible server, reached with the `openai` backend."""
    pytest.importorskip("torch", reason="segatp.lm (the loopback server) imports torch")
    from segatp.lm import CompletionServer, OpenAIBackend
    backend = ProverBackend(fmt)
    with CompletionServer(backend) as server:
        policy = LMPolicy(OpenAIBackend(server.url, server.model), fmt, GenConfig(temperature=1.0))
        r = prove_theorem(T, MiniLeanEnv, policy, SearchConfig(expansions=1), GoalAwareRollout(RolloutConfig(rule="increase")))
    _check_prover_run(r, backend, False)


# --- greedy policies --------------------------------------------------------------------------------------------

def test_greedy_copies_lm_policies_only():
    lm = LMPolicy(ProverBackend("bfs-prover"), "reprover", GenConfig(temperature=0.8, beam=True, seed=5, max_new_tokens=9),
                  Hygiene(banned=("sorry",)))
    g = greedy(lm)
    assert g is not lm and g.backend is lm.backend and g.fmt.name == "reprover" and g.hygiene == lm.hygiene
    assert (g.gen.temperature, g.gen.beam, g.gen.seed, g.gen.max_new_tokens) == (0.0, False, 5, 9)
    assert greedy(lm, 0.2).gen.temperature == 0.2 and lm.gen.temperature == 0.8
    with pytest.raises(ValueError): greedy(lm, -0.1)
    scripted = ScriptedPolicy(default=["linarith"])
    assert greedy(scripted) is scripted


def test_greedy_hf_backend_decodes_deterministically(tmp_path):
    """Temperature 0 on the `hf` backend is greedy decoding: one completion, the same every time."""
    pytest.importorskip("torch", reason="the hf backend needs torch")
    from segatp.lm import HFBackend, TinyLlama, make_tiny_model
    spec = TinyLlama(vocab_size=300, hidden_size=64, layers=1, heads=1, intermediate_size=96, max_len=128)
    folder = make_tiny_model([f"{R}:::constructor", f"{C}:::linarith"] * 10, tmp_path / "m", spec)
    policy = greedy(LMPolicy(HFBackend(folder, device="cpu"), "bfs-prover", GenConfig(max_new_tokens=6, temperature=1.0)))
    raw = [policy.backend.complete(policy.prompts([Query(R)]), 3, policy.gen) for _ in range(2)]
    assert raw[0] == raw[1] and len(raw[0][0]) == 1 and raw[0][0][0].num_tokens >= 1


# --- drawing ----------------------------------------------------------------------------------------------------

def test_tree_layout_and_plot(tmp_path):
    with MiniLeanEnv(T) as (env, init):
        s = Search(env, init, T, _pol(), SearchConfig(expansions=1), GoalAwareRollout(RolloutConfig(rule="increase")))
        s.run()
    tree = s.tree
    pos = tree_layout(tree)
    assert len(pos) == len(tree.nodes) + sum(e.dst is None for e in tree.edges)
    assert all(pos[n][1] == -n.depth for n in tree.nodes.values())
    assert len({p for p in pos.values()}) == len(pos)  # no two things drawn at one place
    assert [n.pp for n in fired_nodes(tree)] == [C]
    fig = plot_search_tree(tree, tmp_path / "fig" / "tree.png", title="t")
    assert (tmp_path / "fig" / "tree.png").read_bytes()[:4] == b"\x89PNG"
    import matplotlib.pyplot as plt
    plt.close(fig)


def test_plot_merges_and_cycles(tmp_path):
    """A replay tree with merged duplicates and cycle edges draws (the dotted edges), every node placed once."""
    import matplotlib.pyplot as plt
    for seed in range(40):
        th, init_pp, trans, table = _random_graph(seed)
        with ReplayEnv(th, init_pp, trans) as (env, init):
            s = Search(env, init, th, ScriptedPolicy(table), SearchConfig(expansions=60, candidates=8),
                       GoalAwareRollout(RolloutConfig(rule="unchanged")))
            s.run()
        edges = s.tree.edges
        if any(e.cycle for e in edges) and any(e.followed and e.dst.parents[0] is not e for e in edges): break
    else: pytest.fail("no random tree with both a cycle and a merge")
    pos = tree_layout(s.tree)
    assert len(pos) == len(s.tree.nodes) + sum(e.dst is None for e in edges)
    plt.close(plot_search_tree(s.tree, tmp_path / "merge.png"))
    assert (tmp_path / "merge.png").stat().st_size > 1000
