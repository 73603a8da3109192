"""The robustness matrix: every data subcommand × bad inputs (with and without --skip-bad), bad arguments, and
`kill -9` at three moments of `segatp trace` and of `segatp train`, each followed by `--resume`.

Each case runs `segatp` in a subprocess and is classified by what a user sees:
- `clear error`: exit 2 and a one-line `segatp: error: …` on stderr, no traceback;
- `ok`: exit 0 where the case is meant to succeed (e.g. `--skip-bad` with a counted warning, a resumed trace whose
  output equals an uninterrupted run's, a resumed training run whose losses, token counts and saved weights equal an
  uninterrupted run's);
- `traceback`: a Python traceback reached the user;
- `silent loss`: exit 0 although records were dropped without being counted or warned about, or an output lost data.

    python bench/robustness.py [--out table.md] [--only inputs|arguments|trace-kill|train-kill ...]

`segatp train` is killed (SIGKILL) at three moments found by watching its run folder: during a training step (just
after a step's metric line, between two checkpoints), while it writes a checkpoint (as soon as a
`checkpoints/checkpoint-N` folder appears, before it is marked complete) and while it saves its final model (as soon as
`.tmp-model` appears). The case names say whether the kill landed in that moment (`caught`) or the moment had passed.
"""
import argparse
import hashlib
import json
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXE = shutil.which("segatp") or sys.exit("the segatp console script is not installed (pip install -e .)")
GOOD = json.dumps({"theorem": "t", "steps": [{"state_before": "⊢ p ∧ q", "tactic": "constructor",
                                              "state_after": "case left\n⊢ p\n\ncase right\n⊢ q"},
                                             {"state_before": "case left\n⊢ p\n\ncase right\n⊢ q", "tactic": "exact hp",
                                              "state_after": "case right\n⊢ q"},
                                             {"state_before": "case right\n⊢ q", "tactic": "exact hq",
                                              "state_after": "no goals"}]})


def bad_inputs(d: Path) -> dict[str, Path]:
    """Trajectory files that are wrong in one way each (every one also holds a good record where it can)."""
    files = {
        "missing file": d / "nope.jsonl",
        "empty file": d / "empty.jsonl",
        "empty list": d / "list.json",
        "not JSON": d / "garbage.jsonl",
        "truncated line": d / "trunc.jsonl",
        "missing field": d / "field.jsonl",
        "wrong type": d / "type.jsonl",
        "bad state": d / "state.jsonl",
        "UTF-8 BOM": d / "bom.jsonl",
        "binary": d / "binary.jsonl",
    }
    files["empty file"].write_text("")
    files["empty list"].write_text("[]")
    files["not JSON"].write_text(GOOD + "\n{not json\n")
    files["truncated line"].write_text(GOOD + "\n" + GOOD[:40])
    files["missing field"].write_text(GOOD + '\n{"theorem": "t", "steps": [{"tactic": "simp"}]}\n')
    files["wrong type"].write_text(GOOD + '\n{"theorem": 5, "steps": "x"}\n')
    files["bad state"].write_text(GOOD + '\n{"theorem": "t", "steps": [{"state_before": "x", "tactic": "simp", '
                                  '"state_after": "no goals"}]}\n')
    files["UTF-8 BOM"].write_bytes(b"\xef\xbb\xbf" + GOOD.encode() + b"\n")
    files["binary"].write_bytes(b"\x00\xff\xfe" * 50)
    return files


