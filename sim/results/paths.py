"""Where a results path cannot be a folder: a file at it or above it."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["file_in_the_way"]


def file_in_the_way(path: str | os.PathLike) -> Path | None:
    """The file (anything that exists and is not a folder) at ``path`` or at one of its
    parents, or None: ``mkdir(parents=True)`` of ``path`` would fail there with "Not a
    directory" (or "File exists"), so a command refuses the path first and names the file.
    The nearest one is returned (``path`` itself before its parents)."""
    p = Path(path)
    return next((q for q in (p, *p.parents) if q.exists() and not q.is_dir()), None)
