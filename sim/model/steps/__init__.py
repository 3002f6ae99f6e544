"""The day as short steps: one module per sub-step, in the order of
:meth:`sim.model.GiftModel.step`.

1. :mod:`.begin`      calendar values; restock deliveries arrive
2. :mod:`.activity`   who opens the app
3. :mod:`.settle`     recipients open gift boxes, accept or let expire (refund)
4. :mod:`.traffic`    the policy splits commercial impressions; pushes, invitations and
                      the chat entry -> :class:`Visits`
   :mod:`.occasions`  birthday gifts -> :class:`Intents` (when on)
5. :mod:`.send`       reciprocity, pay-it-forward and visits -> :class:`Intents` -> gifts;
                      induced-sharing invitations
5b. :mod:`.groups`    (groups on) chat groups' gift boxes: claims, expiry, send-backs, new boxes
6. :mod:`.annoyance`  users past their threshold mute; annoyance fades
7. :mod:`.merchants`  restock; periodic review: leave, enter
8. :mod:`.record`     the step's counts (:class:`~sim.model.recorder.StepCounts`)

Sub-steps work on a :class:`World` (the run's state) at a :class:`Now` (the step), take
and return small carriers (:mod:`.carriers`), and never write the series themselves. What
differs between product and cash gifts is in :mod:`.item`. Every random draw comes from
``World.rng``, in the order the modules document.
"""

from . import activity, annoyance, begin, groups, merchants, occasions, record, send, settle, traffic
from .carriers import DayValues, Intents, MerchantMoves, Sent, Settled, Traffic, Visits
from .item import Cash, GiftItem, Products, make_item
from .world import Now, World

__all__ = ["activity", "annoyance", "begin", "groups", "merchants", "occasions", "record", "send", "settle", "traffic",
           "DayValues", "Intents", "MerchantMoves", "Sent", "Settled", "Traffic", "Visits",
           "Cash", "GiftItem", "Products", "make_item", "Now", "World"]
