"""Overrides into default tables, graph files checked before any run, the chat entry's
date, and messages in the reader's words (user trial)."""

from __future__ import annotations

import os
import warnings

import pytest

from sim.batch import plan_batch, run_batch
from sim.cli import main as cli_main
from sim.scenario import load_scenario, with_overrides

from ..conftest import FACEBOOK, SCENARIOS, error_of, write

WECHAT = SCENARIOS / "wechat_gift_launch.toml"


def batch(tmp_path, body, name="b"):
    return write(tmp_path, f"{name}.toml", f'name = "{name}"\nbase = "{WECHAT}"\nreplicates = 1\n' + body)


# --------------------------------------------------------------------------- 1. default tables
def test_set_reaches_into_a_default_distribution_keeping_its_dist():
    sc = load_scenario(WECHAT, ["population.pay_forward.a=3", "population.budget.median=100"])
    default = load_scenario(WECHAT)
    assert sc.population.pay_forward.dist == "beta" and sc.population.pay_forward.a == 3.0
    assert sc.population.pay_forward.b == default.population.pay_forward.b
    assert sc.population.budget.dist == "lognormal" and sc.population.budget.median == 100.0
    assert sc.population.budget.sigma == default.population.budget.sigma
    # the same as a calibration's override of the validated scenario
    assert sc == with_overrides(default, [("population.pay_forward.a", 3.0), ("population.budget.median", 100.0)])


def test_set_into_a_file_given_distribution_keeps_its_other_keys(tmp_path):
    p = write(tmp_path, "s.toml", f'extends = "{WECHAT}"\n[population.budget]\ndist = "lognormal"\n'
              'median = 300.0\nsigma = 0.5\n')
    sc = load_scenario(p, ["population.budget.median=80"])
    assert (sc.population.budget.dist, sc.population.budget.median, sc.population.budget.sigma) == (
        "lognormal", 80.0, 0.5)


def test_a_sweep_and_a_variant_reach_into_default_distributions(tmp_path):
    p = batch(tmp_path, '[[variants]]\nname = "pf"\nset = { "population.budget.median" = 100 }\n'
              '[sweep]\n"population.pay_forward.a" = [1.5, 3.0]\n')
    plan = plan_batch(p)
    assert [pt.scenario.population.pay_forward.a for pt in plan.points] == [1.5, 3.0]
    assert all(pt.scenario.population.pay_forward.b == 9.0 for pt in plan.points)  # the default Beta(1, 9)
    assert all(pt.scenario.population.budget.median == 100.0 for pt in plan.points)


def test_a_sample_reaches_into_a_default_distribution(tmp_path):
    p = batch(tmp_path, '[sample]\nmethod = "latin"\nn = 4\nbounds = { "population.pay_forward.a" = [1, 3] }\n')
    plan = plan_batch(p)
    assert all(1 <= pt.scenario.population.pay_forward.a <= 3 and pt.scenario.population.pay_forward.dist == "beta"
               for pt in plan.points)


def test_check_accepts_a_sweep_into_a_default_distribution(tmp_path, capsys):
    assert cli_main(["check", str(batch(tmp_path, '[sweep]\n"population.pay_forward.a" = [3.0]\n'))]) == 0


# --------------------------------------------------------------------------- 2. graph files
@pytest.fixture
def facebook_ic(tmp_path):
    return write(tmp_path, "ic.toml", f'extends = "{WECHAT}"\nname = "ic"\n'
                 'mode = { kind = "independent_cascade", p = 0.05, seeds = 5000 }\n')


def test_check_refuses_ic_seeds_above_the_users_of_a_graph_file(facebook_ic, capsys):
    assert cli_main(["check", str(facebook_ic)]) == 2
    out = " ".join(capsys.readouterr().out.split())
    assert f"{facebook_ic}: mode.seeds = 5000: is more than the 4,039 users of the graph file" in out
    assert "graph.path" in out and "allowed: 1 <= seeds <= 4039" in out


