"""How large batches are shown (issue 12): the console comparison of hundreds of points,
text in brackets kept from rich markup, report figures of a 100-point sweep, dashboard
bands within an outcome's range and sampled designs drawn as points, and the explorer's
seed message cleared by a valid seed."""

from __future__ import annotations

import dataclasses
import struct
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from rich.console import Console
from scipy import stats

from ..conftest import small_scenario

# ---------------------------------------------------------------- console table


def _comparison(n_points: int, seed: int = 3) -> pd.DataFrame:
    """A comparison table of ``n_points`` with sampled-design point names: gifts_sent
    (symmetric intervals), acceptance_rate (undefined at some points, intervals clipped
    to [0, 1] near its ends), hhi (undefined everywhere)."""
    rng = np.random.default_rng(seed)
    share, push = rng.uniform(0, 1, n_points), rng.uniform(0, 1, n_points)
    gifts = rng.uniform(0, 900, n_points)
    rate = rng.uniform(0, 1, n_points)
    rate[rng.choice(n_points, n_points // 10, replace=False)] = np.nan
    return pd.DataFrame({
        "point": np.arange(n_points), "n": 2,
        "point_name": [f"share={a:.4f},push={b:.4f}" for a, b in zip(share, push)],
        "gifts_sent_mean": gifts, "gifts_sent_lo": gifts - 0.5, "gifts_sent_hi": gifts + 0.5, "gifts_sent_n": 2,
        "acceptance_rate_mean": rate, "acceptance_rate_lo": np.clip(rate - 0.25, 0, 1),
        "acceptance_rate_hi": np.clip(rate + 0.25, 0, 1), "acceptance_rate_n": np.where(np.isnan(rate), 0, 2),
        "hhi_mean": np.nan, "hhi_lo": np.nan, "hhi_hi": np.nan, "hhi_n": 0,
    })


def _print(monkeypatch, comp: pd.DataFrame, name: str, folder: Path) -> str:
    from sim.cli import batch_cmd

    console = Console(record=True, width=160)
    monkeypatch.setattr(batch_cmd, "console", console)
    spec = SimpleNamespace(name=name, outcomes=["gifts_sent", "acceptance_rate", "hhi"])
    batch_cmd._print_comparison(SimpleNamespace(comparison=comp, plan=SimpleNamespace(spec=spec), folder=folder))
    return console.export_text()


def _row(text: str, outcome: str) -> str:
    rows = [line for line in text.splitlines() if line.startswith(f"│ {outcome} ")]
    assert len(rows) == 1, text
    return rows[0]


def test_console_summary_of_512_points_names_each_outcomes_highest_and_lowest_point(monkeypatch, tmp_path):
    comp = _comparison(512)
    folder = tmp_path / "sens"
    text = _print(monkeypatch, comp, "sens", folder)
    lines = text.splitlines()
    assert len(lines) < 40  # one row per outcome, not per point
    flat = " ".join(text.split())
    assert "sens: 512 points" in flat
    assert f"every point's mean and interval: {folder / 'comparison.csv'}" in flat
    for o in ("gifts_sent", "acceptance_rate"):
        means = comp[f"{o}_mean"]
        top, bottom = comp.loc[means.idxmax()], comp.loc[means.idxmin()]
        row = _row(text, o)
        assert f"{int(means.notna().sum()):,}" in row.split("│")[2]
        cells = [c.strip() for c in row.split("│")]
        for r, cell in ((top, cells[3]), (bottom, cells[4])):
            assert cell.endswith(f"(#{int(r['point'])})"), cell
            # and the point's name, whole, in the table of the points named
            assert f"│ {int(r['point']):>3} │ {r['point_name']} " in text
        spread = means.max() - means.min()
        assert cells[5] == f"{spread:.4g}"
    gifts = [c.strip() for c in _row(text, "gifts_sent").split("│")]
    top, bottom = comp["gifts_sent_mean"].idxmax(), comp["gifts_sent_mean"].idxmin()
    assert gifts[3] == f"{comp.loc[top, 'gifts_sent_mean']:.4g} \u00b10.5 (#{top})"
    assert gifts[4] == f"{comp.loc[bottom, 'gifts_sent_mean']:.4g} \u00b10.5 (#{bottom})"
    # the interval of the highest acceptance rate was clipped at 1: shown as [lo, hi], explained below
    r = comp.loc[comp["acceptance_rate_mean"].idxmax()]
    assert f"{r['acceptance_rate_mean']:.4g} [{r['acceptance_rate_lo']:.4g}, 1]" in _row(text, "acceptance_rate")
    assert "mean [lo, hi]: the 95% interval was clipped to the outcome's range" in flat
    hhi = _row(text, "hhi")
    assert [c.strip() for c in hhi.split("│")[2:6]] == ["0", "-", "-", "-"]
    # no point beyond the two named per outcome is listed
    named = {comp.loc[comp[f"{o}_mean"].idxmax(), "point_name"] for o in ("gifts_sent", "acceptance_rate")}
    named |= {comp.loc[comp[f"{o}_mean"].idxmin(), "point_name"] for o in ("gifts_sent", "acceptance_rate")}
    assert sum(name in text for name in comp["point_name"]) == len(named)


def test_console_comparison_keeps_bracketed_text_from_rich_markup(monkeypatch, tmp_path):
    comp = _comparison(6, seed=1)
    comp.loc[0, ["acceptance_rate_mean", "acceptance_rate_lo", "acceptance_rate_hi"]] = [0.9, 0.7, 1.0]
    folder = tmp_path / "runs[a]"
    flat = " ".join(_print(monkeypatch, comp, "trial[x]", folder).split())
    assert "trial[x]: mean \u00b1 half-width of the 95% interval over replicates (mean [interval] where it was clipped)" \
        in flat
    assert "mean [lo, hi]: the 95% interval was clipped to the outcome's range (e.g. a share to [0, 1]" in flat
    assert f"all outcomes and intervals: {folder / 'comparison.csv'}" in flat
    assert "0.9 [0.7, 1]" in flat
    # the wide table (up to 4 points) and the summary (past 12) keep brackets too
    flat = " ".join(_print(monkeypatch, comp.head(3), "trial[x]", folder).split())
    assert "trial[x]: mean [95% interval] over replicates" in flat
    flat = " ".join(_print(monkeypatch, _comparison(40), "trial[x]", folder).split())
    assert "trial[x]: 40 points" in flat and f"{folder / 'comparison.csv'}" in flat


@pytest.mark.parametrize("n_points", [512, 8, 3])
def test_console_titles_promise_no_interval_with_one_replicate(monkeypatch, tmp_path, n_points):
    # replicates = 1 (t/sob.toml, 512 points): the title said "(mean over replicates ± half-width
    # of its 95% interval)" though no interval was shown
    comp = _comparison(n_points)
    comp["n"] = 1
    for o in ("gifts_sent", "acceptance_rate", "hhi"):
        comp[f"{o}_lo"] = comp[f"{o}_hi"] = np.nan
    flat = " ".join(_print(monkeypatch, comp, "sob", tmp_path).split())
    title = {512: "sob: 512 points, the best and the worst point value of each outcome (one run per point, so no "
                  "interval)", 8: "sob: one run per point, so no interval", 3: "sob: one run per point, so no interval"}
    assert title[n_points] in flat
    assert "interval:" not in flat and "intervals:" not in flat  # the path to comparison.csv promises none either
    assert "95% interval" not in flat and "replicates" not in flat and "[-, -]" not in flat
    top = comp["gifts_sent_mean"].idxmax()
    assert f"{comp.loc[top, 'gifts_sent_mean']:.4g}" in flat
    # two replicates at one point: intervals there, the usual title
    comp.loc[0, "n"] = 2
    assert "95% interval" in " ".join(_print(monkeypatch, comp, "sob", tmp_path).split())


def test_console_rows_fold_long_point_names_instead_of_squeezing_the_outcomes(monkeypatch, tmp_path):
    comp = _comparison(8)
    comp["point_name"] = [f"{n},annoyance_decay=0.{i}1234,accept_intercept=1.{i}5678,onboarding=0.{i}" * 2
                          for i, n in enumerate(comp["point_name"])]
    text = _print(monkeypatch, comp, "long", tmp_path)
    for _, r in comp.iterrows():
        assert f"{r['gifts_sent_mean']:.4g} \u00b10.5" in text


# ---------------------------------------------------------------- report figures


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def _sweep_folder(n_points: int, days: int = 15):
    """A 100-point sweep of policy.commercial_share as the report reads it, with two runs
    per point: senders 0 in one and ``share * 10 * day`` in the other (so the 95% band
    of the mean reaches far below 0)."""
    from sim.report.source import BatchFolder
    from sim.report.streams import CURVES, LORENZ_GRID, PointStreams

    shares = np.linspace(0.0, 0.5, n_points)
    points = pd.DataFrame({"point": np.arange(n_points), "name": [f"commercial_share={x:.4g}" for x in shares],
                           "variant": "base", "policy.commercial_share": shares})
    batch = BatchFolder(folder=Path("."), name="sweep100", manifest={}, points=points,
                        param_keys=["policy.commercial_share"], runs=pd.DataFrame(), comparison=pd.DataFrame(),
                        outcomes=[], problem=None, sample_matrix=None, sample=None, seed=0)
    dates = pd.date_range("2024-12-19", periods=days).to_numpy()
    streams = {}
    for i, x in enumerate(shares):
        run = x * 10 * np.arange(1, days + 1, dtype=float)
        s = PointStreams(dates=dates, n=2, lorenz_n=2, lorenz_sum=2 * LORENZ_GRID ** (1 + 4 * x))
        for c in CURVES:
            s.curve_sum[c], s.curve_sq[c] = run.copy(), run * run
        streams[i] = s
    return batch, streams, shares


def test_report_curve_bands_stop_at_zero():
    _, streams, shares = _sweep_folder(3)
    c = streams[2].curve("senders")
    run = shares[2] * 10 * np.arange(1, 16)
    x = np.vstack([np.zeros_like(run), run])
    half = stats.t.ppf(0.975, 1) * x.std(axis=0, ddof=1) / np.sqrt(2)
    np.testing.assert_allclose(c["mean"], run / 2)
    np.testing.assert_allclose(c["hi"], run / 2 + half)
    assert (run / 2 - half < 0).all()  # the unclipped band crosses 0 ...
    assert (c["lo"] == 0).all()  # ... the drawn one stops there


def test_report_figures_of_a_100_point_sweep_sample_their_curves_and_keep_a_sane_shape():
    from sim.report.figures import curve_figure, lorenz_figure, png_bytes
    from sim.report.layout import MAX_CURVES, layout_points

    batch, streams, shares = _sweep_folder(100)
    layout = layout_points(batch)
    assert layout.x_key == "policy.commercial_share" and len(layout.panels) == 1
    for fig, extra in ((curve_figure(batch, layout, streams, "senders"), 0),
                       (lorenz_figure(batch, layout, streams), 1)):  # + the line of equality
        ax = fig.axes[0]
        labels = [t.get_text() for t in ax.get_legend().get_texts()]
        assert len(labels) == MAX_CURVES + extra
        assert len(ax.get_lines()) == MAX_CURVES + extra
        # evenly spaced along the swept key, first and last included
        picked = [float(t.split("=")[1].split(" ")[0]) for t in labels[extra:]]
        assert picked[0] == 0.0 and picked[-1] == 0.5
        gaps = np.diff(picked)
        assert gaps.min() > 0.8 * 0.5 / (MAX_CURVES - 1) and gaps.max() < 1.2 * 0.5 / (MAX_CURVES - 1)
        assert f"{MAX_CURVES} of 100 points drawn" in fig.get_suptitle()
        w, h = _png_size(png_bytes(fig))
        assert 600 <= w <= 1400 and 350 <= h <= 900 and h < w, (w, h)
    # a small sweep draws every point, its legend inside the axes
    small, small_streams, _ = _sweep_folder(5)
    fig = curve_figure(small, layout_points(small), small_streams, "senders")
    assert len(fig.axes[0].get_legend().get_texts()) == 5 and "points drawn" not in fig.get_suptitle()


# ---------------------------------------------------------------- dashboard


def _results(**tables):
    """A BatchResults with the given tables (any other field None)."""
    from sim.batch import BatchResults

    fields = {f.name: None for f in dataclasses.fields(BatchResults)}
    fields.update(comparison=pd.DataFrame(), manifest={}, timeseries=pd.DataFrame())
    fields.update(tables)
    return BatchResults(**fields)


def test_dashboard_bands_stay_within_each_series_range():
    from sim.viz.batch_charts import curve_bands, curve_chart

    ts = pd.DataFrame({"point": 0, "step": [0, 0, 0, 1, 1, 1], "replicate": [0, 1, 2] * 2,
                       "date": pd.to_datetime(["2025-01-01"] * 3 + ["2025-01-02"] * 3),
                       "gmv_rmb": [0.0, 0.0, 300.0, 100.0, 110.0, 120.0],
                       "button_share": [1.0, 1.0, 0.85, 0.5, 0.5, 0.5]})
    res = _results(runs=pd.DataFrame({"point": [0], "point_name": ["a"]}), timeseries=ts)
    t = stats.t.ppf(0.975, 2)
    gmv = curve_bands(res, "gmv_rmb")
    half0 = t * np.std([0, 0, 300.0], ddof=1) / np.sqrt(3)
    assert 100 - half0 < 0  # a t-band would reach below 0 RMB
    assert gmv["lo"].tolist() == pytest.approx([0.0, 110 - t * 10 / np.sqrt(3)])
    assert gmv["hi"].tolist() == pytest.approx([100 + half0, 110 + t * 10 / np.sqrt(3)])
    share = curve_bands(res, "button_share")
    half = t * np.std([1, 1, 0.85], ddof=1) / np.sqrt(3)
    assert 0.95 + half > 1  # a share's t-band would pass 1
    assert share["hi"].iloc[0] == 1.0 and share["lo"].iloc[0] == pytest.approx(0.95 - half)
    rows = [r for v in curve_chart(res, "gmv_rmb").to_dict()["datasets"].values() for r in v]
    assert min(r["lo"] for r in rows) == 0.0


def _param_runs(sampled: bool) -> pd.DataFrame:
    rng = np.random.default_rng(4)
    n = 30
    runs = pd.DataFrame({"point": np.arange(n), "point_name": [f"p{i}" for i in range(n)], "variant": "base",
                         "replicate": 0, "status": "ok", "policy.commercial_share": rng.uniform(0, 0.3, n),
                         "gmv_rmb": rng.uniform(0, 1000, n)})
    if sampled:
        runs["gifts.send_probability"] = rng.uniform(0, 1, n)
    return runs


def _marks(spec: dict) -> list[str]:
    return [layer["mark"]["type"] for layer in spec["layer"]]


@pytest.mark.parametrize("manifest, two_keys, scattered", [
    ({"batch": {"sample": {"method": "sobol", "n": 8}}}, True, True),
    ({"batch": {"sample": {"method": "latin", "n": 30}}}, False, True),  # one sampled key: still a design
    ({}, True, True),  # a grid of two swept keys
    ({}, False, False),  # one swept key: the mean per value is a curve
])
def test_dashboard_parameter_chart_draws_points_not_a_line_for_sampled_designs(manifest, two_keys, scattered):
    from sim.viz import batch_charts as bc

    res = _results(runs=_param_runs(two_keys), manifest=manifest)
    assert bc.scattered_design(res) is scattered
    spec = bc.param_chart(res, "policy.commercial_share", "gmv_rmb").to_dict()
    marks = _marks(spec)
    if scattered:
        assert "line" not in marks and marks == ["circle", "point"]
        means = [r for v in spec["datasets"].values() for r in v if "runs" in r]
        runs = res.runs.set_index("point_name")
        assert len(means) == 30
        for r in means:
            assert r["value"] == pytest.approx(runs.loc[r["point_name"], "gmv_rmb"])
            assert r["param"] == pytest.approx(runs.loc[r["point_name"], "policy.commercial_share"])
        assert "each point's mean" in spec["title"]["subtitle"]
    else:
        assert marks == ["circle", "line"] and isinstance(spec["title"], str)


def test_dashboard_parameter_chart_of_variants_and_a_sweep_draws_points():
    from sim.viz import batch_charts as bc

    runs = _param_runs(False)
    runs["variant"] = ["wechat", "douyin"] * 15
    res = _results(runs=runs)
    assert bc.scattered_design(res)
    assert "line" not in _marks(bc.param_chart(res, "policy.commercial_share", "gmv_rmb").to_dict())


# ---------------------------------------------------------------- explorer


def test_explorer_seed_message_clears_once_a_valid_seed_is_typed(tmp_path):
    from sim.viz.actions import ExplorerActions
    from sim.viz.session import ExplorerSession

    s = ExplorerSession(small_scenario(), seed=0, cache=tmp_path)
    a = ExplorerActions(s)
    model = s.model
    assert a.set_seed(-5) == "seed must be >= 0, got -5" == a.error
    assert s.seed == 0 and s.model is model  # refused: the run goes on
    assert a.set_seed(None) == "seed must be >= 0, got -5"  # an emptied box changes nothing
    assert a.set_seed(0) is None and a.error is None  # the seed already running is valid
    assert s.model is model
    a.set_seed(-1)
    assert a.set_seed(3) is None and s.seed == 3 and s.model is not model
    # a refused parameter, then an accepted seed or parameter, clears the message too
    assert "commercial_share" in a.set_value("policy.commercial_share", 7.0)
    assert a.set_seed(4) is None and s.seed == 4
    assert a.set_value("policy.commercial_share", 7.0) is not None
    assert a.set_value("policy.commercial_share", 0.1) is None and s.overrides == {"policy.commercial_share": 0.1}
    a.set_seed(-2)
    assert a.restore() is None and s.overrides == {}
