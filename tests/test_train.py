"""Training on trl's SFTTrainer: completion-only loss, exact resume, configs, the CLI entry, reload of a trained model by every backend."""
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
import torch
import transformers
from safetensors.torch import load_file

from segatp.cli import main
from segatp.core import PACKAGE_ROOT, SegatpError
from segatp.lm import CompletionServer, HFBackend, OpenAIBackend, TinyLlama
from segatp.policy import GenConfig, LMPolicy, Query
from segatp.sft_data import build_sft_dataset
from segatp.runs import RunFolder, read_metrics
from segatp.train import (COMPLETE, IGNORE, LoraSpec, TrainConfig, load_config, read_sft, sft_dataset, train,
                          train_tokenizer, training_args)
from segatp.trajectory import iter_trajectories

ROOT = PACKAGE_ROOT.parent
SMALL = TinyLlama(vocab_size=400, hidden_size=64, layers=2, heads=2, intermediate_size=128, max_len=512)


@pytest.fixture(scope="module")
def sft(tmp_path_factory):
    """60 trajectories of the minilean corpus as a segment-level SFT dataset."""
    tmp = tmp_path_factory.mktemp("sft")
    few = tmp / "few.jsonl"
    few.write_text("".join((ROOT / "data" / "corpus" / "trajectories_train.jsonl").read_text().splitlines(keepends=True)[:60]))
    build_sft_dataset(iter_trajectories([few]), tmp / "segment", "segment", "bfs-prover", valid_frac=0.3)
    return tmp / "segment"


def small_cfg(sft, out, **kw):
    base = dict(data=str(sft), granularity="segment", scratch=SMALL, out=str(out), batch_size=4, lr=3e-3, warmup=2,
                log_every=1, eval_every=0, save_every=0)
    return TrainConfig(**(base | kw))


def test_loss_is_on_completion_tokens_only(sft, tmp_path):
    """On the batches trl's SFTTrainer makes of segatp's data, the model's loss is cross-entropy over the completion
    (and EOS) positions alone."""
    from trl import SFTTrainer
    recs, _ = read_sft(sft)
    tok = train_tokenizer([r["prompt"] + r["completion"] for r in recs], 400)
    model = SMALL.build(tok, seed=0)
    trainer = SFTTrainer(model=model, args=training_args(TrainConfig(), tmp_path, "cpu"), processing_class=tok,
                         train_dataset=sft_dataset(tok, recs[:4], 512))
    batch = trainer.data_collator([trainer.train_dataset[i] for i in range(4)])
    for ids, labels, r in zip(batch["input_ids"], batch["labels"], recs[:4]):
        n_prompt, n_completion = len(tok(r["prompt"]).input_ids), len(tok(r["completion"], add_special_tokens=False).input_ids) + 1
        assert (labels[:n_prompt] == IGNORE).all() and (labels[n_prompt:n_prompt + n_completion] == ids[n_prompt:n_prompt + n_completion]).all()
        assert (labels[n_prompt + n_completion:] == IGNORE).all()
    with torch.no_grad():
        out = model(**batch)
        logits = out.logits[:, :-1]
        target = batch["labels"][:, 1:]
        keep = target != IGNORE
        manual = torch.nn.functional.cross_entropy(logits[keep], target[keep])
        # changing prompt tokens' labels to anything else must not matter: they are masked
        assert torch.allclose(out.loss, manual, atol=1e-5)
        assert keep.sum() == sum(len(tok(r["completion"], add_special_tokens=False).input_ids) + 1 for r in recs[:4])


@pytest.fixture(scope="module")
def whole(sft, tmp_path_factory):
    """An uninterrupted run of 6 steps."""
    return train(small_cfg(sft, tmp_path_factory.mktemp("whole") / "run", steps=6), progress=False)


