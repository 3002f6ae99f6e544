"""Crashes and unclear messages of issue 12: deep TOML nesting, run_batch from a script
without a ``__main__`` guard, ``run(path)``, SIGINT while planning and SIGTERM mid-batch,
``extends`` of a missing file, a UTF-8 BOM, ``--set`` of an unknown table, ``--seed`` and
``--out`` out of range, ``giftsim validate``'s plots, and docs/reliability.md's words on
names that would leave results/."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from pydantic import BaseModel, model_serializer

from sim import load_scenario, run
from sim.cli import main
from sim.cli.common import ExitCode
from sim.scenario import ScenarioError

from ..conftest import ROOT, error_of, write
from ..tiny_batch import TINY, complete_runs, tiny_batch

VENV_BIN = Path(sys.executable).parent


def nested(depth: int, open_: str = "{b = ", close: str = "}") -> str:
    return open_ * depth + "1" + close * depth


# --------------------------------------------------------------------------- deep nesting
@pytest.mark.parametrize("depth", [21, 300, 600, 5000])
@pytest.mark.parametrize("command", ["run", "check"])
def test_deeply_nested_tables_give_one_line_and_exit_2(tmp_path, capsys, depth, command):
    # 600 levels made tomllib raise RecursionError (2,670 lines of traceback); 300 passed
    # the reader and broke copy.deepcopy and pydantic further on
    p = write(tmp_path, "deep.toml", TINY.replace("[policy]\n", f"[policy]\nallocation = {nested(depth)}\n"))
    code = main([command, str(p)] + (["--out", str(tmp_path / "o")] if command == "run" else []))
    cap = capsys.readouterr()
    err = cap.err + cap.out  # check reports each file on stdout
    assert code == ExitCode.BAD_INPUT
    assert "Traceback" not in err and "RecursionError" not in err
    assert f"{p}:" in err and "nested" in err and "at most 20 levels" in err
    assert len(err.strip().splitlines()) <= 2  # one message (rich may wrap nothing: soft_wrap)
    assert not (tmp_path / "o").exists()


def test_deep_nesting_names_the_key_or_the_line(tmp_path):
    p = write(tmp_path, "a.toml", f'name = "x"\n# {{{{{{ [[[ not counted\ns = "{{{{[["\nkey = {nested(30, "[", "]")}\n')
    assert error_of(load_scenario, p) == (f"{p}: key[0][0][0][0][0]...: tables or arrays nested more than 20 "
                                          "levels deep; allowed: at most 20 levels of tables and arrays")
    p = write(tmp_path, "b.toml", f'name = "x"\n# {{{{{{ [[[ not counted\ns = "{{{{[["\nkey = {nested(900)}\n')
    assert error_of(load_scenario, p).startswith(f"{p}: line 4: tables or arrays nested hundreds of levels deep")


def test_deep_nesting_in_a_batch_sweep_is_refused_before_planning(tmp_path, capsys):
    b = tiny_batch(tmp_path, f'[sweep]\n"policy.allocation" = [{nested(350)}]\n')
    code = main(["batch", str(b), "--out", str(tmp_path / "o"), "--workers", "1"])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err and f"{b}: line 4: tables or arrays nested" in err
    assert not (tmp_path / "o").exists()


# --------------------------------------------------------------------------- BOM, extends, --set
def test_a_utf8_byte_order_mark_is_accepted(tmp_path):
    plain = write(tmp_path, "plain.toml", TINY)
    bom = tmp_path / "bom.toml"
    bom.write_bytes(b"\xef\xbb\xbf" + TINY.encode())
    assert load_scenario(bom) == load_scenario(plain)


def test_extends_of_a_missing_file_names_the_file_that_extends_it(tmp_path):
    p = write(tmp_path, "child.toml", 'extends = "missing.toml"\n[policy]\ncommercial_share = 0.1\n')
    assert error_of(load_scenario, p) == f'{p}: extends = "missing.toml": no such file ({tmp_path / "missing.toml"})'
    (tmp_path / "dir.toml").mkdir()
    p = write(tmp_path, "c2.toml", 'extends = "dir.toml"\n')
    assert error_of(load_scenario, p) == (f'{p}: extends = "dir.toml": is a folder, not a scenario file '
                                          f'({tmp_path / "dir.toml"})')


def test_set_of_an_unknown_table_carries_the_set_tag(tmp_path):
    p = write(tmp_path, "tiny.toml", TINY)
    msg = error_of(load_scenario, p, ["nonexistent.key=1"])
    assert msg.startswith(f"{p} (--set): nonexistent: unknown key; allowed keys here: calendar, categories, description, gifts")
    # a key of a known table had the tag already; a file's unknown table keeps the file's name
    assert error_of(load_scenario, p, ["policy.nonexistent=1"]).startswith(f"{p} (--set): policy.nonexistent = 1")
    q = write(tmp_path, "q.toml", TINY + "[nonexistent]\nkey = 1\n")
    assert error_of(load_scenario, q, ["nonexistent.other=2"]).startswith(f"{q}: nonexistent: unknown key")


# --------------------------------------------------------------------------- run: seed, --out, a path
@pytest.mark.parametrize("seed", [str(10**300), str(2**63), "-1"])
def test_a_seed_out_of_range_is_exit_2_and_writes_nothing(tmp_path, capsys, seed):
    p = write(tmp_path, "tiny.toml", TINY)
    code = main(["run", str(p), "--seed", seed, "--out", str(tmp_path / "o"), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and "--seed must be between 0 and 2**63 - 1 (9223372036854775807)" in err
    assert len(err) < 200 and not (tmp_path / "o").exists()


def test_the_largest_seed_runs(tmp_path, capsys):
    p = write(tmp_path, "tiny.toml", TINY)
    assert main(["run", str(p), "--seed", str(2**63 - 1), "--out", str(tmp_path / "o"), "--quiet"]) == 0


@pytest.mark.parametrize("out", ["afile", "afile/sub"])
def test_out_naming_a_file_is_exit_2(tmp_path, capsys, out):
    p = write(tmp_path, "tiny.toml", TINY)
    (tmp_path / "afile").write_text("keep me")
    code = main(["run", str(p), "--out", str(tmp_path / out), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and f"--out {tmp_path / out}:" in err and "is a file, not a folder" in err
    assert (tmp_path / "afile").read_text() == "keep me"


@pytest.mark.parametrize("out", ["afile", "afile/sub"])
@pytest.mark.parametrize("command", ["batch", "calibrate"])
def test_out_of_a_batch_or_calibration_naming_a_file_is_exit_2_before_planning(tmp_path, capsys, monkeypatch,
                                                                               command, out):
    # was exit 4 "cannot write results: [Errno 20] Not a directory" after planning and
    # estimating; --out naming the file itself said "use --out for a new folder"
    import sim.cli.batch_cmd as batch_cmd

    monkeypatch.setattr(batch_cmd, "describe_batch", lambda *a, **k: pytest.fail("planned"))
    (tmp_path / "afile").write_text("keep me")
    work = tiny_batch(tmp_path, "") if command == "batch" else ROOT / "scenarios" / "calibrate_plausibility.toml"
    code = main([command, str(work), "--out", str(tmp_path / out)])
    err = capsys.readouterr().err
    what = "is a file" if out == "afile" else f"{tmp_path / 'afile'} is a file"
    assert code == ExitCode.BAD_INPUT
    assert err.strip() == (f"error: --out {tmp_path / out}: {what}, not a folder; give a folder for the "
                           f"{command if command == 'batch' else 'calibration'} (it is created if missing)")
    assert (tmp_path / "afile").read_text() == "keep me"


def test_a_default_results_folder_below_a_file_is_exit_2(tmp_path, capsys, monkeypatch):
    # without --out: results/<name> below a file named "results" (the library's check)
    b = tiny_batch(tmp_path, "")
    (tmp_path / "results").write_text("not a folder")
    monkeypatch.chdir(tmp_path)
    assert main(["batch", str(b), "--workers", "1"]) == ExitCode.BAD_INPUT
    err = capsys.readouterr().err
    assert ("error: results/b: results is a file, not a folder; give the batch a folder elsewhere (--out)"
            in err), err


def test_run_takes_the_path_of_a_scenario_file(tmp_path):
    p = write(tmp_path, "tiny.toml", TINY)
    expected = run(load_scenario(p), seed=1).summary
    assert run(str(p), seed=1).summary == expected
    assert run(p, seed=1).summary == expected
    with pytest.raises(ScenarioError, match="no such file"):
        run(str(tmp_path / "missing.toml"), seed=1)
    with pytest.raises(TypeError, match=r"sim.load_scenario\(path\)"):
        run({"name": "x"}, seed=1)
    with pytest.raises(ValueError, match="between 0 and 2"):
        run(p, seed=2**63)


# --------------------------------------------------------------------------- validate's plots
def test_validate_writes_its_plots_under_results_unless_told(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["validate", "--only", "structural_virality"]) == 0
    assert (tmp_path / "results" / "validation" / "structural_virality.png").is_file()
    assert not (tmp_path / "docs").exists()
    assert main(["validate", "--only", "structural_virality", "--plots", "mine"]) == 0
    assert (tmp_path / "mine" / "structural_virality.png").is_file()
    assert "plots in mine" in capsys.readouterr().out


# --------------------------------------------------------------------------- run_batch without a guard
def run_script(folder: Path, text: str) -> subprocess.CompletedProcess:
    script = folder / "script.py"
    script.write_text(text)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, str(script)], cwd=folder, capture_output=True, text=True,
                          timeout=120, env=env)


def test_run_batch_from_a_script_without_a_main_guard_says_what_to_do(tmp_path):
    tiny_batch(tmp_path, "replicates = 2\n")
    out = run_script(tmp_path, 'from sim.batch import run_batch\n\n'
                               'result = run_batch("b.toml", out="res", workers=2)\nprint("done", result.completed)\n')
    assert out.returncode == 1, out.stderr
    assert "Traceback" not in out.stderr and "BatchBusyError" not in out.stderr
    assert out.stderr.strip() == (
        f"{tmp_path / 'script.py'}, line 3: run_batch starts worker processes, and each would run this script "
        "again from the top (Python's spawn start method imports it), starting the batch once per worker; put "
        'the call under if __name__ == "__main__": (or use workers=1); nothing was run or written')
    assert not (tmp_path / "res").exists()


def test_run_batch_under_a_main_guard_runs(tmp_path):
    tiny_batch(tmp_path, "replicates = 2\n")
    out = run_script(tmp_path, 'from sim.batch import run_batch\n\n'
                               'def go():\n    return run_batch("b.toml", out="res", workers=2)\n\n'
                               'if "__main__" == __name__:\n    print("done", go().completed)\n')
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "done 2" and len(complete_runs(tmp_path / "res")) == 2


def test_a_worker_that_imports_an_unguarded_script_ends_quietly(tmp_path):
    # the parent's check is switched off: each worker's own check ends it at once (no
    # second batch, no BatchBusyError traceback per worker) and the parent says why
    tiny_batch(tmp_path, "replicates = 2\n")
    out = run_script(tmp_path, 'import sim.experiments.pool as ex\nimport sim.batch.runner as r\n'
                               'if __name__ == "__main__":\n'
                               '    ex.require_main_guard = lambda what="", kept="": None\n'
                               'r.run_batch("b.toml", out="res", workers=2)\n')
    assert out.returncode == 1
    assert out.stderr.count("Traceback") == 1 and "BatchBusyError" not in out.stderr
    assert out.stderr.strip().splitlines()[-1].startswith("sim.experiments.pool.WorkerLostError: a worker process "
                                                          "ended abruptly")
    assert 'if __name__ == "__main__"' in out.stderr


# --------------------------------------------------------------------------- SIGINT, SIGTERM
def test_ctrl_c_while_planning_does_not_promise_finished_runs(tmp_path, capsys, monkeypatch):
    import sim.cli.batch_cmd as batch_cmd

    def interrupted_while_planning(*args, **kwargs):
        raise KeyboardInterrupt  # before on_start: no run has begun

    monkeypatch.setattr(batch_cmd, "run_batch", interrupted_while_planning)
    b = tiny_batch(tmp_path, "")
    assert main(["batch", str(b), "--out", str(tmp_path / "o")]) == ExitCode.INTERRUPTED
    err = capsys.readouterr().err
    assert "interrupted while planning, before any run started; nothing was run" in err
    assert "--resume" not in err


class _Dumped(BaseModel):
    """A model whose serializer is interrupted, as Scenario's ``_omit_gift_mode`` was by a Ctrl-C."""

    x: int = 1

    @model_serializer(mode="wrap")
    def _interrupted(self, handler):
        raise KeyboardInterrupt


