"""Run folders: atomic writes, never overwritten, safe names, read back."""

from __future__ import annotations

import os

import pytest

from sim import run
from sim.results import ResultsError, is_complete, read_run, run_id, safe_name, write_run
from sim.scenario import ScenarioError

from ..conftest import small_scenario


@pytest.fixture(scope="module")
def result():
    return run(small_scenario(time={"start": "2024-12-19", "end": "2024-12-25"}), 1)


def test_write_and_read_back(tmp_path, result):
    folder = write_run(result, tmp_path / "r")
    assert is_complete(folder)
    data = read_run(folder)
    assert data["summary"] == pytest.approx(result.summary, nan_ok=True)  # the 7-day run has no lift (NaN)
    assert data["manifest"]["run_id"] == run_id(result.scenario, 1)
    assert len(data["gifts"]) == len(result.gifts)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".tmp-")]


def test_never_overwrites(tmp_path, result):
    write_run(result, tmp_path / "r")
    with pytest.raises(FileExistsError):
        write_run(result, tmp_path / "r")


def test_unwritable_folder_leaves_nothing_half_written(tmp_path, result):
    if os.geteuid() == 0:
        # root ignores permissions: a file where the parent folder should be fails the same way
        (tmp_path / "blocker").write_text("x")
        target = tmp_path / "blocker" / "r"
    else:
        ro = tmp_path / "ro"
        ro.mkdir()
        ro.chmod(0o500)
        target = ro / "r"
    with pytest.raises(ResultsError, match="cannot write results"):
        write_run(result, target)
    assert not target.exists()


def test_incomplete_folders_are_not_runs(tmp_path):
    (tmp_path / ".tmp-x").mkdir()
    (tmp_path / ".tmp-x" / "manifest.json").write_text("{}")
    (tmp_path / "half").mkdir()
    assert not is_complete(tmp_path / ".tmp-x") and not is_complete(tmp_path / "half")
    with pytest.raises(ResultsError, match="not a complete run folder"):
        read_run(tmp_path / "half")


def test_run_id_ignores_where_the_graph_file_lives(tmp_path, wechat):
    import shutil

    from sim.scenario import with_overrides

    copy = tmp_path / "fb.txt.gz"
    shutil.copy(wechat.graph.path, copy)
    moved = with_overrides(wechat, [("graph.path", str(copy))])
    assert run_id(moved, 3) == run_id(wechat, 3) != run_id(wechat, 4)


@pytest.mark.parametrize("name", ["../../etc", "..", ".hidden", "a/b", "/abs"])
def test_names_from_files_cannot_escape_results(name):
    s = safe_name(name)
    assert "/" not in s and not s.startswith(".")


def test_batch_name_cannot_escape(tmp_path):
    from sim.batch import load_batch

    p = tmp_path / "b.toml"
    p.write_text('name = ".."\nbase = "x.toml"\n')
    with pytest.raises(ScenarioError, match="name"):
        load_batch(p)
