"""``giftsim report``: a self-contained HTML page with its tables and figures, numbers
that match the batch's own tables, and sensitivity indices that find what matters."""

from __future__ import annotations

import base64
import re
import struct

import numpy as np
import pytest
from scipy import stats

from sim.batch import load_results, run_batch
from sim.cli import main
from sim.report import ReportInputError, read_batch_folder, sensitivity, write_report
from sim.report.streams import stream_runs

from ..tiny_batch import tiny_batch

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG_MAGIC
    return struct.unpack(">II", data[16:24])


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("sweep")
    p = tiny_batch(tmp, 'replicates = 3\nseed = 8\n[sweep]\n"policy.commercial_share" = [0.05, 0.3]\n'
                   '"policy.allocation" = [{ rule = "equal" }, { rule = "head_boost" }]\n')
    run_batch(p, out=tmp / "sweep", workers=1)
    return tmp / "sweep", write_report(tmp / "sweep")


def test_report_is_one_self_contained_page_with_its_pngs_beside_it(sweep):
    folder, rep = sweep
    assert rep.html == folder / "report" / "report.html"
    page = rep.html.read_text()
    for section in ("outcomes", "curves", "concentration", "failures"):
        assert f'<section id="{section}">' in page
    assert 'id="sensitivity"' not in page  # a grid, not a sampled design
    assert not re.search(r'(src|href)="(https?:|file:|/)', page) and "<link" not in page
    embedded = [base64.b64decode(x) for x in re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)]
    names = sorted(p.name for p in rep.figures)
    assert names == ["curve_aware_users.png", "curve_gmv_cum_rmb.png", "curve_senders.png",
                     "hhi.png", "lorenz.png", "outcomes.png"]
    assert len(embedded) == len(rep.figures)
    assert sorted(embedded) == sorted(p.read_bytes() for p in rep.figures)
    for data in embedded:
        w, h = png_size(data)
        assert w >= 400 and h >= 250


def test_report_tables_match_the_batch_tables(sweep):
    folder, rep = sweep
    page = rep.html.read_text()
    res = load_results(folder)
    comp = res.comparison
    assert len(comp) == 4 and (comp["n"] == 3).all()
    row = comp.iloc[0]
    cell = f"{row['gifts_sent_mean']:.4g} [{row['gifts_sent_lo']:.4g}, {row['gifts_sent_hi']:.4g}]"
    assert cell in page
    # HHI recomputed from every run's merchants.parquet equals the runs' own summaries
    # (its interval clipped to [0, 1], as in the batch tables)
    hhi = rep.tables["hhi"].set_index("point")
    ok = res.runs[res.runs["status"] == "ok"]
    for point, g in ok.groupby("point"):
        x = g["hhi"].to_numpy()
        assert not np.isnan(x).any()  # every run sold something
        lo, hi = stats.t.interval(0.95, x.size - 1, loc=x.mean(), scale=stats.sem(x))
        assert hhi.loc[point, "n"] == x.size
        assert hhi.loc[point, "mean"] == pytest.approx(x.mean(), rel=1e-9)
        assert hhi.loc[point, "lo"] == pytest.approx(max(lo, 0.0), rel=1e-6)
        assert hhi.loc[point, "hi"] == pytest.approx(min(hi, 1.0), rel=1e-6)


def test_curve_bands_are_the_t_intervals_of_the_consolidated_series(sweep):
    folder, _ = sweep
    batch = read_batch_folder(folder)
    streams = stream_runs(batch)
    ts = load_results(folder).timeseries
    for point, g in ts.groupby("point"):
        senders = g.pivot(index="step", columns="replicate", values="senders").to_numpy(np.float64)
        gmv = g.pivot(index="step", columns="replicate", values="gmv_rmb").to_numpy(np.float64).cumsum(axis=0)
        for column, x in (("senders", senders), ("gmv_cum_rmb", gmv)):
            c = streams[point].curve(column)
            np.testing.assert_allclose(c["mean"], x.mean(axis=1), rtol=1e-12)
            half = stats.t.ppf(0.975, 2) * x.std(axis=1, ddof=1) / np.sqrt(3)
            np.testing.assert_allclose(c["hi"] - c["mean"], half, rtol=1e-6, atol=1e-6)
        lor = streams[point].lorenz()
        assert lor[0] == 0 and lor[-1] == pytest.approx(1) and np.all(np.diff(lor) >= -1e-12)


