"""The PRIM layer of scenario discovery (sim.analysis.prim) on synthetic draws with planted
boxes: the boxes found, their statistics recounted by hand, determinism, the settings'
guards and the message when the optional ema-workbench is missing."""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest

from sim.analysis import PRIM_INSTALL, PrimSettings, PrimUnavailableError, find_boxes

PLANTED = {"k0": (0.2, 0.5), "k1": (0.6, 0.9)}


def uniform_draws(n: int, dims: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(rng.uniform(size=(n, dims)), columns=[f"k{i}" for i in range(dims)])


def inside(x: pd.DataFrame, box: dict[str, tuple[float, float]]) -> np.ndarray:
    hit = np.ones(len(x), bool)
    for k, (lo, hi) in box.items():
        hit &= (x[k] >= lo).to_numpy() & (x[k] <= hi).to_numpy()
    return hit


def recount(x: pd.DataFrame, cases: np.ndarray, rows: pd.DataFrame) -> tuple[int, int]:
    """Draws and cases inside one found box, counted here from its bounds."""
    hit = inside(x, {p: (lo, hi) for p, lo, hi in zip(rows["parameter"], rows["low"], rows["high"])})
    return int(hit.sum()), int(cases[hit].sum())


@pytest.mark.parametrize("dims, seed", [(2, 1), (3, 2), (4, 3)])
def test_a_planted_box_is_recovered(dims, seed):
    x = uniform_draws(1000, dims, seed)
    planted = inside(x, PLANTED)
    noise = np.random.default_rng(seed + 100).uniform(size=len(x)) < 0.01  # 1% of the labels flipped
    cases = planted ^ noise
    found = find_boxes(x, cases)
    boxes = found.boxes
    assert found.n_boxes == 1
    box = boxes.set_index("parameter")
    for k, (lo, hi) in PLANTED.items():
        assert box.loc[k, "low"] == pytest.approx(lo, abs=0.05)
        assert box.loc[k, "high"] == pytest.approx(hi, abs=0.05)
    # any other parameter PRIM restricts keeps nearly all of its range (a sliver peeled off by the noise)
    for k in set(box.index) - set(PLANTED):
        assert box.loc[k, "high"] - box.loc[k, "low"] >= 0.9 * (box.loc[k, "range_high"] - box.loc[k, "range_low"])
    r = boxes.iloc[0]
    assert r["coverage"] > 0.8 and r["density"] > 0.8
    # the statistics are those of the box's bounds over the draws
    n_in, k_in = recount(x, cases, boxes)
    assert (int(r["draws"]), int(r["cases"])) == (n_in, k_in)
    assert r["coverage"] == pytest.approx(k_in / cases.sum())
    assert r["density"] == pytest.approx(k_in / n_in)
    assert r["mass"] == pytest.approx(n_in / len(x))
    assert r["restricted"] == len(boxes)
    # the trajectory starts from every draw and marks the box kept
    traj = found.trajectory
    assert traj.iloc[0][["coverage", "mass", "draws"]].tolist() == [1.0, 1.0, 1000]
    kept = traj[traj["chosen"]]
    assert len(kept) == 1 and kept.iloc[0]["density"] == pytest.approx(r["density"])
    assert (traj["mass"] >= 0.05 - 1e-9).all()


def test_the_same_draws_give_the_same_boxes():
    x = uniform_draws(400, 3, 7)
    cases = inside(x, PLANTED)
    a, b = find_boxes(x, cases), find_boxes(x, cases)
    pd.testing.assert_frame_equal(a.boxes, b.boxes)
    pd.testing.assert_frame_equal(a.trajectory, b.trajectory)


def test_two_planted_boxes_are_found_one_after_the_other():
    x = uniform_draws(2000, 3, 11)
    second = {"k0": (0.7, 0.95), "k2": (0.05, 0.35)}
    cases = inside(x, PLANTED) | inside(x, second)
    found = find_boxes(x, cases, PrimSettings(max_boxes=2))
    assert found.n_boxes == 2
    firsts = [found.boxes[found.boxes["box"] == b].set_index("parameter") for b in (1, 2)]
    # each planted box is one of the two found (PRIM takes the larger first: the second is larger)
    for planted in (PLANTED, second):
        match = [f for f in firsts if set(planted) <= set(f.index)
                 and all(abs(f.loc[k, "low"] - lo) <= 0.05 and abs(f.loc[k, "high"] - hi) <= 0.05
                         for k, (lo, hi) in planted.items())]
        assert len(match) == 1, (planted, found.boxes)
    assert found.boxes.drop_duplicates("box")["coverage"].sum() > 0.8
    assert set(found.trajectory["box"]) == {1, 2}


def test_no_box_when_nothing_reaches_the_density():
    x = uniform_draws(300, 2, 5)
    cases = np.random.default_rng(5).uniform(size=300) < 0.3  # cases everywhere, nowhere dense
    found = find_boxes(x, cases, PrimSettings(min_density=0.95))
    assert found.n_boxes == 0 and list(found.boxes.columns)[:4] == ["box", "parameter", "low", "high"]
    assert len(found.trajectory) and not found.trajectory["chosen"].any()


@pytest.mark.parametrize("field, value", [("min_density", 0.0), ("min_density", 1.5), ("peel_alpha", 0.5),
                                          ("paste_alpha", 0.0), ("mass_min", 1.0), ("max_boxes", 0)])
def test_settings_out_of_range_are_refused_naming_the_setting(field, value):
    with pytest.raises(ValueError, match=field):
        PrimSettings(**{field: value})


def test_without_ema_workbench_the_message_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "ema_workbench", None)  # import ema_workbench raises ImportError
    monkeypatch.setitem(sys.modules, "ema_workbench.analysis", None)
    with pytest.raises(PrimUnavailableError) as info:
        find_boxes(uniform_draws(50, 2, 1), np.arange(50) < 10)
    assert PRIM_INSTALL in str(info.value) and "giftsim[discover]" in str(info.value)