def assert_same_run(a, b):
    """The same weights, and the same losses and token counts at every step."""
    wa, wb = load_file(a.model_dir / "model.safetensors"), load_file(b.model_dir / "model.safetensors")
    assert wa.keys() == wb.keys() and all(torch.equal(wa[k], wb[k]) for k in wa)
    la, lb = ([(m["step"], m["loss"], m["tokens"]) for m in read_metrics(r.run) if "loss" in m] for r in (a, b))
    assert la == lb and len(la) == 6


def test_resume_gives_the_uninterrupted_result(sft, whole, tmp_path):
    """Interrupted after step 3 of 6 and resumed: the same weights, losses and token counts as one run of 6 steps."""
    cfg = small_cfg(sft, tmp_path / "cut", steps=6, save_every=3)
    train(cfg, progress=False)
    run = Path(cfg.out)  # simulate a crash after the step-3 checkpoint: lose everything written later
    shutil.rmtree(run / "checkpoints" / "checkpoint-6")
    shutil.rmtree(run / "model")
    resumed = train(cfg, resume=True, progress=False)
    assert_same_run(whole, resumed)


class Killed(BaseException):
    """The process dies (as by kill -9: nothing after it runs)."""


def test_resume_after_a_kill_while_checkpointing(sft, whole, tmp_path, monkeypatch):
    """Killed while writing its step-6 checkpoint (half the weights on disk, no optimizer): the folder is not a
    checkpoint; --resume continues from step 3 and gives the uninterrupted result, and removes what the kill left."""
    save = transformers.Trainer._save_optimizer_and_scheduler

    def dies_at_step_6(self, output_dir):
        if output_dir.endswith("-6"):
            weights = Path(output_dir) / "model.safetensors"
            weights.write_bytes(weights.read_bytes()[:1000])
            raise Killed
        save(self, output_dir)

    cfg = small_cfg(sft, tmp_path / "cut", steps=6, save_every=3)
    monkeypatch.setattr(transformers.Trainer, "_save_optimizer_and_scheduler", dies_at_step_6)
    with pytest.raises(Killed):
        train(cfg, progress=False)
    monkeypatch.undo()
    ckpts = Path(cfg.out) / "checkpoints"
    shutil.copytree(ckpts / "checkpoint-3", ckpts / "checkpoint-5")  # all the Trainer writes, killed before the marker
    (ckpts / "checkpoint-5" / COMPLETE).unlink()
    folders = lambda: sorted(p.name for p in ckpts.iterdir() if p.is_dir())
    assert folders() == ["checkpoint-3", "checkpoint-5", "checkpoint-6"]
    assert not (Path(cfg.out) / "model").exists()
    resumed = train(cfg, resume=True, progress=False)
    assert_same_run(whole, resumed)
    assert folders() == ["checkpoint-3", "checkpoint-6"]


def test_resume_saves_the_model_of_a_run_killed_while_saving_it(whole, tmp_path, capsys):
    """Killed after its last checkpoint, while saving its model: --resume saves the model, running no step."""
    run = tmp_path / "run"
    shutil.copytree(whole.run, run)
    shutil.rmtree(run / "model")
    (run / ".tmp-model").mkdir()
    (run / ".tmp-model" / "model.safetensors").write_bytes(b"half")
    cfg = load_config(run / "config.yaml", {"out": str(run)})
    assert main(["train", str(run / "config.yaml"), "--out", str(run), "--resume", "--no-progress"]) == 0
    assert "saved it" in capsys.readouterr().out
    wa, wb = load_file(whole.model_dir / "model.safetensors"), load_file(run / "model" / "model.safetensors")
    assert wa.keys() == wb.keys() and all(torch.equal(wa[k], wb[k]) for k in wa)
    assert not (run / ".tmp-model").exists() and read_metrics(run) == read_metrics(whole.run)
    with pytest.raises(SegatpError, match="already trained to step 6"):
        train(cfg, resume=True, progress=False)


