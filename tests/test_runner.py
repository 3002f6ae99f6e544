"""sim.runner.series_table: the one builder of the daily series table, read by a run's
results and by the explorer's charts."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.model import SERIES, make_model
from sim.runner import collect, series_table

from .conftest import small_scenario


def test_series_table_of_a_partly_run_model():
    model = make_model(small_scenario(), seed=3)
    empty = series_table(model)
    assert len(empty) == 0 and list(empty.columns) == ["step", "date", *SERIES]
    for _ in range(5):
        model.step()
    s = series_table(model)
    assert list(s.columns) == ["step", "date", *SERIES]
    assert s["step"].tolist() == [0, 1, 2, 3, 4] and s["step"].dtype == np.int64
    assert list(s["date"]) == list(model.calendar.dates[:5])
    for name, (dtype, _) in SERIES.items():
        assert s[name].dtype == dtype
        assert np.array_equal(s[name].to_numpy(), model.recorder.columns[name][:5])
    assert s["aware_users"].is_monotonic_increasing  # cumulative
    pd.testing.assert_frame_equal(collect(model).series, s)


def test_the_explorer_reads_the_same_table():
    from sim.viz.charts import series_frame

    model = make_model(small_scenario(), seed=3)
    for _ in range(4):
        model.step()
    s, f = series_table(model), series_frame(model)
    assert list(f.columns) == ["date", *SERIES]
    assert pd.api.types.is_datetime64_any_dtype(f["date"])
    assert [d.date() for d in f["date"]] == [pd.Timestamp(d).date() for d in s["date"]]
    pd.testing.assert_frame_equal(f[list(SERIES)], s[list(SERIES)])
