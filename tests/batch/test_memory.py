"""The parent process of a batch keeps a few hundred bytes per run, never a run's tables:
its peak memory stays flat as the run count grows."""

from __future__ import annotations

import json
import subprocess
import sys

from ..conftest import ROOT
from ..tiny_batch import tiny_batch

PROBE = """
import json, sys, tracemalloc
import pyarrow as pa
from sim.batch import run_batch

if __name__ == "__main__":
    batch, out = sys.argv[1], sys.argv[2]
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    outcome = run_batch(batch, out=out, workers=2)
    peak = tracemalloc.get_traced_memory()[1] - base
    print(json.dumps({"runs": outcome.completed, "python_peak": peak,
                      "arrow_peak": pa.default_memory_pool().max_memory()}))
"""

BYTES_PER_RUN = 2048
"""Allowed growth of the parent's peak per extra run. Keeping each run's summary dict
(about 4 KB) or its series, events or tables (tens of KB) would exceed it; the plan's
own records (a run id, a seed, a status code, a wall time: about 600 B) do not."""


def _parent_peaks(tmp_path, replicates: int) -> dict[str, int]:
    p = tiny_batch(tmp_path, f'replicates = {replicates}\nseed = 3\nevents = true\n'
                   '[sweep]\n"policy.commercial_share" = [0.1, 0.3]\n', name=f"m{replicates}")
    out = subprocess.run([sys.executable, "-c", PROBE, str(p), str(tmp_path / f"out{replicates}")],
                         capture_output=True, text=True, cwd=ROOT, timeout=300, check=False)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_parent_memory_stays_flat_as_run_count_grows(tmp_path):
    small = _parent_peaks(tmp_path, 5)    # 10 runs
    large = _parent_peaks(tmp_path, 35)   # 70 runs
    assert (small["runs"], large["runs"]) == (10, 70)
    extra = large["runs"] - small["runs"]
    # Python objects and numpy arrays (tracemalloc), and Arrow buffers (its own pool:
    # reading and concatenating series and events happens there).
    assert large["python_peak"] - small["python_peak"] < extra * BYTES_PER_RUN, (small, large)
    assert large["arrow_peak"] - small["arrow_peak"] < extra * BYTES_PER_RUN, (small, large)