def test_resume_refuses_other_steps(sft, whole):
    """The schedule depends on `steps`: resuming a 6-step run as an 8-step one would not give an 8-step run."""
    with pytest.raises(SegatpError, match="steps changed from 6 to 8: the learning-rate schedule depends on it"):
        train(small_cfg(sft, whole.run, steps=8), resume=True, progress=False)


def test_a_second_run_into_a_held_folder_fails_fast(sft, tmp_path):
    """While a run holds its folder, another `train` into it fails at once and writes nothing there."""
    cfg = small_cfg(sft, tmp_path / "run", steps=2)
    with RunFolder(cfg.out).lock():
        with pytest.raises(SegatpError, match="is being written by another run"):
            train(cfg, progress=False)
    assert not Path(cfg.out).exists()


def test_lora_trains_and_saves_a_merged_model(sft, tmp_path):
    base = train(small_cfg(sft, tmp_path / "base", steps=2), progress=False).model_dir
    cfg = replace(small_cfg(sft, tmp_path / "lora", steps=4), model=str(base), lr=1e-2, lora=LoraSpec(r=4, alpha=8))
    res = train(cfg, progress=False)
    assert (res.run / "adapter" / "adapter_config.json").exists()
    merged, before = load_file(res.model_dir / "model.safetensors"), load_file(base / "model.safetensors")
    assert not any("lora" in k for k in merged) and merged.keys() == before.keys()
    assert any(not torch.equal(merged[k], before[k]) for k in merged)
    HFBackend(res.model_dir, device="cpu").complete(["⊢ True:::"], 1, GenConfig(max_new_tokens=4, seed=0))


def test_trained_model_reloads_through_hf_and_openai(sft, tmp_path):
    res = train(small_cfg(sft, tmp_path / "run", steps=20, log_every=5), progress=False)
    assert res.last_loss < res.first_loss
    for f in ("manifest.json", "config.yaml", "metrics.jsonl", "loss.png"): assert (res.run / f).exists()
    man = RunFolder(res.run).manifest()
    assert set(man) == {"config", "versions", "data", "seeds", "git"} and set(man["data"]) == {"train.jsonl", "valid.jsonl"}
    recs, _ = read_sft(sft)
    queries = [Query(r["state"]) for r in recs[:3]]
    hf = HFBackend(res.model_dir, device="cpu")
    gen = GenConfig(max_new_tokens=16, seed=0)
    direct = LMPolicy(hf, "bfs-prover", gen).propose(queries, 3)
    with CompletionServer(hf, "tiny") as srv:
        served = LMPolicy(OpenAIBackend(srv.url, "tiny"), "bfs-prover", gen).propose(queries, 3)
    assert [[c.tactics for c in cs] for cs in served] == [[c.tactics for c in cs] for cs in direct]


def test_configs_parse():
    for f in sorted((ROOT / "configs").glob("*.yaml")):
        cfg = load_config(f)
        if "7b" in f.name and f.name != "qwen2.5-math-7b.yaml":
            assert cfg.granularity in f.name and cfg.model.startswith("Qwen/") and cfg.dtype == "bf16"
    assert load_config(ROOT / "configs" / "tiny-cpu.yaml") == TrainConfig()


def test_cli_entry(sft, tmp_path, capsys):
    args = ["--data", str(sft), "--granularity", "segment", "--out", str(tmp_path / "r"), "--steps", "2", "--no-progress",
            "--set", "scratch.hidden_size=32", "--set", "scratch.heads=1", "--set", "scratch.layers=1"]
    assert main(["train", *args]) == 0
    assert "trained 2 steps" in capsys.readouterr().out
    for extra, message in [(args, "--resume"), (args + ["--resume"], "already trained to step 2"),
                           (args[:2] + ["--granularity", "step"], "not step"), (args + ["--set", "lr"], "KEY=VALUE"),
                           (["nope.yaml"], "no config file"), (args + ["--set", "max_len=1"], "config key max_len must be"),
                           (args + ["--set", "lr=nan"], "config key lr must be"), (args + ["--set", "steps=0"], "config key steps"),
                           (args + ["--out", str(tmp_path / "nan"), "--steps", "3", "--set", "lr=1e30"], "step 3: the validation loss is nan"),
                           (args + ["--out", str(tmp_path / "nan2"), "--steps", "4", "--set", "lr=1e30", "--set", "warmup=1",
                                    "--set", "eval_every=0"], "the training loss is nan")]:
        assert main(["train", *extra]) == 2
        err = capsys.readouterr().err
        assert err.startswith("segatp: error: ") and message in err, err


