"""``mesa.batch_run`` over GiftModel: the DataCollector's rows are the daily series of
``sim.run`` for the same scenario and seed."""

from __future__ import annotations

import multiprocessing as mp
import warnings

import mesa
import numpy as np
import pandas as pd
import pytest

from sim import run
from sim.model import SERIES, GiftModel
from sim.model.mesa_data import REPORTERS, SHARES
from sim.scenario import load_scenario
from tests.model.test_mesa_interop import DAYS, SMALL

SHARE_LOW, SHARE_HIGH = 0.02, 0.2
SEEDS = [1, 2, 3]


@pytest.fixture(scope="module")
def small_path(tmp_path_factory):
    p = tmp_path_factory.mktemp("mesa_batch") / "small.toml"
    p.write_text(SMALL)
    return p


@pytest.fixture(autouse=True)
def keep_start_method():
    """batch_run forces the "spawn" start method on the whole process: put back the one before."""
    before = mp.get_start_method(allow_none=True)
    yield
    mp.set_start_method(before, force=True)


def _batch(path, processes: int = 1, **seeds) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # iterations= is deprecated in Mesa 3.5
        rows = mesa.batch_run(GiftModel, parameters={"scenario": str(path),
                                                     "policy.commercial_share": [SHARE_LOW, SHARE_HIGH]},
                              max_steps=10_000, number_processes=processes, data_collection_period=1,
                              display_progress=False, **seeds)
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def batch(small_path) -> pd.DataFrame:
    before = mp.get_start_method(allow_none=True)
    out = _batch(small_path, rng=SEEDS)
    mp.set_start_method(before, force=True)
    return out


def _run_of(df: pd.DataFrame, seed: int, share: float) -> pd.DataFrame:
    return df[(df["seed"] == seed) & (df["policy.commercial_share"] == share)].sort_values("Step")


def test_one_row_per_run_and_day_with_every_series(batch):
    assert len(batch) == len(SEEDS) * 2 * DAYS
    assert set(REPORTERS) <= set(batch.columns) and {"RunId", "iteration", "Step", "scenario"} <= set(batch.columns)
    assert batch.groupby("RunId").size().tolist() == [DAYS] * 6
    assert sorted(batch["Step"].unique().tolist()) == list(range(1, DAYS + 1))


@pytest.mark.parametrize("share", [SHARE_LOW, SHARE_HIGH])
@pytest.mark.parametrize("seed", SEEDS)
def test_rows_are_the_series_of_sim_run(batch, small_path, seed, share):
    got = _run_of(batch, seed, share)
    ref = run(load_scenario(small_path, [("policy.commercial_share", share)]), seed=seed)
    assert got["date"].tolist() == [str(d)[:10] for d in ref.series["date"]]
    for name in SERIES:
        assert np.array_equal(got[name].to_numpy(), ref.series[name].to_numpy()), name
    last = got.iloc[-1]
    for name in SHARES:
        assert last[name] == pytest.approx(ref.summary[name], rel=1e-12), name


def test_seeds_differ_and_the_same_seed_reproduces(batch, small_path):
    a, b = _run_of(batch, 1, SHARE_HIGH), _run_of(batch, 2, SHARE_HIGH)
    assert not np.array_equal(a["gifts_sent"].to_numpy(), b["gifts_sent"].to_numpy())
    again = _batch(small_path, rng=[1])
    cols = ["Step", *SERIES]
    assert again[again["policy.commercial_share"] == SHARE_HIGH][cols].reset_index(drop=True).equals(
        a[cols].reset_index(drop=True))


def test_a_larger_commercial_share_sells_more(batch):
    totals = batch.groupby(["seed", "policy.commercial_share"])[["commercial_impressions", "gifts_sent",
                                                                  "gmv_rmb"]].sum()
    for seed in SEEDS:
        low, high = totals.loc[(seed, SHARE_LOW)], totals.loc[(seed, SHARE_HIGH)]
        assert high["commercial_impressions"] > 5 * low["commercial_impressions"]
        assert high["gifts_sent"] > low["gifts_sent"] and high["gmv_rmb"] > low["gmv_rmb"]


def test_iterations_draw_a_seed_each_and_rows_name_it(small_path):
    df = _batch(small_path, iterations=2)
    assert len(df) == 2 * 2 * DAYS
    seeds = df.groupby("RunId")["seed"].unique()
    assert all(len(s) == 1 for s in seeds) and len({int(s[0]) for s in seeds}) == 4
    first = df[df["RunId"] == 0]
    again = GiftModel(small_path, seed=int(first["seed"].iloc[0]),
                      **{"policy.commercial_share": float(first["policy.commercial_share"].iloc[0])})
    again.run()
    assert np.array_equal(first["gifts_sent"].to_numpy(), again.recorder.columns["gifts_sent"])


def test_two_worker_processes_give_the_same_rows(batch, small_path):
    two = _batch(small_path, processes=2, rng=SEEDS)
    key = ["seed", "policy.commercial_share", "Step"]
    cols = [*key, *REPORTERS[1:]]
    pd.testing.assert_frame_equal(two[cols].sort_values(key).reset_index(drop=True),
                                  batch[cols].sort_values(key).reset_index(drop=True))


def test_the_fast_collect_equals_mesas_own(small_path):
    m = GiftModel(small_path, seed=4)
    plain = mesa.DataCollector(model_reporters=m.datacollector.own_reporters)
    for day in range(1, 6):
        m.step()
        plain.collect(m)
        if day == 3:  # read mid-run (as SolaraViz's plots do after each step): filled in so far
            assert len(m.datacollector.get_model_vars_dataframe()) == 3
    assert m.datacollector.is_default()
    assert plain.model_vars == m.datacollector.model_vars
    assert plain._collection_steps == m.datacollector._collection_steps == [1.0, 2.0, 3.0, 4.0, 5.0]


def test_an_added_reporter_is_collected_by_mesa(small_path):
    m = GiftModel(small_path, seed=4)
    m.datacollector._new_model_reporter("gifts_in_ledger", lambda model: len(model.ledger))
    assert not m.datacollector.is_default()
    m.run()
    df = m.datacollector.get_model_vars_dataframe()
    assert len(df) == DAYS and df["gifts_in_ledger"].iloc[-1] == len(m.ledger) > 0
    assert df["gifts_sent"].sum() == len(m.ledger)
