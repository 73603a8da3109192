"""Completeness of minilean on real Lean proofs: per-declaration verdicts on DSP-Plus and the miniF2F few-shot proofs.

Run: `python bench/real_proofs.py --out after.json [--compare before.json]`. Keys are `fewshot:NAME:DECL` and
`dsp:FILE:DECL:LINE`, values `[verdict, message]`; `--compare` prints every declaration whose verdict changed.
"""
import argparse
import json
from collections import Counter
from pathlib import Path

from segatp.core import SHARED_DATA_MISSING, shared_data_dir
from segatp.minilean.env import check_lean_file, check_lean_text
from segatp.trajectory import read_json_lines


def verdicts(shared: Path, timeout: float) -> dict[str, list[str]]:
    """`key → [verdict, message]` for every declaration of the real proofs under `shared`."""
    out = {}
    for i, r in read_json_lines(shared / "minif2f" / "minif2f_valid_few_shot.jsonl"):
        for v in check_lean_text(r["formal_statement"] + r["formal_proof"], timeout=timeout):
            out[f"fewshot:{r.get('name', i)}:{v.name}"] = [v.verdict, v.message[:200]]
    for f in sorted((shared / "proofs" / "dsp-plus-minif2f-test").glob("*.lean")):
        for v in check_lean_file(f, timeout=timeout):
            out[f"dsp:{f.name}:{v.name}:{v.line}"] = [v.verdict, v.message[:200]]
    return out


def summary(per_decl: dict[str, list[str]]) -> dict[str, dict[str, int]]:
    """Verdict counts per source (`fewshot`, `dsp`)."""
    out = {}
    for key, (verdict, _) in per_decl.items(): out.setdefault(key.split(":")[0], Counter())[verdict] += 1
    return {src: dict(sorted(c.items())) for src, c in sorted(out.items())}


def compare(old: dict[str, list[str]], new: dict[str, list[str]]) -> list[str]:
    """One line per declaration whose verdict changed (or that appeared/disappeared), old → new with the messages."""
    lines = []
    for key in sorted(set(old) | set(new)):
        a, b = old.get(key, ["absent", ""]), new.get(key, ["absent", ""])
        if a[0] != b[0]: lines.append(f"{key}: {a[0]} → {b[0]}\n    before: {a[1][:160]!r}\n    after:  {b[1][:160]!r}")
    return lines


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, help="write the per-declaration verdicts here (JSON)")
    ap.add_argument("--compare", type=Path, help="an earlier --out file: print every changed verdict")
    ap.add_argument("--timeout", type=float, default=5.0, help="wall-time limit per declaration (s)")
    args = ap.parse_args()
    shared = shared_data_dir()
    if shared is None: raise SystemExit(SHARED_DATA_MISSING)
    new = verdicts(shared, args.timeout)
    if args.out: args.out.write_text(json.dumps(new, indent=0, ensure_ascii=False), encoding="utf-8")
    for src, c in summary(new).items():
        n = sum(c.values())
        print(f"{src}: {c} — {c.get('proved', 0)}/{n} proved ({c.get('proved', 0) / n:.0%})")
    if args.compare:
        old = json.loads(args.compare.read_text(encoding="utf-8"))
        for src, c in summary(old).items(): print(f"before {src}: {c}")
        changed = compare(old, new)
        print(f"{len(changed)} declarations changed verdict:")
        for line in changed: print(line)


if __name__ == "__main__":
    main()
