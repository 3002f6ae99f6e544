"""Reading social graphs from files: SNAP-style edge lists, GraphML and GML.

Edge lists: one edge a line, ``u v`` or ``u v weight``, separated by white space;
``#`` or ``%`` starts a comment; ``.gz`` files are read transparently. Node ids are
non-negative integers (any size up to 2**62). GraphML and GML go through networkx;
an edge attribute ``weight`` becomes the weight column.
"""

from __future__ import annotations

import gzip
import io
import logging
import os
import time
import zlib
from pathlib import Path

import numpy as np

from .csr import CleanEdges, clean_edges

__all__ = ["GraphFileError", "read_edgelist", "read_networkx_file", "read_graph_file"]

_MAX_ID = 2**62

log = logging.getLogger(__name__)


class GraphFileError(ValueError):
    """A graph file that cannot be read; the message names the file and, where it
    applies, the line."""


def _read_bytes(path: Path) -> bytes:
    """The file's bytes, gunzipped if it is a gzip file."""
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except FileNotFoundError:
        raise GraphFileError(f"{path}: no such graph file") from None
    except IsADirectoryError:
        raise GraphFileError(f"{path}: is a folder, not a graph file") from None
    except OSError as err:
        raise GraphFileError(f"{path}: cannot read: {err.strerror}") from None
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (EOFError, OSError, zlib.error) as err:
            raise GraphFileError(f"{path}: damaged or truncated gzip file ({err})") from None
    return data