SOBOL = """replicates = 1
seed = 5
common_random_numbers = true
outcomes = ["gifts_sent", "gmv_rmb", "muted_share"]
[[variants]]
name = "no_muting"
set = {{ "population.mute_threshold" = {{ dist = "constant", value = 1e9 }} }}
[sample]
method = "{method}"
n = {n}
bounds = {{ "policy.commercial_share" = [0.01, 0.3], "population.annoyance_decay" = [0.0, 1.0], "gifts.accept_intercept" = [-1.0, 2.0] }}
"""


def test_sobol_indices_rank_commercial_share_above_an_inert_parameter(tmp_path):
    # Muting is impossible, so annoyance (and how fast it decays) changes nothing; with
    # common random numbers every design point of a replicate shares its seed, so the
    # inert parameter's effect is exactly zero while commercial share drives sales.
    p = tiny_batch(tmp_path, SOBOL.format(method="sobol", n=16), name="sobol")
    run_batch(p, out=tmp_path / "sobol", workers=1)
    rep = write_report(tmp_path / "sobol")
    table = rep.tables["sensitivity"]
    for outcome in ("gifts_sent", "gmv_rmb"):
        t = table[table["outcome"] == outcome].set_index("parameter")
        assert t.loc["policy.commercial_share", "rank"] == 1
        assert t.loc["policy.commercial_share", "ST"] > 0.5
        assert t.loc["population.annoyance_decay", "rank"] == 3
        assert t.loc["population.annoyance_decay", "ST"] == pytest.approx(0, abs=1e-12)
        assert t.loc["population.annoyance_decay", "S1"] == pytest.approx(0, abs=1e-12)
    page = rep.html.read_text()
    assert '<section id="sensitivity">' in page and "sensitivity.png" in page
    assert "muted_share: the same value (0) at every design point" in page
    assert {p.name for p in rep.figures} == {"curves.png", "hhi.png", "sensitivity.png"}


def test_morris_indices(tmp_path):
    p = tiny_batch(tmp_path, SOBOL.format(method="morris", n=6), name="morris")
    run_batch(p, out=tmp_path / "morris", workers=1)
    table, skipped = sensitivity(read_batch_folder(tmp_path / "morris"))
    t = table[table["outcome"] == "gifts_sent"].set_index("parameter")
    assert list(t.columns[:3]) == ["outcome", "rank", "mu_star"]
    assert t.loc["policy.commercial_share", "rank"] == 1
    assert t.loc["population.annoyance_decay", "mu_star"] == pytest.approx(0, abs=1e-12)
    assert skipped == ["muted_share: the same value (0) at every design point"]


def test_report_of_a_batch_with_a_failed_point(tmp_path, monkeypatch):
    # planning would refuse the bad file; switched off so that it fails at run time
    monkeypatch.setattr("sim.batch.plan.check_graph_file", lambda *a, **k: None)
    bad = tmp_path / "bad.txt"
    bad.write_text("0 1\n1 x\n")
    p = tiny_batch(tmp_path, 'replicates = 2\n[[variants]]\nname = "fine"\n[[variants]]\nname = "broken"\n'
                   f'set = {{ graph = {{ kind = "edgelist", path = "{bad}" }} }}\n')
    out = run_batch(p, out=tmp_path / "f", workers=1)
    assert out.failed == 2
    rep = write_report(tmp_path / "f")
    page = rep.html.read_text()
    assert "2 run(s) failed" in page and "GraphFileError" in page
    assert list(rep.tables["hhi"]["point_name"]) == ["fine"]


