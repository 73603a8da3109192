"""Benchmark the best-first proof search: its own overhead, expansions per second, tree memory, batched concurrency.

Run: `python bench/search.py [--part scripted,memory,hf] [--model DIR] [--concurrency 8]`. Targets (issue 12):

- scripted: on the minilean corpus test split, scripted policies searched in minilean: each theorem's recorded
  proof, traced in minilean, proposed at a seeded random rank among three automation tactics; and `prove`'s
  model-free automation baseline (`prove.automation_policy`). The search's own time (`SearchResult.search_seconds`: wall minus env and model time) < 5% of wall.
- memory: peak traced memory (tracemalloc) of a 10,000-node tree on a synthetic environment whose states are counters
  (every tactic run leads to a new state, so nothing merges and nothing is proved), grown bushy (random scores) and
  deep (the scripted policy's rank scores make best-first follow its first candidate).
- hf: the tiny trained `hf` policy on the corpus test split, `--concurrency 1` versus K through the batching policy:
  expansions/s (target ≥ 4× from batching), the mean policy batch size, and the shares of wall time spent waiting
  on the policy and on the environment.
- ray: the same tiny policy through `segatp prove` (`prove_command`): one process, local concurrency K, and a local
  Ray cluster of 2 CPUs with 2 worker actors (K/2 searches each, each actor loading the model: no GPU, so no policy
  server); expansions/s of each and whether the Ray results equal the local ones. The Ray overhead per theorem: the
  automation baseline on the same theorems in one Ray actor against one local process (wall difference over
  theorems); the cluster's start time apart.
"""
import argparse
import random
import time
import tracemalloc
from collections import Counter

from segatp.core import PACKAGE_ROOT, TacticState, Theorem
from segatp.corpus import load_corpus_theorems
from segatp.policy import AUTOMATION, Candidate, ScriptedPolicy
from segatp.search import Search, SearchConfig, prove_theorem

TEST_SPLIT = PACKAGE_ROOT.parent / "data" / "corpus" / "theorems_test.jsonl"


def corpus_theorems(limit: int) -> list:
    """Test-split theorems with their recorded proofs (first `limit`, 0 = all)."""
    recs = load_corpus_theorems(TEST_SPLIT)
    return recs[:limit] if limit else recs


def recorded_policy(rec, seed: int) -> ScriptedPolicy | None:
    """The recorded proof's tactics, each at a random rank among 3 automation tactics, keyed by minilean state."""
    from segatp.minilean.env import MiniLeanEnv
    from segatp.trace import trace_whole_proof
    traced = trace_whole_proof(Theorem(rec.name, rec.statement), rec.proof, MiniLeanEnv)
    if not traced.verdict.ok: return None
    rng, table = random.Random(seed), {}
    for s in traced.steps:
        options = rng.sample([t for t in AUTOMATION if t != s.tactic], 3)
        options.insert(rng.randrange(4), s.tactic)
        table.setdefault(s.state_before, options)
    return ScriptedPolicy(table, default=AUTOMATION)


def totals(results: list) -> dict:
    """Summed counters of search results."""
    keys = ("expansions", "nodes", "env_calls", "env_seconds", "model_seconds", "search_seconds", "wall_seconds")
    out = {k: sum(getattr(r, k) for r in results) for k in keys}
    out.update(theorems=len(results), proved=sum(r.status == "proved" for r in results))
    return out


def scripted_row(name: str, results: list) -> str:
    """One printed line of the scripted benchmark."""
    t = totals(results)
    wall, exp = t["wall_seconds"], max(t["expansions"], 1)
    return (f"{name:<22} {t['proved']:>4}/{t['theorems']:<4} {t['expansions']:>6} {t['nodes']:>6} "
            f"{exp / wall:>9.1f} {1e6 * t['search_seconds'] / exp:>10.0f} {100 * t['search_seconds'] / wall:>8.2f}% "
            f"{100 * t['env_seconds'] / wall:>6.1f}% {100 * t['model_seconds'] / wall:>6.1f}%")


