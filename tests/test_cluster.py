"""`segatp prove --ray` and `segatp trace --ray` on a local Ray cluster: the same results as a local run (automation,
a seeded sampling model, a policy server), a worker actor killed mid-run, the driver killed with kill -9 and resumed."""
import json
import os
import signal
import subprocess
import threading
import time
from functools import partial

import pytest

pytest.importorskip("ray", reason='Ray is not installed: pip install -e ".[cluster]"')

import ray  # noqa: E402

import segatp.cluster  # noqa: E402
from segatp.cluster import Cluster, RayAddress  # noqa: E402
from segatp.core import PACKAGE_ROOT  # noqa: E402
from segatp.prove import RESULTS, SUMMARY, TIMING_FIELDS, Budget, Rollouts, prove_command  # noqa: E402
from segatp.trace import trace_command  # noqa: E402

CORPUS_TEST = PACKAGE_ROOT.parent / "data" / "corpus" / "theorems_test.jsonl"
ON_RAY = Cluster(RayAddress(""))  # `--ray` alone: the test's cluster, already started


@pytest.fixture(scope="module", autouse=True)
def local_cluster():
    """One local Ray cluster of two CPUs for the module (it takes about ten seconds to start)."""
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    yield
    ray.shutdown()


def first(n: int, tmp_path) -> str:
    f = tmp_path / f"first{n}.jsonl"
    f.write_text("".join(CORPUS_TEST.read_text().splitlines(keepends=True)[:n]))
    return str(f)


def results(run) -> list[dict]:
    return [json.loads(l) for l in (run / RESULTS).read_text().splitlines()]


def comparable(rows: list[dict]) -> list[dict]:
    """Rows sorted by key, timings aside: what two runs of a seeded policy must agree on."""
    return sorted(({k: v for k, v in r.items() if k not in TIMING_FIELDS} for r in rows), key=lambda r: r["key"])


def test_automation_on_ray_matches_local(tmp_path):
    ten, kw = first(10, tmp_path), dict(budget=Budget(expansions=20), rollouts=Rollouts(True))
    prove_command([ten], out=str(tmp_path / "local"), **kw)
    prove_command([ten], out=str(tmp_path / "ray"), concurrency=2, cluster=ON_RAY, **kw)
    local, on_ray = results(tmp_path / "local"), results(tmp_path / "ray")
    assert len(on_ray) == len({r["key"] for r in on_ray}) == 10
    assert comparable(on_ray) == comparable(local)
    session = json.loads((tmp_path / "ray" / SUMMARY).read_text())["session"]
    assert (session["ray_actors"], session["ray_retried"]) == (2, 0)


@pytest.fixture(scope="module")
def tiny_policy(tmp_path_factory):
    """A seeded, sampling tiny `hf` policy config (a model made here from corpus statements)."""
    pytest.importorskip("torch", reason="the hf backend needs torch (the train extra)")
    from segatp.lm import TinyLlama, make_tiny_model
    d = tmp_path_factory.mktemp("tiny")
    texts = [json.loads(l)["statement"] for l in CORPUS_TEST.read_text().splitlines()[:10]] + ["linarith", "simp"]
    make_tiny_model(texts, d / "model", TinyLlama(vocab_size=300, hidden_size=32, layers=1, heads=2, intermediate_size=64))
    (d / "policy.yaml").write_text(f"backend: hf\nmodel: {d / 'model'}\ndevice: cpu\n"
                                   "gen:\n  max_new_tokens: 12\n  temperature: 1.0\n")
    return str(d / "policy.yaml")


