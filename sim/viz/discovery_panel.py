"""The batch dashboard's "Scenario discovery" panel: each discovery ``giftsim discover``
wrote into the batch's ``discovery/`` folder, with its sentence and its boxes as a table."""

from __future__ import annotations

import solara

from ..analysis import Discovery, boxes_table, discovery_sentence
from .widgets import Html

__all__ = ["DiscoveryPanel"]


@solara.component
def DiscoveryPanel(found: list[Discovery]):
    """One card per discovery (``found``: :func:`sim.analysis.read_discoveries` of the batch):
    "A against B on Y", the sentence, and a table of the boxes (class ``giftsim-discovery``,
    ``data-policy``/``data-versus``/``data-outcome``/``data-boxes`` attributes for tests)."""
    for d in found:
        a = d.asked
        with solara.Card(margin=0, classes=["giftsim-discovery"]):
            Html("div", [f"{a['policy']} against {a['versus']} on {a['outcome']}"],
                 classes="giftsim-discovery-title", style="font-weight:500",
                 **{"data-policy": str(a["policy"]), "data-versus": str(a["versus"]),
                    "data-outcome": str(a["outcome"]), "data-boxes": str(d.n_boxes)})
            Html("p", [discovery_sentence(d)], classes="giftsim-discovery-sentence")
            if len(d.boxes):
                table = boxes_table(d.boxes)
                head = Html("tr", [Html("th", [str(c)]) for c in table.columns])
                rows = [Html("tr", [Html("td", [str(v)]) for v in row]) for row in table.itertuples(index=False)]
                Html("table", [Html("thead", [head]), Html("tbody", rows)], classes="giftsim-discovery-boxes",
                     style="border-collapse:collapse;font-size:13px")
