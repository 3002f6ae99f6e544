"""Guards around a batch: its worker processes end with it (even on SIGKILL), one batch
at a time per folder, executor options that cannot be combined, a Dask scheduler that
cannot be reached, and folders that are not batches."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil  # a dependency of dask.distributed
import pytest

from sim.batch import BatchBusyError, BatchExistsError, SchedulerError, run_batch
from sim.batch.runner import LOCK_FILE, lock_folder
from sim.cli import main

from ..conftest import ROOT
from ..tiny_batch import complete_runs, tiny_batch

LONG = "replicates = 3000\nseed = 5\n"
"""A tiny scenario, replicated enough that a batch runs far longer than any test waits."""


def start_batch(batch: Path, out: Path, *executor: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "sim", "batch", str(batch), "--out", str(out), "--quiet",
                             *executor], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def wait_for_runs(proc: subprocess.Popen, out: Path, n: int, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stderr.read().decode()
        if (out / "runs").is_dir() and len(complete_runs(out)) >= n:
            return
        time.sleep(0.05)
    raise AssertionError(f"no {n} runs within {timeout} s")


def alive(procs: list[psutil.Process]) -> list[psutil.Process]:
    """Those still running (a zombie has ended; nobody may be left to reap it)."""
    out = []
    for p in procs:
        try:
            if p.is_running() and p.status() != psutil.STATUS_ZOMBIE:
                out.append(p)
        except psutil.NoSuchProcess:
            pass
    return out


def stop(proc: subprocess.Popen, others: list[psutil.Process] = ()) -> None:
    """End a batch started by a test and whatever it left running (by pid)."""
    for p in alive(list(others)):
        p.kill()
    if proc.poll() is None:
        proc.kill()
    proc.wait()
    proc.stderr.close()


@pytest.mark.parametrize("executor", [("--workers", "2"), ("--dask-local", "2")], ids=["pool", "dask"])
def test_sigkill_of_a_batch_ends_its_worker_processes(tmp_path, executor):
    out = tmp_path / "out"
    proc = start_batch(tiny_batch(tmp_path, LONG), out, *executor)
    children: list[psutil.Process] = []
    try:
        wait_for_runs(proc, out, 3)
        children = psutil.Process(proc.pid).children(recursive=True)
        workers = [c for c in children if "spawn_main" in " ".join(c.cmdline())]
        assert len(workers) >= 2, [c.cmdline() for c in children]
        os.kill(proc.pid, signal.SIGKILL)  # the batch alone, as `kill -9 PID` does
        proc.wait()
        deadline = time.monotonic() + 10
        while alive(children) and time.monotonic() < deadline:
            time.sleep(0.1)
        left = alive(children)
        assert not left, [(p.pid, p.ppid(), p.cmdline()[-2:]) for p in left]
    finally:
        stop(proc, children)
    # the kernel released the batch's lock when it died: the folder can be taken again
    with lock_folder(out):
        pass


def test_a_second_batch_in_a_running_batchs_folder_fails_fast_and_changes_nothing(tmp_path, capsys):
    batch = tiny_batch(tmp_path, LONG)
    out = tmp_path / "race"
    proc = start_batch(batch, out, "--workers", "1")
    try:
        wait_for_runs(proc, out, 2)
        plan = (out / "plan.json").read_bytes()
        for extra in (["--resume"], []):
            t0 = time.monotonic()
            assert main(["batch", str(batch), "--out", str(out), "--workers", "1", "--quiet", *extra]) == 2
            assert time.monotonic() - t0 < 20
            err = capsys.readouterr().err
            assert f"{out}: another giftsim batch is running in this folder (pid {proc.pid} on " in err
            assert "--out for another folder" in err
        assert (out / "plan.json").read_bytes() == plan
        assert proc.poll() is None  # the first batch goes on
        with pytest.raises(BatchBusyError):
            run_batch(batch, out=out, workers=1, resume=True)
    finally:
        stop(proc)
    assert (out / LOCK_FILE).is_file()
    with lock_folder(out):  # released when its holder died
        pass


def test_lock_is_held_for_the_whole_batch_and_released_after(tmp_path):
    batch = tiny_batch(tmp_path, "replicates = 2\nseed = 1\n")
    out = tmp_path / "out"
    seen = []

    def try_lock(outcome, done, total):
        with pytest.raises(BatchBusyError, match="another giftsim batch is running"):
            with lock_folder(out):
                pass
        seen.append(done)

    res = run_batch(batch, out=out, workers=1, on_outcome=try_lock)
    assert res.completed == 2 and seen == [1, 2]
    assert (out / LOCK_FILE).read_text() == ""  # no holder recorded once released
    again = run_batch(batch, out=out, workers=1, resume=True)
    assert again.skipped == 2 and again.completed == 0


@pytest.mark.parametrize("argv, fragment", [
    (["--scheduler", "tcp://127.0.0.1:1", "--dask-local", "2"], "argument --dask-local: not allowed with argument --scheduler"),
    (["--workers", "1", "--dask-local", "2"], "argument --dask-local: not allowed with argument --workers"),
    (["--workers", "2", "--scheduler", "tcp://127.0.0.1:1"], "argument --scheduler: not allowed with argument --workers"),
])
def test_conflicting_executor_options_are_refused(tmp_path, capsys, argv, fragment):
    batch = tiny_batch(tmp_path, "replicates = 1\n")
    with pytest.raises(SystemExit) as info:
        main(["batch", str(batch), "--out", str(tmp_path / "out"), *argv])
    assert info.value.code == 2 and fragment in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("kwargs, names", [
    (dict(scheduler="tcp://127.0.0.1:1", dask_local=2), "scheduler and dask_local"),
    (dict(workers=1, dask_local=2), "workers and dask_local"),
    (dict(workers=2, scheduler="tcp://127.0.0.1:1"), "workers and scheduler"),
])
def test_run_batch_refuses_two_executors(tmp_path, kwargs, names):
    batch = tiny_batch(tmp_path, "replicates = 1\n")
    with pytest.raises(ValueError, match=f"give one executor, not {names}"):
        run_batch(batch, out=tmp_path / "out", **kwargs)
    assert not (tmp_path / "out").exists()


def test_unreachable_or_malformed_scheduler_is_bad_input_and_writes_nothing(tmp_path):
    batch = tiny_batch(tmp_path, "replicates = 2\nseed = 3\n")
    out = tmp_path / "out"
    env = {**os.environ, "DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT": "1s"}
    for address, fragment in [
        ("tcp://127.0.0.1:1", "--scheduler tcp://127.0.0.1:1: cannot connect to a Dask scheduler there "
                              "(Timed out trying to connect to tcp://127.0.0.1:1 after 1 s)"),
        ("notanaddress", "--scheduler 'notanaddress': not a Dask scheduler address "
                         "(missing port number in address 'notanaddress')"),
    ]:
        t0 = time.monotonic()
        res = subprocess.run([sys.executable, "-m", "sim", "batch", str(batch), "--out", str(out), "--quiet",
                              "--scheduler", address], cwd=ROOT, env=env, capture_output=True, text=True,
                             timeout=120)
        assert res.returncode == 2, res.stderr
        assert fragment in res.stderr and "Traceback" not in res.stderr and "cannot write" not in res.stderr
        assert time.monotonic() - t0 < 60  # no wait for a client's clean-up at exit
        assert not out.exists()
    with pytest.raises(SchedulerError, match="not a Dask scheduler address"):
        run_batch(batch, out=out, scheduler="tcp://host:port")
    assert not out.exists()
    # nothing was left to trip over: the same folder takes the batch, without --resume
    assert run_batch(batch, out=out, workers=1).completed == 2


def test_a_folder_of_single_runs_is_not_taken_for_a_batch(tmp_path, capsys):
    batch = tiny_batch(tmp_path, "replicates = 2\n")
    single = tmp_path / "single"
    assert main(["run", str(tmp_path / "tiny.toml"), "--out", str(single), "--quiet"]) == 0
    (run_folder,) = single.iterdir()
    capsys.readouterr()
    for extra in ([], ["--resume"]):
        assert main(["batch", str(batch), "--out", str(single), "--workers", "1", "--quiet", *extra]) == 2
        err = capsys.readouterr().err
        assert (f"{single}: is not a batch folder (no plan.json) and holds 1 single run(s) from giftsim run, "
                f"e.g. {run_folder.name}; use --out for a new or empty folder") in " ".join(err.split())
        assert [p.name for p in single.iterdir()] == [run_folder.name]  # nothing added
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine\n")
    with pytest.raises(BatchExistsError, match="holds 1 other file"):
        run_batch(batch, out=other, workers=1)
    assert [p.name for p in other.iterdir()] == ["notes.txt"]
    # an empty folder is a fine place for a batch
    empty = tmp_path / "empty"
    empty.mkdir()
    assert run_batch(batch, out=empty, workers=1).completed == 2