def bench_scripted(limit: int, expansions: int) -> None:
    """Part (a): scripted policies on the corpus test split in minilean."""
    from segatp.minilean.env import MiniLeanEnv
    recs = corpus_theorems(limit)
    from segatp.prove import automation_policy
    baseline = automation_policy()
    cfg, auto = SearchConfig(expansions=expansions), SearchConfig(expansions=expansions, candidates=len(baseline.default))
    runs = {"recorded + distractors": [], "automation": []}
    for i, rec in enumerate(recs):
        thm = Theorem(rec.name, rec.statement, split=rec.split)
        policy = recorded_policy(rec, i)
        if policy is not None: runs["recorded + distractors"].append(prove_theorem(thm, MiniLeanEnv, policy, cfg))
        runs["automation"].append(prove_theorem(thm, MiniLeanEnv, baseline, auto))
    print(f"(a) scripted policies, minilean, corpus test split ({len(recs)} theorems, budget {expansions} expansions; "
          f"{cfg.candidates} candidates, automation {auto.candidates})")
    print(f"{'policy':<22} {'proved':>9} {'expans':>6} {'nodes':>6} {'expans/s':>9} {'search µs/exp':>10} "
          f"{'search':>9} {'env':>7} {'model':>7}   (shares of wall; target search < 5%)")
    for name, results in runs.items(): print(scripted_row(name, results))
    for name, results in runs.items():
        why = Counter(r.reason.split(":")[0] for r in results if r.status != "proved")
        print(f"    {name}: not proved {sum(why.values())} ({', '.join(f'{k}: {v}' for k, v in why.most_common())})")


class CounterEnv:
    """A synthetic proof environment: every tactic run leads to a new state (a counter); never finished or merged."""

    def __init__(self, theorem: Theorem, hyps: int):
        self.theorem, self.hyps, self.count = theorem, hyps, 0

    def pp(self, k: int) -> str:
        """A state of realistic size: `hyps` hypotheses and a goal, all mentioning k."""
        return "\n".join([f"h{i} : x{i} + {k} ≤ y * {i + 1}" for i in range(self.hyps)] + [f"⊢ f {k} ≤ g {k} + 1"])

    def __enter__(self):
        return self, TacticState(self.pp(0), 0)

    def __exit__(self, *exc) -> None:
        return None

    def run_tac(self, state: TacticState, tactic: str):
        self.count += 1
        return TacticState(self.pp(self.count), self.count)


class RandomScores:
    """A scripted policy with seeded random log-probabilities, so best-first search grows a bushy tree."""

    def __init__(self, tactics: tuple[str, ...], seed: int = 0):
        self.tactics, self.rng = tactics, random.Random(seed)

    def propose(self, queries, n: int) -> list[list[Candidate]]:
        return [[Candidate((t,), -self.rng.expovariate(1.0), 1, t) for t in self.tactics[:n]] for _ in queries]