def test_ctrl_c_that_pydantic_wraps_while_planning_is_still_an_interrupt(tmp_path, capsys, monkeypatch):
    # Ctrl-C inside a pydantic serializer came out as PydanticSerializationError (a
    # ValueError): exit 2 "error: Error calling function `_omit_gift_mode`: KeyboardInterrupt"
    import sim.cli.batch_cmd as batch_cmd

    monkeypatch.setattr(batch_cmd, "run_batch", lambda *a, **k: _Dumped().model_dump())
    b = tiny_batch(tmp_path, "")
    assert main(["batch", str(b), "--out", str(tmp_path / "o")]) == ExitCode.INTERRUPTED
    err = capsys.readouterr().err
    assert "interrupted while planning, before any run started; nothing was run" in err
    assert "Error calling function" not in err and "--resume" not in err


def test_ctrl_c_that_a_library_swallows_while_planning_is_still_an_interrupt(tmp_path, capsys, monkeypatch):
    # a library that catches the KeyboardInterrupt and raises its own error, unchained: the
    # recorded SIGINT says what happened (signal.raise_signal runs the handler before it returns)
    import sim.cli.batch_cmd as batch_cmd

    def library_call(*args, **kwargs):
        try:
            signal.raise_signal(signal.SIGINT)
        except KeyboardInterrupt:
            raise RuntimeError("the library lost its connection") from None

    monkeypatch.setattr(batch_cmd, "run_batch", library_call)
    # Python's own Ctrl-C handler, as in a shell (a library loaded by an earlier test of the
    # suite may have left SIGINT ignored, and an ignored SIGINT is left alone by design)
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    b = tiny_batch(tmp_path, "")
    try:
        code = main(["batch", str(b), "--out", str(tmp_path / "o")])
        handler_after = signal.getsignal(signal.SIGINT)
    finally:
        signal.signal(signal.SIGINT, previous)
    assert code == ExitCode.INTERRUPTED
    err = capsys.readouterr().err
    assert "interrupted while planning, before any run started; nothing was run" in err
    assert handler_after is signal.default_int_handler  # the handler is put back


