"""Time of a run: per-step calendar arrays (dates, occasion lift, rollout share, month
starts, birthdays) and yearly occasions expanded over the run's years (lunar dates from
``lunar-python``)."""

from .occasions import Calendar, occasion_lift, rollout_share
from .yearly import birthday_index, expand_yearly, lunar_to_solar, occurrences, push_event_on, run_occasions

__all__ = ["Calendar", "occasion_lift", "rollout_share", "birthday_index", "expand_yearly", "lunar_to_solar",
           "occurrences", "push_event_on", "run_occasions"]