@pytest.mark.parametrize("content, words", [
    (None, "graph.path = 'g.txt': no such graph file"),
    ("0 1\n1 two\n", "graph.path = 'g.txt': line 2: node id 'two' is not an integer"),
])
def test_check_refuses_a_missing_or_malformed_graph_file(tmp_path, monkeypatch, capsys, content, words):
    monkeypatch.chdir(tmp_path)
    if content is not None:
        write(tmp_path, "g.txt", content)
    write(tmp_path, "s.toml", f'extends = "{WECHAT}"\n[graph]\npath = "g.txt"\n')
    assert cli_main(["check", "s.toml"]) == 2
    assert f"s.toml: {words}" in capsys.readouterr().out


def test_batch_planning_refuses_a_bad_graph_file_before_making_the_folder(tmp_path, facebook_ic):
    p = write(tmp_path, "b.toml", f'name = "b"\nbase = "{facebook_ic}"\nreplicates = 1\n')
    msg = error_of(run_batch, p, out=tmp_path / "out", workers=1)
    assert msg.startswith(f"{p}: point ")
    assert "mode.seeds = 5000: is more than the 4,039 users" in msg and "graph.path" in msg
    assert not (tmp_path / "out").exists()
    g = write(tmp_path, "g.txt", "0 1\n1 x\n")
    p2 = write(tmp_path, "b2.toml", f'name = "b2"\nbase = "{WECHAT}"\nreplicates = 1\n'
               f'[[variants]]\nname = "v"\nset = {{ "graph.path" = "{g}" }}\n')
    assert cli_main(["check", str(p2)]) == 2
    assert cli_main(["batch", str(p2), "--out", str(tmp_path / "out2")]) == 2
    assert not (tmp_path / "out2").exists()


def test_a_graph_file_is_read_once_per_distinct_file(tmp_path, monkeypatch):
    import sim.graph.build as build

    calls = []
    real = build.read_graph_file
    monkeypatch.setattr(build, "_FACTS", {})
    monkeypatch.setattr(build, "read_graph_file", lambda *a: calls.append(a) or real(*a))
    g = write(tmp_path, "g.txt", "0 1\n1 2\n2 0\n")
    p = batch(tmp_path, '[sweep]\n"policy.commercial_share" = [0.01, 0.02, 0.03]\n'
              f'[[variants]]\nname = "a"\nset = {{ "graph.path" = "{g}" }}\n'
              f'[[variants]]\nname = "b"\nset = {{ "graph.path" = "{FACEBOOK}" }}\n')
    assert len(plan_batch(p).points) == 6
    plan_batch(p)
    assert sorted(os.path.basename(c[0]) for c in calls) == ["facebook_combined.txt.gz", "g.txt"]
    g.write_text("0 1\n1 2\n2 0\n3 0\n")  # a changed file is read again
    os.utime(g, ns=(1, 1))
    plan_batch(p)
    assert len(calls) == 3 and os.path.samefile(calls[-1][0], g)


# --------------------------------------------------------------------------- 3. chat entry date
def test_chat_entry_after_the_period_is_refused_from_file_and_set(tmp_path):
    msg = error_of(load_scenario, WECHAT, ["gifts.chat_entry_from=2025-03-01"])
    assert msg.startswith(f"{WECHAT} (--set): gifts.chat_entry_from = 2025-03-01: ")
    assert "2024-12-19 to 2025-02-14" in msg and "allowed: a date on or before time.end (2025-02-14)" in msg
    p = write(tmp_path, "s.toml", f'extends = "{WECHAT}"\n[gifts]\nchat_entry_from = 2025-02-15\n')
    assert error_of(load_scenario, p).startswith(f"{p}: gifts.chat_entry_from = 2025-02-15: ")
    assert load_scenario(WECHAT, ["gifts.chat_entry_from=2025-02-14"]).gifts.chat_entry_from.isoformat() == "2025-02-14"
    msg = error_of(load_scenario, SCENARIOS / "wechat_chat_entry.toml", ["time.end=2025-01-10"])
    assert "(--set): time.end = 2025-01-10: conflicts with gifts.chat_entry_from = 2025-01-17" in msg


