"""The discovery's words and files (sim.analysis.discovery): the sentence for one box, for
several, for a box that restricts nothing and for none; safe file names; a damaged pair of
files is skipped by the readers (report, dashboard)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.analysis import Discovery, discovery_sentence, discovery_stem, read_discoveries, write_discovery
from sim.analysis.prim import BOX_COLUMNS, PrimSettings


def box_rows(box, params, coverage, density, cases, draws):
    """Rows of one box; a parameter "" is a box that restricts nothing."""
    named = [p for p, _, _ in params if p]
    stats = {"coverage": coverage, "density": density, "mass": draws / 60, "cases": cases, "draws": draws,
             "restricted": len(named)}
    return [{"box": box, "parameter": p, "low": lo if p else np.nan, "high": hi if p else np.nan,
             "range_low": 0.0 if p else np.nan, "range_high": 1.0 if p else np.nan, **stats} for p, lo, hi in params]


def made(folder, rows, cases=41, threshold=0.0):
    asked = {"batch": str(folder), "policy": "A", "versus": "B/2", "outcome": "gmv_rmb", "direction": "maximize",
             "threshold": threshold, "settings": PrimSettings().as_dict(), "parameters": ["policy.ad_annoyance"]}
    boxes = pd.DataFrame(rows, columns=list(BOX_COLUMNS))
    traj = pd.DataFrame({"box": [1], "step": [0], "coverage": [1.0], "density": [cases / 60], "mass": [1.0],
                         "cases": [cases], "draws": [60], "restricted": [0], "chosen": [False]})
    return Discovery(asked, 60, cases, 0, boxes, traj, {"versions": {}, "created": "", "algorithm": ""})


def test_the_sentence_of_one_box_reads_as_the_issue_asks(tmp_path):
    d = made(tmp_path, box_rows(1, [("policy.ad_annoyance", 0.06, 0.1)], 35 / 41, 0.92, 35, 38))
    assert discovery_sentence(d) == (
        "policy A loses to B/2 on gmv_rmb in 41 of 60 draws; 35 of them (coverage 85%) lie in the box "
        "policy.ad_annoyance in [0.06, 0.1] where A loses in 92% of draws (density)")


def test_the_sentence_of_two_boxes_a_threshold_and_no_restriction(tmp_path):
    rows = (box_rows(1, [("k1", 0.2, 0.5), ("k2", 0.6, 0.9)], 0.5, 0.9, 20, 22)
            + box_rows(2, [("", 0, 0)], 0.5, 0.82, 21, 38))
    text = discovery_sentence(made(tmp_path, rows, threshold=100.0))
    assert text.startswith("policy A loses to B/2 on gmv_rmb by more than 100 in 41 of 60 draws; ")
    assert "lie in the box k1 in [0.2, 0.5] and k2 in [0.6, 0.9] where A loses in 90%" in text
    assert "; box 2: 21 of them (coverage 50%) are spread over the whole uncertain ranges where A loses in 82%" in text


def test_the_sentence_without_a_box_says_what_to_change(tmp_path):
    text = discovery_sentence(made(tmp_path, []))
    assert text == ("policy A loses to B/2 on gmv_rmb in 41 of 60 draws; no region of the uncertain parameters "
                    "where A loses in at least 80% of the draws was found (lower --min-density, or add draws)")


def test_files_round_trip_under_a_safe_name_and_a_damaged_pair_is_skipped(tmp_path):
    assert discovery_stem("ads low", "B/2", "gmv_rmb") == "ads_low__vs__B_2__gmv_rmb"
    d = made(tmp_path, box_rows(1, [("policy.ad_annoyance", 0.06, 0.1)], 0.85, 0.92, 35, 38))
    parquet, js = write_discovery(d)
    assert parquet == tmp_path / "discovery" / "A__vs__B_2__gmv_rmb.parquet" and js.with_suffix(".parquet") == parquet
    (back,) = read_discoveries(tmp_path)
    pd.testing.assert_frame_equal(back.boxes, d.boxes)
    assert back.asked == d.asked and (back.draws, back.cases) == (60, 41)
    assert discovery_sentence(back) == discovery_sentence(d)
    (tmp_path / "discovery" / "broken.json").write_text("{not json")
    (tmp_path / "discovery" / "half.json").write_text(js.read_text())  # no half.parquet
    assert [x.asked["versus"] for x in read_discoveries(tmp_path)] == ["B/2"]
