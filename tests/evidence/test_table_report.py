"""The evidence table (sim.evidence.table), its plots and docs/evidence.md (sim.evidence.report)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim import run
from sim.evidence import report
from sim.evidence.plots import bands_plot, pairs_plot
from sim.evidence.table import TABLE_COLUMNS, evidence_table, figure_names, table_from_results
from sim.evidence.targets import EVIDENCE, NOT_EXPRESSIBLE

from .fakes import SCENARIOS, result

ROOT = Path(__file__).resolve().parents[2]
PNG = b"\x89PNG"


def _pay(forward: int, back: int):
    return result(None, summary={"gifts_paid_forward": forward, "gifts_sent_back": back})


def test_table_pools_each_figure_over_its_scenarios_replicates():
    runs = {"wechat_gift_launch.toml": [_pay(3, 1), _pay(1, 3), _pay(0, 0)]}
    t = table_from_results(runs, ["pay_forward_share"])
    assert list(t.columns) == list(TABLE_COLUMNS) and len(t) == 1
    row = t.iloc[0]
    assert row["value"] == 0.5 and row["low"] == 0.25 and row["high"] == 0.75  # the (0, 0) run is NaN, skipped
    assert row["replicates"] == 3 and (row["band_low"], row["band_high"]) == (0.5, 1.0)
    assert bool(row["inside"]) and math.isnan(row["target"])
    out = table_from_results({"wechat_gift_launch.toml": [_pay(1, 3)]}, ["pay_forward_share"]).iloc[0]
    assert out["value"] == 0.25 and not out["inside"]


def test_figure_names_checks_each_name():
    assert figure_names() == list(EVIDENCE)
    assert figure_names(["gala_push_jump"]) == ["gala_push_jump"]
    with pytest.raises(ValueError, match="unknown evidence figure 'nope'; allowed: receive_give_lift"):
        figure_names(["nope"])
    with pytest.raises(ValueError, match="replicates must be an integer >= 1"):
        evidence_table(0)


def test_evidence_table_runs_the_figures_scenario_at_seeds_from_zero():
    calls = []
    t = evidence_table(2, ["group_send_back_per_rmb", "red_envelope_participant_share"],
                       progress=lambda sc, seed: calls.append((sc, seed)))
    assert calls == [("red_envelope_2014.toml", 0), ("red_envelope_2014.toml", 1)]
    runs = [run(SCENARIOS / "red_envelope_2014.toml", seed=s) for s in (0, 1)]
    expected = table_from_results({"red_envelope_2014.toml": runs}, list(t["name"]))
    pd.testing.assert_frame_equal(t, expected)
    back = t.set_index("name").loc["group_send_back_per_rmb"]
    assert back["low"] <= back["value"] <= back["high"]
    assert min(r.summary["group_send_back_per_rmb"] for r in runs) == pytest.approx(back["low"], rel=1e-12)


def _table(names=("pay_forward_share", "gala_push_jump")) -> pd.DataFrame:
    rows = [{"name": n, "figure": EVIDENCE[n].figure, "quantity": EVIDENCE[n].quantity,
             "scenario": EVIDENCE[n].scenario, "replicates": 2, "value": 0.6, "low": 0.55, "high": 0.7,
             "band_low": EVIDENCE[n].band[0], "band_high": EVIDENCE[n].band[1],
             "target": math.nan if EVIDENCE[n].value is None else EVIDENCE[n].value,
             "inside": EVIDENCE[n].inside(0.6), "source": EVIDENCE[n].source} for n in names]
    return pd.DataFrame(rows, columns=list(TABLE_COLUMNS))


def test_render_without_calibration_has_the_table_the_list_and_the_placeholder(tmp_path):
    doc = tmp_path / "docs" / "evidence.md"
    text = report.render(_table(), doc, calibration=tmp_path / "none")
    assert (tmp_path / "docs" / "img" / "evidence" / "bands.png").read_bytes().startswith(PNG)
    assert "![model values against the bands](img/evidence/bands.png)" in text
    assert "| `pay_forward_share`: Most receivers" in text and "0.6 (0.55 - 0.7) | 0.5 - 1 | - | yes |" in text
    assert "| 2 - inf | - | **no** |" in text  # the gala jump: an open band, not reached
    for figure, _, _ in NOT_EXPRESSIBLE:
        assert report.cell(figure) in text
    assert "## Calibration\n\n" + report.CALIBRATION_PLACEHOLDER in text


def _calibration(folder: Path) -> None:
    folder.mkdir(parents=True)
    pd.DataFrame({"gifts.send_probability": [0.1, 0.2, 0.3, 0.4], "policy.ad_annoyance": [1.0, 2.0, 3.0, 4.0],
                  "weight": [0.1, 0.2, 0.3, 0.4], "distance": [1.0, 0.5, 0.2, 0.1],
                  "generation": 2}).to_parquet(folder / "posterior.parquet")
    pd.DataFrame({"t": [0, 1], "epsilon": [5.0, 2.0], "simulations": [40, 90], "accepted": [20, 20],
                  "acceptance": [0.5, 20 / 90], "ess": [18.0, 12.5]}).to_parquet(folder / "generations.parquet")
    pd.DataFrame({"figure": ["pay_forward_share"], "target": [True], "median": [0.6], "lo": [0.5], "hi": [0.7],
                  "inside_share": [0.9], "band_low": [0.5], "band_high": [1.0], "value": [np.nan],
                  "draws": [10]}).to_parquet(folder / "predictive.parquet")


def test_render_with_a_calibration_adds_posterior_diagnostics_and_predictive_checks(tmp_path):
    _calibration(tmp_path / "cal")
    doc = tmp_path / "evidence.md"
    text = report.render(_table(), doc, calibration=tmp_path / "cal")
    assert report.CALIBRATION_PLACEHOLDER not in text
    # weighted mean 0.3; weighted 5%, 50%, 95% quantiles 0.1, 0.3, 0.4
    assert "| `gifts.send_probability` | 0.3 | 0.1 | 0.3 | 0.4 |" in text
    assert "| `policy.ad_annoyance` | 3 | 1 | 3 | 4 |" in text
    assert "| 1 | 2 | 90 | 20 | 0.2222 | 12.5 |" in text
    assert "| `pay_forward_share` | yes | 0.6 | 0.5 - 0.7 | 0.5 - 1 | 0.9 | 10 |" in text
    for png in ("posterior_marginals", "posterior_pairs", "predictive"):
        assert (tmp_path / "img" / "evidence" / f"{png}.png").read_bytes().startswith(PNG)
        assert f"(img/evidence/{png}.png)" in text


def test_plots_refuse_what_they_cannot_draw(tmp_path):
    with pytest.raises(ValueError, match="no rows"):
        bands_plot(_table(())[:0], tmp_path / "x.png")
    with pytest.raises(ValueError, match="at least two parameters"):
        pairs_plot(pd.DataFrame({"a": [1.0], "weight": [1.0]}), ["a"], tmp_path / "y.png")


def test_report_command_refuses_a_bad_replicate_count(tmp_path, capsys):
    assert report.main([str(tmp_path / "e.md"), "--replicates", "0"]) == 2
    assert "--replicates must be >= 1, got 0" in capsys.readouterr().err
    assert not (tmp_path / "e.md").exists()


def test_docs_evidence_md_is_generated_from_the_registry():
    """docs/evidence.md lists every figure and every not-expressible entry of the registry
    (regenerate with sim.evidence.report.COMMAND when this fails)."""
    text = (ROOT / "docs" / "evidence.md").read_text(encoding="utf-8")
    assert f"generated by `{report.COMMAND}`" in text
    for name, ev in EVIDENCE.items():
        assert f"| `{name}`: {report.cell(ev.figure)} | `{ev.scenario}` |" in text, name
        assert f"| `{name}` | {report.cell(ev.quantity)} | {report.cell(ev.band_note)} |" in text, name
    for figure, source, why in NOT_EXPRESSIBLE:
        assert f"| {report.cell(figure)} | {report.cell(source)} | {report.cell(why)} |" in text, figure
    assert "## Calibration" in text
    assert (ROOT / "docs" / "img" / "evidence" / "bands.png").read_bytes().startswith(PNG)