# --------------------------------------------------------------------------- 4. validator wording
@pytest.mark.parametrize("override, line", [
    ('name=""', "name = '': must not be empty (allowed: text of 1 to 120 characters)"),
    ("rollout.schedule=[]", "rollout.schedule = []: must not be empty (allowed: a list of at least 1 item, "
     "or leave schedule out for its default)"),
    ("merchants.sme.count=5.5", "merchants.sme.count = 5.5: must be a whole number (allowed: an integer, "
     "0 <= count <= 100000)"),
])
def test_length_and_integer_errors_say_what_is_allowed(override, line):
    msg = error_of(load_scenario, WECHAT, [override])
    assert msg == f"{WECHAT} (--set): {line}"
    assert "should" not in msg.lower() and "validation" not in msg


def test_a_float_for_an_integer_key_in_a_file_names_the_range(tmp_path):
    p = write(tmp_path, "s.toml", f'extends = "{WECHAT}"\n[merchants.sme]\ncount = 5.5\n')
    assert error_of(load_scenario, p) == (
        f"{p}: merchants.sme.count = 5.5: must be a whole number (allowed: an integer, 0 <= count <= 100000)")


def test_morris_levels_must_be_even_without_a_salib_warning(tmp_path, capsys):
    p = batch(tmp_path, '[sample]\nmethod = "morris"\nn = 2\nlevels = 3\n'
              'bounds = { "policy.commercial_share" = [0.01, 0.3] }\n')
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert cli_main(["check", str(p)]) == 2
    assert capsys.readouterr().out.strip() == (
        f"{p}: sample.levels = 3: Morris grid levels must be an even number (SALib's Morris design needs "
        "one); allowed: an even number 2 <= levels <= 100, e.g. 2 or 4")


def test_a_repeated_table_in_a_sweep_is_shown_as_toml(tmp_path):
    p = batch(tmp_path, '[sweep]\n"policy.allocation" = [{ rule = "head_boost", boost = 5.0 }, '
              '{ rule = "head_boost", boost = 5.0 }]\n')
    msg = error_of(plan_batch, p)
    assert "lists { rule = \"head_boost\", boost = 5.0 } more than once" in msg and "{'" not in msg


# --------------------------------------------------------------------------- 5. --set tags
def test_a_new_dist_by_set_says_which_keys_it_needs():
    assert error_of(load_scenario, WECHAT, ["population.activity.dist=uniform"]) == (
        f"{WECHAT} (--set): population.activity.dist = 'uniform': replaces the whole population.activity "
        "table, and dist 'uniform' needs population.activity.low and .high (add --set "
        "population.activity.low=... --set population.activity.high=...)")
    sc = load_scenario(WECHAT, ["population.activity.dist=uniform", "population.activity.low=0.2",
                                "population.activity.high=0.9"])
    assert (sc.population.activity.low, sc.population.activity.high) == (0.2, 0.9)


def test_a_new_dist_in_a_variant_names_the_batch_point(tmp_path):
    p = batch(tmp_path, '[[variants]]\nname = "u"\nset = { "population.activity.dist" = "uniform" }\n')
    msg = error_of(plan_batch, p)
    assert f"{p} [u]: population.activity.dist = 'uniform': replaces the whole population.activity table" in msg


def test_a_set_conflicting_with_the_file_names_both():
    assert error_of(load_scenario, WECHAT, ["time.start=2025-02-20"]) == (
        f"{WECHAT} (--set): time.start = 2025-02-20: conflicts with time.end = 2025-02-14 from {WECHAT}: "
        "time.end is before start (2025-02-20); allowed: an end date on or after time.start")