def test_a_wrapped_ctrl_c_in_run_is_an_interrupt(tmp_path, capsys, monkeypatch):
    import sim.cli.run_cmd as run_cmd

    monkeypatch.setattr(run_cmd, "run", lambda *a, **k: _Dumped().model_dump())
    p = write(tmp_path, "s.toml", TINY)
    assert main(["run", str(p), "--out", str(tmp_path / "o")]) == ExitCode.INTERRUPTED
    err = capsys.readouterr().err
    assert "interrupted; nothing was written" in err and "Error calling function" not in err


def test_sigterm_mid_batch_stops_like_ctrl_c_and_resume_completes(tmp_path):
    b = tiny_batch(tmp_path, "replicates = 12\n")
    out = tmp_path / "res"
    cmd = [str(VENV_BIN / "giftsim"), "batch", str(b), "--workers", "2", "--out", str(out), "--quiet"]
    proc = subprocess.Popen(cmd, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not ((out / "runs").is_dir() and complete_runs(out)):
        time.sleep(0.05)
    assert proc.poll() is None, "the batch ended before it could be stopped"
    proc.send_signal(signal.SIGTERM)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == ExitCode.INTERRUPTED == 130
    assert "interrupted by SIGTERM; finished runs are kept; continue with --resume" in stderr
    assert "leaked semaphore" not in stderr and "Traceback" not in stderr
    kept = len(complete_runs(out))
    assert 1 <= kept < 12
    resume = [*cmd[:3], "--workers", "1", *cmd[5:], "--resume"]  # in-process: no second pool to start
    done = subprocess.run(resume, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert f"resumed: {kept} runs were already complete and kept" in done.stdout
    assert len(complete_runs(out)) == 12


# --------------------------------------------------------------------------- docs
def test_a_name_that_would_leave_results_is_refused_as_the_docs_say(tmp_path):
    p = write(tmp_path, "x.toml", TINY.replace('name = "tiny"', 'name = "../../etc"'))
    assert "name = '../../etc': may hold only letters" in error_of(load_scenario, p)
    reliability = (ROOT / "docs" / "reliability.md").read_text()
    row = next(line for line in reliability.splitlines() if "results paths from files stay" in line)
    assert "_._.._etc" not in row and "refused" in row


@pytest.mark.parametrize("depth", [21, 600, 5000])
def test_set_of_a_deeply_nested_value_is_one_message(tmp_path, capsys, depth):
    # 600 levels in --set made tomllib raise RecursionError inside parse_override
    p = write(tmp_path, "s.toml", TINY)
    code = main(["run", str(p), "--out", str(tmp_path / "o"), "--set", f"policy.allocation={nested(depth)}"])
    err = capsys.readouterr().err
    assert code == ExitCode.BAD_INPUT
    assert "Traceback" not in err and "RecursionError" not in err
    assert "--set policy.allocation: the value nests tables or arrays more than 20 levels deep" in err
    assert not (tmp_path / "o").exists()
