"""Build the run's social graph from the scenario: read or generate, clean, tie strengths, CSR.

Reading a file is cached per process (keyed by path, size and modification time), so a
batch of runs on one graph parses it once per worker.
"""

from __future__ import annotations

import dataclasses
import os
from functools import lru_cache
from types import SimpleNamespace

import numpy as np

from ..scenario.schema import FileGraph
from .csr import CleanEdges, CSRGraph, to_csr
from .generators import generate
from .groups import GroupsFileError, read_groups_file
from .io import GraphFileError, read_graph_file

__all__ = ["build_graph", "GraphFileError", "graph_file_facts", "graph_problems", "groups_file_problems"]


@lru_cache(maxsize=8)
def _read_cached(path: str, kind: str, size: int, mtime_ns: int) -> CleanEdges:
    return read_graph_file(path, kind)


def _read(cfg: FileGraph) -> CleanEdges:
    try:
        st = os.stat(cfg.path)
    except FileNotFoundError:
        raise GraphFileError(f"{cfg.path}: no such graph file") from None
    return _read_cached(cfg.path, cfg.kind, st.st_size, st.st_mtime_ns)


_FACTS: dict[tuple[str, str, int, int], tuple[int, bool] | GraphFileError] = {}


def graph_file_facts(path: str | os.PathLike, kind: str) -> tuple[int, bool]:
    """The number of users of a graph file and whether it has weights, reading the file
    once per process for each (resolved path, size, modification time).

    Only the two facts are kept, not the edges, so that checking many scenarios on a big
    file costs one read and little memory.

    Raises
    ------
    GraphFileError
        As :func:`sim.graph.read_graph_file` (a missing, unreadable or malformed file).
    """
    resolved = os.path.realpath(path)
    try:
        st = os.stat(resolved)
    except FileNotFoundError:
        raise GraphFileError(f"{path}: no such graph file") from None
    except OSError as err:
        raise GraphFileError(f"{path}: cannot read: {err.strerror}") from None
    key = (resolved, kind, st.st_size, st.st_mtime_ns)
    if key not in _FACTS:
        if len(_FACTS) >= 64:
            _FACTS.clear()
        try:
            edges = read_graph_file(path, kind)
            _FACTS[key] = (edges.n_users, edges.raw_weights is not None)
        except GraphFileError as err:
            _FACTS[key] = err
    found = _FACTS[key]
    if isinstance(found, GraphFileError):
        raise found
    return found


def _shown(path: str) -> str:
    try:
        return str(os.path.relpath(path)) if not os.path.relpath(path).startswith("..") else path
    except ValueError:
        return path


def graph_problems(scenario) -> list[tuple[list[str], object, str]]:
    """What stops a scenario's graph file from being used, found before any run: a
    missing, unreadable or malformed file, ``tie_strength = "file"`` without a weight
    column, more independent-cascade seeds (``mode.seeds``) than the file has users, or
    a bad groups file (:func:`groups_file_problems`).

    Returns (key parts, value, message) triples, as :func:`sim.scenario.date_problems`;
    empty for a generated graph or a good file. The file is read once per process (see
    :func:`graph_file_facts`).
    """
    cfg = scenario.graph
    if not isinstance(cfg, FileGraph):
        return groups_file_problems(scenario)
    try:
        users, weighted = graph_file_facts(cfg.path, cfg.kind)
    except GraphFileError as err:
        text = str(err)
        for prefix in (f"{cfg.path}: ", f"{os.path.realpath(cfg.path)}: "):
            if text.startswith(prefix):
                text = text[len(prefix):]
                break
        return [(["graph", "path"], _shown(cfg.path), text)]
    out: list[tuple[list[str], object, str]] = []
    if cfg.tie_strength == "file" and not weighted:
        out.append((["graph", "tie_strength"], "file",
                    f"the graph file (graph.path = {_shown(cfg.path)!r}) has no weights; allowed: a weight "
                    "column (u v weight) or a tie_strength distribution"))
    out += groups_file_problems(scenario)
    seeds = getattr(scenario.mode, "seeds", None)
    if getattr(scenario.mode, "kind", None) == "independent_cascade" and seeds is not None and seeds > users:
        out.append((["mode", "seeds"], seeds,
                    f"is more than the {users:,} users of the graph file (graph.path = {_shown(cfg.path)!r}); "
                    f"allowed: 1 <= seeds <= {users}"))
    return out


def groups_file_problems(scenario) -> list[tuple[list[str], object, str]]:
    """What stops a scenario's groups file (``groups.file`` with ``groups.enabled``) from
    being used, found before any run: everything :func:`sim.graph.read_groups_file` refuses
    (a missing or unreadable file, a line that is not user ids, a user id not in the graph,
    a group of fewer than 2, a file with no group). The ids are checked against the graph
    file's ids, or 0..n-1 for a generated graph with a fixed ``n`` (other generated graphs
    are left to the run's start). Each (groups file, graph) pair is read once per process
    while neither file changes. Returns (key parts, value, message) triples as
    :func:`graph_problems`.
    """
    groups = getattr(scenario, "groups", None)
    if groups is None or not groups.enabled or groups.file is None:
        return []
    cfg = scenario.graph
    if isinstance(cfg, FileGraph):
        try:
            st = os.stat(cfg.path)
        except OSError:
            return []  # reported as graph.path
        graph_key = (os.path.realpath(cfg.path), cfg.kind, st.st_size, st.st_mtime_ns)
    elif isinstance(getattr(cfg, "n", None), int):
        graph_key = ("generated", cfg.n)
    else:
        return []  # a graph whose size is known only once generated: checked when the run starts
    try:
        st = os.stat(groups.file)
        file_key = (os.path.realpath(groups.file), st.st_size, st.st_mtime_ns)
    except OSError:
        file_key = (groups.file, -1, -1)
    text = _groups_file_problem(groups.file, file_key, cfg if isinstance(cfg, FileGraph) else None, graph_key)
    return [] if text is None else [(["groups", "file"], _shown(groups.file), text)]


@lru_cache(maxsize=64)
def _groups_file_problem(path: str, file_key: tuple, file_graph: FileGraph | None, graph_key: tuple) -> str | None:
    try:
        users = _read(file_graph) if file_graph is not None else SimpleNamespace(n_users=graph_key[1], labels=None)
    except GraphFileError:
        return None  # reported as graph.path
    try:
        read_groups_file(path, users)  # CleanEdges: n_users and labels, as the graph built from it
    except GroupsFileError as err:
        text = str(err)
        for prefix in (f"{path}: ", f"{path}, "):
            if text.startswith(prefix):
                return text[len(prefix):]
        return text
    return None


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
