"""Every recorded REPL session replayed through the lean-repl backend, with the transcript player as the REPL."""
from __future__ import annotations

from dataclasses import replace

import pytest

from lean_fixtures import needs_transcripts, player_config, transcript_params
from segatp.core import LeanError, ProofFinished, TacticState, Theorem, Verdict, count_goals
from segatp.lean.pool import ReplPool
from segatp.lean.guard import scan_lean
from segatp.lean.protocol import (CommandResponse, ReplFailure, TacticResponse, Transcript, command_verdict, decode,
                                  parse_response, to_tactic_result)
from segatp.lean.repl import LeanReplEnv

# Read off the transcripts by hand: a command's verdict, a tactic's goal count, `finished`, `error` (a step that
# failed though the REPL answered normally), `failure` (the REPL's `{"message": ...}`).
EXPECTED = {
    "all_tactics-20250622": ["proved", "finished"],
    "app_type_mismatch2": ["failed", "sorry", 2, 1, "error", "error", "failure"],
    "assumption_proof": ["sorry", "finished"],
    "dup_msg": ["proved", "proved", "failed"],
    "have_by_sorry": ["failed", "sorry", "error"],
    "incomplete": ["failed", "failed"],
    "invalid_line_break": ["failed", "failed"],
    "invalid_tactic": ["sorry", "error"],
    "line_breaks": ["failed", "sorry", "proved"],
    "name_generator": ["sorry"] + ["error"] * 8,
    "no_goal_sorry": ["failed"],
    "options": ["proved", "proved", "proved"],
    "pickle_proof_state_1": ["proved", "sorry", 1, 1, 1, 1, 1, "finished"],
    "proof_branching2": ["sorry", 1, 1, 1, 2, 1, "finished"],
    "proof_step": ["sorry", 1, 1, "finished"],
    "proof_transitivity": ["sorry", "finished", "sorry", "finished"],
    "readme": ["sorry", 1, "finished"],
    "root_goals": ["sorry", "finished", "finished"],
    "self_proof_check": ["failed", "sorry", "failure", "sorry", "failure", "sorry", "failure", "sorry", "failure"],
    "self_proof_rw": ["failed", "sorry", "error"],
    "sorry_hypotheses": ["sorry", "error"],
    "synthesize_placeholder": ["failed"],
    "tactic_sorry": ["sorry"],
    "trace_simp": ["proved", "proved", "proved", "proved", "sorry", 1, "finished", "proved"],
    "unfinished_tactic_block": ["failed"],
    "unknown_environment": ["failure"],
    "unknown_proof_state": ["sorry", "failure"],
    "variables": ["proved", "proved", "sorry"],
}


def summary(resp) -> str | int:
    """What a parsed response amounts to, in the vocabulary of `EXPECTED`."""
    if isinstance(resp, ReplFailure): return "failure"
    if isinstance(resp, CommandResponse): return command_verdict(resp)[0].value
    res = to_tactic_result(resp)
    return "finished" if isinstance(res, ProofFinished) else "error" if isinstance(res, LeanError) else res.num_goals


def check_command(resp: CommandResponse, raw: dict) -> None:
    """A command response carries exactly the recorded env, messages, sorries and tactics."""
    assert resp.env == raw.get("env")
    assert [(m.severity, m.data, m.line) for m in resp.messages] == \
        [(m["severity"], m["data"], m.get("pos", {}).get("line", 0)) for m in raw.get("messages", [])]
    assert [(s.proof_state, s.goal) for s in resp.sorries] == [(s["proofState"], s["goal"]) for s in raw.get("sorries", [])]
    assert [(t.tactic, t.goals, t.proof_state) for t in resp.tactics] == \
        [(t["tactic"], t["goals"], t["proofState"]) for t in raw.get("tactics", [])]
    errors = [m for m in raw.get("messages", []) if m["severity"] == "error"]
    sorry = raw.get("sorries") or any("declaration uses `sorry`" in m["data"] for m in raw.get("messages", []))
    want = Verdict.FAILED if errors else Verdict.SORRY if sorry else Verdict.PROVED
    assert command_verdict(resp)[0] == want


