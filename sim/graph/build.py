"""Build the run's social graph from the scenario: read or generate, clean, tie strengths, CSR.

Reading a file is cached per process (keyed by path, size and modification time), so a
batch of runs on one graph parses it once per worker.
"""

from __future__ import annotations

import dataclasses
import os
from functools import lru_cache

import numpy as np

from ..scenario.schema import FileGraph
from .csr import CleanEdges, CSRGraph, to_csr
from .generators import generate
from .io import GraphFileError, read_graph_file

__all__ = ["build_graph", "GraphFileError"]


@lru_cache(maxsize=8)
def _read_cached(path: str, kind: str, size: int, mtime_ns: int) -> CleanEdges:
    return read_graph_file(path, kind)


def _read(cfg: FileGraph) -> CleanEdges:
    try:
        st = os.stat(cfg.path)
    except FileNotFoundError:
        raise GraphFileError(f"{cfg.path}: no such graph file") from None
    return _read_cached(cfg.path, cfg.kind, st.st_size, st.st_mtime_ns)


def build_graph(cfg, *, rng: np.random.Generator) -> CSRGraph:
    """Make the social graph described by ``scenario.graph``.

    Parameters
    ----------
    cfg : GraphConfig
        The scenario's ``graph`` table.
    rng : numpy.random.Generator
        The graph's generator: used for generated graphs and drawn tie strengths.

    Returns
    -------
    CSRGraph
        With tie strengths in (0, 1]: the file's weights divided by their maximum
        (``tie_strength = "file"``), or draws from the scenario's distribution, clipped
        to [1e-6, 1].

    Raises
    ------
    GraphFileError
        If the file cannot be read, or ``tie_strength = "file"`` and it has no weights.
    GraphConfigError
        If generator parameters cannot make a graph.
    """
    if isinstance(cfg, FileGraph):
        edges = _read(cfg)
    else:
        edges = generate(cfg, rng=rng)
    m = edges.a.shape[0]
    if cfg.tie_strength == "file":
        if edges.raw_weights is None:
            raise GraphFileError(
                f"{getattr(cfg, 'path', cfg.kind)}: tie_strength = \"file\" but the graph has "
                "no weights; allowed: a weight column (u v weight) or a tie_strength distribution"
            )
        tie = edges.raw_weights / edges.raw_weights.max()
    else:
        tie = cfg.tie_strength.sample(rng, m)
        if edges.raw_weights is not None:  # say so: a weight column that is not used
            edges = dataclasses.replace(edges, report=dataclasses.replace(
                edges.report, notes=(*edges.report.notes, "the file's weight column is not used: "
                                     'tie strengths are drawn (set graph.tie_strength = "file" to use it)')))
    tie = np.clip(tie, 1e-6, 1.0)
    return to_csr(edges, tie)
