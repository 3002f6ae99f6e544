"""Undefined metrics: a rate with nothing to divide is NaN (never 0), summary.json stays
strict JSON (null), and batches, reports, the dashboard and calibration use the runs
that define each metric and say how many did."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
import tomli_w

from sim import run
from sim.batch import comparison, load_results, run_batch
from sim.cli import main as cli_main
from sim.metrics import SUMMARY_KEYS, UNDEFINED_KEYS
from sim.results import read_run, read_summary, summary_text, write_run

from ..conftest import small_scenario
from ..tiny_batch import tiny_batch

# every key that has a denominator (or needs a cascade or GMV) and nothing else
EXPECTED_UNDEFINED = {
    "days_to_half_adoption", "acceptance_rate", "gifts_per_visit", "reproduction_number",
    "single_adopter_share", "beyond_one_step_share", "mean_cascade_size",
    "structural_virality_largest", "structural_virality_top10", "hhi", "gini", "top10_share",
    "sme_gmv_share", "brand_gmv_share",
    # issue 14: metrics (R by trigger without a sender; the lift without a cohort in time)
    "reproduction_number_gift", "reproduction_number_invitation", "receive_give_lift",
    "receive_give_treated_rate", "receive_give_control_rate",
    "group_send_back_per_rmb",  # issue 14: groups (no group claims without [groups])
}


def strict_loads(text: str):
    """json.loads that refuses NaN / Infinity, as any RFC 8259 parser does."""
    def refuse(token):
        raise ValueError(f"not strict JSON: {token}")
    return json.loads(text, parse_constant=refuse)


@pytest.fixture(scope="module")
def no_commerce():
    """A run with no commerce at all: no impressions, no visits, no gifts, no GMV."""
    r = run(small_scenario(policy__commercial_share=0.0), 0)
    assert r.summary["gifts_sent"] == 0 and r.summary["gmv_rmb"] == 0.0 and r.summary["cascades"] == 0
    return r


def test_undefined_keys_are_documented():
    assert UNDEFINED_KEYS == EXPECTED_UNDEFINED
    for k in UNDEFINED_KEYS:
        assert "NaN without" in SUMMARY_KEYS[k], k


def test_a_run_without_gifts_has_nan_rates_and_zero_counts(no_commerce):
    s = no_commerce.summary
    assert set(s) == set(SUMMARY_KEYS)
    nan = {k for k, v in s.items() if isinstance(v, float) and math.isnan(v)}
    assert nan == EXPECTED_UNDEFINED  # no visits either: gifts_per_visit has nothing to divide
    for k in ("gifts_sent", "gifts_accepted", "gifts_expired", "cascades", "largest_cascade", "max_depth"):
        assert s[k] == 0 and isinstance(s[k], int), k
    assert s["gmv_rmb"] == 0.0 and s["adoption_share"] == 0.0 and s["muted_share"] == 0.0
    assert s["users"] == 400


def test_visits_without_a_gift_give_a_defined_zero_conversion():
    # visits but no purchase: gifts_per_visit is 0 (defined), acceptance_rate is NaN
    r = run(small_scenario(gifts__send_probability=0.0), 0)
    assert r.summary["gifts_sent"] == 0 and r.series["product_visits"].sum() > 0
    assert r.summary["gifts_per_visit"] == 0.0
    assert math.isnan(r.summary["acceptance_rate"]) and math.isnan(r.summary["reproduction_number"])


def test_summary_json_is_strict_json_with_null_and_reads_back_nan(tmp_path, no_commerce):
    folder = write_run(no_commerce, tmp_path / "r")
    text = (folder / "summary.json").read_text(encoding="utf-8")
    data = strict_loads(text)  # raises on a bare NaN
    assert {k for k, v in data.items() if v is None} == EXPECTED_UNDEFINED
    assert data["gifts_sent"] == 0
    back = read_run(folder)["summary"]
    assert math.isnan(back["acceptance_rate"]) and math.isnan(back["hhi"]) and back["users"] == 400
    assert read_summary(folder).keys() == no_commerce.summary.keys()


def test_summary_json_of_a_defined_run_is_unchanged(small):
    # the text json.dump always wrote: runs where every metric is defined keep their bytes
    s = {k: v for k, v in run(small, 3).summary.items() if k != "group_send_back_per_rmb"}  # no groups here
    assert not any(isinstance(v, float) and math.isnan(v) for v in s.values())
    assert summary_text(s) == json.dumps(s, indent=2, sort_keys=True, default=str) + "\n"


def test_old_summary_json_with_bare_nan_still_reads(tmp_path):
    (tmp_path / "summary.json").write_text('{"acceptance_rate": NaN, "gifts_sent": 0}')
    s = read_summary(tmp_path)
    assert math.isnan(s["acceptance_rate"]) and s["gifts_sent"] == 0
    (tmp_path / "summary.json").write_text("{not json")
    from sim.results import ResultsError

    with pytest.raises(ResultsError, match="summary.json: not valid JSON"):
        read_summary(tmp_path)


# --- batches ---------------------------------------------------------------------------

MIXED = """replicates = 6
seed = 3
outcomes = ["gifts_sent", "acceptance_rate", "days_to_half_adoption", "hhi"]
[sweep]
"policy.commercial_share" = [0.0, 0.003, 0.03]
"""
"""Point 0 never sells (every rate undefined), point 1 sells in some replicates only,
point 2 in every replicate (seeds fixed by the batch seed)."""


@pytest.fixture(scope="module")
def mixed(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("mixed")
    p = tiny_batch(tmp, MIXED, name="nanb")
    run_batch(p, out=tmp / "out", workers=1)
    return p, tmp / "out"


def test_mixed_batch_means_use_the_defined_runs_and_count_them(mixed):
    _, folder = mixed
    res = load_results(folder)
    runs = res.runs.set_index(["point", "replicate"])
    acc = res.runs.pivot(index="replicate", columns="point", values="acceptance_rate")
    assert acc[0].isna().all() and acc[2].notna().all()
    assert 0 < acc[1].notna().sum() < 6  # the case of the user trial: some runs without gifts
    comp = res.comparison.set_index("point")
    for point in (0, 1, 2):
        for o in ("acceptance_rate", "days_to_half_adoption", "hhi"):
            x = runs.loc[point, o].to_numpy()
            d = x[~np.isnan(x)]
            assert comp.loc[point, f"{o}_n"] == d.size, (point, o)
            if d.size:
                assert comp.loc[point, f"{o}_mean"] == pytest.approx(d.mean(), rel=1e-12)
            else:
                assert np.isnan(comp.loc[point, f"{o}_mean"]) and np.isnan(comp.loc[point, f"{o}_lo"])
        assert comp.loc[point, "gifts_sent_n"] == comp.loc[point, "n"] == 6
    # the mean over the defined runs, not one pulled down by zeros
    d = acc[1].dropna()
    assert comp.loc[1, "acceptance_rate_mean"] == pytest.approx(d.mean())
    assert comp.loc[1, "acceptance_rate_mean"] > acc[1].fillna(0).mean()
    # and the interval from those runs only, clipped to [0, 1]
    if d.size >= 2:
        lo, hi = comp.loc[1, "acceptance_rate_lo"], comp.loc[1, "acceptance_rate_hi"]
        assert 0.0 <= lo <= d.mean() <= hi <= 1.0
    csv = pd.read_csv(folder / "comparison.csv")
    assert {"acceptance_rate_n", "hhi_n", "gifts_sent_n"} <= set(csv.columns)
    assert csv.loc[0, "acceptance_rate_n"] == 0 and np.isnan(csv.loc[0, "acceptance_rate_mean"])


def test_comparison_of_synthetic_runs_with_undefined_values():
    runs = pd.DataFrame({"point": [0, 0, 0, 0, 1, 1], "point_name": ["a"] * 4 + ["b"] * 2,
                         "status": ["ok", "ok", "ok", "failed", "ok", "ok"],
                         "acceptance_rate": [0.8, np.nan, 0.6, np.nan, np.nan, np.nan],
                         "gifts_sent": [5.0, 0.0, 3.0, np.nan, 0.0, 0.0]})
    c = comparison(runs, ["acceptance_rate", "gifts_sent"]).set_index("point_name")
    assert c.loc["a", "n"] == 3 and c.loc["a", "acceptance_rate_n"] == 2
    assert c.loc["a", "acceptance_rate_mean"] == pytest.approx(0.7)
    assert c.loc["a", "gifts_sent_mean"] == pytest.approx(8 / 3) and c.loc["a", "gifts_sent_n"] == 3
    assert c.loc["b", "acceptance_rate_n"] == 0 and np.isnan(c.loc["b", "acceptance_rate_mean"])


def test_batch_console_marks_partly_defined_and_dashes_undefined(mixed, tmp_path, capsys):
    p, folder = mixed
    assert cli_main(["batch", str(p), "--out", str(folder), "--resume", "--quiet"]) == 0  # re-consolidates
    out = capsys.readouterr().out
    comp = load_results(folder).comparison.set_index("point")
    k = int(comp.loc[1, "acceptance_rate_n"])
    line = next(ln for ln in out.splitlines() if ln.lstrip("│ ").startswith("acceptance_rate"))
    cells = [c.strip() for c in line.strip("│").split("│")]
    assert cells[1] == "-"  # no run of point 0 defines it
    assert cells[2].endswith(f"(n={k})") and "[" in cells[2]  # mean [lo, hi] of k defined runs
    assert "(n=" not in cells[3] and "- [-, -]" not in out
    assert "(n=k): the outcome is defined in only k of the point's successful runs" in " ".join(out.split())
    # resuming kept the runs' null metrics as NaN
    assert load_results(folder).runs["acceptance_rate"].isna().sum() == comp["n"].sum() - comp[
        "acceptance_rate_n"].sum()


def test_batch_console_rows_layout_marks_too(tmp_path, capsys):
    p = tiny_batch(tmp_path, MIXED.replace("[0.0, 0.003, 0.03]", "[0.0, 0.001, 0.002, 0.003, 0.03]"),
                   name="rows")
    assert cli_main(["batch", str(p), "--out", str(tmp_path / "o"), "--quiet"]) == 0
    out = capsys.readouterr().out
    # the point swept to 0.0 (point names show values as TOML writes them)
    row = next(ln for ln in out.splitlines() if "commercial_share=0.0 " in ln or "commercial_share=0.0│" in ln
               or ln.lstrip("│ ").startswith("commercial_share=0.0 "))
    cells = [c.strip() for c in row.strip("│").split("│")]
    assert cells[2] != "-" and cells[3] == "-"  # gifts_sent 0; acceptance_rate undefined
    comp = load_results(tmp_path / "o").comparison
    partial = comp[(comp["acceptance_rate_n"] > 0) & (comp["acceptance_rate_n"] < comp["n"])]
    assert len(partial)
    assert f"(n={int(partial['acceptance_rate_n'].iloc[0])})" in out


def test_report_and_dashboard_of_a_mixed_batch(mixed):
    from sim.report import write_report
    from sim.viz import batch_charts as bc
    from sim.viz.dashboard_app import header_text

    _, folder = mixed
    res = load_results(folder)
    comp = res.comparison.set_index("point")
    rep = write_report(folder)
    page = rep.html.read_text()
    k = int(comp.loc[1, "acceptance_rate_n"])
    assert f"(n={k})</td>" in page and "(n=k): the outcome is defined in only k" in page
    hhi = rep.tables["hhi"].set_index("point")
    assert hhi.loc[0, "n"] == 0 and np.isnan(hhi.loc[0, "mean"])
    assert hhi.loc[1, "n"] == comp.loc[1, "hhi_n"]
    assert hhi.loc[1, "mean"] == pytest.approx(comp.loc[1, "hhi_mean"], rel=1e-9)

    assert header_text(res, "nanb") == "nanb: 3 points × 6 replicates, 18 of 18 runs ok"
    # panels draw the defined runs only, and say how many are left out
    n_undefined = int(res.runs["acceptance_rate"].isna().sum())
    dist = bc.distribution_chart(res, "acceptance_rate").to_dict()
    values = next(iter(dist["datasets"].values()))
    assert len(values) == 18 - n_undefined and all(v["value"] is not None for v in values)
    assert dist["title"]["subtitle"] == f"undefined in {n_undefined} of 18 runs, not shown"
    oc = bc.outcome_chart(res, "acceptance_rate").to_dict()
    rows = next(iter(oc["datasets"].values()))
    assert sorted(r["point_name"] for r in rows) == sorted(comp.loc[[1, 2], "point_name"])
    assert {r["point_name"]: r["defined"] for r in rows}[comp.loc[1, "point_name"]] == k
    pc = bc.param_chart(res, "policy.commercial_share", "acceptance_rate").to_dict()
    assert len(next(iter(pc["datasets"].values()))) == 18 - n_undefined
    assert bc.outcome_chart(res, "gifts_sent").to_dict()["title"] == "gifts_sent: mean and 95% interval"


def test_dashboard_header_with_one_point(tmp_path):
    from sim.viz.dashboard_app import header_text

    p = tiny_batch(tmp_path, "replicates = 1\n", name="one")
    run_batch(p, out=tmp_path / "o", workers=1)
    assert header_text(load_results(tmp_path / "o"), "one") == "one: 1 point × 1 replicate, 1 of 1 runs ok"


def test_sensitivity_says_the_outcome_is_undefined_not_that_runs_failed(tmp_path):
    from sim.report import read_batch_folder, sensitivity, write_report

    body = """replicates = 1
