"""The same batch gives byte-identical per-run outputs and identical consolidated tables
with 1 worker, 2 worker processes and a Dask LocalCluster of 2 workers."""

from __future__ import annotations

import pandas as pd

from sim.batch import load_results, run_batch

from ..tiny_batch import assert_same_runs, assert_same_tables, complete_runs, tiny_batch


def test_one_two_workers_and_dask_give_identical_outputs(tmp_path):
    p = tiny_batch(tmp_path, 'replicates = 3\nseed = 9\nevents = true\n'
                   '[sweep]\n"policy.commercial_share" = [0.02, 0.3]\n')
    one = run_batch(p, out=tmp_path / "w1", workers=1)
    two = run_batch(p, out=tmp_path / "w2", workers=2)
    dask = run_batch(p, out=tmp_path / "dask", dask_local=2)
    assert one.completed == two.completed == dask.completed == 6
    assert len(complete_runs(one.folder)) == 6
    for other in (two.folder, dask.folder):
        assert_same_runs(one.folder, other)
        assert_same_tables(one.folder, other)
    res = load_results(dask.folder)
    assert "dask" in res.manifest["executor"]
    assert len(res.timeseries) == 6 * 15 and res.events is not None and len(res.events) > 0
    # the points really differ, so identical tables are not identical by accident
    sent = res.runs.groupby("point")["gifts_sent"].mean()
    assert sent[1] > sent[0]
    # and the tables hold the runs' own numbers
    for rid, row in res.runs.set_index("run_id").iterrows():
        series = pd.read_parquet(dask.folder / "runs" / rid / "series.parquet")
        assert row["gifts_sent"] == series["gifts_sent"].sum()
