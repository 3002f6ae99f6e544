"""Cheap positions for the big test graphs of the whole-graph view: a Watts-Strogatz graph
drawn as its ring (user i at angle 2 pi i / n, in a band of seeded random radii), stored in
the layout cache so that ``giftsim viz`` loads it instead of computing a force layout."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from sim.graph import CSRGraph
from sim.viz import layout


def ring_positions(n: int, seed: int = 0) -> np.ndarray:
    """User i at angle 2 pi i / n, radius uniform in [0.3, 0.45] about (0.5, 0.5); (n, 2) float64."""
    rng = np.random.default_rng(seed)
    angle = 2.0 * np.pi * np.arange(n) / n
    radius = 0.3 + 0.15 * rng.random(n)
    return np.column_stack([0.5 + radius * np.cos(angle), 0.5 + radius * np.sin(angle)])


def cache_ring_layout(graph: CSRGraph, cache: Path, seed: int = 0) -> np.ndarray:
    """Store :func:`ring_positions` as the cached layout of the whole ``graph`` under
    ``cache`` (the folder ``GIFTSIM_CACHE`` names), for layout seed 0; returns them."""
    xy = ring_positions(graph.n_users, seed)
    layout.store_layout(graph, xy, seed=0, cache=Path(cache) / "layouts")
    lay = layout.graph_layout(graph, seed=0, cache=Path(cache) / "layouts")
    assert lay.cached and np.array_equal(lay.xy, xy)
    return xy
