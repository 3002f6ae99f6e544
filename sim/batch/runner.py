"""Running a batch end to end: plan, skip finished runs, execute, record failures,
consolidate tables, write the manifest."""

from __future__ import annotations

import array
import contextlib
import datetime as dt
import json
import logging
import os
import shutil
import socket
import time
import uuid
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..experiments.evaluators import Evaluator, describe, make_evaluator, preflight
from ..results import ResultsError, file_in_the_way, git_commit, is_complete, versions
from ..results.atomic import atomic_path, write_json_atomic
from .plan import Plan, make_plan
from .spec import load_batch
from .tables import STATUS, write_tables
from .worker import RunOutcome, RunTask, execute

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None
    import msvcrt

__all__ = ["BatchOutcome", "BatchExistsError", "BatchBusyError", "run_batch", "plan_batch", "lock_folder",
           "LOCK_FILE"]

LOCK_FILE = ".lock"
"""The file inside a batch folder that a running batch holds an exclusive lock on."""

log = logging.getLogger(__name__)


class BatchExistsError(FileExistsError):
    """The batch's results folder exists and neither resume nor another folder was asked
    for, or it holds something else than this batch."""


class BatchBusyError(BatchExistsError):
    """Another process is running a batch in the folder (it holds the folder's lock)."""


@dataclass(frozen=True, eq=False)
class BatchOutcome:
    """What a batch did: counts, where its results are, and the comparison table."""

    folder: Path
    plan: Plan
    completed: int
    skipped: int
    failed: int
    comparison: pd.DataFrame
    wall_seconds: float


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _write_plan(plan: Plan, path: Path) -> None:
    """Write ``plan.json`` (points with their resolved params, runs, the sampled design)
    atomically, entry by entry: memory holds a few points, never the whole enumeration."""
    def dump(value: Any) -> str:
        return json.dumps(value, sort_keys=True, default=str)

    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8") as fh:
        fh.write('{\n  "points": [')
        for n, p in enumerate(plan.record_points()):
            fh.write(("," if n else "") + "\n    " + dump(p))
        fh.write('\n  ],\n  "problem": ' + dump(plan.problem) + ',\n')
        if plan.conditions:
            fh.write('  "conditions": ' + dump(_conditions_record(plan)) + ',\n')
        fh.write('  "runs": [')
        for n, r in enumerate(plan.runs):
            entry = {"point": r.point, "replicate": r.replicate, "run_id": r.run_id, "seed": r.seed}
            if plan.conditions:
                entry.update(condition=r.condition, draw=plan.conditions[r.condition].draw)
            fh.write(("," if n else "") + "\n    " + dump(entry))
        fh.write('\n  ],\n  "sample_matrix": ')
        m = plan.sample_matrix
        if m is None:
            fh.write("null")
        else:
            fh.write("[")
            for n, row in enumerate(m):
                fh.write(("," if n else "") + "\n    " + dump(row.tolist()))
            fh.write("\n  ]")
        fh.write("\n}\n")


def _conditions_record(plan: Plan) -> dict[str, Any]:
    """The plan's conditions as ``plan.json`` records them: each condition's draw, robustness
    key and end, and the values it sets; the draws' keys and posterior rows."""
    draws = plan.draws
    return {
        "draw_keys": list(draws.keys) if draws is not None else [],
        "draw_source": draws.where if draws is not None else None,
        "posterior_rows": draws.rows.tolist() if draws is not None and draws.rows is not None else None,
        "list": [{"draw": c.draw, "key": c.key, "end": c.end, "set": dict(c.overrides)} for c in plan.conditions],
    }


def _runs_to_do(plan: Plan, runs_dir: Path) -> tuple[np.ndarray, int]:
    """Plan positions of the runs still to do: not complete on disk, first of their run
    id (the same content id twice in a plan, e.g. with common random numbers, runs once).

    Returns
    -------
    todo : ndarray of int64, shape (n_todo,)
    distinct : int
        The number of distinct run ids in the plan.
    """
    seen: set[str] = set()
    todo = array.array("q")
    for i, r in enumerate(plan.runs):
        if r.run_id in seen:
            continue
        seen.add(r.run_id)
        if not is_complete(runs_dir / r.run_id):
            todo.append(i)
    return (np.frombuffer(todo, dtype=np.int64) if todo else np.zeros(0, np.int64)), len(seen)


