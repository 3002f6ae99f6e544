"""Results on disk: run folders written atomically, read back, and their manifests."""

from .atomic import atomic_path, write_bytes_atomic, write_json_atomic, write_text_atomic
from .paths import file_in_the_way
from .store import (
    TABLES,
    ResultsError,
    git_commit,
    is_complete,
    read_run,
    read_summary,
    run_id,
    run_id_maker,
    safe_name,
    scenario_fingerprint,
    strict_json,
    summary_text,
    versions,
    write_run,
)

__all__ = [
    "atomic_path",
    "write_bytes_atomic",
    "write_json_atomic",
    "write_text_atomic",
    "file_in_the_way",
    "TABLES",
    "ResultsError",
    "git_commit",
    "is_complete",
    "read_run",
    "read_summary",
    "run_id",
    "run_id_maker",
    "safe_name",
    "scenario_fingerprint",
    "strict_json",
    "summary_text",
    "versions",
    "write_run",
]
