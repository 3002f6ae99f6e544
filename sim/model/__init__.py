"""The simulation engine: users, gifts, merchants and the model that steps them."""

from ..calendar import Calendar
from .classic import ClassicModel, make_model
from .gifts import GIFT_COLUMNS, GiftLedger
from .invitations import INVITATION_COLUMNS, InvitationLog
from .merchants import Merchant, MerchantTable
from .model import GiftModel, seed_streams
from .population import Population
from .recorder import SERIES, Recorder
from .states import TRIGGER_OF_SOURCE, AwareVia, GiftOutcome, GiftSource, InvitationOutcome, Trigger

__all__ = [
    "GiftModel",
    "ClassicModel",
    "make_model",
    "seed_streams",
    "Calendar",
    "Population",
    "GiftLedger",
    "GIFT_COLUMNS",
    "InvitationLog",
    "INVITATION_COLUMNS",
    "Merchant",
    "MerchantTable",
    "Recorder",
    "SERIES",
    "AwareVia",
    "GiftOutcome",
    "GiftSource",
    "Trigger",
    "TRIGGER_OF_SOURCE",
    "InvitationOutcome",
]
