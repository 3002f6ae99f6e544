"""Results on disk: run folders written atomically, read back, and their manifests."""

from .store import (
    TABLES,
    ResultsError,
    git_commit,
    is_complete,
    read_run,
    run_id,
    safe_name,
    scenario_fingerprint,
    versions,
    write_run,
)

__all__ = [
    "TABLES",
    "ResultsError",
    "git_commit",
    "is_complete",
    "read_run",
    "run_id",
    "safe_name",
    "scenario_fingerprint",
    "versions",
    "write_run",
]
