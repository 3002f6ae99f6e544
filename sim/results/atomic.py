"""Write a file atomically: a temporary file in the same folder, flushed to disk, then
renamed over the target, so a reader (or a crash) sees the old file or the new one,
never half of one.

Every file giftsim writes in place (tables, reports, manifests, caches) goes through
:func:`atomic_path` or one of the ``write_*_atomic`` helpers built on it. The order is:
write the temporary file, ``os.fsync`` it, ``os.replace`` it over the target, then
``os.fsync`` the folder (where the platform allows), so that the rename itself is durable.
"""

from __future__ import annotations

import contextlib
import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

__all__ = ["atomic_path", "write_bytes_atomic", "write_json_atomic", "write_text_atomic"]


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_folder(folder: Path) -> None:
    """Make a rename in ``folder`` durable; a no-op where folders cannot be opened (Windows)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems refuse fsync on a folder: the rename is still atomic
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """A temporary path to write ``path``'s new content to; it replaces ``path`` when the
    block ends.

    The temporary file sits in ``path``'s folder (same file system, so the rename is
    atomic), named ``.tmp-<8 hex>-<name>`` (hidden, ending like ``path``: ``np.save`` and
    readers that go by the suffix keep working, and concurrent writers do not collide).

    Parameters
    ----------
    path : str or path-like
        The file to write; its folder must exist.

    Yields
    ------
    pathlib.Path
        The temporary path. Write it by any means (``write_bytes``, a Parquet writer,
        ``np.save``, ``DataFrame.to_csv``).

    Notes
    -----
    When the block ends normally, the temporary file is fsynced, renamed over ``path``
    with :func:`os.replace` and the folder fsynced. If the block wrote nothing, ``path``
    is left as it was. If the block raises, the temporary file is removed, ``path`` is
    left as it was, and the exception propagates.
    """
    path = Path(path)
    tmp = path.with_name(f".tmp-{uuid.uuid4().hex[:8]}-{path.name}")
    try:
        yield tmp
        if not tmp.exists():
            return
        _fsync_file(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_folder(path.parent)


def write_bytes_atomic(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_path`); returns ``path`` as a Path."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def write_text_atomic(path: str | os.PathLike, text: str, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` atomically (see :func:`atomic_path`), encoded as
    ``encoding`` (UTF-8 by default, whatever the platform's locale); returns ``path`` as a Path."""
    return write_bytes_atomic(path, text.encode(encoding))


def write_json_atomic(path: str | os.PathLike, data: Any, *, indent: int | None = 2, sort_keys: bool = True,
                      default: Any = str) -> Path:
    """Write ``data`` as JSON (UTF-8, ending with a newline) to ``path`` atomically.

    Parameters
    ----------
    path : str or path-like
        The file to write.
    data : any
        What :func:`json.dumps` accepts; other objects go through ``default`` (``str``).
    indent, sort_keys, default
        As for :func:`json.dumps`.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    TypeError, ValueError
        If ``data`` cannot be written as JSON; ``path`` is then left as it was.
    """
    text = json.dumps(data, indent=indent, sort_keys=sort_keys, default=default) + "\n"
    return write_text_atomic(path, text)
