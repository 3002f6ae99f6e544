"""Tiny batches for the batch tests: a 200-user Holme-Kim graph over 15 days (a run
takes about 15 ms), written into a test's temporary folder."""

from __future__ import annotations

import filecmp
from pathlib import Path

import pandas as pd

from sim.batch import load_results
from sim.results import TABLES

TINY = """\
name = "tiny"
[graph]
kind = "holme_kim"
n = 200
m = 3
p = 0.3
[time]
start = 2024-12-19
end = 2025-01-02
[rollout]
schedule = [{ date = 2024-12-19, share = 1.0 }]
[policy]
commercial_share = 0.2
"""

RUN_FILES = [f"{t}.parquet" for t in TABLES] + ["summary.json"]
"""Files of a run folder that depend on (scenario, seed) alone."""


def tiny_batch(folder: Path, body: str, name: str = "b") -> Path:
    """Write ``tiny.toml`` and a batch file ``<name>.toml`` based on it into ``folder``."""
    (folder / "tiny.toml").write_text(TINY)
    path = folder / f"{name}.toml"
    path.write_text(f'name = "{name}"\nbase = "tiny.toml"\n' + body)
    return path


def complete_runs(batch_dir: Path) -> list[Path]:
    """Complete run folders of a batch, by name (temporary folders excluded)."""
    return sorted(p for p in (batch_dir / "runs").iterdir()
                  if not p.name.startswith(".tmp-") and (p / "manifest.json").is_file())


def assert_same_runs(a: Path, b: Path, ids: list[str] | None = None) -> None:
    """Both batches hold the same run folders (or ``ids``) with byte-identical files."""
    names_a = [p.name for p in complete_runs(a)]
    names_b = [p.name for p in complete_runs(b)]
    if ids is None:
        assert names_a == names_b
        ids = names_a
    assert ids
    for rid in ids:
        for f in RUN_FILES:
            assert filecmp.cmp(a / "runs" / rid / f, b / "runs" / rid / f, shallow=False), (rid, f)


def assert_same_tables(a: Path, b: Path) -> None:
    """Both batches have the same consolidated tables: ``runs.parquet`` equal but for
    ``wall_seconds``; ``timeseries.parquet``, ``merchants.parquet``, ``events.parquet``
    (if any) and ``comparison.csv`` byte-identical."""
    ta, tb = load_results(a), load_results(b)
    pd.testing.assert_frame_equal(ta.runs.drop(columns="wall_seconds"),
                                  tb.runs.drop(columns="wall_seconds"))
    for f in ("timeseries.parquet", "merchants.parquet", "events.parquet", "comparison.csv"):
        assert (a / f).exists() == (b / f).exists(), f
        if (a / f).exists():
            assert filecmp.cmp(a / f, b / f, shallow=False), f
