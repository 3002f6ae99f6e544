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
_RED_2014 = "red_envelope_2014.toml"

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
        "group_send_back_per_rmb",
        "Receiving one more RMB in a group red packet causes the recipient to send 0.18 RMB back to the group "
        "within 24 hours (36 million red packets in 174,131 groups)",
        "Yuan, Liu, Tan, Chen, Pentland & Tang, \"Gift contagion in online groups: evidence from WeChat red "
        "packets\", arXiv 1906.09698",
        (0.12, 0.24), 0.18, "the published 0.18; band +-0.06 (assumption: a third of the value either side)",
        "RMB a claimer sends to the group on the step of the claim per RMB claimed, pooled by RMB claimed",
        q.group_send_back_parts, _RED_2014),
    Evidence(
        "recommendations_per_purchase",
        "1 purchase per 92 recommendations (15.6 million recommendations; books 1 in 69, DVDs 1 in 108)",
        "Leskovec, Adamic & Huberman, \"The dynamics of viral marketing\", ACM TWEB 2007",
        (69.0, 108.0), 92.0, "the published books-to-DVDs range around the overall 92",
        "gifts received per gift after which the recipient bought the same merchant's product within 7 days",
        q.recommendation_parts, _LAUNCH),
    Evidence(
        "cascades_within_one_step",
        "The vast majority of online cascades are small and end within one step of the seed",
        "Goel, Watts & Goldstein, \"The structure of online diffusion networks\", EC 2012",
        (0.9, 1.0), None, "\"vast majority\": at least 90% (assumption on the word)",
        "adoption cascades (trees of senders by who made whom aware) of depth <= 1, over all cascades",
        q.within_one_step_parts, _LAUNCH),
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
        "brand_gmv_share",
        "WeChat Channels 2023: brands 15% of GMV",
        "Huajin Securities (via news.futunn.com/en/post/51440669)",
        (0.10, 0.20), 0.15,
        "the published 15%; band +-5 points (assumption)",
        "brands' share of the GMV of accepted product gifts in the last 365 days of the three-year run (a "
        "year's share of a platform past its launch, as the 2023 figure is; the first year mixes in the "
        "launch's initial merchant pools)",
        q.brand_share_last_year_parts, "wechat_gift_launch_3y.toml"),
    Evidence(
        "red_envelopes_per_participant",
        "Spring Festival 2014 (launch, from the chat box, no push): more than 8 million users and more than "
        "40 million envelopes in about ten days",
        "People's Daily / China Daily reports",
        (3.0, 8.0), 5.0,
        "40 million over 8 million; both published figures are lower bounds, so the band is wide "
        "(assumption)",
        "red envelopes received (a claimed share of a group envelope counts as one) per user who sent or "
        "received one, over the ten days from Spring Festival eve",
        q.envelopes_per_participant_parts, _RED_2014),
    Evidence(
        "red_envelope_participant_share",
        "Spring Festival 2014: more than 8 million users took part, a few percent of the users of the time",
        "People's Daily / China Daily reports",
        (0.01, 0.05), None, "\"a few percent\": 1% to 5% (assumption on the words)",
        "share of users who sent or received a red envelope over the ten days from Spring Festival eve",
        q.participant_share_parts, _RED_2014),
    Evidence(
        "gala_push_jump",
        "Spring Festival eve 2015: 1.01 billion envelopes, after the CCTV gala \"shake\" gave away 500 million "
        "RMB; the jump came with a push event and groups, not by itself",
        "People's Daily / China Daily reports",
        (2.0, math.inf), None,
        "a jump: the day of the push at least doubles the mean day of the week before (assumption: the days "
        "before are not published)",
        "gifts sent on the gala push day (Spring Festival eve 2015) over the mean day of the 7 days before",
        q.push_day_jump_parts, "red_envelope_2015_gala.toml"),
)}
"""The expressible figures, by name (order: as in ``../shared/evidence.md``)."""

NOT_EXPRESSIBLE: tuple[tuple[str, str, str], ...] = (
    ("Receiving one more RMB in a group red packet: the send-back is much stronger for the \"luckiest draw\"",
     "Yuan, Liu, Tan, Chen, Pentland & Tang, arXiv 1906.09698",
     "no number for \"much stronger\"; the model sets it as an input (groups.send_back_luckiest) rather than "
     "producing it"),
    ("61 million group red packets among 7 million users", "Yuan, Liu, Tan & Tang, arXiv 1712.02926",
     "counts of a sample of groups whose selection is not given: no scale-free form"),
    ("The chance of buying saturates quickly with the number of recommendations received",
     "Leskovec, Adamic & Huberman, ACM TWEB 2007",
     "no usable precision where it applies: over 4 replicates of wechat_gift_launch (seeds 0-3) 732 recipients "
     "received 1 gift before buying or never, 37 received 2 and only 10 received 3 or more "
     "(sim.validation.plausibility.purchase_by_received: shares 0.14, 0.08, 0 of 10); wechat_gift_launch_3y has "
     "the counts (seed 0: 1,051 / 407 / 186 / 112 at 1 / 2 / 3 / 4+) but its chance falls with k (0.60, 0.44, "
     "0.35, 0.38) because k counts a non-buyer's gifts over three years, a selection the measure does not "
     "remove; and \"quickly\" has no number to put a band on"),
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
    ("Grey test from 2024-12-18/19 on product pages; gift entry in the chat \"+\" menu from 2025-01-17; group "
     "gifting before Spring Festival 2025", "网易科技《态度》; 窄播",
     "dates and a mechanism, used as the launch scenarios' rollout dates, chat entry and [groups]"),
    ("Spring Festival 2025: no participant or GMV figure published; books and small appliances led",
     "窄播; ztwtw.cn/fenghui/202502/75201.html",
     "no figure to compare (the no-explosion part is aware_at_spring_festival); category shares are scenario "
     "inputs and no share of the leaders is given"),
    ("24 h to accept, price cap 10,000 RMB, no jewellery or education", "网易科技; 窄播; 快科技",
     "rules, used as scenario defaults (gifts.expiry_hours, gifts.price_cap)"),
    ("Pony Ma: building this takes five years or longer", "Wallstreetcn (longportapp.com/news/224744068)",
     "a horizon, used for the three-year scenarios, not a figure"),
)
"""Figures of ``../shared/evidence.md`` the model does not compare to: (figure, source, reason)."""
