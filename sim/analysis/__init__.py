"""Analyses that read finished result tables only: scenario discovery with PRIM
(``giftsim discover``): in which region of the uncertain parameters one point of a batch
loses to another on an outcome."""

from .discovery import (
    DISCOVERY_FOLDER,
    Discovery,
    box_text,
    boxes_table,
    discover,
    discovery_sentence,
    discovery_stem,
    read_discoveries,
    write_discovery,
)
from .discovery_cases import (
    MIN_DRAWS,
    DiscoveryCases,
    DiscoveryInputError,
    discovery_cases,
    loses_text,
    outcome_choices,
)
from .prim import PRIM_INSTALL, PrimBoxes, PrimSettings, PrimUnavailableError, find_boxes

__all__ = [
    "DISCOVERY_FOLDER", "Discovery", "box_text", "boxes_table", "discover", "discovery_sentence", "discovery_stem",
    "read_discoveries", "write_discovery",
    "MIN_DRAWS", "DiscoveryCases", "DiscoveryInputError", "discovery_cases", "loses_text", "outcome_choices",
    "PRIM_INSTALL", "PrimBoxes", "PrimSettings", "PrimUnavailableError", "find_boxes",
]
