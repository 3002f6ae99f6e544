"""Evaluators behind one protocol (sim.experiments.evaluators): the same tasks give the same
outcomes in this process, in a process pool and on Dask; a user's own evaluator class works
with run_batch and calibrate; the CLI flags build one through one function."""

from __future__ import annotations

import math
import threading
from argparse import Namespace
from concurrent.futures import ThreadPoolExecutor

import pytest

from sim.batch import run_batch
from sim.experiments import (
    Evaluator,
    ProcessPoolEvaluator,
    SequentialEvaluator,
    make_evaluator,
    map_ordered,
)
from sim.experiments.dask_evaluator import DaskEvaluator
from sim.runner import run
from sim.scenario import validate_scenario

from ..tiny_batch import TINY, assert_same_runs, assert_same_tables, tiny_batch


def summary_of(task: tuple[dict, int]) -> tuple[int, dict]:
    """A task's run summary, keyed by its seed (module level: picklable by reference)."""
    import tomllib

    raw, seed = task
    sc = validate_scenario({**tomllib.loads(TINY), **raw}, "<tiny>")
    return seed, run(sc, seed).summary


def fails_on_three(x: int) -> int:
    if x == 3:
        raise ValueError("three")
    return x * x


TASKS = [({"policy": {"commercial_share": s}}, seed) for s in (0.02, 0.3) for seed in (1, 2, 3)]


def _same_summaries(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(
        (isinstance(v, float) and math.isnan(v) and math.isnan(b[k])) or v == b[k] for k, v in a.items())


def test_every_evaluator_gives_the_same_outcomes_for_the_same_tasks():
    with SequentialEvaluator() as ev:
        want = map_ordered(ev, summary_of, TASKS)
    assert len({s["gifts_sent"] for _, s in want}) > 1  # the tasks really differ
    for make in (lambda: ProcessPoolEvaluator(2), lambda: DaskEvaluator(local_workers=2)):
        with make() as ev:
            got = map_ordered(ev, summary_of, TASKS)
            unordered = list(ev.map(summary_of, TASKS))
        assert [s for s, _ in got] == [s for _, s in TASKS]
        assert all(_same_summaries(a[1], b[1]) for a, b in zip(want, got, strict=True))
        assert sorted(seed for seed, _ in unordered) == sorted(seed for _, seed in TASKS)


def test_an_error_in_a_task_propagates_from_map():
    for ev in (SequentialEvaluator(), ProcessPoolEvaluator(2)):
        with ev, pytest.raises(ValueError, match="three"):
            map_ordered(ev, fails_on_three, range(6))
    with SequentialEvaluator() as ev:
        assert map_ordered(ev, fails_on_three, [5, 1, 2]) == [25, 1, 4]


def test_a_stopped_process_pool_cannot_be_used_again():
    with ProcessPoolEvaluator(2) as ev:
        stream = ev.map(fails_on_three, range(20))
        next(stream)
        stream.close()  # the caller stops: queue dropped, workers ended
        with pytest.raises(RuntimeError, match="it was stopped"):
            next(ev.map(fails_on_three, [1]))


class ListingThreadEvaluator:
    """A user's own evaluator: threads, written against the protocol alone (no base class),
    yielding in reverse order."""

    def __init__(self) -> None:
        self.entered = self.left = self.tasks = 0
        self.threads: set[str] = set()
        self._pool: ThreadPoolExecutor | None = None

    def __enter__(self):
        self.entered += 1
        self._pool = ThreadPoolExecutor(2, thread_name_prefix="user-evaluator")
        return self

    def __exit__(self, *exc):
        self.left += 1
        self._pool.shutdown()

    def map(self, function, tasks):
        tasks = list(tasks)
        self.tasks += len(tasks)

        def call(task):
            self.threads.add(threading.current_thread().name)
            return function(task)

        for fut in [self._pool.submit(call, t) for t in reversed(tasks)]:  # finishing in another order
            yield fut.result()


def test_a_users_own_evaluator_runs_a_batch_with_identical_outputs(tmp_path):
    p = tiny_batch(tmp_path, 'replicates = 2\nseed = 9\n[sweep]\n"policy.commercial_share" = [0.02, 0.3]\n')
    one = run_batch(p, out=tmp_path / "w1", workers=1)
    ev = ListingThreadEvaluator()
    assert isinstance(ev, Evaluator)  # the protocol is structural
    own = run_batch(p, out=tmp_path / "own", evaluator=ev)
    assert (ev.entered, ev.left, ev.tasks) == (1, 1, 4)
    assert ev.threads and all(t.startswith("user-evaluator") for t in ev.threads)
    assert own.completed == 4
    assert_same_runs(one.folder, own.folder)
    assert_same_tables(one.folder, own.folder)
    import json

    assert json.loads((own.folder / "manifest.json").read_text())["executor"] == "ListingThreadEvaluator"
    with pytest.raises(ValueError, match="give one executor, not evaluator and workers"):
        run_batch(p, out=tmp_path / "x", evaluator=ListingThreadEvaluator(), workers=2)


def test_the_cli_flags_build_an_evaluator_through_one_function():
    from sim.cli.common import evaluator_from_args

    assert isinstance(evaluator_from_args(Namespace(workers=1)), ProcessPoolEvaluator)
    assert evaluator_from_args(Namespace(workers=3, scheduler=None, dask_local=None)).description == "local (3 workers)"
    d = evaluator_from_args(Namespace(workers=None, scheduler=None, dask_local=2))
    assert isinstance(d, DaskEvaluator) and d.description == "dask LocalCluster(2)"
    assert make_evaluator(scheduler="tcp://10.0.0.5:8786").description == "dask tcp://10.0.0.5:8786"
    with pytest.raises(ValueError, match="--workers must be >= 1, got 0"):
        evaluator_from_args(Namespace(workers=0))
    with pytest.raises(ValueError, match="give one executor, not workers and dask_local"):
        make_evaluator(workers=2, dask_local=2)


def test_calibration_takes_a_users_own_evaluator(tmp_path):
    from sim.calibrate import calibrate

    from ..calibrate.test_calibrate import write_files

    cal = write_files(tmp_path, 60.0, max_iterations=2, population_size=4)
    a = calibrate(cal, out=tmp_path / "a")
    ev = ListingThreadEvaluator()
    b = calibrate(cal, out=tmp_path / "b", evaluator=ev)
    assert a.fitted == b.fitted and a.loss == b.loss
    pd_testing = pytest.importorskip("pandas.testing")
    pd_testing.assert_frame_equal(a.history, b.history)
    # one map per generation (points x replicates) and one for the check replicates
    assert (ev.entered, ev.left) == (1, 1) and ev.tasks == len(b.history) + b.spec.check_replicates


def test_an_evaluator_can_be_entered_again():
    for ev in (ProcessPoolEvaluator(2), DaskEvaluator(local_workers=1)):
        for _ in range(2):
            with ev:
                assert map_ordered(ev, fails_on_three, [1, 2, 4, 5]) == [1, 4, 16, 25]
        with pytest.raises(RuntimeError, match="with block"):
            next(ev.map(fails_on_three, [1]))
