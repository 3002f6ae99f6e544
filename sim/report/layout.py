"""How a batch's points are arranged in figures: which swept key is the x axis (or the
colour), which keys split panels, and a label and colour per point."""

from __future__ import annotations

from dataclasses import dataclass
from numbers import Real

import numpy as np
from matplotlib import colormaps
from matplotlib.colors import to_hex

from .source import BatchFolder

__all__ = ["Layout", "layout_points", "short_key", "evenly_spaced", "MAX_PANELS", "MAX_CURVES"]

MAX_PANELS = 12
"""Panels drawn per figure at most (the report says when more were left out)."""

MAX_CURVES = 20
"""Curves (and legend entries) drawn per panel at most; beyond, an evenly spaced sample
of the panel's points (the figure's title says so), as the dashboard draws."""


def evenly_spaced(items: list, limit: int) -> list:
    """All of ``items`` up to ``limit``, else ``limit`` of them evenly spaced in their
    order, the first and the last included.

    Raises
    ------
    ValueError
        If ``limit < 2`` and there are more items than ``limit``.
    """
    if len(items) <= limit:
        return list(items)
    if limit < 2:
        raise ValueError(f"limit must be >= 2 to sample {len(items)} items, got {limit}")
    picks = np.unique(np.round(np.linspace(0, len(items) - 1, limit)).astype(int))
    return [items[i] for i in picks]


def short_key(key: str) -> str:
    """``policy.commercial_share`` -> ``commercial_share``."""
    return key.rsplit(".", 1)[-1]


def _is_number(v: object) -> bool:
    return isinstance(v, Real) and not isinstance(v, bool)


@dataclass(frozen=True, eq=False)
class Layout:
    """Panels, colours and labels for the points of a (not sampled) batch.

    Attributes
    ----------
    x_key : str or None
        The numeric key varying fastest (x axis of point plots, colour of curves), or
        None if no numeric key varies.
    panels : list of (str, list of int)
        Panel title and its points, in plan order (at most :data:`MAX_PANELS`).
    dropped_panels : int
        Panels left out.
    colors : dict of int to str
        Hex colour per point.
    labels : dict of int to str
        Legend label per point (within its panel).
    panel_colors : dict of str to str
        Hex colour per panel title (lines of point plots).
    """

    x_key: str | None
    panels: list[tuple[str, list[int]]]
    dropped_panels: int
    colors: dict[int, str]
    labels: dict[int, str]
    panel_colors: dict[str, str]

    def x_value(self, batch: BatchFolder, point: int) -> float:
        """The point's value of :attr:`x_key` (float)."""
        return float(batch.points.loc[point, self.x_key])

    def curve_members(self, batch: BatchFolder, members: list[int], limit: int = MAX_CURVES) -> list[int]:
        """The points of a panel whose curves are drawn: all up to ``limit``, else
        ``limit`` evenly spaced along :attr:`x_key` (plan order without one), first and
        last included."""
        if self.x_key is not None and len(members) > limit:
            x = np.array([self.x_value(batch, i) for i in members])
            members = [members[j] for j in np.argsort(x, kind="stable")]
        return evenly_spaced(members, limit)


def _fmt(v: object) -> str:
    return f"{v:.4g}" if isinstance(v, float) else str(v)


def layout_points(batch: BatchFolder) -> Layout:
    """Arrange a batch's points for figures.

    A numeric swept key becomes the x axis of point plots and the colour of curves
    (the last such key in the batch file); every other varying key, and the variant,
    splits points into panels. Without a numeric key, points share one panel (up to
    10) or are split by their first varying key.
    """
    pts = batch.points.set_index("point", drop=False)
    varying = [k for k in batch.param_keys if pts[k].astype(str).nunique() > 1]
    if pts["variant"].nunique() > 1:
        varying = ["variant"] + varying
    numeric = [k for k in varying if k != "variant" and all(_is_number(v) for v in pts[k])]
    x_key = numeric[-1] if numeric else None
    if x_key is not None:
        split = [k for k in varying if k != x_key]
    elif len(pts) <= 10:
        split = []
    else:
        split = varying[:1]
    panels: dict[str, list[int]] = {}
    for i in pts.index:
        title = ", ".join(f"{short_key(k)}={_fmt(pts.loc[i, k])}" if k != "variant"
                          else str(pts.loc[i, k]) for k in split) or "all points"
        panels.setdefault(title, []).append(int(i))
    items = list(panels.items())
    tab = colormaps["tab10"]
    panel_colors = {t: to_hex(tab(j % 10)) for j, (t, _) in enumerate(items)}
    colors: dict[int, str] = {}
    labels: dict[int, str] = {}
    if x_key is not None:
        # colours evenly spaced by rank of the value, so close values stay distinguishable
        # (a point that does not set the key, such as a variant that leaves it alone, is NaN: grey)
        xs = pts[x_key].astype(float)
        levels = sorted({float(x) for x in xs if not np.isnan(x)})
        cmap = colormaps["viridis"]
        for i in pts.index:
            if np.isnan(xs[i]):
                colors[int(i)] = "#7f7f7f"
                labels[int(i)] = f"{short_key(x_key)} not set ({pts.loc[i, 'name']})"
                continue
            pos = levels.index(float(xs[i])) / max(1, len(levels) - 1)
            colors[int(i)] = to_hex(cmap(0.9 * pos))
            labels[int(i)] = f"{short_key(x_key)}={_fmt(pts.loc[i, x_key])}"
    else:
        for _, members in items:
            for j, i in enumerate(members):
                colors[i] = to_hex(tab(j % 10))
                rest = [k for k in varying if k not in split]
                labels[i] = (", ".join(f"{short_key(k)}={_fmt(pts.loc[i, k])}" if k != "variant"
                                       else str(pts.loc[i, k]) for k in rest) or str(pts.loc[i, "name"]))
    return Layout(x_key=x_key, panels=items[:MAX_PANELS], dropped_panels=max(0, len(items) - MAX_PANELS),
                  colors=colors, labels=labels, panel_colors=panel_colors)


def grid_shape(n: int, max_cols: int = 3) -> tuple[int, int]:
    """Rows and columns for ``n`` panels."""
    cols = 2 if n == 4 else min(max_cols, max(1, n))
    return int(np.ceil(n / cols)), cols
