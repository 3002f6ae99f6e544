"""The registry of figures (sim.evidence.targets): every figure's scenario is shipped, its band
is well formed and holds its published value, distances follow the band, and every row of
../shared/evidence.md is either a figure or listed as not expressible with its reason."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest

from sim.evidence.targets import EVIDENCE, NOT_EXPRESSIBLE, Evidence, band_distance, evidence_value

from .fakes import SCENARIOS, result

EVIDENCE_MD = Path(__file__).resolve().parents[3] / "shared" / "evidence.md"

# A phrase of each row of evidence.md -> the figures (EVIDENCE names) and the not-expressible
# entries (a phrase of their figure) that cover it.
ROWS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "56% more likely": (("receive_give_lift",), ()),
    "Most receivers pay the gift forward": (("pay_forward_share",), ()),
    "0.18 RMB": (("group_send_back_per_rmb",), ("luckiest",)),
    "61 million group red packets": ((), ("61 million", "Spontaneous and reciprocal")),
    "1 purchase per 92": (("recommendations_per_purchase",), ("saturates",)),
    "vast majority of online cascades": (("cascades_within_one_step",), ()),
    "Structural virality separates": ((), ("Structural virality",)),
    "Grey test": ((), ("Grey test",)),
    "24 h to accept": ((), ("24 h to accept",)),
    "No explosion at Spring Festival 2025": (("aware_at_spring_festival",), ("books and small appliances",)),
    "five years or longer": ((), ("five years",)),
    "1.92x": ((), ("1.92x",)),
    "brands **15%**": (("brand_gmv_share",), ()),
    "top-tier influencers": ((), ("top-tier influencers",)),
    "apparel return rates": ((), ("apparel return rates",)),
    "Spring Festival 2014": (("red_envelopes_per_participant", "red_envelope_participant_share"), ()),
    "1.01 billion": (("gala_push_jump",), ()),
}


def _rows_of_evidence_md() -> list[str]:
    """The first cell of every table row of evidence.md before "Figures not to use"."""
    text = EVIDENCE_MD.read_text(encoding="utf-8").split("## Figures not to use")[0]
    return [line.split("|")[1].strip() for line in text.splitlines()
            if line.startswith("| ") and not line.startswith("| figure |")]


@pytest.mark.skipif(not EVIDENCE_MD.is_file(), reason="../shared/evidence.md is not beside the project")
def test_every_row_of_evidence_md_is_a_figure_or_not_expressible():
    rows = _rows_of_evidence_md()
    assert len(rows) == len(ROWS)
    for row in rows:
        assert sum(key in row for key in ROWS) == 1, row


def test_the_row_map_covers_the_registry_exactly():
    names = [n for figs, _ in ROWS.values() for n in figs]
    assert sorted(names) == sorted(EVIDENCE)
    phrases = [p for _, ne in ROWS.values() for p in ne]
    for phrase in phrases:
        assert sum(phrase in f for f, _, _ in NOT_EXPRESSIBLE) == 1, phrase
    for f, _, _ in NOT_EXPRESSIBLE:
        assert sum(p in f for p in phrases) == 1, f


def test_not_expressible_entries_give_figure_source_and_reason_and_no_unsourced_numbers():
    for entry in NOT_EXPRESSIBLE:
        assert len(entry) == 3 and all(isinstance(x, str) and len(x) > 8 for x in entry), entry
    texts = " ".join(" ".join(e) for e in NOT_EXPRESSIBLE) + " ".join(
        f"{e.figure} {e.band_note} {e.quantity}" for e in EVIDENCE.values())
    for unsourced in ("300 million users", "12 million first orders", "500%"):
        assert unsourced not in texts


@pytest.mark.parametrize("name", list(EVIDENCE))
def test_each_figure_is_well_formed(name):
    ev = EVIDENCE[name]
    assert ev.name == name and re.fullmatch(r"[a-z][a-z0-9_]*", name)
    assert (SCENARIOS / ev.scenario).is_file(), ev.scenario
    lo, hi = ev.band
    assert lo < hi and not math.isnan(lo) and not math.isnan(hi)
    if ev.value is not None:
        assert ev.inside(ev.value) and band_distance(ev, ev.value) == 0.0
    assert ev.scale > 0 and math.isfinite(ev.scale)
    assert callable(ev.parts) and ev.source and ev.figure and ev.quantity and ev.band_note


def _ev(band, value):
    return Evidence("x", "f", "s", band, value, "n", "q", lambda r: (r.summary["n"], r.summary["d"]), "s.toml")


def test_distance_and_inside_follow_the_band():
    point = _ev((1.0, 3.0), 2.0)
    assert point.scale == 1.0 and band_distance(point, 3.5) == 1.5 and point.inside(3.0)
    band = _ev((1.0, 3.0), None)
    assert band_distance(band, 2.9) == 0.0 and band_distance(band, 4.0) == 1.0 and band_distance(band, 0.0) == 1.0
    open_side = _ev((2.0, math.inf), None)
    assert open_side.scale == 0.5 and band_distance(open_side, 1.0) == 2.0 and open_side.inside(1e9)
    assert band_distance(band, math.nan) == 1000.0 and band_distance(band, math.inf) == 100.0
    assert not band.inside(math.nan)


def test_evidence_value_pools_over_results():
    ev = _ev((0.0, 1.0), None)
    runs = [result(None, summary={"n": 1, "d": 4}), result(None, summary={"n": 2, "d": 2})]
    assert evidence_value(ev, runs) == 0.5
    assert evidence_value(EVIDENCE["pay_forward_share"], [
        result(None, summary={"gifts_paid_forward": 3, "gifts_sent_back": 1}),
        result(None, summary={"gifts_paid_forward": 0, "gifts_sent_back": 4})]) == 3 / 8
