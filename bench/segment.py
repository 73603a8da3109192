"""Benchmark: steps segmented per second, end to end from JSON on disk, and peak memory.

The real LeanDojo trajectories in ../shared/data (InternLM search outputs, both flavours, and the LeanDojo Benchmark 4
prefix) are replicated into many files until they hold at least --steps steps. Each measurement runs in a fresh
process (one core): load every file, cut every trajectory into segments, write the examples as JSONL. Peak memory is
measured for the full set and for half of the files, to show that it does not grow with the number of files.

    python bench/segment.py [--steps 1000000] [--granularity segment]
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from segatp.core import SHARED_DATA_MISSING, shared_data_dir

STEPS_PER_FILE = 20_000


def real_sources(shared: Path) -> tuple[list[dict], list[dict], int, int]:
    """Successful search results and benchmark theorems with tactics, with their step counts."""
    results, search_steps = [], 0
    for f in sorted((shared / "trajectories").rglob("*.json")):
        for r in json.loads(f.read_text())["results"]:
            ok = [a for a in r["attempt_results"] if a.get("success")]
            if ok:
                results.append({**r, "attempt_results": ok})
                search_steps += sum(len(a.get("sstrace") or a.get("trace")) for a in ok)
    bench = [t for t in json.loads((shared / "leandojo-benchmark-4" / "random_val_prefix.json").read_text())
             if t["traced_tactics"]]
    return results, bench, search_steps, sum(len(t["traced_tactics"]) for t in bench)


def replicate(shared: Path, out: Path, target_steps: int) -> int:
    """Write replicated search-output and benchmark files into `out` until they hold `target_steps`; return steps."""
    results, bench, s_steps, b_steps = real_sources(shared)
    k_search = max(1, STEPS_PER_FILE // s_steps)
    k_bench = max(1, STEPS_PER_FILE // b_steps)
    search_blob = json.dumps({"results": results * k_search}, ensure_ascii=False)
    bench_blob = json.dumps(bench * k_bench, ensure_ascii=False)
    total, i = 0, 0
    while total < target_steps:
        if i % 2 == 0:
            (out / f"search_{i:04d}.json").write_text(search_blob)
            total += s_steps * k_search
        else:
            (out / f"bench_{i:04d}.json").write_text(bench_blob)
            total += b_steps * k_bench
        i += 1
    return total


def measure(files: list[str], granularity: str) -> dict:
    """Segment `files` end to end in this process; return steps, examples, seconds and peak RSS."""
    from segatp.segment import iter_examples
    from segatp.trajectory import LoadReport, iter_trajectories
    import msgspec
    report, encode = LoadReport(), msgspec.json.Encoder().encode
    t0 = time.perf_counter()
    n = 0
    with open(os.devnull, "wb") as sink:
        for ex in iter_examples(iter_trajectories(files, report), granularity):
            sink.write(encode(ex))
            n += 1
    dt = time.perf_counter() - t0
    return {"steps": report.steps, "examples": n, "files": report.files, "seconds": dt,
            "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def run_child(files: list[str], granularity: str) -> dict:
    """Run `measure` in a fresh process pinned to one core."""
    code = (f"import json,sys; sys.path.insert(0, {str(Path(__file__).parent)!r}); import segment as b; "
            f"print(json.dumps(b.measure(json.loads(sys.stdin.read()), {granularity!r})))")
    cmd = [sys.executable, "-c", code]
    if hasattr(os, "sched_setaffinity"): cmd = ["taskset", "-c", "0", *cmd]
    res = subprocess.run(cmd, input=json.dumps(files), capture_output=True, text=True, check=True)
    return json.loads(res.stdout)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--steps", type=int, default=1_000_000, help="at least this many steps")
    ap.add_argument("--granularity", default="segment", choices=["step", "segment", "whole"])
    args = ap.parse_args()
    shared = shared_data_dir()
    if shared is None:
        print(f"cannot run: {SHARED_DATA_MISSING}")
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        total = replicate(shared, Path(tmp), args.steps)
        files = sorted(str(p) for p in Path(tmp).iterdir())
        size = sum(Path(f).stat().st_size for f in files) / 2**20
        print(f"input: {len(files)} files, {total:,} steps, {size:,.0f} MiB of JSON")
        half = run_child(files[: len(files) // 2], args.granularity)
        full = run_child(files, args.granularity)
    for name, r in (("half", half), ("full", full)):
        print(f"{name}: {r['files']} files, {r['steps']:,} steps → {r['examples']:,} {args.granularity} examples "
              f"in {r['seconds']:.2f} s = {r['steps'] / r['seconds']:,.0f} steps/s; peak RSS {r['peak_rss_mib']:.0f} MiB")
    print(f"steps/s (full, one core): {full['steps'] / full['seconds']:,.0f} (target ≥ 200,000)")
    print(f"peak memory: {half['peak_rss_mib']:.0f} MiB for {half['files']} files, "
          f"{full['peak_rss_mib']:.0f} MiB for {full['files']} files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
