"""Checks across keys that the schema cannot make alone: dates against the simulated period."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from .calendar_config import DEFAULT_YEARLY
from .schema import DEFAULT_OCCASIONS, Scenario

__all__ = ["date_problems"]


def _count(n: int, noun: str) -> str:
    """``n`` and ``noun``, plural when ``n`` is not 1 ("1 dated occasion", "3 dated occasions")."""
    return f"{n} {noun}" + ("" if n == 1 else "s")


def date_problems(sc: Scenario, given: Iterable[str] = ("occasions", "rollout", "gifts", "calendar", "groups")
                  ) -> list[tuple[list[str | int], Any, str]]:
    """Occasion, rollout and chat-entry dates that do not fit the simulated period, as
    (key parts, value, message); only for the gift mode (the classic modes ignore them).

    Dated ``occasions`` (a non-empty list) given with ``calendar.yearly = true`` are a problem: the yearly
    calendar replaces them. An occasion is out when its whole window, ``lead_days`` before its date to
    ``lag_days`` after, misses [time.start, time.end]: it could not change a single step;
    so is a one-off (dated) occasion of ``calendar.occasions`` with ``calendar.yearly = true``.
    ``calendar.occasions`` given with ``calendar.yearly = false`` are a problem too: unused;
    so is a ``groups.group_gift_rate`` above 0 with groups on, product gifts and no chat
    entry (``gifts.chat_entry_from`` left out): group gifts start from the chat entry.
    A rollout is out when its first point comes after time.end: the share is constant
    before the first point, so every step would get that point's share. Points before
    time.start or after time.end are otherwise fine: the share inside the period
    interpolates toward them. ``gifts.chat_entry_from`` is out when it comes after
    time.end: the chat entry would never open (a date before time.start opens it for
    the whole period).
    """
    given = set(given)
    if sc.mode.kind != "gift":
        return []
    t = sc.time
    period = f"{t.start.isoformat()} to {t.end.isoformat()} (time.start to time.end)"
    out: list[tuple[list[str | int], Any, str]] = []
    if "occasions" in given and sc.calendar.yearly and sc.occasions and tuple(sc.occasions) != DEFAULT_OCCASIONS:
        out.append((["occasions"], _count(len(sc.occasions), "dated occasion"),
                    "dated occasions are not used when calendar.yearly = true (the yearly calendar "
                    "replaces them); allowed: leave [[occasions]] out and give a one-off occasion as a "
                    "[[calendar.occasions]] table with a date, or calendar.yearly = false"))
    elif "occasions" in given:
        for i, o in enumerate(sc.occasions):
            first = o.date - dt.timedelta(days=o.lead_days)
            last = o.date + dt.timedelta(days=o.lag_days)
            if last < t.start or first > t.end:
                out.append((["occasions", i, "date"], o.date,
                            f"occasion {o.name!r} lies outside the simulated period {period}, and so "
                            f"does its window ({first.isoformat()} to {last.isoformat()}, lead_days "
                            "before to lag_days after), so it could not change anything; allowed: a date "
                            "whose window overlaps the period (or leave the occasion out)"))
    if "calendar" in given and not sc.calendar.yearly and tuple(sc.calendar.occasions) != DEFAULT_YEARLY:
        out.append((["calendar", "occasions"], _count(len(sc.calendar.occasions), "yearly occasion"),
                    "are used only with calendar.yearly = true (without it the dated top-level [[occasions]] "
                    "apply); allowed: calendar.yearly = true, or leave calendar.occasions out"))
    elif "calendar" in given:
        for i, o in enumerate(sc.calendar.occasions):
            if o.date is None:
                continue
            first = o.date - dt.timedelta(days=o.lead_days)
            last = o.date + dt.timedelta(days=o.lag_days)
            if last < t.start or first > t.end:
                out.append((["calendar", "occasions", i, "date"], o.date,
                            f"one-off occasion {o.name!r} lies outside the simulated period {period}, and so "
                            f"does its window ({first.isoformat()} to {last.isoformat()}), so it could not change "
                            "anything; allowed: a date whose window overlaps the period, a yearly rule (month "
                            "and day, or lunar_month and lunar_day), or leave the occasion out"))
    g = sc.groups
    if ("groups" in given and g.enabled and g.group_gift_rate > 0 and sc.gifts.item == "product"
            and sc.gifts.chat_entry_from is None):
        out.append((["groups", "group_gift_rate"], g.group_gift_rate,
                    "group gifts start from the chat menu's gift entry, which this scenario does not have "
                    "(gifts.chat_entry_from is left out), so none would be sent; allowed: set "
                    "gifts.chat_entry_from (e.g. 2025-01-17), or group_gift_rate = 0"))
    if "rollout" in given:
        p = sc.rollout.schedule[0]
        if p.date > t.end:
            out.append((["rollout", "schedule", 0, "date"], p.date,
                        f"the staged rollout starts after the simulated period {period} ends; the "
                        f"share is constant before the first point, so every step would get its share "
                        f"{p.share:g}; allowed: a first date on or before time.end ({t.end.isoformat()})"))
    if "gifts" in given and sc.gifts.chat_entry_from is not None and sc.gifts.chat_entry_from > t.end:
        out.append((["gifts", "chat_entry_from"], sc.gifts.chat_entry_from,
                    f"the chat menu's gift entry would open after the simulated period {period} ends, so "
                    f"it would never be used; allowed: a date on or before time.end ({t.end.isoformat()}), "
                    "or leave the key out for product pages only (--set gifts.chat_entry_from=none)"))
    return out