def test_report_command(sweep, tmp_path, capsys):
    folder, _ = sweep
    assert main(["report", str(folder), "--out", str(tmp_path / "r")]) == 0
    assert "report.html" in capsys.readouterr().out
    assert (tmp_path / "r" / "report.html").is_file() and (tmp_path / "r" / "lorenz.png").is_file()
    assert main(["report", str(tmp_path / "nowhere")]) == 2
    assert "no such batch folder" in capsys.readouterr().err
    (tmp_path / "half").mkdir()
    (tmp_path / "half" / "plan.json").write_text("{}")
    with pytest.raises(ReportInputError, match="manifest.json"):
        read_batch_folder(tmp_path / "half")


def test_report_help(capsys):
    with pytest.raises(SystemExit) as info:
        main(["report", "--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert "usage: giftsim report" in out and "--out" in out


def test_points_on_different_calendars_share_an_axis_of_days(tmp_path):
    from sim.report.figures import curve_figure
    from sim.report.layout import layout_points

    p = tiny_batch(tmp_path, 'replicates = 2\nseed = 3\n[[variants]]\nname = "2024"\n'
                   '[[variants]]\nname = "2014"\nset = { "time.start" = 2014-01-20, "time.end" = 2014-02-03, '
                   '"rollout.schedule" = [{ date = 2014-01-20, share = 1.0 }] }\n')
    run_batch(p, out=tmp_path / "b", workers=1)
    batch = read_batch_folder(tmp_path / "b")
    streams = stream_runs(batch)
    fig = curve_figure(batch, layout_points(batch), streams, "senders")
    ax = fig.axes[0]
    assert ax.get_xlabel() == "day since each scenario's start"
    xs = [line.get_xdata() for line in ax.get_lines()]
    assert all(x[0] == 1 and x[-1] == 15 for x in xs)


def test_ranking_summary_flags_unresolved_and_inconsistent_indices():
    import pandas as pd

    from sim.report.sensitivity import ranking_summary

    t = pd.DataFrame({
        "outcome": ["a", "a", "b", "b", "c", "c"], "rank": [1, 2, 1, 2, 1, 2],
        "parameter": ["x", "y", "x", "y", "x", "y"],
        "ST": [0.8, 0.1, 0.4, 0.3, 1.6, 0.2], "ST_conf": [0.05, 0.05, 0.2, 0.2, 0.3, 0.1],
        "S1": [0.7, 0.05, 0.3, 0.2, 0.5, -0.4], "S1_conf": [0.05, 0.05, 0.2, 0.2, 0.3, 0.1],
    })
    r = ranking_summary(t, "sobol").set_index("outcome")
    assert r.loc["a", "settled"] and r.loc["a", "consistent"]
    assert not r.loc["b", "settled"] and r.loc["b", "consistent"]  # intervals overlap
    assert not r.loc["c", "consistent"]  # ST above 1 and S1 below 0 beyond their intervals


def test_report_of_variants_that_set_different_keys(tmp_path):
    # a variant that leaves the swept key alone has no value for it (NaN in the points table)
    p = tiny_batch(tmp_path, 'replicates = 1\n'
                   '[[variants]]\nname = "nothing"\nset = { "policy.commercial_share" = 0.0 }\n'
                   '[[variants]]\nname = "no_brands"\nset = { "merchants.brand.count" = 0 }\n'
                   '[[variants]]\nname = "normal"\nset = { "policy.commercial_share" = 0.03 }\n')
    run_batch(p, out=tmp_path / "v", workers=1)
    rep = write_report(tmp_path / "v")
    page = rep.html.read_text()
    for name in ("nothing", "no_brands", "normal"):
        assert name in page