def check_tactic(resp: TacticResponse, raw: dict) -> None:
    """A tactic response maps to the right result: goals and their count, finished, or an error."""
    res = to_tactic_result(resp)
    goals, status = raw.get("goals", []), raw.get("proofStatus")
    failed = any(m["severity"] == "error" for m in raw.get("messages", [])) or raw.get("sorries")
    if failed: assert isinstance(res, LeanError)
    elif goals:
        assert isinstance(res, TacticState) and res.id == raw["proofState"]
        assert res.pp == "\n\n".join(goals) and res.num_goals == len(goals) == count_goals(res.pp)
        assert [g.pp for g in res.goals] == goals
    elif status in (None, "Completed"): assert isinstance(res, ProofFinished) and res.id == raw["proofState"]
    else: assert res == LeanError(status)


@pytest.mark.parametrize("path", transcript_params())
def test_transcript_replay(path):
    """Send every recorded request through a pooled REPL session and check every parsed response."""
    tr = Transcript.load(path)
    with ReplPool(player_config(path)) as pool, pool.session() as s:
        got = [s.request(decode(q), timeout=30) for q in tr.requests]
    for resp, raw_text in zip(got, tr.responses):
        raw = decode(raw_text)
        if isinstance(resp, ReplFailure): assert resp.message == raw["message"], resp.message
        elif isinstance(resp, CommandResponse): check_command(resp, raw)
        else:
            assert isinstance(resp, TacticResponse), resp
            check_tactic(resp, raw)
    if tr.name in EXPECTED: assert [summary(r) for r in got] == EXPECTED[tr.name]


def env_transcripts() -> list:
    """Transcripts shaped like a proof search: a statement with `by sorry`, then guard-clean tactics."""
    out = []
    for p in [x.values[0] for x in transcript_params() if x.values[0] is not None]:
        reqs = [decode(q) for q in Transcript.load(p).requests]
        first, rest = reqs[0], reqs[1:]
        if (set(first) == {"cmd"} and first["cmd"].endswith(":= by sorry") and rest
                and all(set(r) == {"tactic", "proofState"} and not scan_lean(r["tactic"]) for r in rest)):
            out.append(pytest.param(p, id=f"transcript-env-{p.name[:-3]}"))
    return out or [pytest.param(None, id="transcript-env-missing", marks=pytest.mark.skip(reason="no transcripts"))]


@pytest.mark.parametrize("path", env_transcripts())
def test_transcript_env(path):
    """Replay a search-shaped session through `LeanReplEnv.run_tac`, branching on recorded proof states."""
    tr = Transcript.load(path)
    reqs = [decode(q) for q in tr.requests]
    thm = Theorem(tr.name, reqs[0]["cmd"].removesuffix(":= by sorry").rstrip())
    with LeanReplEnv(thm, player_config(path)) as (env, init):
        hole = decode(tr.responses[0])["sorries"][0]
        assert (init.pp, init.id) == (hole["goal"], hole["proofState"])
        states = {init.id: init}
        for req, raw_text in zip(reqs[1:], tr.responses[1:]):
            state = states.get(req["proofState"], replace(init, id=req["proofState"]))
            res = env.run_tac(state, req["tactic"])
            want = to_tactic_result(parse_response(raw_text))
            assert res == want and getattr(res, "id", None) == getattr(want, "id", None), (req, res, want)
            if isinstance(res, TacticState): states[res.id] = res
            assert not (isinstance(res, LeanError) and res.error.startswith("player:")), res.error


@needs_transcripts
def test_env_transcripts_found():
    """The search-shaped transcripts include the branching proofs."""
    names = {p.id for p in env_transcripts()}
    assert {"transcript-env-readme", "transcript-env-proof_branching2", "transcript-env-proof_step"} <= names
