"""The report's "Scenario discovery" section: every discovery written into the batch's
``discovery/`` folder by ``giftsim discover`` (:func:`sim.analysis.read_discoveries`), each
with its sentence and its boxes."""

from __future__ import annotations

import html
from pathlib import Path

from ..analysis import boxes_table, discovery_sentence, read_discoveries
from .html import Section, table_html

__all__ = ["discovery_sections"]


def discovery_sections(folder: str | Path) -> list[Section]:
    """One "Scenario discovery" section listing each discovery of the batch in ``folder``
    (none when its ``discovery/`` folder holds none)."""
    found = read_discoveries(folder)
    if not found:
        return []
    s = Section("discovery", "Scenario discovery")
    s.text("Where in the uncertain parameters one point loses to another (giftsim discover; PRIM, Friedman & "
           "Fisher 1999, by the EMA Workbench). Coverage: the share of the draws where it loses that lie in the "
           "box; density: the share of the box's draws where it loses.")
    for d in found:
        a, b, y = (html.escape(str(d.asked[k])) for k in ("policy", "versus", "outcome"))
        s.add(f"<h3>{a} against {b} on {y}</h3>")
        s.text(discovery_sentence(d))
        if len(d.boxes):
            s.add(table_html(boxes_table(d.boxes), summary="boxes"))
    return [s]
