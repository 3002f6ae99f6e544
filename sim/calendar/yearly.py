"""Yearly occasions expanded to dated ones over a run's years; lunar dates from ``lunar-python``."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import numpy as np
from lunar_python import Lunar, LunarYear

from ..scenario.calendar_config import YearlyOccasion
from ..scenario.schema import Occasion, Scenario

__all__ = ["lunar_to_solar", "occurrences", "expand_yearly", "run_occasions", "birthday_index", "push_event_on"]


@lru_cache(maxsize=4096)
def lunar_to_solar(year: int, month: int, day: int) -> dt.date:
    """The Gregorian date of Chinese lunar ``month``/``day`` (the ordinary, not the leap,
    month) of lunar ``year``; day 30 of a 29-day month gives its day 29.

    Cached per process: ``lunar-python`` computes a lunar year's months from solar terms
    (2-5 ms a call), which was half of a WeChat launch run's time when every run of a
    calibration or batch recomputed its occasions' dates.

    Raises
    ------
    ValueError
        Outside the library's tables (``lunar-python`` covers at least 1900-2100).
    """
    day = min(day, LunarYear.fromYear(year).getMonth(month).getDayCount())
    s = Lunar.fromYmd(year, month, day).getSolar()
    return dt.date(s.getYear(), s.getMonth(), s.getDay())


def occurrences(occ: YearlyOccasion, years: range) -> list[dt.date]:
    """The dates of ``occ`` in each of ``years`` (its fixed date only once; 29 February
    only in leap years)."""
    if occ.date is not None:
        return [occ.date]
    if occ.lunar_month is not None:
        return [lunar_to_solar(y, occ.lunar_month, occ.lunar_day) for y in years]
    out = []
    for y in years:
        try:
            out.append(dt.date(y, occ.month, occ.day))
        except ValueError:  # 29 February of a common year
            continue
    return out


def expand_yearly(rules: list[YearlyOccasion], start: dt.date, end: dt.date) -> list[Occasion]:
    """Dated occasions of ``rules`` whose window (``lead_days`` before to ``lag_days``
    after) overlaps ``start``..``end`` (inclusive), sorted by date; the years one either
    side of the period are expanded so that windows crossing a year's end count."""
    years = range(start.year - 1, end.year + 2)
    out = []
    for occ in rules:
        for d in occurrences(occ, years):
            if d - dt.timedelta(days=occ.lead_days) <= end and d + dt.timedelta(days=occ.lag_days) >= start:
                out.append(Occasion(name=occ.name, date=d, lift=occ.lift, lead_days=occ.lead_days,
                                    lag_days=occ.lag_days))
    return sorted(out, key=lambda o: o.date)


def run_occasions(sc: Scenario) -> list[Occasion]:
    """The run's dated occasions: the yearly calendar expanded over ``time`` when
    ``calendar.yearly`` is on, else the scenario's ``occasions``."""
    if not sc.calendar.yearly:
        return list(sc.occasions)
    return expand_yearly(sc.calendar.occasions, sc.time.start, sc.time.end)


def birthday_index(dates: np.ndarray) -> np.ndarray:
    """Day of a common (non-leap) year, 0-364, of each date (datetime64[D], shape (k,));
    29 February gives -1 (nobody's birthday: birthdays are drawn over 365 days). int16 (k,)."""
    d = np.asarray(dates, dtype="datetime64[D]")
    year = d.astype("datetime64[Y]")
    doy = (d - year).astype(np.int64)
    y = year.astype(np.int64) + 1970
    leap = ((y % 4 == 0) & (y % 100 != 0)) | (y % 400 == 0)
    out = np.where(leap & (doy >= 59), doy - 1, doy)  # doy 59 is 29 February in a leap year
    out = np.where(leap & (doy == 59), -1, out)
    return out.astype(np.int16)


def push_event_on(events: list, day: dt.date):
    """The last of ``events`` (``policy.push.events``, :class:`PushEvent`) dated ``day``, or None."""
    found = None
    for ev in events:
        if ev.date == day:
            found = ev
    return found