@pytest.mark.slow
def test_tiny_cpu_default_learns_corpus_segments(tmp_path):
    """The CPU default config on the minilean corpus's segments (a few minutes): the loss falls; the model proposes tactics."""
    data = tmp_path / "sft"
    build_sft_dataset(iter_trajectories([ROOT / "data" / "corpus" / "trajectories_train.jsonl"]), data, "segment", "bfs-prover")
    res = train(replace(load_config(ROOT / "configs" / "tiny-cpu.yaml"), data=str(data), out=str(tmp_path / "run")), progress=False)
    assert res.last_loss < 0.25 * res.first_loss and res.valid_loss < 1.0
    recs, valid = read_sft(data)
    out = LMPolicy(HFBackend(res.model_dir, device="cpu"), "bfs-prover", GenConfig(max_new_tokens=48, seed=0)).propose(
        [Query(r["state"]) for r in valid[:8]], 8)
    assert sum(any(c.tactics == tuple(r["tactics"]) for c in cs) for r, cs in zip(valid[:8], out)) >= 2


def test_papermill_train_experiment(tmp_path):
    """The experiment notebook runs in batch with parameters, as its header shows."""
    import papermill as pm
    nb = ROOT / "nbs" / "experiments" / "train.ipynb"
    params = {"name": "t", "granularity": "whole", "max_trajectories": 60, "steps": 4,
              "output_dir": str(tmp_path / "runs"), "figures_dir": str(tmp_path / "fig")}
    pm.execute_notebook(str(nb), str(tmp_path / "out.ipynb"), parameters=params, kernel_name="python3",
                        progress_bar=False, cwd=str(nb.parent))
    run = tmp_path / "runs" / "train_t_whole" / "run"
    assert (run / "model" / "config.json").exists() and (tmp_path / "fig" / "train_t_whole.png").exists()
    assert {r["granularity"] for r in read_sft(tmp_path / "runs" / "train_t_whole" / "sft")[0]} == {"whole"}


def test_two_processes_match_one(sft, tmp_path):
    """DDP on CPU (torchrun, gloo): 2 processes × grad_accum 1 give the losses of 1 process × grad_accum 2."""
    import subprocess
    import sys
    script = tmp_path / "train_cli.py"
    script.write_text("import sys\nfrom segatp.cli import main\nsys.exit(main(['train', *sys.argv[1:]]))\n")
    common = ["--data", str(sft), "--steps", "3", "--no-progress", "--set", "batch_size=2", "--set", "log_every=1",
              "--set", "scratch.layers=1", "--set", "scratch.hidden_size=32", "--set", "scratch.heads=1"]
    ddp = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", str(script), "--out", str(tmp_path / "ddp")]
    one = [sys.executable, str(script), "--out", str(tmp_path / "one"), "--set", "grad_accum=2"]
    for cmd in (ddp, one):
        r = subprocess.run(cmd + common, capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stderr[-2000:]
        assert r.stdout.count("trained 3 steps") == 1
    assert RunFolder(tmp_path / "ddp").manifest()["versions"]["processes"] == 2
    la, lb = ([m["loss"] for m in read_metrics(tmp_path / d) if "loss" in m] for d in ("ddp", "one"))
    assert len(la) == 3 and all(abs(a - b) < 1e-4 for a, b in zip(la, lb))
