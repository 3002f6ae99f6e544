"""The scenario schema: one frozen, validated description of a simulation.

Every default of the model lives here, with its source: ``domain.md`` is the project's
domain brief (``docs/domain.md``, restating the December 2024 press feature on
WeChat's gift launch); "assumption" marks a value chosen for this model with no
published figure behind it (see ``docs/model.md`` for the reasoning). Units: days,
RMB, shares in [0, 1].

Scenario files (TOML) mirror these classes table by table; unknown keys and
out-of-range values are errors (see :mod:`sim.scenario.messages`).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, ClassVar, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SerializeAsAny,
    StrictFloat,
    StrictInt,
    TypeAdapter,
    field_validator,
    model_serializer,
    model_validator,
)
from pydantic.fields import FieldInfo

from ..policies import AllocationParams, EqualParams, params_class, registered_rules
from .behaviour_config import ResponseConfig
from .calendar_config import CalendarConfig, PushEvent
from .categories_config import CategoriesConfig, CategoryWeights, check_kind_categories
from .distributions import (
    Beta,
    Constant,
    LogNormal,
    NonNegativeDist,
    PositiveDist,
    ProbabilityDist,
)
from .errors import KeyProblem, folder_name
from .groups_config import GroupsConfig
from .market_config import MARKET_KIND_KEYS, MAX_PER_10K_USERS, Channel, MarketConfig, PaidTrafficConfig, omit_defaults
from .named_tables import complete_named_tables

__all__ = [
    "Scenario",
    "TimeConfig",
    "GraphConfig",
    "FileGraph",
    "BarabasiAlbert",
    "WattsStrogatz",
    "HolmeKim",
    "StochasticBlockModel",
    "ConfigurationModel",
    "CompleteGraph",
    "PopulationConfig",
    "GiftConfig",
    "RolloutPoint",
    "RolloutConfig",
    "Occasion",
    "MerchantTypeConfig",
    "MerchantConfig",
    "KIND_ROLE_KEYS",
    "KIND_OPTIONAL_KEYS",
    "MAX_MERCHANT_KINDS",
    "MAX_MERCHANTS",
    "PushConfig",
    "InducedSharingConfig",
    "PolicyConfig",
    "CalendarConfig",
    "GiftMode",
    "IndependentCascadeMode",
    "BassMode",
    "ModeConfig",
    "MODE_KINDS",
    "PRICE_CAP_RMB",
]

PRICE_CAP_RMB = 10_000.0
"""Highest price of a gift, RMB (issue #2: price cap 10,000 RMB)."""

Share = Annotated[StrictFloat, Field(ge=0.0, le=1.0)]
NonNeg = Annotated[StrictFloat, Field(ge=0.0)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False, validate_default=True,
                              use_attribute_docstrings=True)


class _PartialTable:
    """JSON Schema of a table whose keys all default (a merchant type in ``[merchants.sme]``
    takes the type's own defaults for the keys it leaves out: see
    :meth:`MerchantConfig._partial_types`); validation is unchanged."""

    def __get_pydantic_json_schema__(self, core_schema, handler):
        full = handler.resolve_ref_schema(handler(core_schema))
        return {k: v for k, v in full.items() if k != "required"}


class _RegisteredRules:
    """JSON Schema of ``[policy.allocation]``: one of the registered rules' parameter
    tables, each with its ``rule`` (see :meth:`PolicyConfig._registered_rule`); validation
    is unchanged."""

    def __get_pydantic_json_schema__(self, core_schema, handler):
        tables = []
        for rule in registered_rules():
            table = handler(params_class(rule).__pydantic_core_schema__)
            tables.append({"allOf": [table], "required": ["rule"]} if "$ref" in table
                          else {**table, "required": sorted({*table.get("required", ()), "rule"})})
        return {"oneOf": tables}


# --------------------------------------------------------------------------- time
class TimeConfig(_Strict):
    """The simulated period and the length of one step."""

    start: dt.date = dt.date(2024, 12, 19)
    """First simulated day (domain.md §1: staged rollout starts 2024-12-19)."""
    end: dt.date = dt.date(2025, 2, 14)
    """Last simulated day, inclusive (domain.md §1: Valentine's Day closes the occasions)."""
    step_hours: Literal[1, 2, 3, 4, 6, 8, 12, 24] = 24
    """Length of one step in hours; it must divide 24 (a day by default)."""

    @model_validator(mode="after")
    def _ordered(self) -> TimeConfig:
        if self.end < self.start:
            raise KeyProblem("end", f"is before start ({self.start.isoformat()}); allowed: an end date on "
                             "or after time.start", self.end)
        if (self.end - self.start).days > 3660:
            raise KeyProblem("end", f"the period from start ({self.start.isoformat()}) is longer than 10 years "
                             "(3,660 days); allowed: at most 3,660 days", self.end)
        return self

    @property
    def days(self) -> int:
        """Number of simulated days, start and end included."""
        return (self.end - self.start).days + 1

    @property
    def steps_per_day(self) -> int:
        """Steps in a day (24 / ``step_hours``)."""
        return 24 // self.step_hours

    @property
    def n_steps(self) -> int:
        """Number of steps in the run."""
        return self.days * self.steps_per_day


# --------------------------------------------------------------------------- graph
TieStrength = Literal["file"] | ProbabilityDist
_tie_dist = TypeAdapter(ProbabilityDist)


class _GraphBase(_Strict):
    tie_strength: TieStrength = Beta(a=2.0, b=5.0)
    """Tie strength per friendship in [0, 1] (clipped below at 1e-6): ``"file"`` to use the
    file's weight column (scaled by its maximum), or a distribution (assumption: Beta(2, 5),
    mostly weak ties)."""
    seed: StrictInt | None = Field(default=None, ge=0)
    """Seed of the graph and tie strengths; left out (or ``--set graph.seed=none``), it
    derives from the run's seed, so each replicate gets its own graph. Set it to keep one
    graph across replicates."""

    @field_validator("tie_strength", mode="before")
    @classmethod
    def _file_or_dist(cls, value: object) -> object:
        # validate a distribution on its own so that errors name only its keys
        return value if value == "file" else _tie_dist.validate_python(value)


class FileGraph(_GraphBase):
    """A social graph read from a file: SNAP edge list (``u v`` or ``u v w``; ``.gz`` ok),
    GraphML or GML. Directed edges are made undirected; self-loops and duplicates are
    dropped and counted; node ids are relabelled 0..n-1."""

    kind: Literal["edgelist", "graphml", "gml"]
    """File format: SNAP edge list (``.gz`` ok), GraphML or GML."""
    path: str = Field(min_length=1)
    """File path, relative to the scenario file that names it."""


def _below_n(cfg, key: str, low: int) -> None:
    value = getattr(cfg, key)
    if value >= cfg.n:
        raise KeyProblem(key, f"must be below n = {cfg.n:,}, the number of users; allowed: {low} <= {key} < n",
                         value)


class BarabasiAlbert(_GraphBase):
    """A seeded Barabasi-Albert graph: preferential attachment, m friendships per new user."""

    kind: Literal["barabasi_albert"]
    n: StrictInt = Field(ge=2, le=50_000_000)
    """Users."""
    m: StrictInt = Field(ge=1)
    """Friendships each new user makes (mean degree about 2 m); below n."""
    engine: Literal["auto", "networkx", "numpy"] = "auto"
    """networkx's generator, or the numpy Batagelj-Brandes method; ``auto`` uses numpy
    above 100,000 users."""

    @model_validator(mode="after")
    def _m_below_n(self) -> BarabasiAlbert:
        _below_n(self, "m", 1)
        return self


class WattsStrogatz(_GraphBase):
    """A seeded Watts-Strogatz small world: a ring of k neighbours, each edge rewired with probability p."""

    kind: Literal["watts_strogatz"]
    n: StrictInt = Field(ge=2, le=50_000_000)
    """Users."""
    k: StrictInt = Field(ge=2)
    """Each user's ring neighbours before rewiring (mean degree k); below n."""
    p: Share
    """Rewiring probability per edge."""
    engine: Literal["auto", "networkx", "numpy"] = "auto"
    """networkx's generator, or a numpy one (rewiring may drop a few edges, counted);
    ``auto`` uses numpy above 100,000 users."""

    @model_validator(mode="after")
    def _k_below_n(self) -> WattsStrogatz:
        _below_n(self, "k", 2)
        return self


class HolmeKim(_GraphBase):
    """Holme-Kim powerlaw-cluster graph (preferential attachment plus triad closure)."""

    kind: Literal["holme_kim"]
    n: StrictInt = Field(ge=2, le=50_000_000)
    """Users."""
    m: StrictInt = Field(ge=1)
    """Friendships each new user makes; below n."""
    p: Share
    """Probability of closing a triangle after each preferential link."""

    @model_validator(mode="after")
    def _m_below_n(self) -> HolmeKim:
        _below_n(self, "m", 1)
        return self


class StochasticBlockModel(_GraphBase):
    """Communities: ``sizes`` blocks, edge probability ``p_in`` within and ``p_out`` across."""

    kind: Literal["sbm"]
    sizes: list[Annotated[StrictInt, Field(ge=1)]] = Field(min_length=1)
    """Users per community."""
    p_in: Share
    """Friendship probability within a community."""
    p_out: Share
    """Friendship probability across communities."""


class ConfigurationModel(_GraphBase):
    """Configuration model: ``n`` users with degrees drawn from ``degree`` (rounded), or an
    explicit ``degree_sequence``; self-loops and multi-edges are dropped and counted."""

    kind: Literal["configuration"]
    n: StrictInt | None = Field(default=None, ge=2, le=50_000_000)
    """Users (with ``degree``)."""
    degree: NonNegativeDist | Literal["poisson"] | None = None
    """Degree distribution (values rounded), or ``"poisson"`` with ``mean_degree``."""
    mean_degree: StrictFloat | None = Field(default=None, gt=0)
    """With ``degree = "poisson"``: the Poisson mean."""
    degree_sequence: list[Annotated[StrictInt, Field(ge=0)]] | None = None
    """Explicit degrees, one per user (instead of ``n`` and ``degree``)."""

    @model_validator(mode="after")
    def _one_source(self) -> ConfigurationModel:
        if self.degree_sequence is not None:
            if self.degree is not None or self.n is not None:
                raise KeyProblem("degree_sequence", "give either degree_sequence, or n with degree, not both")
            if len(self.degree_sequence) < 2:
                raise KeyProblem("degree_sequence", "needs at least 2 users; allowed: a list of 2 or more degrees",
                                 list(self.degree_sequence))
        elif self.n is None or self.degree is None:
            raise KeyProblem("n" if self.n is None else "degree",
                             "required: give degree_sequence, or both n and degree")
        if self.degree == "poisson" and self.mean_degree is None:
            raise KeyProblem("mean_degree", 'required with degree = "poisson"')
        return self


class CompleteGraph(_GraphBase):
    """Everyone is everyone's friend (the mean-field limit)."""

    kind: Literal["complete"]
    n: StrictInt = Field(ge=2, le=20_000)
    """Users."""


GraphConfig = Annotated[
    FileGraph | BarabasiAlbert | WattsStrogatz | HolmeKim | StochasticBlockModel | ConfigurationModel | CompleteGraph,
    Field(discriminator="kind"),
]


# --------------------------------------------------------------------------- users
class PopulationConfig(_Strict):
    """Heterogeneous user traits, one draw per user at the start of a run."""

    activity: ProbabilityDist = Beta(a=9.0, b=1.0)
    """Probability of opening WeChat on a given day (assumption: mean 0.9, range of the mean
    0.5-0.95; WeChat chat is used daily by most of its > 1.3 billion users, domain.md §2)."""
    feed_impressions: StrictFloat = Field(default=20.0, ge=0.0, le=10_000.0)
    """Mean feed impressions per active day (Poisson; assumption; range 5-100)."""
    shopping_propensity: ProbabilityDist = Beta(a=2.0, b=8.0)
    """Multiplier of the chance to gift on a product-page visit (assumption: mean 0.2;
    range of the mean 0.05-0.5)."""
    budget: NonNegativeDist = LogNormal(median=250.0, sigma=1.0)
    """Gift budget of each calendar month, RMB; refunds return to it (assumption: median 250,
    range 100-500; with the 2024-12-19 start the 58-day launch gets about the 500 RMB it
    had as one budget for the whole run before runs of years existed). With
    ``budget_period = "run"``, one budget for the whole run instead."""
    budget_period: Literal["run", "month"] = "month"
    """``month`` (default): renewed to the user's draw of ``budget`` on the first day of each
    calendar month, unspent money lapses (a run of years needs a budget per period, issue
    #14); ``run``: one budget for the whole run (the model before issue #14)."""
    reciprocity: ProbabilityDist = Beta(a=0.083, b=19.0)
    """Chance of sending a gift back to the giver on accepting one, decided independently of ``pay_forward`` (a:
    calibrated: the posterior median of scenarios/calibrate_evidence.toml's ABC-SMC against the WeChat launch's five
    published figures, docs/evidence.md; b = 19 held; a's 90% posterior interval 0.024-0.24, prior loguniform
    0.02-1.5; mean 0.0043, before: Beta(1, 19), an assumption)."""
    pay_forward: ProbabilityDist = Beta(a=0.112, b=9.0)
    """Chance of sending a gift on to another friend on accepting one, decided independently of sending one back (a:
    calibrated: the posterior median of scenarios/calibrate_evidence.toml's ABC-SMC against the WeChat launch's five
    published figures, docs/evidence.md; b = 9 held; a's 90% posterior interval 0.050-0.19, prior loguniform
    0.02-1.5; mean 0.0123, before: Beta(1, 9), an assumption)."""
    pay_forward_days: StrictInt = Field(default=3, ge=1, le=365)
    """A recipient who sends a gift back and also decides to pay forward pays forward on a
    day drawn uniformly from the next this many days, at their first active step from then
    on (assumption; range 1-30)."""
    response: ResponseConfig = ResponseConfig()
    """The response to stimuli: saturation, novelty decay and habit (issue 14; off by default)."""
    mute_threshold: PositiveDist = LogNormal(median=5.0, sigma=0.5)
    """Annoyance at which a user mutes commerce, pushes and invitations (assumption: median 5,
    five pushes or 500 commercial impressions not yet faded; range of the median 2-20)."""
    annoyance_decay: Share = 0.1
    """Share of annoyance that fades each day (assumption; range 0.02-0.5)."""


# --------------------------------------------------------------------------- gifts
class GiftConfig(_Strict):
    """The gift lifecycle (domain.md §1)."""

    click_through: Share = 0.064
    """Chance that a commercial impression leads to the product page (calibrated: the posterior median of
    scenarios/calibrate_evidence.toml's ABC-SMC against the WeChat launch's five published figures, docs/evidence.md;
    90% posterior interval 0.031-0.094, prior uniform 0.02-0.1; before: 0.05, an assumption)."""
    send_probability: Share = 0.49
    """Chance of gifting on a product-page visit before the user's shopping propensity and the occasion lift multiply
    it (calibrated: the posterior median of scenarios/calibrate_evidence.toml's ABC-SMC against the WeChat launch's
    five published figures, docs/evidence.md; 90% posterior interval 0.22-0.74, prior uniform 0.1-0.8; before: 0.25,
    an assumption)."""
    accept_intercept: StrictFloat = Field(default=0.75, ge=-20, le=20)
    """Acceptance: logit P(accept) = accept_intercept + accept_tie * tie strength + accept_quality * quality
    (calibrated: the posterior median of scenarios/calibrate_evidence.toml's ABC-SMC against the WeChat launch's
    five published figures, docs/evidence.md; 90% posterior interval -0.48-1.92, prior uniform -0.5-2; before: 0.5,
    an assumption)."""
    accept_tie: StrictFloat = Field(default=2.0, ge=-20, le=20)
    """Weight of tie strength in the acceptance logit (assumption; range 0-4)."""
    accept_quality: StrictFloat = Field(default=1.0, ge=-20, le=20)
    """Weight of product quality in the acceptance logit (assumption; range 0-3)."""
    expiry_hours: StrictInt = Field(default=24, ge=1, le=24 * 365)
    """A gift not accepted within this many hours is cancelled and refunded (issue #2,
    domain.md §1: expiry); it must be a multiple of ``time.step_hours``."""
    price_cap: StrictFloat = Field(default=PRICE_CAP_RMB, gt=0.0, le=PRICE_CAP_RMB)
    """Highest gift price, RMB; product prices are clipped to it (issue #2)."""
    unlock_on_receive: bool = True
    """Receiving a gift shows the gift button to the recipient even outside the staged
    rollout (assumption: the gift box links to the product page with the button)."""
    follow_probability: Share = 0.05
    """Chance that a recipient follows the merchant of an accepted gift (assumption; range
    0.01-0.2)."""
    chat_entry_from: dt.date | None = None
    """From this date a gift can also start from the chat menu, next to red envelopes, not
    only from a product page (issue #8: the gift entry moved into the chat menu on
    2025-01-17); leave the key out (or ``--set gifts.chat_entry_from=none``) for product
    pages only (domain.md §1)."""
    chat_entry_rate: Share = 0.02
    """Chance per active day that a user who sees the gift button opens the chat menu's
    gift entry, once it exists (assumption; range 0.005-0.1)."""
    item: Literal["product", "cash"] = "product"
    """What a gift is: a product bought from a merchant (WeChat 2024, domain.md §1), or
    cash sent from the chat box with no merchant or product (a red envelope, WeChat
    2014, domain.md §1); cash gifts always start from the chat menu. Merchants and feed
    commerce still run beside cash gifts unless switched off (merchant counts and
    ``policy.commercial_share`` 0, as in ``scenarios/red_envelope_2014.toml``)."""
    cash_amount: PositiveDist = LogNormal(median=20.0, sigma=0.8)
    """Amount of a cash gift, RMB, clipped to ``price_cap`` (assumption: median 20; range of
    the median 5-100)."""


# --------------------------------------------------------------------------- rollout
class RolloutPoint(_Strict):
    """One point of the staged-rollout schedule."""

    date: dt.date
    """Calendar date."""
    share: Share
    """Share of users who see the gift button from that date."""


class RolloutConfig(_Strict):
    """Staged rollout (grey release): share of users who see the gift button, linear
    between the points, constant before the first and after the last. Points may lie
    before ``time.start`` or after ``time.end`` (the share inside the period interpolates
    toward them), but a schedule whose first point comes after ``time.end`` is an error:
    every step would get that point's share."""

    schedule: list[RolloutPoint] = Field(
        default=[
            RolloutPoint(date=dt.date(2024, 12, 19), share=0.05),
            RolloutPoint(date=dt.date(2025, 1, 1), share=0.3),
            RolloutPoint(date=dt.date(2025, 1, 29), share=1.0),
        ],
        min_length=1,
    )
    """Assumption on shares (range of the 2025-01-01 share 0.1-0.6; full rollout from Spring
    Festival to months later); the start date is domain.md §1 (2024-12-19)."""

    @field_validator("schedule")
    @classmethod
    def _monotone(cls, pts: list[RolloutPoint]) -> list[RolloutPoint]:
        for i, (a, b) in enumerate(zip(pts, pts[1:]), start=1):
            if b.date <= a.date:
                raise KeyProblem((i, "date"), f"rollout dates must increase: {b.date.isoformat()} follows "
                                 f"{a.date.isoformat()} (schedule[{i - 1}]); allowed: a date after "
                                 f"{a.date.isoformat()}", b.date)
            if b.share < a.share:
                raise KeyProblem(
                    (i, "share"),
                    f"a staged rollout never shrinks: share {b.share:g} on {b.date.isoformat()} is below "
                    f"{a.share:g} on {a.date.isoformat()} (schedule[{i - 1}]); allowed: {a.share:g} <= share <= 1",
                    b.share,
                )
        return pts


class Occasion(_Strict):
    """A gifting occasion: intent rises linearly over ``lead_days`` to ``1 + lift`` times
    normal on ``date``, then falls back over ``lag_days``."""

    name: str = Field(min_length=1)
    """Occasion name (shown in the browser and the series)."""
    date: dt.date
    """Calendar date of the occasion (domain.md §1). An occasion whose whole window
    (``lead_days`` before to ``lag_days`` after) misses the simulated period is an error:
    it could not change a step."""
    lift: StrictFloat = Field(ge=0.0, le=100.0)
    """Extra gifting intent on the day: intent is multiplied by 1 + lift (assumption; range
    0.3-3)."""
    lead_days: StrictInt = Field(default=5, ge=0, le=365)
    """Days over which intent rises before the date (assumption; range 0-14)."""
    lag_days: StrictInt = Field(default=1, ge=0, le=365)
    """Days over which intent falls back after the date (assumption; range 0-3)."""


DEFAULT_OCCASIONS = (
    Occasion(name="Christmas", date=dt.date(2024, 12, 25), lift=1.0, lead_days=5, lag_days=1),
    Occasion(name="New Year's Day", date=dt.date(2025, 1, 1), lift=0.5, lead_days=3, lag_days=1),
    Occasion(name="Spring Festival", date=dt.date(2025, 1, 29), lift=2.0, lead_days=10, lag_days=3),
    Occasion(name="Valentine's Day", date=dt.date(2025, 2, 14), lift=1.5, lead_days=5, lag_days=0),
)
"""Dates from domain.md §1; lifts and windows are assumptions."""


# --------------------------------------------------------------------------- merchants
class MerchantTypeConfig(_Strict):
    """One merchant type (domain.md §3): the pool of potential merchants and their traits."""

    count: StrictInt = Field(ge=0, le=100_000)
    """Potential merchants of this type (on the platform or not). At most 100,000 per type,
    so that a run fits a laptop: the merchant tables and the daily allocation grow with
    the count (1,000,000 took a minute and 5.6 GB on the Facebook graph). Built in: 4 brands,
    20 small and medium, 10 white-label merchants, about one per 120 users of the shipped
    graph (assumption; range half to three times each)."""
    joined_at_start: Share = 0.5
    """Share of them on the platform on the first day (assumption: half the market formed
    at launch; range 0.2-0.9)."""
    price: PositiveDist
    """Product price, RMB, clipped to ``gifts.price_cap`` (assumption: built-in medians 300
    brands, 120 small and medium, 60 white-label, sigma 0.6; range of a median half to twice
    it)."""
    quality: ProbabilityDist = Beta(a=5.0, b=2.0)
    """Product quality in [0, 1]: raises acceptance, lowers returns (assumption: built-in
    means 0.8 brands, 0.75 small and medium, 0.5 white-label; range of a mean 0.4-0.9)."""
    appeal: PositiveDist = Constant(value=1.0)
    """Click-through multiplier of the merchant's content (assumption: 1.5 brands, 1 the
    others; range 0.5-3)."""
    followers: NonNegativeDist = LogNormal(median=1000.0, sigma=1.0)
    """Follower count at the start (domain.md §2: exists even where the policy hides it;
    assumption: medians 100,000 brands, 2,000 small and medium, 500 white-label; range of a
    median a tenth to ten times it)."""
    commission: Share = 0.05
    """Platform commission on each sale (assumption; range 0.01-0.1)."""
    unit_cost_share: Annotated[StrictFloat, Field(ge=0.0, lt=1.0)] = 0.6
    """Cost of goods as a share of price (assumption; range 0.3-0.8)."""
    fixed_cost_per_week: NonNeg = 50.0
    """Cost of keeping a shop open, RMB per week (brands 85, fitted to a published figure: see their row;
    assumption: 8 small and medium, 4 white-label, 50 a new kind; range 0-200)."""
    initial_stock: StrictInt = Field(default=20, ge=0)
    """Units in stock on the first day (assumption: 50 brands, 20 the others; range 5-200)."""
    reorder_point: StrictInt = Field(default=5, ge=0)
    """Restock when available plus incoming stock falls to this level (assumption; range 0-20)."""
    restock_quantity: StrictInt = Field(default=20, ge=1)
    """Minimum units per restock order, more when recent demand is higher (assumption: 50
    brands, 20 the others; range 5-200)."""
    lead_days: StrictInt = Field(default=3, ge=0, le=365)
    """Days between a restock order and its arrival (assumption: domestic express delivery;
    range 1-14)."""
    return_rate: Share = 0.2
    """Chance of return for a product of quality 0; it falls linearly to 0 at quality 1
    (assumption: 0.2 brands, 0.15 small and medium, whose returns are lower than on other
    platforms, domain.md §3, 0.3 white-label; range 0.05-0.5; apparel online reaches 0.8,
    Yicai Global: docs/model.md, Product categories)."""
    expectation: NonNeg = 1.0
    """Demand a merchant off the platform expects, relative to the platform's average
    orders per merchant (optimism > 1; assumption: 1, neither optimistic nor pessimistic;
    range 0.5-2)."""
    segment: Literal["brand", "sme", "other"] = "other"
    """Which GMV share of the summary counts this kind: ``brand`` (``brand_gmv_share``),
    ``sme`` (``sme_gmv_share``: small and medium merchants) or ``other`` (neither). A
    classification, not a behaviour: the built-in kinds follow domain.md §3 (brands, small
    and medium merchants, white-label merchants); a new kind counts in neither share."""
    head: bool = False
    """A head kind (imported top merchants): the ``head_boost`` allocation rule boosts
    every merchant of it whatever its followers, unless ``policy.allocation.head_kinds``
    names the kinds itself. Built in: brands only (domain.md §2, Douyin bringing over
    Tmall's top merchants), the rule's former fixed ``head_kinds = ["brand"]``."""
    colour: str | None = Field(default=None, pattern=r"^#[0-9a-fA-F]{6}$")
    """Colour of the kind in charts, ``#rrggbb``; leave it out for one of a fixed palette
    (chosen by the kind's position)."""
    label: str | None = Field(default=None, min_length=1, max_length=40)
    """Name of the kind in charts; leave it out for the table's name."""
    categories: CategoryWeights | None = None
    """Product categories of the kind's merchants, name -> weight (e.g. ``{books = 1, food =
    2}``; names from ``[categories]``): each merchant draws one by these weights, then its
    price and return rate from the category (this kind's ``price`` and ``return_rate`` are
    then unused); leave it out for no category (as before categories existed)."""
    per_10k_users: Annotated[StrictFloat, Field(ge=0.0, le=MAX_PER_10K_USERS)] | None = None
    """Potential merchants per 10,000 users: when given, the pool is round(per_10k_users *
    users / 10,000) and ``count`` is ignored, so that the market scales with the graph.
    Assumption; range 1-100; neutral: None (``count``)."""
    channel: Channel = "shop"
    """Where the kind sells: ``shop`` (the platform's shop, as before), ``mini_program``
    (own mini program: no commission, no organic feed impressions) or ``choose`` (at each
    review, the one with the higher expected profit; see :mod:`sim.model.market`)."""

    def pool_size(self, n_users: int | None) -> int:
        """Potential merchants of the kind: ``count``, or round(per_10k_users * n_users /
        10,000) when ``per_10k_users`` is given and ``n_users`` known."""
        if self.per_10k_users is None or n_users is None:
            return self.count
        return int(round(self.per_10k_users * n_users / 10_000))


KIND_OPTIONAL_KEYS = ("categories",)
"""Keys of a merchant type whose default is None (off); a dump leaves them out when None."""

KIND_ROLE_KEYS = ("segment", "head", "colour", "label")
"""Keys of a merchant type that say how the kind is counted and shown, not how its
merchants behave; a dump leaves them out where they equal the kind's defaults, so that a
scenario written before they existed keeps its run ids."""

MAX_MERCHANT_KINDS = 100
"""Most merchant kinds a scenario may declare (a merchant's kind is stored as int8)."""

MAX_MERCHANTS = 300_000
"""Most potential merchants of all kinds together (three built-in kinds of at most
100,000 each, as before kinds were data)."""

_KIND_NAME = r"[a-z][a-z0-9_]{0,39}"


class MerchantConfig(_Strict):
    """Merchant pool, stock and the weekly join/leave review.

    The merchant kinds form a table keyed by name: every ``[merchants.<name>]`` table is
    a kind (a :class:`MerchantTypeConfig`). ``brand``, ``sme`` and ``white_label`` are
    built in (with the defaults below; a table for one of them changes only the keys it
    gives); any other name declares a new kind, which needs at least ``count`` and
    ``price``. Merchant ids follow :attr:`kind_names`: the built-in kinds in that order,
    then the scenario's own in the order of the file.
    """

    model_config = ConfigDict(extra="allow", json_schema_extra={"propertyNames": {"pattern": f"^{_KIND_NAME}$"}})
    __pydantic_extra__: dict[str, MerchantTypeConfig] = Field(init=False)
    FREE_KEY_FIELD: ClassVar[FieldInfo] = FieldInfo.from_annotation(MerchantTypeConfig)
    """The field of a key the class does not declare (a new kind's table), for the
    loader's look-up of dotted keys such as ``merchants.livestreamer.count``."""

    brand: Annotated[MerchantTypeConfig, _PartialTable()] = MerchantTypeConfig(
        count=4, joined_at_start=0.5, price=LogNormal(median=300.0, sigma=0.6),
        quality=Beta(a=8.0, b=2.0), appeal=Constant(value=1.5),
        followers=LogNormal(median=100_000.0, sigma=1.0), fixed_cost_per_week=85.0,
        initial_stock=50, restock_quantity=50, return_rate=0.2,
        segment="brand", head=True, colour="#1d3557",
    )
    """Brands: higher prices, quality and appeal, many followers (assumption); a head kind."""
    sme: Annotated[MerchantTypeConfig, _PartialTable()] = MerchantTypeConfig(
        count=20, joined_at_start=0.5, price=LogNormal(median=120.0, sigma=0.6),
        quality=Beta(a=6.0, b=2.0), followers=LogNormal(median=2_000.0, sigma=1.0),
        fixed_cost_per_week=8.0, return_rate=0.15, segment="sme", colour="#2a9d8f",
    )
    """Small and medium merchants: "volume not large, but stable, and return rates lower
    than on other platforms" (domain.md §3)."""
    white_label: Annotated[MerchantTypeConfig, _PartialTable()] = MerchantTypeConfig(
        count=10, joined_at_start=0.5, price=LogNormal(median=60.0, sigma=0.6),
        quality=Beta(a=3.0, b=3.0), followers=LogNormal(median=500.0, sigma=1.0),
        fixed_cost_per_week=4.0, return_rate=0.3, colour="#e9c46a",
    )
    """White-label merchants: cheap, variable quality, higher returns (assumption)."""
    review_days: StrictInt = Field(default=7, ge=1, le=365)
    """Days between merchants' join/leave reviews (assumption: weekly; range 1-30)."""
    exit_after: StrictInt = Field(default=4, ge=1, le=100)
    """A merchant leaves when its profit over its last this-many reviews is negative
    (assumption: four weekly reviews, a month; range 2-12)."""
    max_admissions_per_week: StrictInt | None = Field(default=None, ge=0)
    """Platform's onboarding capacity (domain.md §3: recruitment outran governance in
    2023); leave the key out (or ``--set merchants.max_admissions_per_week=none``) for no
    cap."""
    demand_window_days: StrictInt = Field(default=7, ge=1, le=365)
    """Days of orders a merchant (and ``sales_proportional``) looks back on (assumption: a
    week; range 3-30)."""
    market: MarketConfig = MarketConfig()
    """Entry with visibility, re-entry, mini-program cost (issue 14; neutral by default)."""

    @model_validator(mode="before")
    @classmethod
    def _partial_types(cls, data: object) -> object:
        # `[merchants.sme] count = 100` changes only the count: the other keys keep the
        # type's own defaults rather than requiring a full table. Any other key not a
        # setting is a new kind: it must be a table with a plain name.
        return complete_named_tables(data, cls.model_fields, _builtin_kinds(), most=MAX_MERCHANT_KINDS,
                                     noun="merchant kind", plural="kinds",
                                     check_new=lambda name, given: _check_new_kind(name, given, cls))

    @model_validator(mode="after")
    def _kinds_consistent(self) -> MerchantConfig:
        total, labels = 0, {}
        for name, t in self.kinds().items():
            total += t.count
            if total > MAX_MERCHANTS:
                raise KeyProblem(f"{name}.count", f"brings the merchants of all kinds to {total:,}; allowed: at "
                                 f"most {MAX_MERCHANTS:,} in all", t.count)
            label = t.label or name
            if label in labels:
                raise KeyProblem(f"{name}.label" if t.label else f"{labels[label]}.label",
                                 f"makes two kinds show as {label!r} ({labels[label]} and {name}); allowed: "
                                 "a label no other kind has (as name or label)", label)
            labels[label] = name
        return self

    @model_serializer(mode="wrap")
    def _omit_default_roles(self, handler):
        # A kind's role keys (segment, head, colour, label) are left out of dumps where
        # they equal the kind's defaults: scenarios keep the run ids they had before.
        data = handler(self)
        if not isinstance(data, dict):
            return data
        builtin = _builtin_kinds()
        for name in self.kind_names:
            table = data.get(name)
            if not isinstance(table, dict):
                continue
            default = builtin[name] if name in builtin else None
            for key in KIND_ROLE_KEYS + MARKET_KIND_KEYS:
                want = getattr(default, key) if default is not None else MerchantTypeConfig.model_fields[key].default
                if key in table and table[key] == want:
                    del table[key]
            for key in KIND_OPTIONAL_KEYS:
                if table.get(key, 0) is None:
                    del table[key]
        omit_defaults(data, "market", MarketConfig())
        return data

    @property
    def kind_names(self) -> tuple[str, ...]:
        """Names of the merchant kinds in id order: the built-in kinds (``brand``, ``sme``,
        ``white_label``), then the scenario's own in file order. A merchant's kind code
        (``kind``, int8, of the merchant table) is the position of its kind here."""
        return tuple(_builtin_kinds()) + tuple(self.__pydantic_extra__ or ())

    def kinds(self) -> dict[str, MerchantTypeConfig]:
        """The merchant kinds, name to type config, in the order of :attr:`kind_names`."""
        return {name: getattr(self, name) for name in self.kind_names}

    def types(self) -> tuple[MerchantTypeConfig, ...]:
        """Type configs indexed by kind code (the order of :attr:`kind_names`)."""
        return tuple(self.kinds().values())

    def segment_codes(self, segment: str) -> tuple[int, ...]:
        """Kind codes of the kinds whose ``segment`` is ``segment`` (``brand``, ``sme``
        or ``other``), ascending."""
        return tuple(i for i, t in enumerate(self.types()) if t.segment == segment)

    def head_kinds(self) -> tuple[str, ...]:
        """Names of the kinds marked ``head = true``, in kind order."""
        return tuple(name for name, t in self.kinds().items() if t.head)

    def emptied(self) -> MerchantConfig:
        """The same kinds with no merchants (``count = 0`` each): the classic modes' pool."""
        data = self.model_dump(by_alias=True)
        return MerchantConfig.model_validate({**data, **{n: {**data[n], "count": 0, "per_10k_users": None}
                                                       for n in self.kind_names}})

    def pool_problem(self, n_users: int) -> tuple[str, str] | None:
        """(dotted key, message) when the pools of ``n_users`` users (``per_10k_users``)
        bring the merchants of all kinds above :data:`MAX_MERCHANTS`, else None."""
        total = 0
        for name, t in self.kinds().items():
            total += t.pool_size(n_users)
            if total > MAX_MERCHANTS:
                key = f"merchants.{name}.{'count' if t.per_10k_users is None else 'per_10k_users'}"
                return key, (f"brings the merchants of all kinds to {total:,} on {n_users:,} users; allowed: at "
                             f"most {MAX_MERCHANTS:,} in all")
        return None

    def kind_labels(self) -> tuple[str, ...]:
        """Chart names of the kinds (``label``, else the name), indexed by kind code."""
        return tuple(t.label or name for name, t in self.kinds().items())


def _builtin_kinds() -> dict[str, MerchantTypeConfig]:
    """The built-in merchant kinds with their defaults, in id order."""
    return {name: f.default for name, f in MerchantConfig.model_fields.items()
            if isinstance(f.default, MerchantTypeConfig)}


def _check_new_kind(name: str, given: object, cls: type[MerchantConfig]) -> None:
    """Refuse a key of ``[merchants]`` that is neither a setting nor a kind table.

    Raises
    ------
    KeyProblem
        Naming the key: not a table, not a kind name, or a table with an unknown key.
    """
    settings = [k for k, f in cls.model_fields.items() if not isinstance(f.default, MerchantTypeConfig)]
    if not isinstance(given, (dict, MerchantTypeConfig)):
        raise KeyProblem(name, f"is not a key of [merchants]; allowed: {', '.join(settings)}, or a table "
                         f"[merchants.{name}] declaring a merchant kind (count, price, ...)", given)
    if not re.fullmatch(_KIND_NAME, name):
        raise KeyProblem(name, "is not a merchant kind name; allowed: a name of lower-case letters, digits "
                         "and '_', starting with a letter, at most 40 characters (e.g. livestreamer)")
    unknown = [k for k in given if k not in MerchantTypeConfig.model_fields] if isinstance(given, dict) else []
    if unknown:
        raise KeyProblem(f"{name}.{unknown[0]}", "unknown key; allowed keys here: "
                         f"{', '.join(MerchantTypeConfig.model_fields)}", given[unknown[0]])


# --------------------------------------------------------------------------- policy
class PushConfig(_Strict):
    """Platform push toward gifting (domain.md §2: WeChat never pushes anything but
    messages between users; Douyin-style platforms do)."""

    enabled: bool = False
    """Whether the platform pushes."""
    reach: Share = 0.2
    """Share of active users pushed each day."""
    click_through: Share = 0.1
    """Chance that a push leads to a product page (assumption: twice a feed impression's
    ``gifts.click_through``, a push being targeted; range 0.02-0.3)."""
    annoyance: NonNeg = 1.0
    """Annoyance added per push received (assumption: as 100 commercial impressions,
    ``policy.ad_annoyance``; range 0.2-5)."""
    events: list[PushEvent] = Field(default=[], max_length=10_000)
    """Dated push campaigns (e.g. the 2015 Spring Festival gala "shake"): on each event's
    date its ``reach`` and ``click_through`` replace the above, pushes go out even if
    ``enabled`` is false (default: none)."""


class InducedSharingConfig(_Strict):
    """Group-buy style incentives to share (domain.md §2: Pinduoduo's forced sharing,
    banned by WeChat in 2018)."""

    enabled: bool = False
    """Whether sharing is induced."""
    fanout: StrictInt = Field(default=3, ge=0, le=1000)
    """Friends each sender is induced to send the product link to."""
    click_through: Share = 0.1
    """Chance that an invited friend opens the product page on their next active day
    (assumption: a friend's link, twice a feed impression's ``gifts.click_through``; range
    0.02-0.3)."""
    annoyance: NonNeg = 1.0
    """Annoyance added per invitation received (assumption: as a push; range 0.2-5)."""
    send_boost: StrictFloat = Field(default=1.5, ge=0.0, le=100.0)
    """Multiplier of the chance to gift on a visit, the incentive (assumption: half as
    likely again; range 1-3)."""


class PolicyConfig(_Strict):
    """The platform's traffic-allocation policy (domain.md §2)."""

    commercial_share: Share = 0.025
    """Fraction of feed impressions given to commerce (domain.md §2: WeChat Channels
    2%-3%; Douyin about 10x; Xiaohongshu over 6%)."""
    allocation: Annotated[SerializeAsAny[AllocationParams], _RegisteredRules()] = EqualParams()
    """How commercial impressions are split among merchants (domain.md §2: WeChat treats
    small merchants and big brands the same: ``equal``)."""
    ad_annoyance: NonNeg = 0.01
    """Annoyance added per commercial impression seen (assumption; range 0.001-0.05)."""
    push: PushConfig = PushConfig()
    """Platform push (off for WeChat, domain.md §2)."""
    induced_sharing: InducedSharingConfig = InducedSharingConfig()
    """Induced sharing (off for WeChat, domain.md §2)."""
    paid_traffic: PaidTrafficConfig = PaidTrafficConfig()
    """Paid traffic on top of the organic allocation (issue 14; off by default)."""

    @model_serializer(mode="wrap")
    def _omit_default_paid_traffic(self, handler):
        data = handler(self)  # left out at its default: scenarios keep their run ids
        if isinstance(data, dict):
            omit_defaults(data, "paid_traffic", PaidTrafficConfig())
        return data

    @field_validator("allocation", mode="before")
    @classmethod
    def _registered_rule(cls, value: object) -> object:
        if isinstance(value, AllocationParams):
            return value
        if not isinstance(value, dict):
            raise ValueError(
                f"must be a table with a rule; allowed rules: {', '.join(registered_rules())}"
            )
        if "rule" not in value:  # a table of parameters alone: which rule they are for is unknown
            raise ValueError(
                f"must name its rule (rule = \"...\"); allowed rules: {', '.join(registered_rules())}"
            )
        rule = value.get("rule")
        if rule not in registered_rules():
            raise ValueError(
                f"unknown allocation rule {rule!r}; allowed rules: {', '.join(registered_rules())}"
            )
        return params_class(rule).model_validate(value)


# --------------------------------------------------------------------------- mode
class GiftMode(_Strict):
    """The full gift model (the default): every table of the scenario is used."""

    kind: Literal["gift"] = "gift"
    """Mode: ``gift``, ``independent_cascade`` or ``bass``."""


class IndependentCascadeMode(_Strict):
    """Independent cascade (Kempe, Kleinberg & Tardos 2003): the engine reduced to a
    classic model, for validation against theory and peer libraries.

    No merchants, stock, budgets, expiry, occasions, rollout, activity or annoyance: the
    ``population``, ``gifts``, ``rollout``, ``occasions``, ``merchants`` and ``policy``
    tables are ignored. At step 0, ``seeds`` users drawn uniformly without replacement
    from the run's generator are active. Each user activated in step s gets one chance,
    in step s + 1, to activate each friend not yet active, independently with
    probability ``p``; a user activated by several friends at once takes one of them,
    uniformly at random, as cascade parent. One step is one generation whatever
    ``time.step_hours`` says; the run ends when no user was activated in the last step
    or after ``time.n_steps`` steps. Active users count as aware senders, so the run's
    cascade table is the activation forest.
    """

    kind: Literal["independent_cascade"]
    """Mode: independent cascade."""
    p: Share
    """Activation probability per friendship and attempt (no default: a model parameter)."""
    seeds: StrictInt = Field(default=1, ge=1, le=50_000_000)
    """Number of initially active users (default 1, a single-seed outbreak as in Newman
    2002); at most the number of users."""


class BassMode(_Strict):
    """Bass diffusion (Bass 1969) on the scenario's graph, in discrete time.

    Everyone is a potential adopter (no merchants, stock, budgets, expiry, occasions,
    rollout, activity or annoyance; those tables are ignored). In each step of length
    dt = ``time.step_hours`` / 24 days, a user who has not adopted adopts with
    probability (p + q * a_i / k_i) * dt, where a_i is the number of the user's k_i
    friends who had adopted before the step (a_i / k_i = 0 for k_i = 0). One uniform draw
    u per user decides: u < p dt is innovation (a cascade root), p dt <= u < (p + q a_i /
    k_i) dt is imitation, with a cascade parent drawn uniformly from the adopted
    friends. On a complete graph of N users the adopted share F_k follows, in
    expectation and as N grows, F_{k+1} = F_k + dt (1 - F_k)(p + q F_k), the forward
    Euler scheme of the Bass equation dF/dt = (1 - F)(p + q F), whose solution from
    F(0) = 0 is F(t) = (1 - e^{-(p+q)t}) / (1 + (q/p) e^{-(p+q)t}); the discrete curve
    approaches it with an error of order dt (``docs/validation.md``).
    """

    kind: Literal["bass"]
    """Mode: Bass diffusion."""
    p: Annotated[StrictFloat, Field(ge=0.0, le=24.0)]
    """Coefficient of innovation, per day (adoption from impressions, independent of
    friends; Bass 1969)."""
    q: Annotated[StrictFloat, Field(ge=0.0, le=24.0)]
    """Coefficient of imitation, per day (times the adopted share of friends)."""


ModeConfig = Annotated[
    GiftMode | IndependentCascadeMode | BassMode, Field(discriminator="kind")
]
MODE_KINDS: tuple[str, ...] = ("gift", "independent_cascade", "bass")
"""Allowed values of ``mode.kind``."""


# --------------------------------------------------------------------------- scenario
class Scenario(_Strict):
    """A complete, validated scenario. Frozen: derive variants with :meth:`model_copy`
    or :func:`sim.scenario.with_overrides`."""

    name: Annotated[str, Field(min_length=1, max_length=120), AfterValidator(folder_name)]
    """Scenario name; a run is stored under ``results/<name>/``: letters, digits, ``_``,
    ``.`` and ``-``, not starting with a dot or a dash."""
    description: str = ""
    """One line on what the scenario represents."""
    graph: GraphConfig
    """The social graph: a file or a generator (required)."""
    time: TimeConfig = TimeConfig()
    """The simulated period and step."""
    population: PopulationConfig = PopulationConfig()
    """User traits and annoyance."""
    gifts: GiftConfig = GiftConfig()
    """The gift lifecycle."""
    rollout: RolloutConfig = RolloutConfig()
    """The staged rollout of the gift button."""
    occasions: list[Occasion] = Field(default=list(DEFAULT_OCCASIONS))
    """Gifting occasions (domain.md §1: Christmas, New Year's Day, Spring Festival
    2025-01-29, Valentine's Day). Dates sourced; lifts and windows assumption (range of a
    lift 0.3-3, Spring Festival the largest)."""
    merchants: MerchantConfig = MerchantConfig()
    """The merchant pool and its decisions."""
    categories: CategoriesConfig = CategoriesConfig()
    """Product categories (price, gift suitability, returns) that merchant kinds may draw
    from (their ``categories`` weights); unused unless a kind gives weights."""
    policy: PolicyConfig = PolicyConfig()
    """The platform's traffic-allocation policy."""
    calendar: CalendarConfig = CalendarConfig()
    """The yearly calendar of occasions and birthdays (off by default)."""
    groups: GroupsConfig = GroupsConfig()
    """Chat groups and group gifts (off by default; :mod:`sim.scenario.groups_config`)."""
    mode: ModeConfig = GiftMode()
    """Which mechanisms run: ``gift`` (the full model, default), or a classic model for
    validation: ``independent_cascade`` or ``bass`` (see their classes)."""

    @field_validator("mode", mode="before")
    @classmethod
    def _mode_kind(cls, value: object) -> object:
        # name the mode kinds (the loader's generic message lists graph kinds)
        if isinstance(value, dict) and "kind" not in value:
            raise ValueError(f"needs a 'kind' key; allowed kind: {', '.join(MODE_KINDS)}")
        if isinstance(value, dict) and value.get("kind") not in MODE_KINDS:
            raise ValueError(
                f"unknown mode kind {value.get('kind')!r}; allowed kind: {', '.join(MODE_KINDS)}"
            )
        return value

    @model_serializer(mode="wrap")
    def _omit_gift_mode(self, handler):
        # The default mode is left out of dumps, so that gift scenarios keep the run ids,
        # fingerprints and manifests they had before modes existed.
        data = handler(self)
        if isinstance(self.mode, GiftMode) and isinstance(data, dict):
            data.pop("mode", None)
        if self.categories.is_default() and isinstance(data, dict):
            data.pop("categories", None)  # likewise before product categories existed
        if self.groups == GroupsConfig() and isinstance(data, dict):  # likewise groups off (issue #14)
            data.pop("groups", None)
        return data

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        check_kind_categories(self.merchants.kinds(), self.categories)
        alloc, kinds = self.policy.allocation, self.merchants.kind_names
        for key in type(alloc).KIND_FIELDS:  # parameters naming merchant kinds
            unknown = [n for n in getattr(alloc, key) or () if n not in kinds]
            if unknown:
                raise KeyProblem(f"policy.allocation.{key}", f"names {unknown[0]!r}, not a merchant kind of the "
                                 f"scenario; allowed: {', '.join(kinds)} (the [merchants.<name>] tables)")
        if self.gifts.item == "cash" and self.policy.induced_sharing.enabled:
            raise KeyProblem(
                "policy.induced_sharing.enabled",
                "induced sharing invites friends to a product page, but gifts.item = "
                '"cash" has none; allowed: induced_sharing.enabled = false with cash gifts', True,
            )
        if self.gifts.expiry_hours % self.time.step_hours:
            raise KeyProblem(
                "gifts.expiry_hours",
                f"must be a multiple of time.step_hours ({self.time.step_hours})", self.gifts.expiry_hours,
            )
        self.calendar.check_years(self.time.start, self.time.end)
        if isinstance(self.mode, BassMode):
            dt_days = self.time.step_hours / 24.0
            if (self.mode.p + self.mode.q) * dt_days > 1.0:
                raise KeyProblem(
                    "mode",
                    f"(p + q) * step length = ({self.mode.p:g} + {self.mode.q:g}) * "
                    f"{dt_days:g} days = {(self.mode.p + self.mode.q) * dt_days:g} is above 1; "
                    "allowed: (p + q) * time.step_hours / 24 <= 1 (a probability per step)"
                )
        users = static_users(self.graph)
        problem = self.merchants.pool_problem(users) if users is not None else None
        if problem is not None:
            raise KeyProblem(problem[0], problem[1])
        if isinstance(self.mode, IndependentCascadeMode):
            users = static_users(self.graph)
            if users is not None and self.mode.seeds > users:
                raise KeyProblem(
                    "mode.seeds",
                    f"is more than the graph's {users:,} users; allowed: 1 <= seeds <= {users}",
                    self.mode.seeds,
                )
        return self


def static_users(graph) -> int | None:
    """Number of users of a generated graph, known before it is built (None for a file)."""
    if isinstance(graph, StochasticBlockModel):
        return sum(graph.sizes)
    if isinstance(graph, ConfigurationModel):
        return len(graph.degree_sequence) if graph.degree_sequence is not None else graph.n
    return getattr(graph, "n", None)
