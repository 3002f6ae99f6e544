"""What a resolved scenario holds at a dotted key, in the form batches record it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from .introspection import annotation_types, model_for, schema_field
from .schema import Scenario

__all__ = ["node_at", "scenario_data", "value_at"]

_TAGS = ("rule", "dist", "kind")


def scenario_data(scenario: Scenario | Mapping[str, Any]) -> dict[str, Any]:
    """A scenario as plain data (``model_dump(mode="json", by_alias=True)``: dates as ISO
    text), as a run's ``manifest.json`` stores it. A mapping is returned as it is."""
    if isinstance(scenario, Mapping):
        return dict(scenario)
    return scenario.model_dump(mode="json", by_alias=True)


def value_at(data: Mapping[str, Any], key: str) -> Any:
    """The value of the dotted ``key`` in a resolved scenario's data (see :func:`scenario_data`).

    A tagged table (``policy.allocation``, a distribution, ``graph``) is given as its tag
    and the keys that differ from that tag's defaults, e.g. ``{"rule": "head_boost",
    "boost": 50.0}``; a table at its defaults as ``{"rule": "head_boost"}`` (recorded
    as ``head_boost``, see :func:`sim.batch.tables.param_value`). A key that is unset
    gives None.

    Raises
    ------
    KeyError
        If ``key`` runs through a value that is not a table.
    """
    parts = key.split(".")
    node: Any = data
    for part in parts:
        if not isinstance(node, Mapping):
            raise KeyError(key)
        node = node.get(part)
    if not isinstance(node, Mapping):
        return node
    tag = next((t for t in _TAGS if t in node), None)
    field = schema_field(parts, data)
    model = model_for(annotation_types(field.annotation), dict(node)) if field is not None else None
    if tag is None or model is None:
        return dict(node)
    try:
        default = model.model_validate({tag: node[tag]}).model_dump(mode="json", by_alias=True)
    except ValidationError:  # no defaults for some keys (a distribution's parameters): all of them
        return dict(node)
    return {k: v for k, v in node.items() if k == tag or default.get(k, object()) != v}


def node_at(doc: Any, parts: list[str]) -> Any:
    """The node of a raw (unvalidated) document at the key ``parts``, or None where a part
    is missing or runs through a value that is not a table."""
    for part in parts:
        if not isinstance(doc, dict):
            return None
        doc = doc.get(part)
    return doc
