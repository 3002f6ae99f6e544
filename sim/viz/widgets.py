"""Small Solara pieces shared by the explorer and the dashboard."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import solara

from .controls import ControlSpec
from .state import OUTCOME_COLOURS, STATE_COLOURS, STATE_LABELS, UserState

__all__ = ["Control", "Swatch", "Legend", "Html", "VegaChart"]


def Html(tag: str, children: list | None = None, classes: str = "", style: str = "", **attrs: Any):
    """A plain HTML element (``classes`` and ``data-*`` attributes let tests find it)."""
    return solara.v.Html(tag=tag, children=children or [], class_=classes, style_=style,
                         attributes=attrs or {})


@solara.component
def Swatch(colour: str, label: str, value: int | None = None, classes: str = ""):
    """A coloured dot, a label and a count."""
    with solara.Row(gap="6px", style={"align-items": "center"}):
        Html("span", style=f"display:inline-block;width:12px;height:12px;border-radius:6px;background:{colour}")
        text = label if value is None else f"{label}: {value:,}"
        Html("span", [text], classes=classes, **({"data-count": str(value)} if value is not None else {}))


@solara.component
def Legend(counts: dict[str, int], gift_days: float, gifts_drawn: int | None = None):
    """The graph's legend (``.giftsim-legend``): each state's colour and users
    (:func:`~sim.viz.state.state_counts`), then, unless ``gifts_drawn`` is None, the colour of
    each gift outcome and how many gifts of the last ``gift_days`` days are drawn."""
    with solara.Column(gap="2px", classes=["giftsim-legend"]):
        for s in UserState:
            Swatch(STATE_COLOURS[s], STATE_LABELS[s], counts[s.name.lower()], classes=f"giftsim-count-{s.name.lower()}")
        if gifts_drawn is not None:
            Html("div", [f"Gifts of the last {gift_days:g} days ({gifts_drawn:,} drawn):"],
                 style="margin-top:8px;font-weight:500")
            for o, c in OUTCOME_COLOURS.items():
                Swatch(c, o.name.lower())


@solara.component
def Control(spec: ControlSpec, on_change: Callable[[str, Any], None]):
    """The widget for one schema field; ``on_change(key, value)`` when the user commits a value."""

    def changed(value: Any) -> None:
        if value is None or value == spec.value:
            return
        on_change(spec.key, value)

    label = spec.label
    with solara.Div(classes=["giftsim-control", f"control-{spec.key.replace('.', '-')}"]):
        if spec.kind == "bool":
            solara.Switch(label=label, value=spec.value, on_value=changed)
        elif spec.kind == "choice":
            values = [str(v) for v in spec.choices]
            solara.Select(label, values=values, value=str(spec.value), dense=True,
                          on_value=lambda v: changed(spec.choices[values.index(v)]))
        elif spec.kind == "multi":
            values = [str(v) for v in spec.choices]
            solara.SelectMultiple(label, values=[str(v) for v in spec.value], all_values=values,
                                  dense=True, on_value=lambda vs: changed(tuple(vs)))
        elif spec.kind == "float" and spec.slider:
            solara.SliderFloat(f"{label}: {spec.value:g}", value=spec.value, min=spec.lo, max=spec.hi, step=spec.step,
                               on_value=changed)
        elif spec.kind == "int" and spec.slider:
            solara.SliderInt(f"{label}: {spec.value}", value=spec.value, min=int(spec.lo), max=int(spec.hi),
                             on_value=changed)
        elif spec.kind == "float":
            solara.InputFloat(label, value=spec.value, on_value=changed, dense=True)
        else:
            solara.InputInt(label, value=spec.value, on_value=changed, dense=True)
        if spec.help:
            Html("div", [spec.help], style="font-size:11px;color:#666;margin:-4px 0 6px 0")


def VegaChart(chart):
    """An Altair chart in the page, like ``solara.FigureAltair`` but without validating the
    spec against the Vega-Lite schema on every frame (the charts' code is fixed, and the
    tests validate every spec): a third of a live frame's time otherwise."""
    return solara.widgets.VegaLite.element(spec=chart.to_dict(validate=False), listen_to_click=False,
                                           listen_to_hover=False)