def run(*args: str, cwd: Path | None = None, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([EXE, *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=timeout)


def classify(r: subprocess.CompletedProcess, expect_ok: bool, lost: bool = False) -> str:
    """What the user saw."""
    if "Traceback" in r.stderr: return "traceback"
    lines = r.stderr.strip().splitlines()
    ours = r.stderr.startswith("segatp: error: ") and len(lines) <= 2
    argparse_usage = bool(lines) and lines[0].startswith("usage: segatp") and ": error: " in lines[-1]
    if r.returncode == 2 and (ours or argparse_usage):
        return "clear error" if not expect_ok else "clear error (expected ok)"
    if r.returncode == 0: return "silent loss" if lost else ("ok" if expect_ok else "ok (expected an error)")
    return f"exit {r.returncode}"


def input_cases(d: Path) -> list[tuple[str, str, str]]:
    """(command, case, outcome) for every data subcommand × bad input × with/without --skip-bad."""
    rows, files = [], bad_inputs(d)
    commands = {"segment": lambda f, o: ["segment", f, "--out", o / "x.jsonl"],
                "sft": lambda f, o: ["sft", f, "--out-dir", o / "sft", "--no-decontaminate"],
                "stats": lambda f, o: ["stats", f, "--figure", o / "f.png"]}
    for cmd, argv in commands.items():
        for case, f in files.items():
            for skip in (False, True):
                out = Path(tempfile.mkdtemp(dir=d))
                r = run(*argv(f, out), *(["--skip-bad"] if skip else []))
                good_left = case in ("not JSON", "truncated line", "missing field", "wrong type", "bad state")
                expect_ok = case == "UTF-8 BOM" or (skip and good_left)
                counted = "bad records" in r.stdout + r.stderr or "warning" in r.stderr
                lost = r.returncode == 0 and good_left and not counted
                rows.append((cmd, f"{case}{' --skip-bad' if skip else ''}", classify(r, expect_ok, lost)))
    return rows


def argument_cases(d: Path) -> list[tuple[str, str, str]]:
    """(command, case, outcome) for bad arguments."""
    good = d / "good.jsonl"
    good.write_text(GOOD + "\n")
    cases = [
        ("segment", "--out is an input", ["segment", good, "--out", good]),
        ("segment", "--out unwritable", ["segment", good, "--out", "/proc/nope/a.jsonl"]),
        ("segment", "--min-len 0", ["segment", good, "--out", d / "a.jsonl", "--min-len", "0"]),
        ("segment", "--min-len 5 --max-len 2", ["segment", good, "--out", d / "a.jsonl", "--min-len", "5", "--max-len", "2"]),
        ("segment", "--granularity proof", ["segment", good, "--out", d / "a.jsonl", "--granularity", "proof"]),
        ("sft", "--valid-frac 2", ["sft", good, "--out-dir", d / "s", "--no-decontaminate", "--valid-frac", "2"]),
        ("sft", "--valid-frac nan", ["sft", good, "--out-dir", d / "s", "--no-decontaminate", "--valid-frac", "nan"]),
        ("sft", "--out-dir is the input folder", ["sft", d / "in", "--out-dir", d / "in", "--no-decontaminate"]),
        ("check", "empty file", ["check", d / "empty.lean"]),
        ("check", "unclosed comment", ["check", d / "unclosed.lean"]),
        ("check", "--timeout 0", ["check", d / "ok.lean", "--timeout", "0"]),
        ("trace", "--timeout -1", ["trace", d / "proofs.jsonl", "--out", d / "t.jsonl", "--timeout", "-1"]),
        ("trace", "--out is an input", ["trace", d / "proofs.jsonl", "--out", d / "proofs.jsonl"]),
        ("trace", "wrong field type", ["trace", d / "typed.jsonl", "--out", d / "t2.jsonl"]),
        ("corpus", "generate --n -3", ["corpus", "generate", "--out", d / "c", "--n", "-3"]),
        ("corpus", "verify --sample -1", ["corpus", "verify", "--sample", "-1"]),
        ("train", "--set max_len=1", ["train", "--data", d / "sft", "--out", d / "tr", "--set", "max_len=1"]),
        ("train", "no data", ["train", "--data", d / "nosft"]),
        ("demo", "--quick --full", ["demo", "--out", d / "demo", "--quick", "--full"]),
        ("prove", "--out is the input's folder", ["prove", d / "in" / "good.jsonl", "--out", d / "in"]),
        ("prove", "--shard 3/2", ["prove", d / "theorems.jsonl", "--out", d / "p1", "--shard", "3/2"]),
        ("prove", "--concurrency 0", ["prove", d / "theorems.jsonl", "--out", d / "p2", "--concurrency", "0"]),
        ("prove", "--expansions 0", ["prove", d / "theorems.jsonl", "--out", d / "p3", "--expansions", "0"]),
        ("prove", "a trajectory file, not theorems", ["prove", good, "--out", d / "p4"]),
        ("prove", "wrong field type", ["prove", d / "typed.jsonl", "--out", d / "p5"]),
        ("prove", "empty file", ["prove", d / "empty.lean", "--out", d / "p6"]),
    ]
    (d / "theorems.jsonl").write_text((ROOT / "data" / "corpus" / "theorems_test.jsonl").open().readline())
    (d / "in").mkdir()
    (d / "in" / "good.jsonl").write_text(GOOD + "\n")
    (d / "empty.lean").write_text("")
    (d / "unclosed.lean").write_text("/- a comment that never ends\ntheorem t : True := by trivial\n")
    (d / "ok.lean").write_text("theorem t : True := by trivial\n")
    (d / "proofs.jsonl").write_text(json.dumps({"formal_statement": "theorem t (x : ℕ) : x + 0 = x := by",
                                                "proof": "simp"}) + "\n")
    (d / "typed.jsonl").write_text(json.dumps({"formal_statement": 5, "proof": "simp"}) + "\n")
    assert run("sft", good, "--out-dir", d / "sft", "--no-decontaminate", "--valid-frac", "0").returncode == 0
    rows = []
    for cmd, case, argv in cases:
        before = good.read_text(), (d / "in" / "good.jsonl").read_text()
        r = run(*argv)
        lost = (good.read_text(), (d / "in" / "good.jsonl").read_text()) != before  # an input was changed
        rows.append((cmd, case, "silent loss" if lost else classify(r, expect_ok=False)))
    return rows


def trace_input(d: Path, n: int = 40) -> Path:
    """A whole-proof dataset of `n` small minilean proofs."""
    f = d / "whole.jsonl"
    f.write_text("".join(json.dumps({"formal_statement": f"theorem t{i} (x : ℕ) (h : x = {i}) : x + {i} = {2 * i} := by",
                                     "proof": "subst h\nrfl" if i % 3 else "omega"}) + "\n" for i in range(n)))
    return f


def kill_cases(d: Path) -> list[tuple[str, str, str]]:
    """`segatp trace` killed with SIGKILL early, midway and late, then resumed: the output must equal a clean run's."""
    src = trace_input(d)
    ref = d / "ref.jsonl"
    assert run("trace", src, "--out", ref).returncode == 0
    want = sorted(ref.read_text().splitlines()), sorted((d / "ref.failed.jsonl").read_text().splitlines())
    rows = []
    for moment, delay in (("early", 0.6), ("midway", 1.5), ("late", 2.5)):
        out = d / f"k_{moment}.jsonl"
        p = subprocess.Popen([EXE, "trace", str(src), "--out", str(out)], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        time.sleep(delay)
        p.send_signal(signal.SIGKILL)
        p.wait()
        r = run("trace", src, "--out", out)
        got = (sorted(out.read_text().splitlines()) if out.exists() else [],
               sorted(Path(str(out).removesuffix(".jsonl") + ".failed.jsonl").read_text().splitlines()))
        rows.append(("trace", f"kill -9 {moment}, --resume", "ok" if r.returncode == 0 and got == want else
                     classify(r, True, lost=got != want)))
    return rows


TRAIN = ["--steps", "8", "--no-progress", "--set", "save_every=3", "--set", "log_every=1", "--set", "eval_every=4",
         "--set", "batch_size=8"]


def run_summary(run: Path) -> tuple[list, str | None]:
    """What must not change when a run is killed and resumed: each metric line's step, loss, tokens and validation
    loss, and the saved weights' SHA-256."""
    lines = [json.loads(l) for l in (run / "metrics.jsonl").read_text().splitlines()] if (run / "metrics.jsonl").exists() else []
    weights = run / "model" / "model.safetensors"
    return ([(m["step"], m.get("loss"), m.get("tokens"), m.get("valid_loss")) for m in lines],
            hashlib.sha256(weights.read_bytes()).hexdigest() if weights.exists() else None)


def kill_when(argv: list, ready, timeout: float = 300) -> bool:
    """Start `segatp *argv`, SIGKILL it as soon as `ready()` holds; False if it finished first."""
    p = subprocess.Popen([EXE, *map(str, argv)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    t0 = time.monotonic()
    while p.poll() is None and time.monotonic() - t0 < timeout:
        if ready():
            p.send_signal(signal.SIGKILL)
            p.wait()
            return True
        time.sleep(0.002)
    p.kill()
    p.wait()
    return False


def train_kill_cases(d: Path) -> list[tuple[str, str, str]]:
    """`segatp train` killed during a step, while checkpointing and while saving its model, then resumed: the losses,
    token counts and weights must equal an uninterrupted run's."""
    data, few = d / "train_sft", d / "train_trajectories.jsonl"
    few.write_text("".join((ROOT / "data" / "corpus" / "trajectories_train.jsonl").open().readlines()[:300]))
    assert run("sft", few, "--out-dir", data, "--granularity", "segment", "--no-decontaminate").returncode == 0
    ref = d / "train_ref"
    r = run("train", "--data", data, "--out", ref, *TRAIN)
    assert r.returncode == 0, r.stderr
    want = run_summary(ref)
    moments = {"during a step": lambda o: any(json.loads(l).get("step") == 5 for l in _lines(o / "metrics.jsonl")),
               "while checkpointing": lambda o: (o / "checkpoints" / "checkpoint-6").is_dir()
               and not (o / "checkpoints" / "checkpoint-6" / "segatp-complete.json").exists(),
               "while saving the model": lambda o: (o / ".tmp-model").exists()}
    rows = []
    for moment, ready in moments.items():
        out = d / f"train_{moment.replace(' ', '_')}"
        caught = kill_when(["train", "--data", data, "--out", out, *TRAIN], lambda: ready(out))
        r = run("train", "--data", data, "--out", out, *TRAIN, "--resume")
        same = run_summary(out) == want
        rows.append(("train", f"kill -9 {moment} ({'caught' if caught else 'not caught: it had finished'}), --resume",
                     "ok" if r.returncode == 0 and same else classify(r, True, lost=not same)))
    return rows


def _lines(f: Path) -> list[str]:
    """The complete lines of a file being appended to (none when it does not exist yet)."""
    if not f.exists(): return []
    text = f.read_text()
    return text.splitlines()[:text.count("\n")]


def prove_kill_cases(d: Path) -> list[tuple[str, str, str]]:
    """`segatp prove` killed after its first, middle and next-to-last results line, then resumed: the results (timings
    aside) must equal an uninterrupted run's, with no theorem twice."""
    src = d / "prove_theorems.jsonl"
    src.write_text("".join((ROOT / "data" / "corpus" / "theorems_test.jsonl").open().readlines()[:12]))
    argv = ["prove", src, "--expansions", "20", "--rollout"]
    timing = {"env_seconds", "model_seconds", "search_seconds", "wall_seconds"}
    rows_of = lambda o: sorted(json.dumps({k: v for k, v in json.loads(l).items() if k not in timing}, sort_keys=True)
                               for l in _lines(o / "results.jsonl"))
    assert run(*argv, "--out", d / "prove_ref").returncode == 0
    want, rows = rows_of(d / "prove_ref"), []
    for moment, n in (("early", 1), ("midway", 6), ("late", 11)):
        out = d / f"prove_{moment}"
        caught = kill_when([*argv, "--out", out], lambda: len(_lines(out / "results.jsonl")) >= n)
        r = run(*argv, "--out", out, "--resume")
        same = rows_of(out) == want
        rows.append(("prove", f"kill -9 {moment} ({'caught' if caught else 'not caught: it had finished'}), --resume",
                     "ok" if r.returncode == 0 and same else classify(r, True, lost=not same)))
    return rows


GROUPS = {"inputs": input_cases, "arguments": argument_cases, "trace-kill": kill_cases, "train-kill": train_kill_cases,
          "prove-kill": prove_kill_cases}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", help="also write the table (Markdown) here")
    ap.add_argument("--only", nargs="+", choices=list(GROUPS), default=list(GROUPS), help="run only these groups of cases")
    args = ap.parse_args()
    d = Path(tempfile.mkdtemp(prefix="segatp-robust-"))
    rows = [row for group in args.only for row in GROUPS[group](d)]
    table = ["| command | case | outcome |", "|---|---|---|", *(f"| {c} | {k} | {o} |" for c, k, o in rows)]
    counts = {o: sum(r[2].split(" (")[0] == o for r in rows) for o in ("ok", "clear error", "traceback", "silent loss")}
    summary = (f"{len(rows)} cases tried: {counts['clear error']} clear errors, {counts['ok']} ok, "
               f"{counts['traceback']} tracebacks, {counts['silent loss']} silent losses, "
               f"{len(rows) - sum(counts.values())} other")
    print("\n".join(table) + "\n\n" + summary)
    if args.out: Path(args.out).write_text("\n".join(table) + "\n\n" + summary + "\n")
    shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    main()