def _tasks(plan: Plan, runs_dir: Path, todo: np.ndarray) -> Iterator[RunTask]:
    """The runs to do as tasks, made one at a time as the executor asks for them."""
    for i in todo:
        r = plan.runs[int(i)]
        p = plan.points[r.point]
        extra: tuple[tuple[str, Any], ...] = ()
        if plan.conditions:
            cond = plan.conditions[r.condition]
            extra = (("batch_condition", r.condition), ("batch_draw", cond.draw),
                     ("batch_condition_set", dict(cond.overrides)))
        yield RunTask(scenario=plan.run_scenario(r.point, r.condition), seed=r.seed, run_id=r.run_id,
                      folder=str(runs_dir / r.run_id), point=r.point,
                      replicate=r.replicate, point_name=p.name, condition=r.condition, extra=extra)


def _remove_stale_temporaries(runs_dir: Path) -> int:
    """Delete ``.tmp-*`` folders left by runs killed while writing (never complete runs);
    returns how many were deleted."""
    if not runs_dir.is_dir():
        return 0
    removed = 0
    for entry in sorted(runs_dir.iterdir()):
        if entry.name.startswith(".tmp-") and entry.is_dir():
            shutil.rmtree(entry, ignore_errors=True)
            log.debug("removed %s, left by a run stopped while writing", entry)
            removed += 1
    return removed


def _set_aside_incomplete(plan: Plan, runs_dir: Path, todo: np.ndarray) -> list[tuple[Path, Path]]:
    """Rename the folders of runs still to do that exist but are not complete (a run
    folder damaged after it was written, or copied in part) to hidden
    ``.incomplete-<run id>-<tag>`` siblings, so that the runs can be written again; nothing
    is deleted. Returns (folder, new path) pairs.

    A run folder is written whole under a temporary name and renamed when complete
    (:func:`sim.results.write_run`), so such a folder never comes from a stopped run.
    """
    moved = []
    for i in todo:
        folder = runs_dir / plan.runs[int(i)].run_id
        if folder.exists():
            aside = runs_dir / f".incomplete-{folder.name}-{uuid.uuid4().hex[:8]}"
            os.rename(folder, aside)
            moved.append((folder, aside))
    return moved


def _try_lock(fd: int) -> bool:
    """Take an exclusive lock on the open file ``fd`` without waiting; False if another
    process holds it."""
    if fcntl is not None:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True
    try:  # Windows: lock the first byte
        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
    except OSError:
        return False
    return True


