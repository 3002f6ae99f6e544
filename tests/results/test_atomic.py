"""sim.results.atomic: one helper for writing a file in place (temp file, fsync, rename)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from sim.results import atomic
from sim.results.atomic import atomic_path, write_bytes_atomic, write_json_atomic, write_text_atomic


def _leftovers(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".tmp-"))


def test_writes_and_leaves_no_temporary(tmp_path):
    p = tmp_path / "a.txt"
    assert write_text_atomic(p, "héllo\n") == p
    assert p.read_bytes() == "héllo\n".encode()
    write_bytes_atomic(p, b"\x00\x01")
    assert p.read_bytes() == b"\x00\x01"
    assert _leftovers(tmp_path) == []


def test_json_as_the_batch_manifest_was_written(tmp_path):
    data = {"b": 1, "a": [1.5, None], "when": __import__("datetime").date(2025, 1, 2)}
    write_json_atomic(tmp_path / "m.json", data)
    text = (tmp_path / "m.json").read_text(encoding="utf-8")
    assert text == json.dumps(data, indent=2, sort_keys=True, default=str) + "\n"
    assert json.loads(text)["when"] == "2025-01-02"


def test_an_error_inside_the_block_keeps_the_old_file(tmp_path):
    p = tmp_path / "runs.parquet"
    p.write_bytes(b"old")
    with pytest.raises(RuntimeError), atomic_path(p) as tmp:
        tmp.write_bytes(b"half of the new")
        raise RuntimeError("killed mid-write")
    assert p.read_bytes() == b"old"
    assert _leftovers(tmp_path) == []


def test_unserialisable_json_keeps_the_old_file(tmp_path):
    p = tmp_path / "m.json"
    p.write_text("{}")
    with pytest.raises(ValueError, match="Circular"):
        write_json_atomic(p, {"c": _Circular()})
    assert p.read_text() == "{}"


class _Circular(dict):
    def __init__(self):
        super().__init__()
        self["self"] = self


def test_a_failed_rename_keeps_the_old_file(tmp_path, monkeypatch):
    p = tmp_path / "report.html"
    p.write_text("old")

    def refuse(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomic.os, "replace", refuse)
    with pytest.raises(OSError):
        write_text_atomic(p, "new")
    assert p.read_text() == "old"
    assert _leftovers(tmp_path) == []


def test_a_block_that_writes_nothing_leaves_the_target(tmp_path):
    p = tmp_path / "events.parquet"
    p.write_bytes(b"old")
    with atomic_path(p):
        pass
    assert p.read_bytes() == b"old"
    assert _leftovers(tmp_path) == []


def test_temporary_keeps_the_suffix_and_the_folder(tmp_path):
    import numpy as np

    p = tmp_path / "layout.npy"
    with atomic_path(p) as tmp:
        assert tmp.parent == tmp_path and tmp.name.startswith(".tmp-") and tmp.suffix == ".npy"
        np.save(tmp, np.arange(3))  # np.save appends .npy to a name without it
    assert np.load(p).tolist() == [0, 1, 2]
    assert _leftovers(tmp_path) == []


def test_fsync_of_the_file_then_rename_then_fsync_of_the_folder(tmp_path, monkeypatch):
    calls: list[tuple[str, str]] = []
    real_fsync, real_replace, real_open = os.fsync, os.replace, os.open
    names: dict[int, str] = {}

    def opened(path, flags, *a, **k):
        fd = real_open(path, flags, *a, **k)
        names[fd] = os.fspath(path)
        return fd

    def fsync(fd):
        calls.append(("fsync", names.get(fd, "?")))
        real_fsync(fd)

    def replace(src, dst):
        calls.append(("replace", os.fspath(src)))
        real_replace(src, dst)

    monkeypatch.setattr(atomic.os, "open", opened)
    monkeypatch.setattr(atomic.os, "fsync", fsync)
    monkeypatch.setattr(atomic.os, "replace", replace)
    p = tmp_path / "calibration.json"
    write_text_atomic(p, "{}")
    assert [c[0] for c in calls] == ["fsync", "replace", "fsync"]
    tmp_name = calls[0][1]
    assert os.path.basename(tmp_name).startswith(".tmp-") and calls[1][1] == tmp_name  # the file's data first
    assert calls[2][1] == str(tmp_path)  # the folder after the rename
    assert p.read_text() == "{}"


def test_a_process_killed_mid_write_leaves_the_old_file(tmp_path):
    p = tmp_path / "comparison.csv"
    p.write_text("old,complete\n")
    code = (
        "import os, sys\n"
        "from sim.results.atomic import atomic_path\n"
        "with atomic_path(sys.argv[1]) as tmp:\n"
        "    with open(tmp, 'w') as fh:\n"
        "        fh.write('new,half')\n"
        "        fh.flush()\n"
        "        os._exit(9)\n"
    )
    done = subprocess.run([sys.executable, "-c", code, str(p)], timeout=120)
    assert done.returncode == 9
    assert p.read_text() == "old,complete\n"  # readers never see half a file
