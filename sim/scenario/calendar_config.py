"""The ``[calendar]`` table: yearly occasions (Gregorian or Chinese lunar dates), per-user
birthdays and birthday gifts; and dated push events (``policy.push.events``).

Off by default: ``calendar.yearly = false`` keeps the scenario's dated ``occasions``,
``birthday_gift_rate = 0`` draws no birthdays, ``policy.push.events`` is empty, so a
scenario that leaves these keys out runs exactly as before.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt, model_validator

from .errors import KeyProblem

__all__ = ["YearlyOccasion", "CalendarConfig", "PushEvent", "DEFAULT_YEARLY", "YEAR_RANGE"]

YEAR_RANGE = (1901, 2099)
"""Calendar years a run with the yearly calendar may cover (lunar dates from ``lunar-python``,
whose tables reach further: the windows of occasions a year either side are computed too)."""

Share = Annotated[StrictFloat, Field(ge=0.0, le=1.0)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False, validate_default=True,
                              use_attribute_docstrings=True)


class YearlyOccasion(_Strict):
    """A gifting occasion of the yearly calendar: one fixed ``date`` (once), or a yearly
    rule, Gregorian ``month``/``day`` or Chinese lunar ``lunar_month``/``lunar_day``,
    expanded to every year of the run. Intent rises linearly over ``lead_days`` to
    ``1 + lift`` times normal on the day, then falls back over ``lag_days`` (as
    ``occasions``). A Gregorian 29 February falls on leap years only; a lunar day 30 in a
    29-day lunar month falls on its day 29."""

    name: str = Field(min_length=1)
    """Occasion name (shown in the browser and the series)."""
    date: dt.date | None = None
    """A fixed date (a one-off occasion); leave out for a yearly rule."""
    month: StrictInt | None = Field(default=None, ge=1, le=12)
    """Gregorian month of a yearly occasion (with ``day``)."""
    day: StrictInt | None = Field(default=None, ge=1, le=31)
    """Gregorian day of the month of a yearly occasion (with ``month``)."""
    lunar_month: StrictInt | None = Field(default=None, ge=1, le=12)
    """Chinese lunar month of a yearly occasion (with ``lunar_day``; 1 = Spring Festival's)."""
    lunar_day: StrictInt | None = Field(default=None, ge=1, le=30)
    """Chinese lunar day of the month (with ``lunar_month``)."""
    lift: StrictFloat = Field(ge=0.0, le=100.0)
    """Extra gifting intent on the day: intent is multiplied by 1 + lift (assumption; range
    0.3-3)."""
    lead_days: StrictInt = Field(default=5, ge=0, le=365)
    """Days over which intent rises before the date (assumption; range 0-14)."""
    lag_days: StrictInt = Field(default=1, ge=0, le=365)
    """Days over which intent falls back after the date (assumption; range 0-3)."""

    @model_validator(mode="after")
    def _one_rule(self) -> YearlyOccasion:
        rules = {"date": self.date is not None, "month/day": self.month is not None or self.day is not None,
                 "lunar_month/lunar_day": self.lunar_month is not None or self.lunar_day is not None}
        given = [k for k, v in rules.items() if v]
        if len(given) != 1:
            raise KeyProblem("date", f"occasion {self.name!r} gives {' and '.join(given) or 'no date'}; allowed: "
                             "exactly one of date, month with day, or lunar_month with lunar_day", self.date)
        if (self.month is None) != (self.day is None):
            raise KeyProblem("day" if self.day is None else "month", "month and day go together; allowed: both "
                             "(a Gregorian yearly date, e.g. month = 12, day = 25)", None)
        if (self.lunar_month is None) != (self.lunar_day is None):
            raise KeyProblem("lunar_day" if self.lunar_day is None else "lunar_month", "lunar_month and lunar_day "
                             "go together; allowed: both (e.g. lunar_month = 8, lunar_day = 15)", None)
        if self.month is not None:
            try:
                dt.date(2000, self.month, self.day)  # a leap year: 29 February is allowed
            except ValueError:
                raise KeyProblem("day", f"month {self.month} has no day {self.day}; allowed: a day of that month",
                                 self.day) from None
        return self


DEFAULT_YEARLY = (
    YearlyOccasion(name="Christmas", month=12, day=25, lift=1.0, lead_days=5, lag_days=1),
    YearlyOccasion(name="New Year's Day", month=1, day=1, lift=0.5, lead_days=3, lag_days=1),
    YearlyOccasion(name="Spring Festival", lunar_month=1, lunar_day=1, lift=2.0, lead_days=10, lag_days=3),
    YearlyOccasion(name="Lantern Festival", lunar_month=1, lunar_day=15, lift=0.5, lead_days=2, lag_days=0),
    YearlyOccasion(name="Valentine's Day", month=2, day=14, lift=1.5, lead_days=5, lag_days=0),
    YearlyOccasion(name="520", month=5, day=20, lift=1.0, lead_days=3, lag_days=0),
    YearlyOccasion(name="Qixi", lunar_month=7, lunar_day=7, lift=1.0, lead_days=5, lag_days=0),
    YearlyOccasion(name="Mid-Autumn Festival", lunar_month=8, lunar_day=15, lift=1.0, lead_days=7, lag_days=1),
    YearlyOccasion(name="Singles' Day", month=11, day=11, lift=1.0, lead_days=10, lag_days=1),
)
"""The built-in yearly calendar (issue #14). Dates: the festivals' own (lunar ones from
``lunar-python``); the first four lifts and windows as the dated ``occasions`` of the 2025
launch; the others are assumptions (range of a lift 0-3; Spring Festival the largest, as
the red-envelope peak of domain.md §1)."""


class CalendarConfig(_Strict):
    """The yearly calendar and birthdays (off by default)."""

    yearly: bool = False
    """Use the yearly calendar ``calendar.occasions`` (expanded to every year of the run)
    instead of the dated top-level ``occasions`` (default false: the dated ones, as
    before)."""
    occasions: list[YearlyOccasion] = Field(default=list(DEFAULT_YEARLY), max_length=1000)
    """The yearly calendar used when ``yearly = true`` (default: the built-in one,
    :data:`DEFAULT_YEARLY`: Christmas, New Year, Spring Festival, Lantern Festival,
    Valentine's Day, 520, Qixi, Mid-Autumn, Singles' Day). Dates the festivals' own; lifts
    and windows assumption (range of a lift 0.3-3; Spring Festival the largest, as the
    red-envelope peak of domain.md §1)."""
    birthday_gift_rate: Share = 0.0
    """On a user's birthday, the chance that each friend who knows the feature, sees the
    button, is active and not muted sends them a gift, times the friend's shopping
    propensity (source ``occasion``). Per-user birthdays (uniform over the 365 days of a
    non-leap year) are drawn only when it is above 0 (assumption; range 0.005-0.1;
    neutral: 0)."""

    def check_years(self, start: dt.date, end: dt.date) -> None:
        """Raise :class:`KeyProblem` (on ``time.start`` or ``time.end``) when the yearly
        calendar is on and the run leaves :data:`YEAR_RANGE`."""
        lo, hi = YEAR_RANGE
        if not self.yearly:
            return
        for key, day in (("start", start), ("end", end)):
            if not lo <= day.year <= hi:
                raise KeyProblem(("time", key), f"is outside the years the yearly calendar covers (calendar.yearly "
                                 f"= true, lunar dates {lo}-{hi}); allowed: a date from {lo}-01-01 to {hi}-12-31",
                                 day)


class PushEvent(_Strict):
    """A dated push campaign (e.g. the 2015 Spring Festival gala "shake"): on ``date`` the
    platform pushes ``reach`` of its active users, whether or not ``push.enabled``."""

    date: dt.date
    """Day of the campaign."""
    reach: Share
    """Share of active users pushed that day."""
    click_through: Share = 0.1
    """Chance that a push of the campaign leads to a product page."""
