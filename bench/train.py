"""Training and generation speed of the tiny CPU default.

    python bench/train.py [--steps 30] [--model MODEL_DIR] [--json]

Prints training tokens/s and peak memory for the tiny CPU config (`configs/tiny-cpu.yaml`, trained for `--steps`
on the segments of the minilean corpus in data/corpus), and generation candidates/s of
the `hf` backend (and `vllm` where it is installed) at batch 1 and batch 32: one candidate per prompt, 32 new
tokens each, with the tiny model's shape (`--model`: any saved model instead). The target: batch 32 at least 5×
faster per candidate than batch 1.
"""
import argparse
import json
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from segatp.core import PACKAGE_ROOT, default_device
from segatp.lm import HFBackend, TinyLlama, make_tiny_model
from segatp.policy import GenConfig
from segatp.sft_data import build_sft_dataset
from segatp.train import load_config, read_sft, train
from segatp.trajectory import iter_trajectories

ROOT = PACKAGE_ROOT.parent


def training(steps: int, tmp: Path) -> dict:
    """Tokens/s and peak memory of the tiny CPU config for `steps` steps."""
    src = ROOT / "data" / "corpus" / "trajectories_train.jsonl"
    build_sft_dataset(iter_trajectories([src]), tmp / "sft", "segment", "bfs-prover")
    cfg = replace(load_config(ROOT / "configs" / "tiny-cpu.yaml"), data=str(tmp / "sft"), out=str(tmp / "run"),
                  steps=steps, save_every=0, eval_every=0)
    res = train(cfg, progress=False)
    return {"data": str(src), "steps": steps, "tokens_per_s": res.tokens_per_s, "peak_memory_mb": res.peak_memory_mb,
            "loss": [res.first_loss, res.last_loss], "seconds": res.seconds, "prompts": read_sft(tmp / "sft")[0][:32]}


def candidates_per_s(backend, prompts: list[str], batch: int, rounds: int) -> float:
    """Candidates per second generating one candidate for each of `batch` prompts per call."""
    gen = GenConfig(max_new_tokens=32, seed=0, batch_size=batch)
    backend.complete(prompts[:batch], 1, gen)  # warm-up
    t0 = time.perf_counter()
    for _ in range(rounds): backend.complete(prompts[:batch], 1, gen)
    return rounds * batch / (time.perf_counter() - t0)


def generation(model: Path, prompts: list[str]) -> dict:
    """hf (and vllm) candidates/s at batch 1 and 32."""
    out = {}
    hf = HFBackend(model)
    out["hf"] = {b: candidates_per_s(hf, prompts, b, r) for b, r in ((1, 8), (32, 2))}
    try:
        from segatp.lm import VLLMBackend
        vl = VLLMBackend(model, dtype="fp32", max_model_len=1024)
    except ImportError:
        out["vllm"] = "not installed"
    else:
        out["vllm"] = {b: candidates_per_s(vl, prompts, b, r) for b, r in ((1, 8), (32, 4))}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--steps", type=int, default=30, help="training steps to time")
    ap.add_argument("--model", help="a saved model folder to time generation with (default: the tiny shape, untrained)")
    ap.add_argument("--json", action="store_true", help="print JSON")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp())
    tr = training(args.steps, tmp)
    prompts = [r["prompt"] for r in tr.pop("prompts")]
    prompts = (prompts * 32)[:32]
    model = Path(args.model) if args.model else make_tiny_model(prompts, tmp / "tiny", TinyLlama())
    gen = generation(model, prompts)
    res = {"device": default_device(), "training": tr, "generation": gen}
    if args.json: return print(json.dumps(res, indent=2))
    print(f"device: {res['device']}\ntraining ({tr['steps']} steps, tiny CPU config): {tr['tokens_per_s']:.0f} tokens/s, "
          f"peak memory {tr['peak_memory_mb']:.0f} MB, loss {tr['loss'][0]:.2f} → {tr['loss'][1]:.2f}")
    for name, r in gen.items():
        if isinstance(r, str): print(f"{name}: {r}")
        else: print(f"{name}: batch 1 {r[1]:.1f} candidates/s, batch 32 {r[32]:.1f} candidates/s ({r[32] / r[1]:.1f}× per candidate)")


if __name__ == "__main__":
    main()
