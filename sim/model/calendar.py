"""The calendar of a run, now :mod:`sim.calendar` (kept importable here)."""

from ..calendar import Calendar, occasion_lift, rollout_share

__all__ = ["Calendar", "occasion_lift", "rollout_share"]
