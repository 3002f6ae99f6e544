"""Sub-step 1, the start of a step: the calendar's values; restock deliveries arrive."""

from __future__ import annotations

import numpy as np

from ...calendar import Calendar
from ..merchants import DemandWindow, Merchant, MerchantTable
from .carriers import DayValues

__all__ = ["begin_step"]


def begin_step(step: int, calendar: Calendar, demand: DemandWindow, table: MerchantTable,
               agents: list[Merchant]) -> DayValues:
    """Open step ``step``: clear its row of the demand window, and put the restock orders
    that have arrived into stock (only merchants with units on order, ``incoming > 0``).

    Returns
    -------
    DayValues
        The rollout share and occasion lift of the step.
    """
    demand.begin(step)
    for i in np.flatnonzero(table.incoming > 0):
        agents[i].receive_deliveries()
    return DayValues(button_share=float(calendar.rollout[step]), occasion_lift=float(calendar.lift[step]))
