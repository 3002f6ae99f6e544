"""A batch's consolidated merchants table: one row per run and merchant, the runs'
``merchants.parquet`` in plan order behind their run id, point and replicate; kept right
by resume and by re-consolidating a batch written before the table existed."""

from __future__ import annotations

import filecmp

import pandas as pd

from sim.batch import load_results, plan_batch, run_batch

from ..tiny_batch import complete_runs, tiny_batch

BODY = 'replicates = 3\nseed = 5\n[sweep]\n"merchants.sme.count" = [4, 9]\n'


def expected_merchants(batch_dir, plan) -> pd.DataFrame:
    """The complete runs' merchants tables, in plan order, each led by its run's keys."""
    parts = []
    for r in plan.runs:
        folder = batch_dir / "runs" / r.run_id
        if not (folder / "manifest.json").is_file():
            continue
        t = pd.read_parquet(folder / "merchants.parquet")
        t.insert(0, "replicate", r.replicate)
        t.insert(0, "point", r.point)
        t.insert(0, "run_id", r.run_id)
        parts.append(t)
    return pd.concat(parts, ignore_index=True)


def test_merchants_table_is_every_runs_merchants_in_plan_order(tmp_path):
    p = tiny_batch(tmp_path, BODY)
    out = run_batch(p, out=tmp_path / "b", workers=2)
    plan = plan_batch(p)
    got = load_results(out.folder).merchants
    want = expected_merchants(out.folder, plan)
    assert out.completed == 6
    # points differ in their merchant count: 3 runs of each, brands and white labels alike
    counts = got.groupby("run_id", sort=False).size()
    assert counts.nunique() == 2 and len(got) == counts.sum()
    pd.testing.assert_frame_equal(got, want, check_dtype=True)
    assert list(got.columns[:3]) == ["run_id", "point", "replicate"]
    assert list(got["run_id"].unique()) == [r.run_id for r in plan.runs]
    assert str(got["kind"].dtype) == "category"


def test_resume_and_reconsolidation_keep_the_merchants_table(tmp_path):
    p = tiny_batch(tmp_path, BODY)
    full = run_batch(p, out=tmp_path / "full", workers=1)
    part = tmp_path / "part"
    run_batch(p, out=part, workers=1)
    # an interruption: two runs and the consolidated tables lost
    for f in complete_runs(part)[:2]:
        for x in f.iterdir():
            x.unlink()
        f.rmdir()
    for t in ("runs.parquet", "merchants.parquet"):
        (part / t).unlink()
    again = run_batch(p, out=part, workers=1, resume=True)
    assert again.skipped == 4 and again.completed == 2
    assert filecmp.cmp(full.folder / "merchants.parquet", part / "merchants.parquet", shallow=False)
    pd.testing.assert_frame_equal(load_results(part).merchants, expected_merchants(part, plan_batch(p)))
    # a batch consolidated before the table existed: resume with nothing to run writes it
    (part / "merchants.parquet").unlink()
    assert load_results(part).merchants.empty
    done = run_batch(p, out=part, workers=1, resume=True)
    assert done.skipped == 6 and done.completed == 0
    assert filecmp.cmp(full.folder / "merchants.parquet", part / "merchants.parquet", shallow=False)


def test_points_whose_merchants_tables_differ_in_columns_share_one_table(tmp_path):
    # paid traffic adds the merchants' paid impressions and ad spend: the batch's table has
    # the union of the columns, null in the rows of runs without paid traffic (the first
    # point's runs, so the table's first schema lacks them)
    p = tiny_batch(tmp_path, 'replicates = 2\nseed = 5\n[sweep]\n"policy.paid_traffic.enabled" = [false, true]\n')
    out = run_batch(p, out=tmp_path / "b", workers=1)
    assert out.completed == 4 and out.failed == 0
    got = load_results(out.folder).merchants
    paid = got["point"] == 1
    assert {"paid_impressions", "ad_spend"} <= set(got.columns)
    assert got.loc[~paid, "ad_spend"].isna().all() and got.loc[paid, "ad_spend"].notna().all()
    assert (got.loc[paid, "ad_spend"] >= 0).all() and got.loc[paid, "ad_spend"].sum() > 0
    want = expected_merchants(out.folder, plan_batch(p))
    pd.testing.assert_frame_equal(got[want.columns], want, check_dtype=False)
