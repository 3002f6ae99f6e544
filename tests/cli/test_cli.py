"""The giftsim command line: help, outputs, exit codes and messages."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest
from packaging.version import Version

from sim.cli import main
from sim.results import read_run

from ..conftest import ROOT


@pytest.mark.parametrize("argv", [["--help"], ["run", "--help"], ["batch", "--help"], ["check", "--help"]])
def test_every_command_has_help(argv, capsys):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 0
    assert "usage: giftsim" in capsys.readouterr().out


def test_python_dash_m_sim_is_the_cli():
    out = subprocess.run([sys.executable, "-m", "sim", "--version"], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0 and out.stdout.startswith("giftsim ")


def test_run_writes_a_complete_run_folder(tmp_path, capsys):
    assert main(["run", "scenarios/wechat_gift_launch.toml", "--seed", "3", "--out", str(tmp_path),
                 "--set", "policy.commercial_share=0.05"]) == 0
    out = capsys.readouterr().out
    assert "gifts_sent" in out and "wrote" in out
    (folder,) = list(tmp_path.iterdir())
    data = read_run(folder)
    assert data["manifest"]["seed"] == 3
    assert data["manifest"]["scenario"]["policy"]["commercial_share"] == 0.05
    assert Version(data["manifest"]["versions"]["mesa"]) >= Version("3.5")
    assert len(data["series"]) == 58 and str(data["series"]["date"].iloc[0])[:10] == "2024-12-19"
    assert len(data["gifts"]) == data["summary"]["gifts_sent"]
    assert set(data["gifts"]["outcome"].astype(str)) <= {"pending", "accepted", "expired"}
    assert data["summary"]["gifts_sent"] == data["series"]["gifts_sent"].sum()


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "sim", *args], capture_output=True, text=True, cwd=ROOT)


def test_misspelt_key_gives_one_clear_error_and_no_traceback(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('extends = "%s"\n[policy]\ncomercial_share = 0.1\n' % (ROOT / "scenarios" / "wechat_gift_launch.toml"))
    out = run_cli("run", str(bad), "--out", str(tmp_path / "o"))
    assert out.returncode == 2
    assert "Traceback" not in out.stderr
    assert f"{bad}: policy.comercial_share" in out.stderr and "did you mean 'commercial_share'" in out.stderr
    assert not (tmp_path / "o").exists()


def test_out_of_range_value_exit_code_and_message(tmp_path):
    out = run_cli("run", "scenarios/wechat_gift_launch.toml", "--set", "policy.commercial_share=1.5",
                  "--out", str(tmp_path))
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert "policy.commercial_share = 1.5" in out.stderr and "0 <= commercial_share <= 1" in out.stderr
    assert "wechat_gift_launch.toml" in out.stderr


def test_bad_graph_file_is_input_error(tmp_path):
    g = tmp_path / "g.txt"
    g.write_text("0 1\n1 two\n")
    out = run_cli("run", "scenarios/wechat_gift_launch.toml", "--set", f'graph.path="{g}"', "--out", str(tmp_path))
    assert out.returncode == 2 and "line 2: node id 'two' is not an integer" in out.stderr
    assert "Traceback" not in out.stderr


def test_check_validates_scenarios_and_batches(capsys):
    assert main(["check", "scenarios/wechat_gift_launch.toml", "scenarios/launch_policies.toml"]) == 0
    out = capsys.readouterr().out
    assert "OK scenarios/launch_policies.toml: batch of 2 points x 30 conditions x 5 replicates = 300 runs" in out


def test_batch_command_prints_comparison_and_writes_tables(tmp_path, capsys):
    batch = tmp_path / "b.toml"
    batch.write_text(
        'name = "mini"\nreplicates = 2\nseed = 1\nbase = "%s"\n'
        '[sweep]\n"policy.commercial_share" = [0.02, 0.2]\n' % (ROOT / "scenarios" / "wechat_gift_launch.toml"))
    assert main(["batch", str(batch), "--workers", "1", "--out", str(tmp_path / "out"), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "commercial_share=0.02" in out and "commercial_share=0.2" in out
    runs = pd.read_parquet(tmp_path / "out" / "runs.parquet")
    assert len(runs) == 4 and set(runs["status"]) == {"ok"}
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["completed"] == 4 and manifest["finished"]
    # running again without --resume refuses, naming the way out
    assert main(["batch", str(batch), "--workers", "1", "--out", str(tmp_path / "out")]) == 2
    assert "--resume" in capsys.readouterr().err
    # a single run is not written into the batch's folder (nor its runs/), which the batch would ignore
    for inside in (tmp_path / "out", tmp_path / "out" / "runs"):
        before = sorted(p.name for p in inside.iterdir())
        assert main(["run", "scenarios/wechat_gift_launch.toml", "--out", str(inside), "--quiet"]) == 2
        assert "inside the batch folder" in capsys.readouterr().err
        assert sorted(p.name for p in inside.iterdir()) == before


@pytest.mark.parametrize("command, path, fragment", [
    ("run", "scenarios/launch_policies.toml", "this is a batch file, not a scenario file; run it with giftsim batch"),
    ("batch", "scenarios/wechat_gift_launch.toml", "this is a scenario file, not a batch file; run it with giftsim run"),
    ("calibrate", "scenarios/launch_policies.toml", "run it with giftsim batch"),
])
def test_a_file_given_to_the_wrong_command_says_which_command_takes_it(command, path, fragment):
    out = run_cli(command, path)
    assert out.returncode == 2 and fragment in out.stderr and "Traceback" not in out.stderr


def test_a_batch_file_listed_as_a_scenario_gets_the_same_one_line_message(tmp_path):
    outer = tmp_path / "outer.toml"
    outer.write_text('name = "outer"\nscenarios = ["%s"]\n' % (ROOT / "scenarios" / "launch_policies.toml"))
    out = run_cli("batch", str(outer), "--out", str(tmp_path / "o"), "--quiet")
    assert out.returncode == 2 and "Traceback" not in out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert lines[0].startswith(f"error: {outer}: scenarios[0] = ")
    assert lines[0].endswith("launch_policies.toml: this is a batch file, not a scenario file; run it with giftsim batch")
    assert not (tmp_path / "o").exists()


def test_wide_comparison_shows_clipped_intervals_as_intervals_not_half_widths(tmp_path, capsys):
    from types import SimpleNamespace

    from sim.cli.batch_cmd import _print_comparison

    # five points: one row per point; acceptance_rate's interval clipped to [0, 1] at p0,
    # gifts_sent's clipped at 0 at p1, symmetric elsewhere
    comp = pd.DataFrame({
        "point": range(5), "point_name": [f"p{i}" for i in range(5)], "n": [3] * 5,
        "acceptance_rate_mean": [0.6, 0.5, 0.5, 0.5, 0.5], "acceptance_rate_lo": [0.0, 0.4, 0.4, 0.4, 0.4],
        "acceptance_rate_hi": [1.0, 0.6, 0.6, 0.6, 0.6], "acceptance_rate_n": [3] * 5,
        "gifts_sent_mean": [10.0, 1.75, 10.0, 10.0, 10.0], "gifts_sent_lo": [8.0, 0.0, 8.0, 8.0, 8.0],
        "gifts_sent_hi": [12.0, 5.28, 12.0, 12.0, 12.0], "gifts_sent_n": [3] * 5,
    })
    spec = SimpleNamespace(name="trial", outcomes=["acceptance_rate", "gifts_sent"])
    _print_comparison(SimpleNamespace(comparison=comp, plan=SimpleNamespace(spec=spec), folder=tmp_path))
    out = capsys.readouterr().out
    rows = {line.split()[1]: line for line in out.splitlines() if line.strip().startswith("│ p")}
    assert "0.6 [0, 1]" in rows["p0"] and "\u00b10.4" not in out
    assert "1.75 [0, 5.28]" in rows["p1"] and "\u00b13.53" not in out
    assert "0.5 \u00b10.1" in rows["p2"] and "10 \u00b12" in rows["p2"]
    text = " ".join(out.split())
    assert "where it was clipped" in text and "clipped to the outcome's range" in text


def test_a_refused_batch_prints_no_progress_bar(tmp_path, capsys):
    from ..tiny_batch import tiny_batch

    batch = tiny_batch(tmp_path, "replicates = 3\nseed = 1\n")
    out = tmp_path / "out"
    assert main(["batch", str(batch), "--workers", "1", "--out", str(out)]) == 0
    first = capsys.readouterr().out
    assert "3/3" in first and "runs, 0 failed" in first  # the bar, once the batch runs
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "bad"\nbase = "tiny.toml"\nreplicates = 0\n')
    for argv in (["batch", str(batch), "--workers", "1", "--out", str(out)],  # exists, no --resume
                 ["batch", str(batch), "--workers", "1", "--out", str(foreign)],  # not a batch folder
                 ["batch", str(bad), "--workers", "1", "--out", str(tmp_path / "b2")],  # invalid batch file
                 ["batch", str(batch), "--scheduler", "not an address", "--out", str(tmp_path / "b3")]):
        assert main(argv) == 2, argv
        cap = capsys.readouterr()
        assert "error" in cap.err, argv
        assert "runs," not in cap.out and "0/?" not in cap.out and "batch" not in cap.out, (argv, cap.out)


def test_run_table_shows_the_mechanisms_the_run_used(tmp_path, capsys):
    """Issue 14: the printed first gifts by trigger add up to the senders (group, chat and
    birthday first gifts included), reciprocity and pay-forward are shown, and the group
    outcomes appear only when the run had groups."""
    assert main(["run", "scenarios/wechat_chat_entry.toml", "--seed", "2", "--out", str(tmp_path),
                 "--set", "groups.enabled=true", "--set", "groups.group_gift_rate=0.01",
                 "--set", "calendar.birthday_gift_rate=0.05", "--set", "population.reciprocity.a=1.0"]) == 0
    out = capsys.readouterr().out
    (folder,) = list(tmp_path.iterdir())
    summary = read_run(folder)["summary"]
    shown = {line.split("│")[1].strip(): line.split("│")[2].strip() for line in out.splitlines()
             if line.startswith("│") and line.split("│")[1].strip()}
    firsts = {k: int(v.replace(",", "")) for k, v in shown.items() if k.startswith("first_gifts_")}
    assert {"first_gifts_group", "first_gifts_occasion", "first_gifts_chat_entry"} <= set(firsts)
    assert sum(firsts.values()) == round(summary["adoption_share"] * summary["users"])
    assert {"gifts_sent_back", "gifts_paid_forward", "group_gifts", "group_send_back_per_rmb"} <= set(shown)
    assert "first_gifts_push" not in shown and "ad_revenue_rmb" not in shown  # 0 in this run
    assert main(["run", "scenarios/wechat_gift_launch.toml", "--seed", "2", "--out", str(tmp_path / "b")]) == 0
    out = capsys.readouterr().out
    assert "gifts_paid_forward" in out and "group_gifts" not in out and "group_send_back_per_rmb" not in out
