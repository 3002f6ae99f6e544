"""The published figures giftsim can express, as data (``../shared/evidence.md``).

Each :class:`Evidence` names a figure, its primary source, the band a model value must lie
in, the scale-free model quantity it compares to (:mod:`sim.evidence.quantities`, a ratio
of sums pooled over replicates) and the shipped scenario it applies to. Figures the model
cannot express are in :data:`NOT_EXPRESSIBLE` with the reason.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from . import quantities as q

__all__ = ["Evidence", "EVIDENCE", "NOT_EXPRESSIBLE", "evidence_value", "band_distance"]


@dataclass(frozen=True)
class Evidence:
    """One published figure and how a run compares to it.

    Attributes
    ----------
    name : str
        Identifier (a calibration file's target name).
    figure : str
        The figure as published, in words.
    source : str
        Citation of the primary source.
    band : (float, float)
        Low and high of the values consistent with the figure (``-inf``/``inf`` for a
        one-sided pattern).
    value : float or None
        The published point value, when there is one (a calibration pulls towards it);
        None for a pattern that is a band only.
    band_note : str
        Why the band is what it is.
    quantity : str
        The model quantity, in words.
    parts : Parts
        Function of a run giving (numerator, denominator) (:mod:`sim.evidence.quantities`).
    scenario : str
        The shipped scenario (file name under ``scenarios/``) it applies to.
    """

    name: str
    figure: str
    source: str
    band: tuple[float, float]
    value: float | None
    band_note: str
    quantity: str
    parts: q.Parts
    scenario: str

    @property
    def scale(self) -> float:
        """Half the band's width (the band's own width when one side is open, measured from
        its finite edge to the value or 0.25 of the edge's magnitude): the unit of distance."""
        lo, hi = self.band
        if math.isfinite(lo) and math.isfinite(hi):
            return (hi - lo) / 2
        edge = lo if math.isfinite(lo) else hi
        return abs(self.value - edge) if self.value is not None else max(abs(edge) * 0.25, 1e-9)

    def inside(self, x: float) -> bool:
        """Whether ``x`` lies in the band (NaN never does)."""
        return bool(self.band[0] <= x <= self.band[1])


def evidence_value(ev: Evidence, results: Sequence) -> float:
    """The model's value of ``ev`` over ``results`` (replicates of its scenario), pooled."""
    return q.pooled(ev.parts(r) for r in results)


def band_distance(ev: Evidence, x: float) -> float:
    """Standardised distance of a model value from the figure: ``|x - value| / scale`` when
    the figure has a point value, else how far ``x`` lies outside the band, over ``scale``
    (0 inside). NaN (undefined) counts as 1,000 scales off; ``inf`` as 100."""
    if math.isnan(x):
        return 1000.0
    if math.isinf(x):
        return 100.0
    if ev.value is not None:
        return abs(x - ev.value) / ev.scale
    lo, hi = ev.band
    return max(lo - x, 0.0, x - hi) / ev.scale


_LAUNCH = "wechat_gift_launch.toml"

EVIDENCE: dict[str, Evidence] = {e.name: e for e in (
    Evidence(
        "receive_give_lift",
        "Receiving a gift makes a person 56% more likely to give a gift (causal; 1.5 million gift exchanges, "
        "Facebook Gifts, 2013)",
        "Kizilcec, Bakshy, Eckles & Burke, \"Social Influence and Reciprocity in Online Gift Giving\", CHI 2018",
        (1.35, 1.8), 1.56,
        "the published 1.56x; band +-0.2 (assumption: the paper's interval is not quoted in evidence.md)",
        "giving within 30 days after a first received gift, against users who had received none by the window's "
        "end, pooled over days and replicates (sim.metrics.lift)",
        q.receive_give_parts, _LAUNCH),
    Evidence(
        "pay_forward_share",
        "Most receivers pay the gift forward rather than reciprocating directly",
        "Kizilcec, Bakshy, Eckles & Burke, CHI 2018",
        (0.5, 1.0), None, "\"most\": more than half",
        "gifts paid forward over gifts paid forward or sent back to the giver",
        q.pay_forward_parts, _LAUNCH),
    Evidence(
        "recommendations_per_purchase",
        "1 purchase per 92 recommendations (15.6 million recommendations; books 1 in 69, DVDs 1 in 108)",
        "Leskovec, Adamic & Huberman, \"The dynamics of viral marketing\", ACM TWEB 2007",
        (69.0, 108.0), 92.0, "the published books-to-DVDs range around the overall 92",
        "gifts received per gift after which the recipient bought the same merchant's product within 7 days",
        q.recommendation_parts, _LAUNCH),
    Evidence(
        "aware_at_spring_festival",
        "No explosion at Spring Festival 2025: on day 2 many users did not know the feature existed",
        "窄播 (zhenguoke.com/read/-dy-article-JNAAO6UA05118O92.html); ztwtw.cn/fenghui/202502/75201.html",
        (0.05, 0.5), None,
        "most users unaware: under half aware (upper edge); a feature on every product page for six weeks is "
        "known to some (lower edge, assumption)",
        "share of users aware of the gift feature at the end of Spring Festival day 2025",
        q.aware_at_spring_festival_parts, _LAUNCH),
    Evidence(
        "cascades_within_one_step",
        "The vast majority of online cascades are small and end within one step of the seed",
        "Goel, Watts & Goldstein, \"The structure of online diffusion networks\", EC 2012",
        (0.9, 1.0), None, "\"vast majority\": at least 90% (assumption on the word)",
        "adoption cascades (trees of senders by who made whom aware) of depth <= 1, over all cascades",
        q.within_one_step_parts, _LAUNCH),
)}
"""The expressible figures, by name (order: as in ``../shared/evidence.md``)."""

NOT_EXPRESSIBLE: tuple[tuple[str, str, str], ...] = (
    ("Spontaneous and reciprocal red-packet senders differ (men, seniors, more in-group friends send "
     "spontaneously)", "Yuan, Liu, Tan & Tang, arXiv 1712.02926",
     "no number to compare; giftsim draws propensities independently of demographics it does not model"),
    ("Structural virality separates broadcast from viral spread", "Goel, Anderson, Hofman & Watts, "
     "Management Science 2016", "a metric (structural_virality_*), not a figure with a value"),
    ("WeChat Mini Shop 2024: GMV 1.92x, orders 2.25x the 2023 level", "dignews.cc/p/5696b1ac37faee58.html",
     "growth before the gift feature, from a market giftsim does not start from (no 2023 baseline run)"),
    ("Douyin 2024: top-tier influencers about 9% of about 3.5 trillion RMB GMV", "36Kr (eu.36kr.com/en/p/"
     "3166066575158018)", "influencers among millions of sellers: giftsim's markets have tens of merchants and no "
     "influencer kind, so a top-tier share has no counterpart"),
    ("Online apparel return rates up to 80% for women's apparel", "Yicai Global",
     "a sourced default (categories.apparel.return_rate), not a pattern to reproduce"),
    ("24 h to accept, price cap 10,000 RMB, no jewellery or education", "网易科技; 窄播; 快科技",
     "rules, used as scenario defaults (gifts.expiry_hours, gifts.price_cap)"),
    ("Pony Ma: building this takes five years or longer", "Wallstreetcn (longportapp.com/news/224744068)",
     "a horizon, used for the three-year scenarios, not a figure"),
)
"""Figures of ``../shared/evidence.md`` the model does not compare to: (figure, source, reason)."""
