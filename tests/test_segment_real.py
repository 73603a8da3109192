"""The segmenter's contract on every real trajectory file in ../shared/data."""
from pathlib import Path

import pytest

from segatp.core import count_goals, shared_data_dir
from segatp.segment import SegmentRule, check_segments, trajectory_examples
from segatp.trajectory import LoadReport, iter_trajectories

_shared = shared_data_dir()
REAL_FILES = sorted((_shared / "trajectories").rglob("*.json")) + [_shared / "leandojo-benchmark-4" / "random_val_prefix.json"] \
    if _shared else []


def independent_segments(traj):
    """The segment rule written out plainly, independent of the package's implementation."""
    out, cur = [], []
    for i, s in enumerate(traj.steps):
        cur.append(s.tactic)
        if count_goals(s.state_after) != count_goals(s.state_before) or i == len(traj.steps) - 1:
            out.append(cur)
            cur = []
    return out


@pytest.mark.skipif(not REAL_FILES, reason="the real public data folder ../shared/data is absent")
@pytest.mark.parametrize("path", REAL_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_granularity_counts_and_segment_rule(path: Path):
    report = LoadReport()
    trajs = list(iter_trajectories(path, report))
    assert not report.bad
    step = sum(len(trajectory_examples(t, "step")) for t in trajs)
    whole = sum(len(trajectory_examples(t, "whole")) for t in trajs)
    assert step == report.steps == sum(len(t.steps) for t in trajs)
    assert whole == report.trajectories == len(trajs)
    for t in trajs:
        seg = trajectory_examples(t, "segment")
        check_segments(t, seg)
        assert [list(e.tactics) for e in seg] == independent_segments(t)
        for e in seg:
            assert e.state == t.steps[e.start].state_before
            assert e.goals_before == count_goals(e.state)
            assert e.goals_after == count_goals(t.steps[e.start + len(e.tactics) - 1].state_after)


def test_real_totals(shared):
    """Totals over the shared data, as its README states them."""
    r1, r2 = LoadReport(), LoadReport()
    search = list(iter_trajectories(shared / "trajectories", r1))
    bench = list(iter_trajectories(shared / "leandojo-benchmark-4", r2))
    assert (r1.trajectories, r1.steps) == (354, 534)
    assert (r2.trajectories, r2.steps, r2.no_tactics) == (122, 513, 118)
    deltas = [(count_goals(s.state_after) > count_goals(s.state_before)) - (count_goals(s.state_after) < count_goals(s.state_before))
              for t in bench for s in t.steps]
    assert (deltas.count(1), deltas.count(0), deltas.count(-1)) == (42, 252, 219)


@pytest.mark.parametrize("rule", [SegmentRule("increase"), SegmentRule("decrease"), SegmentRule("focus"),
                                  SegmentRule(min_len=2), SegmentRule(max_len=2), SegmentRule(min_len=2, max_len=3)])
def test_variants_tile_every_real_proof(shared, rule):
    for t in iter_trajectories([shared / "trajectories", shared / "leandojo-benchmark-4"]):
        seg = trajectory_examples(t, "segment", rule)
        assert [x for e in seg for x in e.tactics] == t.tactics
        assert [e.start for e in seg] == [sum(len(e.tactics) for e in seg[:i]) for i in range(len(seg))]
        if rule.max_len: assert max(len(e.tactics) for e in seg) <= rule.max_len
