"""The IC mode's step costs follow the frontier, and its random stream is the former one.

No timing here: the work of a step is counted on instrumented arrays (every element a
step reads or writes in the population and row-pointer arrays), on a graph where a small
connected part sits among many isolated users. A step that scans everyone (say
``population.senders.sum()`` for the series) counts the whole population and fails.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from sim.graph.csr import clean_edges, to_csr
from sim.graph.fast import barabasi_albert_edges
from sim.model import ClassicModel
from sim.model.ic import GEOMETRIC_BELOW, ic_step, simulate_ic
from sim.scenario import validate_scenario


class Watched(np.ndarray):
    """An array that counts the elements operations touch, in ``Watched.touched``.

    Indexing by an integer array counts its length, by a boolean mask the whole array, a
    scalar index 1; a slice is a view and stays watched. A ufunc (``a.sum()``, ``~a``,
    ``a + 1``) or numpy function (``np.flatnonzero(a)``, ``np.count_nonzero(a)``) given a
    watched array counts its size. Results are plain arrays.
    """

    touched = 0

    @classmethod
    def wrap(cls, a: np.ndarray) -> Watched:
        return np.asarray(a).view(cls)

    @staticmethod
    def _plain(x):
        if isinstance(x, Watched):
            Watched.touched += x.size
            return x.view(np.ndarray)
        if isinstance(x, tuple):
            return tuple(Watched._plain(y) for y in x)
        if isinstance(x, list):
            return [Watched._plain(y) for y in x]
        return x

    def _count_key(self, key) -> None:
        if isinstance(key, slice):
            return
        k = np.asarray(key)
        Watched.touched += self.size if k.dtype == bool else max(k.size, 1)

    def __getitem__(self, key):
        if isinstance(key, slice):
            return super().__getitem__(key)  # a view, still watched
        self._count_key(key)
        out = self.view(np.ndarray)[key]
        return out

    def __setitem__(self, key, value) -> None:
        self._count_key(key)
        self.view(np.ndarray)[key] = value

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        inputs = self._plain(inputs)
        if "out" in kwargs:
            kwargs["out"] = self._plain(kwargs["out"])
        return getattr(ufunc, method)(*inputs, **kwargs)

    def __array_function__(self, func, types, args, kwargs):
        return func(*self._plain(args), **self._plain(kwargs))

    def nonzero(self):
        Watched.touched += self.size
        return self.view(np.ndarray).nonzero()


def _component_among_isolated(n_component: int, n_users: int):
    """A Barabasi-Albert graph on users 0..n_component-1; everyone else has no friend."""
    u, v = barabasi_albert_edges(n_component, 3, rng=np.random.default_rng(8))
    edges = clean_edges(u, v, n_users=n_users, relabel=False)
    return to_csr(edges, np.ones(edges.a.size))


def _ic_scenario(p: float, seeds: int):
    return validate_scenario({
        "name": "ic-cost", "graph": {"kind": "holme_kim", "n": 300, "m": 3, "p": 0.2, "seed": 5},
        "mode": {"kind": "independent_cascade", "p": p, "seeds": seeds},
        "time": {"start": "2025-01-01", "end": "2025-12-31"},
    }, "<test>")


def test_watched_counts_a_full_scan():
    a = Watched.wrap(np.zeros(1000, dtype=bool))
    Watched.touched = 0
    a[np.array([3, 4])] = True
    assert Watched.touched == 2
    assert int(a.sum()) == 2 and Watched.touched == 1002
    assert np.count_nonzero(a) == 2 and Watched.touched == 2002
    assert a[1:].view(np.ndarray).size == 999 and Watched.touched == 2002  # a view touches nothing
    assert np.flatnonzero(a[1:]).tolist() == [2, 3] and Watched.touched == 2002 + 999


def test_ic_mode_step_work_follows_the_frontier_not_the_population():
    n_users, n_component = 200_000, 3_000
    g = _component_among_isolated(n_component, n_users)
    sc = _ic_scenario(p=0.2, seeds=60)
    model = ClassicModel(sc, seed=1, graph=dataclasses.replace(g, indptr=Watched.wrap(g.indptr)))
    pop = model.population
    in_component = int((model.frontier < n_component).sum())
    assert in_component >= 1  # this seed puts some seeds in the connected part
    names = ("aware", "senders", "aware_step", "first_send_step", "parent", "aware_via")
    wrapped: dict[int, Watched] = {}  # one wrapper per array (senders is aware in this mode)
    for name in names:
        a = getattr(pop, name)
        setattr(pop, name, wrapped.setdefault(id(a), Watched.wrap(a)))
    indptr = g.indptr
    steps = []
    while model.running:
        f = model.frontier
        bound = f.size + int((indptr[f + 1] - indptr[f]).sum())  # frontier and its friendship entries
        Watched.touched = 0
        model.step()
        steps.append((Watched.touched, bound, model.frontier.size))
    assert len(steps) >= 5 and sum(s[2] for s in steps) > 100  # a real cascade ran
    for touched, bound, new in steps:
        assert touched <= 4 * bound + 8 * new + 16, (touched, bound, new)
    assert sum(s[0] for s in steps) < n_users / 4
    # the counts kept as users adopt are the population's
    senders = np.flatnonzero(pop.senders.view(np.ndarray))
    cols = model.recorder.columns
    assert model.n_adopted == senders.size == cols["senders"][model.step_index - 1]
    assert cols["aware_users"][model.step_index - 1] == int(pop.aware.view(np.ndarray).sum())
    assert np.all(senders < n_component) or np.all(g.degree[senders[senders >= n_component]] == 0)


def _former_ic_step(indptr, indices, frontier, active, p, rng):
    """ic_step as it was before the frontier work (np.unique on the shuffled attempts)."""
    frontier = np.asarray(frontier, dtype=np.int64)
    if frontier.size == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    starts = indptr[frontier]
    deg = indptr[frontier + 1] - starts
    cum = np.cumsum(deg)
    n_trials = int(cum[-1])
    if n_trials == 0 or p == 0.0:
        pos = np.empty(0, np.int64)
    elif p >= GEOMETRIC_BELOW:
        pos = np.flatnonzero(rng.random(n_trials) < p)
    else:
        mean = n_trials * p
        chunk = int(mean + 4.0 * np.sqrt(mean) + 16)
        pos = np.cumsum(rng.geometric(p, size=chunk)) - 1
        parts = [pos]
        while pos[-1] < n_trials - 1:
            pos = pos[-1] + np.cumsum(rng.geometric(p, size=chunk))
            parts.append(pos)
        out = np.concatenate(parts)
        pos = out[: np.searchsorted(out, n_trials)]
    owner = np.searchsorted(cum, pos, side="right")
    entries = starts[owner] + (pos - (cum[owner] - deg[owner]))
    target = indices[entries].astype(np.int64)
    fresh = ~active[target]
    target = target[fresh]
    source = frontier[owner[fresh]]
    if target.size > 1:
        order = rng.permutation(target.size)
        target, source = target[order], source[order]
    new, first = np.unique(target, return_index=True)
    return new, source[first]


@pytest.mark.parametrize("n, m, p", [(20_000, 5, 0.05), (3_000, 3, 0.3), (400, 12, 0.9), (5_000, 2, 0.15)])
def test_ic_step_draws_the_former_random_stream(n, m, p):
    # same activations, parents and generator state as the former implementation
    u, v = barabasi_albert_edges(n, m, rng=np.random.default_rng(n))
    edges = clean_edges(u, v, n_users=n, relabel=False)
    g = to_csr(edges, np.ones(edges.a.size))
    for s in range(8):
        ours, theirs = np.random.default_rng(s), np.random.default_rng(s)
        frontier = np.sort(np.random.default_rng(100 + s).choice(n, 10, replace=False)).astype(np.int64)
        active = np.zeros(n, dtype=bool)
        active[frontier] = True
        generations = 0
        while frontier.size:
            new, parent = ic_step(g.indptr, g.indices, frontier, active, p, ours)
            new0, parent0 = _former_ic_step(g.indptr, g.indices, frontier, active, p, theirs)
            assert new.dtype == parent.dtype == np.int64
            assert np.array_equal(new, new0) and np.array_equal(parent, parent0)
            assert ours.bit_generator.state == theirs.bit_generator.state
            active[new] = True
            frontier = new
            generations += 1
        assert generations >= 2


def test_simulate_ic_seeded_regression():
    # pinned before the frontier work, unchanged by it
    u, v = barabasi_albert_edges(50_000, 5, rng=np.random.default_rng(1))
    edges = clean_edges(u, v, n_users=50_000, relabel=False)
    g = to_csr(edges, np.ones(edges.a.size))
    seeds = np.arange(0, 50_000, 1_000)
    casc = simulate_ic(g.indptr, g.indices, seeds, 0.05, np.random.default_rng(7))
    assert (casc.size, int(casc.step.max()), int(casc.users.sum() % 1_000_003), int(casc.parent.sum() % 1_000_003)) \
        == PINNED


PINNED = (2461, 28, 158458, 45898)