def _decode(path: Path, data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise GraphFileError(f"{path}: line {line}: not UTF-8 text") from None


def _scan(path: Path, text: str) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Line-by-line parse with exact error messages (used when the fast path fails)."""
    us: list[int] = []
    vs: list[int] = []
    ws: list[float] = []
    ncols = None
    for lineno, line in enumerate(io.StringIO(text), start=1):
        body = line.split("#", 1)[0].split("%", 1)[0].strip()
        if not body:
            continue
        tokens = body.split()
        if len(tokens) not in (2, 3):
            raise GraphFileError(
                f"{path}: line {lineno}: {len(tokens)} columns; expected 'u v' or 'u v weight'"
            )
        if ncols is None:
            ncols = len(tokens)
        elif len(tokens) != ncols:
            raise GraphFileError(
                f"{path}: line {lineno}: {len(tokens)} columns, but earlier lines have {ncols}"
            )
        for tok in tokens[:2]:
            try:
                val = int(tok)
            except ValueError:
                raise GraphFileError(
                    f"{path}: line {lineno}: node id {tok!r} is not an integer"
                ) from None
            if val < 0 or val >= _MAX_ID:
                raise GraphFileError(
                    f"{path}: line {lineno}: node id {val} out of range; allowed 0 <= id < 2**62"
                )
        us.append(int(tokens[0]))
        vs.append(int(tokens[1]))
        if ncols == 3:
            try:
                w = float(tokens[2])
            except ValueError:
                raise GraphFileError(
                    f"{path}: line {lineno}: weight {tokens[2]!r} is not a number"
                ) from None
            if not np.isfinite(w) or w <= 0:
                raise GraphFileError(
                    f"{path}: line {lineno}: weight {tokens[2]} must be a finite number > 0"
                )
            ws.append(w)
    return (np.array(us, dtype=np.int64), np.array(vs, dtype=np.int64),
            np.array(ws, dtype=np.float64) if ncols == 3 else None)


def _fast(data: bytes) -> tuple[np.ndarray, np.ndarray, np.ndarray | None] | None:
    """Vectorised parse of a clean file (pandas' C parser, straight from the UTF-8 bytes:
    a text buffer would cost 4 bytes a character); None when anything looks off, so
    that :func:`_scan` can report the exact line."""
    import pandas as pd

    if b"%" in data:
        return None
    try:
        df = pd.read_csv(io.BytesIO(data), sep=r"\s+", comment="#", header=None, engine="c",
                         skip_blank_lines=True)
    except (ValueError, pd.errors.ParserError, pd.errors.EmptyDataError):
        return None
    if df.shape[1] not in (2, 3) or df.isna().any().any():
        return None
    if not all(pd.api.types.is_integer_dtype(df[c]) for c in (0, 1)):
        return None
    u, v = df[0].to_numpy(np.int64), df[1].to_numpy(np.int64)
    if (u < 0).any() or (v < 0).any() or (u >= _MAX_ID).any() or (v >= _MAX_ID).any():
        return None
    w = None
    if df.shape[1] == 3:
        if not pd.api.types.is_numeric_dtype(df[2]):
            return None
        w = df[2].to_numpy(np.float64)
        if not np.all(np.isfinite(w)) or np.any(w <= 0):
            return None
    return u, v, w


def read_edgelist(path: str | os.PathLike, *, directed: bool = False) -> CleanEdges:
    """Read a SNAP-style edge list into cleaned, relabelled undirected edges.

    Parameters
    ----------
    path : path-like
        ``u v`` or ``u v weight`` per line; ``#``/``%`` comments; ``.gz`` allowed.
    directed : bool
        The file lists directed edges (reported; reciprocated pairs are merged).

    Returns
    -------
    CleanEdges
        Self-loops and duplicates (in either direction) dropped and counted; ids
        relabelled to 0..n-1 in increasing order of the original id.

    Raises
    ------
    GraphFileError
        Missing, unreadable, damaged or empty file; a non-integer or out-of-range node
        id, a bad weight, or a wrong column count (with the line number).
    """
    path = Path(path)
    data = _read_bytes(path)
    _decode(path, data)  # not UTF-8: an error naming the line
    parsed = _fast(data)
    if parsed is None:
        parsed = _scan(path, _decode(path, data))
    u, v, w = parsed
    if u.size == 0:
        raise GraphFileError(f"{path}: no edges (the file is empty or all comments)")
    return clean_edges(u, v, w, directed=directed)


def read_networkx_file(path: str | os.PathLike, kind: str) -> CleanEdges:
    """Read a GraphML or GML file through networkx.

    Node ids are mapped to 0..n-1 in the file's node order; an edge attribute
    ``weight`` becomes the weight column (all edges must have it, or none).

    Raises
    ------
    GraphFileError
        If networkx cannot parse the file, or weights are missing or not positive.
    """
    import networkx as nx

    path = Path(path)
    if not path.exists():
        raise GraphFileError(f"{path}: no such graph file")
    reader = {"graphml": nx.read_graphml, "gml": nx.read_gml}[kind]
    try:
        g = reader(path)
    except Exception as err:  # networkx raises many kinds for malformed files
        raise GraphFileError(f"{path}: not a readable {kind.upper()} file: {err}") from None
    nodes = list(g.nodes())
    if not nodes:
        raise GraphFileError(f"{path}: the graph has no nodes")
    index = {node: i for i, node in enumerate(nodes)}
    edges = list(g.edges(data=True))
    u = np.array([index[a] for a, _, _ in edges], dtype=np.int64)
    v = np.array([index[b] for _, b, _ in edges], dtype=np.int64)
    has_w = [("weight" in d) for _, _, d in edges]
    w = None
    if edges and all(has_w):
        try:
            w = np.array([float(d["weight"]) for _, _, d in edges], dtype=np.float64)
        except (TypeError, ValueError):
            raise GraphFileError(f"{path}: an edge weight is not a number") from None
        if not np.all(np.isfinite(w)) or np.any(w <= 0):
            raise GraphFileError(f"{path}: edge weights must be finite numbers > 0")
    elif any(has_w):
        raise GraphFileError(f"{path}: some edges have a weight and some do not")
    notes = ("original node ids kept in file order",) if any(
        not isinstance(n, int) or n != i for i, n in enumerate(nodes)
    ) else ()
    edges_out = clean_edges(u, v, w, n_users=len(nodes), directed=g.is_directed(), relabel=False,
                            notes=notes)
    return edges_out


def read_graph_file(path: str | os.PathLike, kind: str) -> CleanEdges:
    """Read a graph file of the given ``kind`` (``edgelist``, ``graphml`` or ``gml``)."""
    start = time.perf_counter()
    edges = read_edgelist(path) if kind == "edgelist" else read_networkx_file(path, kind)
    r = edges.report
    log.info("read %s (%s): %d users, %d friendships from %d edges (%d self-loops and %d duplicates dropped, "
             "%d isolated users) in %.2f s", path, kind, edges.n_users, len(edges.a), r.edges_read, r.self_loops,
             r.duplicates, r.isolated, time.perf_counter() - start)
    return edges