@contextlib.contextmanager
def lock_folder(folder: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``folder/.lock`` (created if missing) while the body runs.

    The lock is the kernel's (``flock``): it goes when this process ends, however it
    ends, so a killed batch never leaves its folder locked. The file records who holds
    it, for the message another process gets.

    Raises
    ------
    BatchBusyError
        If another process holds the lock.
    """
    path = folder / LOCK_FILE
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            locked = _try_lock(fd)
        except OSError as err:  # a file system without locks (some network mounts)
            warnings.warn(f"{folder}: cannot lock the batch folder ({err.strerror}); make sure no other "
                          "batch runs in it at the same time", RuntimeWarning, stacklevel=3)
            locked = None
        if locked is False:
            try:
                os.lseek(fd, 0, os.SEEK_SET)
                holder = os.read(fd, 500).decode("utf-8", "replace").strip()
            except OSError:
                holder = ""
            raise BatchBusyError(
                f"{folder}: another giftsim batch is running in this folder"
                + (f" ({holder})" if holder else "")
                + "; wait for it to finish (then --resume if needed), or use --out for another folder"
            )
        if locked:
            os.ftruncate(fd, 0)
            os.lseek(fd, 0, os.SEEK_SET)
            os.write(fd, f"pid {os.getpid()} on {socket.gethostname()}, since {_now()}\n".encode())
        try:
            yield
        finally:
            if locked:
                with contextlib.suppress(OSError):
                    os.ftruncate(fd, 0)
    finally:
        os.close(fd)  # releases the lock


def _check_folder(folder: Path, plan: Plan, resume: bool, batch_file: Any) -> None:
    """Refuse a folder that holds an earlier batch (without ``resume``), a different
    batch, or anything that is not a batch (such as single runs from ``giftsim run``).

    Raises
    ------
    BatchExistsError
    """
    file = file_in_the_way(folder)
    if file is not None:
        what = "is a file" if file == folder else f"{file} is a file"
        raise BatchExistsError(f"{folder}: {what}, not a folder; give the batch a folder elsewhere (--out)")
    if not folder.exists():
        return
    plan_file = folder / "plan.json"
    if plan_file.exists():
        if not resume:
            raise BatchExistsError(
                f"{folder}: holds an earlier batch; use --resume to continue it, or --out for a new folder"
            )
        old = json.loads(plan_file.read_text(encoding="utf-8")).get("runs", [])
        same = len(old) == plan.n_runs and all(o["run_id"] == r.run_id for o, r in zip(old, plan.runs))
        del old
        if not same:
            raise BatchExistsError(
                f"{folder}: holds a different batch (its runs differ from {batch_file}); "
                "use --out for a new folder"
            )
        return
    # not a batch: empty (or only hidden files, an empty runs/ of a batch stopped before its plan) is fine
    others = sorted(e.name for e in folder.iterdir()
                    if not e.name.startswith(".") and not (e.name == "runs" and e.is_dir() and not any(e.iterdir())))
    if others:
        runs = [n for n in others if is_complete(folder / n)]
        what = (f"{len(runs)} single run(s) from giftsim run, e.g. {runs[0]}" if runs
                else f"{len(others)} other file(s) or folder(s), e.g. {others[0]}")
        raise BatchExistsError(
            f"{folder}: is not a batch folder (no plan.json) and holds {what}; "
            "use --out for a new or empty folder"
        )


def plan_batch(batch_file: str | os.PathLike, *, max_runs: int | None = None, check: str = "all") -> Plan:
    """Load a batch file and resolve its plan (see :func:`sim.batch.make_plan`: refused
    above ``max_runs`` runs; ``check`` = ``all`` validates every point)."""
    spec, folder = load_batch(batch_file)
    return make_plan(spec, folder, source=str(batch_file), max_runs=max_runs, check=check)


def run_batch(
    batch_file: str | os.PathLike,
    *,
    out: str | os.PathLike | None = None,
    results_root: str | os.PathLike = "results",
    workers: int | None = None,
    resume: bool = False,
    scheduler: str | None = None,
    dask_local: int | None = None,
    on_outcome: Callable[[RunOutcome, int, int], None] | None = None,
    on_start: Callable[[int], None] | None = None,
    max_runs: int | None = None,
    evaluator: Evaluator | None = None,
) -> BatchOutcome:
    """Run every point x replicate of a batch file and consolidate the results.

    Parameters
    ----------
    batch_file : path-like
    out : path-like, optional
        The batch folder; default ``<results_root>/<batch name>``.
    workers, scheduler, dask_local : optional
        Local processes (default: all cores); or a dask.distributed scheduler's address;
        or a Dask LocalCluster of this many workers. At most one, not with ``evaluator``.
    resume : bool
        Continue an earlier, interrupted batch in ``out``: runs already complete are
        skipped (by run id), the rest are run.
    on_outcome : callable(outcome, done, total), optional
        Called as each run finishes (progress bars).
    on_start : callable(total), optional
        Called once, with the number of runs to do, when the plan is made and the folder
        accepted and locked, just before the first run starts: never for a batch that is
        refused (a progress bar started here does not show before an error).
    max_runs : int, optional
        Refuse a batch of more runs (default: the batch file's ``max_runs``, else
        :data:`sim.batch.plan.DEFAULT_MAX_RUNS`), before anything is enumerated.
    evaluator : sim.experiments.Evaluator, optional
        Where the runs happen, not yet entered (entered once the folder is accepted, before
        anything is written). Default: :func:`sim.experiments.make_evaluator` of the above.

    Returns
    -------
    BatchOutcome

    Raises
    ------
    sim.scenario.ScenarioError
        If the batch file or any point is invalid (before anything runs).
    ValueError
        If more than one of ``workers``, ``scheduler``, ``dask_local`` and ``evaluator``
        is given.
    sim.batch.executors.SchedulerError
        If ``scheduler`` is not an address or does not answer (nothing is written).
    BatchExistsError
        If ``out`` holds an earlier batch (without ``resume``), a different batch, or
        something that is not a batch (such as single runs).
    BatchBusyError
        If another process is running a batch in ``out`` (it holds the folder's lock).
    sim.experiments.MainGuardError
        A SystemExit: called with worker processes from a script's top-level code outside
        ``if __name__ == "__main__":`` (each worker would run the script again); nothing
        is written.
    sim.experiments.WorkerLostError
        If a worker process ends without returning its run (killed, out of memory).
    sim.results.ResultsError
        If a run folder or table cannot be written (disk full, permissions): the batch
        stops; complete runs stay and ``resume`` continues from them.
    """
    start = time.perf_counter()
    evaluator = _evaluator(evaluator, workers=workers, scheduler=scheduler, dask_local=dask_local)
    preflight(evaluator, "run_batch", "nothing was run or written")  # before anything is planned
    plan = plan_batch(batch_file, max_runs=max_runs)  # every point validated before anything is written
    folder = Path(out) if out is not None else Path(results_root) / plan.spec.name
    # The lock is released last, once the evaluator (and its workers) have stopped.
    with contextlib.ExitStack() as locks, contextlib.ExitStack() as running:
        _claim_folder(folder, plan, resume, batch_file, locks, lambda: running.enter_context(evaluator))
        return _execute(plan, folder, evaluator, batch_file=batch_file, resume=resume, on_outcome=on_outcome,
                        on_start=on_start, start=start)


def _evaluator(evaluator: Evaluator | None, **flags: Any) -> Evaluator:
    """``evaluator``, or the one the old keyword arguments ask for (refusing both)."""
    if evaluator is None:
        return make_evaluator(**flags)
    given = [name for name, v in flags.items() if v is not None]
    if given:
        raise ValueError(f"give one executor, not evaluator and {' and '.join(given)}: pass the evaluator "
                         "alone (sim.experiments.make_evaluator builds one from workers, scheduler or dask_local)")
    return evaluator


def _claim_folder(folder: Path, plan: Plan, resume: bool, batch_file: Any, locks: contextlib.ExitStack,
                  enter_evaluator: Callable[[], Any]) -> None:
    """Accept and lock the batch folder, start the evaluator, and write the plan.

    The folder is checked before the evaluator starts (fail fast) and again once it is
    locked; the evaluator (a Dask scheduler that may not answer) starts before anything is
    written, so a refused one leaves no folder behind."""
    locked = False
    if (folder / LOCK_FILE).is_file():  # an earlier batch's folder: lock it first
        locks.enter_context(lock_folder(folder))
        locked = True
    _check_folder(folder, plan, resume, batch_file)  # fail fast, before starting an evaluator
    enter_evaluator()
    if not locked:
        folder.mkdir(parents=True, exist_ok=True)
        locks.enter_context(lock_folder(folder))
    _check_folder(folder, plan, resume, batch_file)  # again, now that no other batch can start here
    (folder / "runs").mkdir(exist_ok=True)
    _write_plan(plan, folder / "plan.json")


def _start_manifest(plan: Plan, folder: Path, batch_file: Any, evaluator: Evaluator) -> dict[str, Any]:
    """Write ``manifest.json`` as a batch starts (``finished`` null); returns it."""
    batch = json.loads(plan.spec.model_dump_json())
    for key in ("uncertainty", "robustness"):  # left out when not used: a manifest as before them
        if batch.get(key) is None:
            batch.pop(key, None)
    manifest = {
        "batch_file": str(batch_file),
        "batch": batch,
        "points": plan.n_points,
        "runs": plan.n_runs,
        "executor": describe(evaluator),
        "versions": versions(),
        "git_commit": git_commit(),
        "started": _now(),
        "finished": None,
    }
    write_json_atomic(folder / "manifest.json", manifest)
    return manifest


def _runs_left(plan: Plan, runs_dir: Path, resume: bool, executor: str) -> tuple[np.ndarray, int]:
    """The plan positions still to run, and how many distinct runs are kept from before;
    on resume, sets aside incomplete folders and removes stale temporaries (logged)."""
    spec = plan.spec
    stale = _remove_stale_temporaries(runs_dir) if resume else 0
    todo, distinct = _runs_to_do(plan, runs_dir)
    skipped = distinct - len(todo)
    log.info("batch %s: %d points x %d replicates = %d runs (%d distinct) in %s, executor %s",
             spec.name, plan.n_points, spec.replicates, plan.n_runs, distinct, runs_dir.parent, executor)
    if resume:
        aside = _set_aside_incomplete(plan, runs_dir, todo)
        for old, new in aside:
            log.warning("resume: %s is not a complete run folder; moved it to %s and running the run again",
                        old, new)
        log.info("resume: kept %d finished runs, running %d (%d with an incomplete folder set aside), "
                 "removed %d temporary folders of runs stopped while writing",
                 skipped, len(todo), len(aside), stale)
    return todo, skipped


class _Tally:
    """The runs' statuses and wall times by plan position, and the failures file, as
    outcomes arrive."""

    def __init__(self, plan: Plan, failures) -> None:
        self.plan = plan
        self.failures = failures
        self.status = np.zeros(plan.n_runs, dtype=np.int8)  # codes of STATUS, by plan position
        self.walls = np.full(plan.n_runs, np.nan)
        self.completed = self.failed = 0

    def add(self, outcome: RunOutcome) -> None:
        """Record one ``ok`` or ``failed`` outcome (a failure also in ``failures.jsonl``, synced)."""
        plan = self.plan
        i = outcome.point * plan.per_point + outcome.condition * plan.spec.replicates + outcome.replicate
        self.walls[i] = outcome.wall_seconds
        where = (outcome.run_id, outcome.point, plan.points[outcome.point].name, outcome.replicate, plan.runs[i].seed)
        if outcome.status == "ok":
            self.completed += 1
            self.status[i] = STATUS.index("ok")
            log.debug("run %s ok (point %d %r, replicate %d, seed %d) in %.2f s", *where, outcome.wall_seconds)
            return
        self.failed += 1
        self.status[i] = STATUS.index("failed")
        self.failures.write(json.dumps({
            "run_id": outcome.run_id, "point": outcome.point,
            "point_name": plan.point_name(outcome.point),
            "replicate": outcome.replicate, "seed": plan.runs[i].seed,
            "error": outcome.error, "traceback": outcome.traceback,
        }) + "\n")
        self.failures.flush()
        os.fsync(self.failures.fileno())
        log.warning("run %s failed (point %d %r, replicate %d, seed %d): %s", *where, outcome.error)
        log.debug("run %s traceback:\n%s", outcome.run_id, outcome.traceback)


def _execute(plan: Plan, folder: Path, evaluator: Evaluator, *, batch_file: str | os.PathLike, resume: bool,
             on_outcome: Callable[[RunOutcome, int, int], None] | None,
             on_start: Callable[[int], None] | None, start: float) -> BatchOutcome:
    """The batch proper, in a locked folder holding its plan, with the evaluator entered:
    run what is missing, record failures, consolidate the tables, finish the manifest."""
    spec = plan.spec
    runs_dir = folder / "runs"
    manifest = _start_manifest(plan, folder, batch_file, evaluator)
    todo, skipped = _runs_left(plan, runs_dir, resume, manifest["executor"])
    if on_start is not None:
        on_start(len(todo))
    with open(folder / "failures.jsonl", "w", encoding="utf-8") as failures:
        tally = _Tally(plan, failures)
        stream = evaluator.map(execute, _tasks(plan, runs_dir, todo))
        for n, outcome in enumerate(stream, start=1):
            if outcome.status == "unwritable":
                close = getattr(stream, "close", None)
                if close is not None:
                    close()  # stop handing out runs; finished ones stay on disk
                raise ResultsError(
                    f"{outcome.error}; the batch stopped after {tally.completed} new runs "
                    f"({skipped} kept from before); free space or fix permissions, then rerun "
                    "with --resume to continue"
                )
            tally.add(outcome)
            if on_outcome is not None:
                on_outcome(outcome, n, len(todo))
    comp = write_tables(plan, folder, tally.status, tally.walls)
    manifest.update(finished=_now(), completed=tally.completed, skipped=skipped, failed=tally.failed)
    write_json_atomic(folder / "manifest.json", manifest)
    log.info("batch %s finished: %d runs now, %d kept, %d failed, %.1f s", spec.name, tally.completed, skipped,
             tally.failed, time.perf_counter() - start)
    return BatchOutcome(folder=folder, plan=plan, completed=tally.completed, skipped=skipped,
                        failed=tally.failed, comparison=comp, wall_seconds=time.perf_counter() - start)