def grow_tree(nodes: int, branching: int, hyps: int, shape: str) -> tuple[Search, object, float]:
    """Search the counter environment until the tree has about `nodes` nodes; the search, its result and seconds.
    `deep`: the scripted policy's rank scores (0, -1, ...) make best-first follow the first candidate (a path of
    nodes/branching expansions); `bushy`: random scores spread the expansions over the tree."""
    thm = Theorem("counter", "theorem counter : True")
    tactics = tuple(f"t{j}" for j in range(branching))
    policy = ScriptedPolicy(default=tactics) if shape == "deep" else RandomScores(tactics)
    cfg = SearchConfig(expansions=-(-(nodes - 1) // branching), candidates=branching, wall_seconds=1e9, recheck=False)
    env = CounterEnv(thm, hyps)
    with env as (e, init):
        s = Search(e, init, thm, policy, cfg)
        t0 = time.perf_counter()
        res = s.run()
        return s, res, time.perf_counter() - t0


def bench_memory(nodes: int, branching: int, hyps: int) -> None:
    """Part (b): peak memory of a large tree (tracemalloc), and the search's speed on it (without tracemalloc)."""
    state_chars = len(CounterEnv(Theorem("c", ""), hyps).pp(nodes))
    print(f"(b) synthetic trees of {nodes:,} nodes ({branching} candidates per expansion, states ≈ {state_chars} chars)")
    print(f"{'shape':<6} {'nodes':>7} {'depth':>6} {'peak MiB':>9} {'bytes/node':>10} {'expans/s':>9} {'search share':>12}")
    for shape in ("bushy", "deep"):
        s, res, secs = grow_tree(nodes, branching, hyps, shape)
        tracemalloc.start()
        s2, res2, _ = grow_tree(nodes, branching, hyps, shape)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        depth = max(n.depth for n in s2.tree.nodes.values())
        print(f"{shape:<6} {res2.nodes:>7,} {depth:>6} {peak / 2**20:>9.1f} {peak / max(res2.nodes, 1):>10,.0f} "
              f"{res.expansions / secs:>9,.0f} {100 * res.search_seconds / max(res.wall_seconds, 1e-9):>11.1f}%")
        del s, s2
    print("    (search share: the env is trivial here, so this is the search's own cost per expansion, not a share to meet)")


def hf_run(backend, theorems: list, k: int, expansions: int, workers: int, max_new_tokens: int) -> dict:
    """Search `theorems` with `k` concurrent searches sharing one batched tiny-model policy; the run's figures."""
    from segatp.policy import GenConfig, LMPolicy
    from segatp.prove import BatchingPolicy, Prover, run_envs, run_searches
    inner = LMPolicy(backend, "bfs-prover", GenConfig(max_new_tokens=max_new_tokens, seed=0))
    policy = inner if k == 1 else BatchingPolicy(inner, batch_size=32, callers=k)
    cfg = SearchConfig(expansions=expansions)
    with run_envs("minilean", 10.0, workers, k) as make_env:
        prover = Prover(make_env, policy, cfg)
        t0, c0 = time.perf_counter(), time.process_time()
        rows = list(run_searches(prover, theorems, k))
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    search_wall = sum(r["wall_seconds"] for r in rows)
    return {"k": k, "wall": wall, "cpu": cpu, "expansions": sum(r["expansions"] for r in rows),
            "proved": sum(r["status"] == "proved" for r in rows), "calls": inner.calls,
            "batch": getattr(policy, "mean_batch", 1.0), "backend": inner.model_seconds / wall,
            "policy_wait": sum(r["model_seconds"] for r in rows) / search_wall,
            "env_wait": sum(r["env_seconds"] for r in rows) / search_wall}


def backend_batching(backend, theorems: list, max_new_tokens: int) -> None:
    """The backend alone: seconds per query at batch 1, 8 and 32 on the theorems' initial states (4 samples each)."""
    from segatp.minilean.env import MiniLeanEnv
    from segatp.policy import GenConfig, LMPolicy, Query
    queries = []
    for t in theorems[:32]:
        with MiniLeanEnv(t) as (_, init): queries.append(Query(init.pp, t.full_name))
    policy, per = LMPolicy(backend, "bfs-prover", GenConfig(max_new_tokens=max_new_tokens, seed=0)), {}
    for b in (1, 8, 32):
        if b > len(queries): break
        t0 = time.perf_counter()
        for i in range(0, len(queries), b): policy.propose(queries[i:i + b], 4)
        per[b] = (time.perf_counter() - t0) / len(queries)
    print("    backend alone, s/query: " + ", ".join(f"batch {b}: {s:.3f} ({per[1] / s:.1f}×)" for b, s in per.items()))


def bench_hf(model: str, limit: int, expansions: int, ks: list[int], workers: int, max_new_tokens: int,
             threads: int) -> None:
    """Part (c): the tiny `hf` policy on the corpus test split, concurrency 1 versus K (batched model calls)."""
    import torch
    from segatp.lm import HFBackend
    from segatp.policy import GenConfig, LMPolicy, Query
    if threads: torch.set_num_threads(threads)
    theorems = [Theorem(r.name, r.statement, split=r.split) for r in corpus_theorems(limit)]
    backend = HFBackend(model)
    LMPolicy(backend, "bfs-prover", GenConfig(max_new_tokens=8)).propose([Query("⊢ True")], 1)  # warm-up
    print(f"(c) tiny hf policy ({model}), minilean, {len(theorems)} corpus test theorems, budget {expansions} "
          f"expansions, 4 candidates, ≤ {max_new_tokens} new tokens, env workers {workers or 'none (in-process)'}, "
          f"torch threads {torch.get_num_threads()}")
    print(f"{'K':>3} {'proved':>7} {'expans':>6} {'wall s':>7} {'expans/s':>9} {'speed-up':>8} {'exp/CPU-s':>9} "
          f"{'speed-up':>8} {'calls':>5} {'mean batch':>10} {'backend busy':>12} {'wait policy':>11} {'wait env':>8}")
    base = None
    for k in ks:
        r = hf_run(backend, theorems, k, expansions, workers, max_new_tokens)
        rate, crate = r["expansions"] / r["wall"], r["expansions"] / max(r["cpu"], 1e-9)
        if k == 1 or base is None: base = (rate, crate)
        print(f"{k:>3} {r['proved']:>7} {r['expansions']:>6} {r['wall']:>7.1f} {rate:>9.2f} {rate / base[0]:>7.2f}× "
              f"{crate:>9.2f} {crate / base[1]:>7.2f}× {r['calls']:>5} {r['batch']:>10.2f} {100 * r['backend']:>11.1f}% "
              f"{100 * r['policy_wait']:>10.1f}% {100 * r['env_wait']:>7.1f}%")
    backend_batching(backend, theorems, max_new_tokens)
    print("    (speed-up: against the last K = 1 row; exp/CPU-s: expansions per CPU second of this process, which other "
          "load on the machine disturbs less than wall time; wait policy / env: shares of the searches' summed wall "
          "time spent in propose(), batching waits included, and in the environment; backend busy: the model's own "
          "time over the run's wall; target K vs 1 ≥ 4×)")


def prove_run(theorems: str, out: str, policy: str, expansions: int, concurrency: int, cluster) -> tuple[float, list]:
    """One `prove_command` run, its summary table silenced: wall seconds and result rows."""
    import contextlib, io, json
    from pathlib import Path
    from segatp.prove import Budget, prove_command
    t0 = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        prove_command([theorems], out=out, policy=policy, budget=Budget(expansions=expansions),
                      concurrency=concurrency, cluster=cluster)
    return time.perf_counter() - t0, [json.loads(l) for l in (Path(out) / "results.jsonl").read_text().splitlines()]


def bench_ray(model: str, limit: int, expansions: int, k: int, max_new_tokens: int) -> None:
    """Part (d): expansions/s of one process, local concurrency K and local Ray with 2 actors; Ray's overhead per theorem."""
    import tempfile
    from pathlib import Path
    import ray
    from segatp.cluster import Cluster, RayAddress
    same = lambda a, b: (sorted((r["key"], r["status"], r["expansions"], r["proof"]) for r in a)
                         == sorted((r["key"], r["status"], r["expansions"], r["proof"]) for r in b))
    with tempfile.TemporaryDirectory() as d:
        theorems = Path(d) / "theorems.jsonl"
        lines = TEST_SPLIT.read_text().splitlines(keepends=True)
        theorems.write_text("".join(lines[:limit] if limit else lines))
        n = len(theorems.read_text().splitlines())
        (Path(d) / "policy.yaml").write_text(f"backend: hf\nmodel: {model}\ndevice: cpu\n"
                                             f"gen:\n  max_new_tokens: {max_new_tokens}\n")
        pol, local = str(Path(d) / "policy.yaml"), Cluster()
        print(f"(d) tiny hf policy ({model}) through segatp prove, {n} corpus test theorems, budget {expansions} "
              f"expansions, 4 candidates, ≤ {max_new_tokens} new tokens")
        runs = [("one process", 1, local), (f"local concurrency {k}", k, local)]
        t0 = time.perf_counter()
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
        start = time.perf_counter() - t0
        runs.append((f"Ray, 2 actors × {max(1, k // 2)}", max(1, k // 2), Cluster(RayAddress(""), 2)))
        print(f"{'run':<24} {'proved':>6} {'expans':>6} {'wall s':>7} {'expans/s':>9} {'same results':>12}")
        base = None
        for i, (name, conc, cluster) in enumerate(runs):
            wall, rows = prove_run(str(theorems), f"{d}/run{i}", pol, expansions, conc, cluster)
            base = base or rows
            ex = sum(r["expansions"] for r in rows)
            print(f"{name:<24} {sum(r['status'] == 'proved' for r in rows):>6} {ex:>6} {wall:>7.1f} {ex / wall:>9.2f} "
                  f"{str(same(rows, base)):>12}")
        a_wall, rows = prove_run(str(TEST_SPLIT), f"{d}/auto-local", "automation", expansions, 1, local)
        r_wall, _ = prove_run(str(TEST_SPLIT), f"{d}/auto-ray", "automation", expansions, 1, Cluster(RayAddress(""), 1))
        ray.shutdown()
    print(f"    Ray overhead per theorem (automation on all {len(rows)} test theorems, 1 actor vs 1 process, the "
          f"actor's start included): {(r_wall - a_wall) / len(rows) * 1000:.1f} ms ({r_wall:.1f} s vs {a_wall:.1f} s); "
          f"the local cluster took {start:.1f} s to start (model runs' walls include loading the model: once per "
          f"process, once per actor)")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--part", default="scripted,memory,hf,ray", help="comma-separated: scripted, memory, hf, ray")
    ap.add_argument("--limit", type=int, default=0, help="corpus test theorems to search (0: all)")
    ap.add_argument("--expansions", type=int, default=50, help="expansion budget per theorem (scripted, hf)")
    ap.add_argument("--nodes", type=int, default=10_000, help="tree size for the memory benchmark")
    ap.add_argument("--branching", type=int, default=4, help="candidates per expansion in the memory benchmark")
    ap.add_argument("--hyps", type=int, default=4, help="hypotheses per synthetic state (its size)")
    ap.add_argument("--model", default="/tmp/h4-model/train_segment/model", help="hf: the tiny trained model folder")
    ap.add_argument("--hf-limit", type=int, default=32, help="hf: corpus test theorems to search")
    ap.add_argument("--hf-expansions", type=int, default=8, help="hf: expansion budget per theorem")
    ap.add_argument("--concurrency", default="1,8", help="hf: comma-separated K values (the first is the baseline)")
    ap.add_argument("--workers", type=int, default=0, help="hf: minilean worker processes (0: in this process)")
    ap.add_argument("--max-new-tokens", type=int, default=64, help="hf: longest completion")
    ap.add_argument("--threads", type=int, default=1, help="hf: torch threads (0: torch's default; on a loaded "
                    "machine its default threads slow tiny-model generation several-fold)")
    args = ap.parse_args()
    parts = set(args.part.split(","))
    if "scripted" in parts: bench_scripted(args.limit, args.expansions)
    if "memory" in parts: bench_memory(args.nodes, args.branching, args.hyps)
    if "hf" in parts:
        bench_hf(args.model, args.hf_limit, args.hf_expansions, [int(k) for k in args.concurrency.split(",")],
                 args.workers, args.max_new_tokens, args.threads)
    if "ray" in parts:
        bench_ray(args.model, args.hf_limit, args.hf_expansions, max(int(k) for k in args.concurrency.split(",")),
                  args.max_new_tokens)


if __name__ == "__main__":
    main()