seed = 5
outcomes = ["gifts_sent", "acceptance_rate"]
[sample]
method = "morris"
n = 4
bounds = { "policy.commercial_share" = [0.0, 0.02], "gifts.accept_intercept" = [-1.0, 2.0] }
"""
    run_batch(tiny_batch(tmp_path, body, name="m"), out=tmp_path / "m", workers=1)
    batch = read_batch_folder(tmp_path / "m")
    assert (batch.runs["status"] == "ok").all()
    undefined = int(batch.runs["acceptance_rate"].isna().sum())  # one run per design point
    assert 0 < undefined < len(batch.runs)
    table, skipped = sensitivity(batch)
    assert skipped == [f"acceptance_rate: undefined in {undefined} of {len(batch.runs)} design point(s) "
                       "(NaN in every successful run there, e.g. a rate with nothing to divide); "
                       "SALib needs a value at every design point"]
    assert set(table["outcome"]) == {"gifts_sent"}
    page = write_report(tmp_path / "m").html.read_text()
    assert "no successful run" not in page and f"acceptance_rate: undefined in {undefined} of" in page


# --- calibration -----------------------------------------------------------------------

CALIB_BASE = {
    "name": "calib_nan",
    "graph": {"kind": "holme_kim", "n": 200, "m": 3, "p": 0.3, "seed": 5},
    "time": {"start": "2025-01-01", "end": "2025-01-15"},
    "rollout": {"schedule": [{"date": "2025-01-01", "share": 1.0}]},
    "policy": {"commercial_share": 0.01},
}


def _spec(**targets):
    from sim.calibrate import CalibrationSpec

    return CalibrationSpec.model_validate({
        "name": "t", "base": "base.toml", "parameters": {"policy.commercial_share": [0.0, 0.1]},
        "targets": {k: {"value": v, "scale": 0.1} for k, v in targets.items()}})


def test_evaluate_uses_the_defined_replicates_and_penalises_all_undefined():
    from sim.calibrate import UNDEFINED_PENALTY, evaluate

    spec = _spec(acceptance_rate=0.8)
    loss, means = evaluate(spec, [{"acceptance_rate": 0.6}, {"acceptance_rate": math.nan},
                                  {"acceptance_rate": 0.8}])
    assert means["acceptance_rate"] == pytest.approx(0.7) and loss == pytest.approx(1.0)
    loss, means = evaluate(spec, [{"acceptance_rate": math.nan}] * 3)
    assert math.isnan(means["acceptance_rate"]) and loss == UNDEFINED_PENALTY and math.isfinite(loss)
    # weights scale the penalty; an infinite value still counts 10 scales off
    spec2 = _spec(acceptance_rate=0.8, recommendations_per_purchase=90.0)
    loss, _ = evaluate(spec2, [{"acceptance_rate": 0.8, "recommendations_per_purchase": math.inf}])
    assert loss == pytest.approx(100.0)


def test_check_table_uses_the_defined_replicates_and_clips_like_the_batch_tables():
    from sim.calibrate.fit import check_table

    spec = _spec(beyond_one_step_share=0.025, recipients_sending_on=0.3, acceptance_rate=0.8)
    runs = [{"beyond_one_step_share": v, "recipients_sending_on": r, "acceptance_rate": math.nan}
            for v, r in zip([0.0, 0.0, 0.0291, 0.0, math.nan], [0.2, 0.4, math.nan, 0.3, 0.35])]
    t = check_table(spec, runs).set_index("metric")
    b = t.loc["beyond_one_step_share"]
    assert b["n"] == 4 and b["fitted_mean"] == pytest.approx(0.0291 / 4)
    assert b["lo"] == 0.0 and b["hi"] > b["fitted_mean"]  # the raw t-interval goes below 0
    assert t.loc["recipients_sending_on", "n"] == 4
    a = t.loc["acceptance_rate"]
    assert a["n"] == 0 and np.isnan(a["fitted_mean"]) and not a["within_scale"]


def test_calibration_survives_a_target_undefined_in_part_of_the_space(tmp_path, capsys):
    # commercial_share near 0 sells nothing: acceptance_rate is undefined there in every
    # replicate, elsewhere in some; differential evolution must still run and fit
    (tmp_path / "base.toml").write_text(tomli_w.dumps(CALIB_BASE))
    spec = {
        "name": "nanfit", "base": "base.toml", "replicates": 2, "seed": 4, "max_iterations": 2,
        "population_size": 4, "check_replicates": 4,
        "parameters": {"policy.commercial_share": [0.0, 0.002]},
        "targets": {"acceptance_rate": {"value": 0.8, "scale": 0.1},
                    "beyond_one_step_share": {"value": 0.02, "scale": 0.01}},
    }
    (tmp_path / "cal.toml").write_text(tomli_w.dumps(spec))
    assert cli_main(["calibrate", str(tmp_path / "cal.toml"), "--out", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    hist = pd.read_parquet(tmp_path / "out" / "history.parquet")
    assert np.isfinite(hist["loss"]).all()
    assert hist["mean_acceptance_rate"].isna().any()  # some points defined it nowhere ...
    assert (hist.loc[hist["mean_acceptance_rate"].isna(), "loss"] >= 1e6).all()  # ... and paid for it
    data = strict_loads((tmp_path / "out" / "calibration.json").read_text())
    assert math.isfinite(data["loss"]) and len(data["check"]) == 2
    for row in data["check"]:
        if row["n"] == 0:
            assert row["fitted_mean"] is None  # null, not a bare NaN
        if row["lo"] is not None:
            assert row["lo"] >= 0.0 and row["hi"] <= 1.0
    assert "fit at the fitted values" in out
