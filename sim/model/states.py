"""Named integer states shared by the engine, its outputs and analysis (one definition each).

Merchant kinds are not here: they are data of the scenario (``[merchants.<name>]``, see
:class:`sim.scenario.schema.MerchantConfig`), and a merchant's kind code is the position of
its kind in ``MerchantConfig.kind_names``.
"""

from enum import IntEnum

__all__ = ["GiftOutcome", "GiftSource", "Trigger", "TRIGGER_OF_SOURCE", "AwareVia", "InvitationOutcome"]


class GiftOutcome(IntEnum):
    """How a gift ended; every gift ends exactly once (or is still pending at the end)."""

    PENDING = 0
    ACCEPTED = 1
    EXPIRED = 2  # not accepted within the expiry window (never seen, or seen and ignored); refunded


class GiftSource(IntEnum):
    """What put the sender on the page the gift was sent from."""

    IMPRESSION = 0  # a commercial impression allotted by the traffic policy
    PUSH = 1  # a platform push notification
    INVITE = 2  # an induced-sharing invitation from a friend
    RECIPROCITY = 3  # sending a gift back to the friend who gave one
    PAY_FORWARD = 4  # sending a gift on to another friend after receiving one
    CHAT = 5  # the gift entry of the chat menu (no product page needed)
    GROUP = 6  # a chat group: a group gift box or group red envelope, or sending one back to the group
    OCCASION = 7  # spontaneous, driven by an occasion (a friend's birthday, a festival), from the chat entry


class Trigger(IntEnum):
    """What triggered a gift, the categories R and the first-gift counts are reported by
    (:data:`TRIGGER_OF_SOURCE` maps each :class:`GiftSource` to one)."""

    RECEIVED_GIFT = 0  # sending back (reciprocity) or on (pay-forward) after receiving a gift
    INVITATION = 1  # an induced-sharing invitation
    FEED = 2  # a commercial impression in the feed
    PUSH = 3  # a platform push
    CHAT_ENTRY = 4  # the chat menu's gift entry, unprompted
    GROUP = 5  # a chat group's gift or red envelope
    OCCASION = 6  # occasion-driven and spontaneous (a birthday, a festival)


TRIGGER_OF_SOURCE: dict[GiftSource, Trigger] = {
    GiftSource.IMPRESSION: Trigger.FEED, GiftSource.PUSH: Trigger.PUSH, GiftSource.INVITE: Trigger.INVITATION,
    GiftSource.RECIPROCITY: Trigger.RECEIVED_GIFT, GiftSource.PAY_FORWARD: Trigger.RECEIVED_GIFT,
    GiftSource.CHAT: Trigger.CHAT_ENTRY, GiftSource.GROUP: Trigger.GROUP, GiftSource.OCCASION: Trigger.OCCASION,
}
"""The trigger of each gift source."""


class InvitationOutcome(IntEnum):
    """How an induced-sharing invitation ended; each ends once (or is pending at the end).

    An invitation waits until its invitee is next active; then it is seen and ends as
    VISITED, DECLINED, MUTED or UNAVAILABLE, unless a newer invitation replaced it first.
    """

    PENDING = 0  # not yet seen: the invitee has not been active since
    VISITED = 1  # the invitee opened the product page (a visit with source INVITE)
    DECLINED = 2  # seen and not opened (the click-through draw failed)
    MUTED = 3  # the invitee had muted invitations
    UNAVAILABLE = 4  # the product's merchant had left or was not on the platform
    SUPERSEDED = 5  # a newer invitation to the same invitee replaced it before it was seen


class AwareVia(IntEnum):
    """How a user first learned of the gift feature (cascade roots are not GIFT / INVITE)."""

    UNAWARE = -1
    IMPRESSION = 0
    PUSH = 1
    INVITE = 2
    GIFT = 3
    CHAT = 4
    GROUP = 5
    OCCASION = 6
