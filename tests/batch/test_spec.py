"""The second user trial of batch files: ``[sample] integer``, rounded bounds without two
integers, identical variants and scenarios, and scenario names that name folders."""

from __future__ import annotations

import pytest

from sim import load_scenario
from sim.batch import plan_batch
from sim.cli import main
from sim.scenario import ScenarioError

from ..conftest import ROOT

WECHAT = (ROOT / "scenarios" / "wechat_gift_launch.toml").as_posix()


def batch(tmp_path, body, name="b"):
    p = tmp_path / f"{name}.toml"
    p.write_text(f'name = "{name}"\nbase = "{WECHAT}"\nreplicates = 1\n' + body, encoding="utf-8")
    return p


def sample(bounds, integer=None, method="latin", n=4):
    text = f'[sample]\nmethod = "{method}"\nn = {n}\nbounds = {{ {bounds} }}\n'
    return text + (f"integer = {integer}\n" if integer is not None else "")


@pytest.mark.parametrize("bounds, integer, message", [
    ('"policy.commercial_share" = [0.01, 0.1]', '["policy.commercial_share"]',
     r"b.toml: sample.bounds.'policy.commercial_share' = \[0.01, 0.1\]: policy.commercial_share is listed in "
     r"sample.integer, so its sampled values are rounded, but the bounds hold no integer; allowed: bounds holding "
     r"at least two integers"),
    ('"policy.commercial_share" = [0.01, 0.1]', '["bogus.key"]',
     r"b.toml: sample.integer\[0\] = 'bogus.key': is not a key of bounds; allowed: 'policy.commercial_share'"),
    ('"gifts.item" = [0, 3]', '["gifts.item"]',
     r"b.toml: sample.integer\[0\] = 'gifts.item': is not a number key; allowed: number \(float\) keys of bounds "
     r"\(integer keys are rounded without being listed\)"),
    ('"merchants.sme.count" = [5.5, 5.7]', None,
     r"sample.bounds.'merchants.sme.count' = \[5.5, 5.7\]: merchants.sme.count is an integer key, so its sampled "
     r"values are rounded, but the bounds hold no integer"),
    ('"merchants.sme.count" = [4.5, 5.7]', None, r"the bounds hold only one integer"),
])
def test_bad_integer_samples_are_refused(tmp_path, bounds, integer, message):
    p = batch(tmp_path, sample(bounds, integer))
    with pytest.raises(ScenarioError, match=message):
        plan_batch(p)
    assert main(["check", str(p)]) == 2


def test_good_integer_samples_still_plan(tmp_path):
    plan = plan_batch(batch(tmp_path, sample('"gifts.send_probability" = [0, 1], "merchants.sme.count" = [5, 9]',
                                             '["gifts.send_probability"]')))
    probs = {pt.params["gifts.send_probability"] for pt in plan.points}
    counts = [pt.params["merchants.sme.count"] for pt in plan.points]
    assert probs <= {0, 1} and all(5 <= c <= 9 and type(c) is int for c in counts)
    # an integer key listed in integer is accepted (it is rounded anyway)
    plan_batch(batch(tmp_path, sample('"merchants.sme.count" = [5, 9]', '["merchants.sme.count"]')))


def test_morris_designs_may_repeat_points(tmp_path):
    plan = plan_batch(batch(tmp_path, sample('"merchants.sme.count" = [5, 6]', method="morris", n=2)))
    names = [p.name for p in plan.points]
    assert len(names) > len(set(names))  # a two-level key repeats: fine for a sampled design


def test_identical_variants_are_refused(tmp_path):
    p = batch(tmp_path, 'common_random_numbers = true\n'
              '[[variants]]\nname = "a"\nset = { "policy.commercial_share" = 0.1 }\n'
              '[[variants]]\nname = "b"\nset = { "policy.commercial_share" = 0.10 }\n')
    with pytest.raises(ScenarioError, match=r"b.toml: variants 'a' and 'b' are identical \(same scenario"):
        plan_batch(p)
    ok = batch(tmp_path, '[[variants]]\nname = "a"\nset = { "policy.commercial_share" = 0.1 }\n'
               '[[variants]]\nname = "b"\nset = { "policy.commercial_share" = 0.2 }\n')
    assert len(plan_batch(ok).points) == 2


def test_a_scenario_listed_twice_says_so(tmp_path):
    p = tmp_path / "s.toml"
    p.write_text(f'name = "s"\nscenarios = ["{WECHAT}", "{WECHAT}"]\n')
    with pytest.raises(ScenarioError, match=r"scenarios\[1\] = .*wechat_gift_launch.toml': is listed twice "
                       r"\(also scenarios\[0\]\)") as err:
        plan_batch(p)
    assert "distinct names" not in str(err.value)


@pytest.mark.parametrize("name, shown", [("a/b", "'/'"), ("a\\u0000b", "'\\x00'"), (".hidden", "'.'")])
def test_scenario_names_follow_the_batch_name_rule(tmp_path, capsys, name, shown):
    p = tmp_path / "sc.toml"
    p.write_text(f'name = "{name}"\n[graph]\nkind = "holme_kim"\nn = 50\nm = 2\np = 0.1\n'
                 '[time]\nstart = 2025-01-01\nend = 2025-01-05\n')
    with pytest.raises(ScenarioError, match="sc.toml: name = .*(may hold only letters|must start with)") as err:
        load_scenario(p)
    assert shown in str(err.value)
    assert main(["run", str(p), "--out", str(tmp_path / "out")]) == 2
    assert not (tmp_path / "out").exists()


def test_every_shipped_scenario_name_is_valid():
    files = sorted((ROOT / "scenarios").glob("*.toml")) + sorted((ROOT / "scenarios").glob("*/*.toml"))
    assert files
    for f in files:
        assert main(["check", str(f)]) == 0, f
