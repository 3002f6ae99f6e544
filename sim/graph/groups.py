"""Chat groups: a second structure beside the friendship graph, as CSR arrays both ways
(group -> members, user -> groups).

Generated groups (:func:`generate_groups`): sizes drawn from a distribution until they add
up to ``memberships_per_user * n_users`` memberships; each group has a founder drawn
uniformly, and each further member is, with probability ``friend_share``, a friend of the
founder drawn uniformly among the founder's friends, else a user drawn uniformly;
duplicates are dropped (a group keeps at least 2 members, else it is dropped). So groups
have in-group friends (the founder's ego network and the triangles around it).

A groups file (:func:`read_groups_file`): one group a line, the members' user ids as in the
graph file (0..n-1 for a generated graph), separated by white space or commas; ``#``
starts a comment, blank lines are skipped; a repeated id in a line counts once; a file
with no group at all is refused (a wrong file, not a run without groups).
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from .csr import CSRGraph
from .io import GraphFileError

__all__ = ["GroupTable", "GroupsFileError", "generate_groups", "read_groups_file", "MAX_GROUPS_FILE_LINES"]

MAX_GROUPS_FILE_LINES = 50_000_000
"""Most groups a groups file may hold."""

_SPLIT = re.compile(r"[\s,]+")


class GroupsFileError(GraphFileError):
    """A groups file that cannot be read; the message names the file and the line."""


@dataclass(frozen=True)
class GroupTable:
    """Chat groups as CSR arrays.

    Attributes
    ----------
    indptr : ndarray of int64, shape (n_groups + 1,)
        Group g's members are ``members[indptr[g]:indptr[g + 1]]``.
    members : ndarray of int32, shape (n_memberships,)
        User ids, ascending within a group, distinct.
    user_indptr : ndarray of int64, shape (n_users + 1,)
        User u's groups are ``user_groups[user_indptr[u]:user_indptr[u + 1]]``.
    user_groups : ndarray of int32, shape (n_memberships,)
        Group ids, ascending within a user.
    """

    indptr: np.ndarray
    members: np.ndarray
    user_indptr: np.ndarray
    user_groups: np.ndarray

    @classmethod
    def from_pairs(cls, group: np.ndarray, user: np.ndarray, n_groups: int, n_users: int) -> GroupTable:
        """The table of the memberships ``(group[i], user[i])`` (int arrays of one shape;
        pairs already distinct)."""
        g, u = np.asarray(group, dtype=np.int64), np.asarray(user, dtype=np.int64)
        if g.size < 2 or np.all((g[1:] > g[:-1]) | ((g[1:] == g[:-1]) & (u[1:] > u[:-1]))):
            # already by (group, user), as generated and as read: lexsort's permutations, cheaper
            by_g, by_u = np.arange(g.size), np.argsort(u, kind="stable")
        else:
            by_g, by_u = np.lexsort((u, g)), np.lexsort((g, u))
        indptr = np.zeros(n_groups + 1, dtype=np.int64)
        np.cumsum(np.bincount(g, minlength=n_groups), out=indptr[1:])
        uptr = np.zeros(n_users + 1, dtype=np.int64)
        np.cumsum(np.bincount(u, minlength=n_users), out=uptr[1:])
        return cls(indptr=indptr, members=u[by_g].astype(np.int32), user_indptr=uptr,
                   user_groups=g[by_u].astype(np.int32))

    @property
    def n_groups(self) -> int:
        """Number of groups."""
        return int(self.indptr.size - 1)

    @property
    def n_users(self) -> int:
        """Number of users (of the graph)."""
        return int(self.user_indptr.size - 1)

    @cached_property
    def sizes(self) -> np.ndarray:
        """Members of each group, int64 (n_groups,); computed once, read-only."""
        return _read_only(np.diff(self.indptr))

    @cached_property
    def groups_per_user(self) -> np.ndarray:
        """Groups of each user, int64 (n_users,); computed once, read-only."""
        return _read_only(np.diff(self.user_indptr))

    @cached_property
    def in_group(self) -> np.ndarray:
        """Whether each user belongs to a group, bool (n_users,); computed once, read-only."""
        return _read_only(self.groups_per_user > 0)

    def members_of(self, groups: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The members of each of ``groups`` (int, (k,)), concatenated.

        Returns
        -------
        (ndarray of int64, ndarray of int64)
            Position in ``groups`` of each membership row, and the member (user id).
        """
        groups = np.asarray(groups, dtype=np.int64)
        start, lens = self.indptr[groups], self.sizes[groups]
        pos = np.repeat(np.arange(groups.size), lens)
        offs = np.arange(int(lens.sum())) - np.repeat(np.cumsum(lens) - lens, lens)
        return pos, self.members[np.repeat(start, lens) + offs].astype(np.int64)

    def random_group_of(self, users: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """One group of each of ``users`` drawn uniformly (int64, (k,)); the users must
        belong to a group. One draw of ``rng.random`` per user."""
        users = np.asarray(users, dtype=np.int64)
        lo, n = self.user_indptr[users], self.groups_per_user[users]
        pick = np.minimum((rng.random(users.size) * n).astype(np.int64), n - 1)
        return self.user_groups[lo + pick].astype(np.int64)


def _read_only(a: np.ndarray) -> np.ndarray:
    """``a``, flagged read-only (a cached array that callers share)."""
    a.setflags(write=False)
    return a


def _draw_sizes(size_dist, target: int, max_size: int, rng: np.random.Generator) -> np.ndarray:
    """Group sizes (int64) drawn in batches until they add up to ``target`` memberships."""
    parts, total = [], 0
    while total < target:
        batch = max(16, int(math.ceil((target - total) / 4)))
        s = np.clip(np.rint(size_dist.sample(rng, batch)), 2, max_size).astype(np.int64)
        parts.append(s)
        total += int(s.sum())
    sizes = np.concatenate(parts)
    return sizes[: int(np.searchsorted(np.cumsum(sizes), target)) + 1]


def generate_groups(graph: CSRGraph, cfg, rng: np.random.Generator) -> GroupTable:
    """Groups drawn over ``graph`` by the rules of the module docstring.

    Parameters
    ----------
    graph : CSRGraph
    cfg : sim.scenario.groups_config.GroupsConfig
        ``memberships_per_user``, ``size``, ``max_size``, ``friend_share``.
    rng : numpy.random.Generator
        The run's ``groups`` stream. Draw order: sizes (batches), founders, friend-or-random
        draws, friend positions, random users.
    """
    n = graph.n_users
    if n < 2:
        return GroupTable.from_pairs(np.empty(0), np.empty(0), 0, n)
    sizes = _draw_sizes(cfg.size, int(math.ceil(cfg.memberships_per_user * n)), min(cfg.max_size, n), rng)
    g = sizes.size
    founders = rng.integers(0, n, g)
    slots = sizes - 1
    f = np.repeat(founders, slots)
    deg = graph.degree.astype(np.int64)[f]
    friend = (rng.random(f.size) < cfg.friend_share) & (deg > 0)
    pos = np.minimum((rng.random(f.size) * deg).astype(np.int64), np.maximum(deg - 1, 0))
    other = rng.integers(0, n, f.size)
    member = other.astype(np.int64)
    member[friend] = graph.indices[graph.indptr[f[friend]] + pos[friend]]
    grp = np.concatenate([np.arange(g), np.repeat(np.arange(g), slots)])
    usr = np.concatenate([founders, member])
    key = np.sort(grp * n + usr)  # np.unique's result, without its hash table (slow at 10^7 keys)
    key = key[np.r_[True, key[1:] != key[:-1]]] if key.size else key
    grp, usr = key // n, key % n
    size = np.bincount(grp, minlength=g)
    keep = size >= 2
    new_id = np.cumsum(keep) - 1
    row = keep[grp]
    return GroupTable.from_pairs(new_id[grp[row]], usr[row], int(keep.sum()), n)


def _user_index(graph: CSRGraph):
    """A function from file ids (int64 array) to user indices (-1 where unknown)."""
    n = graph.n_users
    if graph.labels is None:
        return lambda ids: np.where((ids >= 0) & (ids < n), ids, -1)
    order = np.argsort(graph.labels, kind="stable")
    sorted_labels = graph.labels[order]

    def index(ids: np.ndarray) -> np.ndarray:
        at = np.minimum(np.searchsorted(sorted_labels, ids), n - 1)
        return np.where(sorted_labels[at] == ids, order[at], -1)
    return index


def read_groups_file(path: str | os.PathLike, graph: CSRGraph) -> GroupTable:
    """The groups of the file at ``path`` (format in the module docstring) over ``graph``.

    Raises
    ------
    GroupsFileError
        The file is missing or unreadable, a line holds something other than user ids, a
        user id is not in the graph, a group has fewer than 2 distinct members, the file
        holds no group at all (empty, or only blank and comment lines), or it has more
        than :data:`MAX_GROUPS_FILE_LINES` groups; the message names the file and the line.
    """
    try:
        with open(path, encoding="utf-8") as fh:
            lines = fh.read().splitlines()
    except FileNotFoundError:
        raise GroupsFileError(f"{path}: no such groups file (groups.file)") from None
    except (OSError, UnicodeDecodeError) as err:
        raise GroupsFileError(f"{path}: cannot read the groups file (groups.file): {err}") from None
    index = _user_index(graph)
    grp, usr = [], []
    for no, line in enumerate(lines, start=1):
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        if len(grp) >= MAX_GROUPS_FILE_LINES:
            raise GroupsFileError(f"{path}, line {no}: more than {MAX_GROUPS_FILE_LINES:,} groups; allowed: at most "
                                  f"{MAX_GROUPS_FILE_LINES:,}")
        try:
            ids = np.array([int(tok) for tok in _SPLIT.split(text) if tok], dtype=np.int64)
        except (ValueError, OverflowError):
            raise GroupsFileError(f"{path}, line {no}: {text[:60]!r} is not a list of user ids; allowed: integer "
                                  "user ids as in the graph file, separated by spaces or commas") from None
        users = index(ids)
        if np.any(users < 0):
            bad = int(ids[np.flatnonzero(users < 0)[0]])
            raise GroupsFileError(f"{path}, line {no}: user {bad} is not in the graph; allowed: the user ids of "
                                  f"the graph ({graph.n_users:,} users)")
        users = np.unique(users)
        if users.size < 2:
            raise GroupsFileError(f"{path}, line {no}: a group of {users.size} distinct member(s); allowed: at least 2")
        grp.append(np.full(users.size, len(grp), dtype=np.int64))
        usr.append(users)
    if not grp:
        raise GroupsFileError(f"{path}: the groups file (groups.file) holds no group (every line is blank or a "
                              "comment); allowed: one group a line, at least 2 user ids each (or leave groups.file "
                              "out to generate the groups, or set groups.enabled = false)")
    return GroupTable.from_pairs(np.concatenate(grp), np.concatenate(usr), len(grp), graph.n_users)
