"""Crash safety end to end: batches killed with SIGKILL at random points and resumed end
with the tables of an uninterrupted batch; a full disk stops a batch with a clear error and
leaves every finished run intact; nothing half-written is read back as complete."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from sim.batch import load_results, run_batch
from sim.results import is_complete, read_run

from ..conftest import ROOT
from ..tiny_batch import assert_same_runs, assert_same_tables, complete_runs, tiny_batch

BODY = 'replicates = 12\nseed = 8\nevents = true\n[sweep]\n"policy.commercial_share" = [0.05, 0.25]\n'
KILL_TRIALS = int(os.environ.get("GIFTSIM_KILL_TRIALS", 4))


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    folder = tmp_path_factory.mktemp("never")
    p = tiny_batch(folder, BODY)
    return run_batch(p, out=folder / "out", workers=2).folder


@pytest.mark.parametrize("trial", range(KILL_TRIALS))
def test_sigkill_at_a_random_moment_then_resume(tmp_path, uninterrupted, trial):
    # the kill moment is random (seeded per trial): before any run, mid-way, during the
    # consolidation of the tables, or after the end; resume must always give the same tables
    delay = np.random.default_rng(trial).uniform(0.3, 4.0)
    p = tiny_batch(tmp_path, BODY)
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "sim", "batch", str(p), "--workers", "2", "--out", str(out),
                             "--quiet"], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    time.sleep(delay)
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass  # it had already finished
    proc.wait()
    for folder in (out / "runs").glob("*") if (out / "runs").is_dir() else []:
        if is_complete(folder):
            read_run(folder)  # every folder under its final name is whole
    resumed = run_batch(p, out=out, workers=2, resume=True)
    assert resumed.failed == 0 and resumed.completed + resumed.skipped == 24
    assert_same_runs(uninterrupted, out)
    assert_same_tables(uninterrupted, out)


def _mount_small_disk(path: Path, size: str) -> bool:
    path.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                       capture_output=True, text=True)
    return r.returncode == 0


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a small tmpfs needs root")
def test_full_disk_stops_the_batch_clearly_and_keeps_finished_runs(tmp_path):
    disk = tmp_path / "disk"
    if not _mount_small_disk(disk, "700k"):
        pytest.skip("mount -t tmpfs is not permitted here")
    try:
        p = tiny_batch(tmp_path, 'replicates = 60\nseed = 3\n')
        out = disk / "out"
        proc = subprocess.run([sys.executable, "-m", "sim", "batch", str(p), "--workers", "2", "--out", str(out),
                               "--quiet"], cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert proc.returncode == 4, proc.stderr
        assert "No space left on device" in proc.stderr and "--resume" in proc.stderr
        assert "Traceback" not in proc.stderr
        done = complete_runs(out)
        assert 0 < len(done) < 60
        for folder in done:
            read_run(folder)
        # free space, resume: the batch completes and equals one run on a roomy disk
        target = tmp_path / "moved"
        subprocess.run(["cp", "-r", str(out), str(target)], check=True)
    finally:
        subprocess.run(["umount", str(disk)], check=False)
    for f in (target / "runs").glob(".tmp-*"):
        subprocess.run(["rm", "-rf", str(f)], check=True)
    resumed = run_batch(p, out=target, workers=1, resume=True)
    assert resumed.skipped == len(done) and resumed.completed == 60 - len(done)
    ref = run_batch(p, out=tmp_path / "ref", workers=1)
    assert_same_tables(ref.folder, target)
    assert load_results(target).runs["status"].eq("ok").all()