def test_seeded_model_on_ray_matches_local(tmp_path, tiny_policy, monkeypatch):
    """Each actor loading the model, and one policy server for both actors: the same samples as one process."""
    four, kw = first(4, tmp_path), dict(policy=tiny_policy, budget=Budget(expansions=3), seed=5)
    prove_command([four], out=str(tmp_path / "local"), **kw)
    prove_command([four], out=str(tmp_path / "actors"), concurrency=2, cluster=ON_RAY, **kw)
    head = ray.get_runtime_context().get_node_id()  # a CPU "GPU node" for the test: the server takes no GPU
    monkeypatch.setattr(segatp.cluster, "start_policy_servers",
                        partial(segatp.cluster.start_policy_servers, nodes=[(head, 1)], gpus=0))
    prove_command([four], out=str(tmp_path / "server"), concurrency=2, cluster=ON_RAY, **kw)
    local = comparable(results(tmp_path / "local"))
    assert all(r["generated_tokens"] > 0 for r in local)  # the model really sampled
    assert comparable(results(tmp_path / "actors")) == local
    assert comparable(results(tmp_path / "server")) == local


def _worker_actor_pids() -> list[int]:
    """Live processes of `WorkerActor`s (Ray names them in their process title)."""
    out = subprocess.run(["ps", "-eo", "pid=,stat=,args="], capture_output=True, text=True, check=True).stdout
    return [int(l.split()[0]) for l in out.splitlines() if "ray::WorkerActor" in l and l.split()[1][0] != "Z"]


def test_killed_actor_has_its_theorems_retried(tmp_path):
    many, kw = first(40, tmp_path), dict(budget=Budget(expansions=40))
    prove_command([many], out=str(tmp_path / "local"), **kw)
    run = tmp_path / "ray"
    job = threading.Thread(target=prove_command, args=([many],), kwargs=dict(out=str(run), cluster=ON_RAY, **kw))
    job.start()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not ((run / RESULTS).exists() and (run / RESULTS).read_bytes().count(b"\n") >= 2):
        time.sleep(0.01)
    pids = _worker_actor_pids()
    assert pids, "no worker actor to kill"
    os.kill(pids[0], signal.SIGKILL)
    job.join(180)
    rows = results(run)
    assert len(rows) == len({r["key"] for r in rows}) == 40  # none lost, none written twice
    assert comparable(rows) == comparable(results(tmp_path / "local"))
    session = json.loads((run / SUMMARY).read_text())["session"]
    assert session["ray_replaced"] >= 1 and session["ray_retried"] >= 1, session


def test_driver_killed_and_resumed(tmp_path):
    """`segatp prove --ray local` killed with kill -9 (its own local cluster with it), then `--resume`."""
    many = first(40, tmp_path)
    args = ["segatp", "prove", many, "--out", str(tmp_path / "run"), "--expansions", "40", "--ray", "local"]
    prove_command([many], out=str(tmp_path / "local"), budget=Budget(expansions=40))
    p = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    f, deadline = tmp_path / "run" / RESULTS, time.monotonic() + 120
    while time.monotonic() < deadline and p.poll() is None and not (f.exists() and f.read_bytes().count(b"\n") >= 3):
        time.sleep(0.01)
    os.killpg(p.pid, signal.SIGKILL)
    assert p.wait() == -signal.SIGKILL, "the run ended before it could be killed"
    before = f.read_bytes().count(b"\n")
    assert 3 <= before < 40
    r = subprocess.run([*args, "--resume"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "done before" in r.stdout
    rows = results(tmp_path / "run")
    assert len(rows) == len({r["key"] for r in rows}) == 40
    assert comparable(rows) == comparable(results(tmp_path / "local"))


def test_trace_on_ray_matches_local(tmp_path):
    twelve = first(12, tmp_path)
    assert trace_command([twelve], out=str(tmp_path / "local.jsonl")) == 0
    assert trace_command([twelve], out=str(tmp_path / "ray.jsonl"), cluster=ON_RAY) == 0
    rows = lambda p: sorted(p.read_text().splitlines())
    assert len(rows(tmp_path / "ray.jsonl")) == 12 and rows(tmp_path / "ray.jsonl") == rows(tmp_path / "local.jsonl")
    assert rows(tmp_path / "ray.failed.jsonl") == rows(tmp_path / "local.failed.jsonl") == []
