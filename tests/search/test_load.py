"""Search files: the shipped example loads into the expected :class:`sim.search.SearchSpec`,
and each kind of bad file is refused by ``giftsim check`` with exit code 2 and one message
naming the file and the key, before anything runs."""

from __future__ import annotations

import pytest

from sim.batch.spec import Uncertainty
from sim.cli import main
from sim.experiments.outcomes import Direction
from sim.scenario import ScenarioError, kind_of, read_toml
from sim.search.load import MAX_SEARCH_RUNS, POLICY_KEY_PREFIXES, is_policy_key, load_search, search_runs
from sim.search.spec import Constraint, Lever, Objective, RobustnessMeasure, SearchBudget

from ..conftest import SCENARIOS, write

BASE = 'name = "base"\n[graph]\nkind = "barabasi_albert"\nn = 60\nm = 2\n'

LEVERS = '''[levers]
"policy.commercial_share" = [0.01, 0.1]
"policy.allocation.rule" = ["equal", "head_boost"]
"policy.allocation.boost" = { range = [2.0, 20.0], when = { "policy.allocation.rule" = "head_boost" } }
'''
OBJECTIVES = '[objectives]\ngmv_rmb = "max"\nmuted_share = "min"\n'
CONSTRAINTS = "[constraints]\nmuted_share = { max = 0.05 }\n"
SEARCH = "[search]\npopulation = 4\ngenerations = 2\n"
TOP = 'name = "s"\nbase = "base.toml"\nseed = 3\n'


def search_file(tmp_path, top=TOP, levers=LEVERS, objectives=OBJECTIVES, constraints=CONSTRAINTS, search=SEARCH):
    """A search file over a small base scenario, with any part replaced."""
    write(tmp_path, "base.toml", BASE)
    return write(tmp_path, "s.toml", top + levers + objectives + constraints + search)


def check(path, capsys) -> tuple[int, str]:
    code = main(["check", str(path)])
    cap = capsys.readouterr()
    return code, cap.out + cap.err


def test_the_example_loads_into_the_expected_spec():
    spec = load_search(SCENARIOS / "policy_search.toml")
    assert spec.name == "policy_search" and spec.seed == 20241219 and spec.scenario.name == "wechat_gift_launch"
    levers = {v.key: v for v in spec.levers}
    assert levers["policy.commercial_share"] == Lever("policy.commercial_share", "range", 0.005, 0.10)
    assert levers["policy.allocation.rule"] == Lever(
        "policy.allocation.rule", "choice", choices=("equal", "sales_proportional", "head_boost", "cold_start"))
    assert levers["policy.allocation.exponent"].when == (("policy.allocation.rule", "sales_proportional"),)
    assert levers["policy.allocation.boost"].log and levers["policy.allocation.boost"].low == 2.0
    assert levers["policy.allocation.budget_impressions"].when == (("policy.allocation.rule", "cold_start"),)
    assert levers["policy.push.enabled"].choices == (False, True)
    assert levers["policy.push.reach"].when == (("policy.push.enabled", True),)
    cap = levers["merchants.max_admissions_per_week"]
    assert (cap.kind, cap.low, cap.high, cap.integer) == ("range", 1, 20, True) and type(cap.low) is int
    assert {"policy.induced_sharing.enabled", "policy.paid_traffic.enabled"} <= set(levers)
    assert spec.objectives == (Objective("gmv_rmb", Direction.MAXIMIZE), Objective("sme_gmv_share", Direction.MAXIMIZE),
                               Objective("muted_share", Direction.MINIMIZE))
    assert spec.constraints == (Constraint("muted_share", None, 0.05),)
    assert spec.uncertainty == Uncertainty(posterior="shipped", draws=8)
    assert spec.robustness == RobustnessMeasure("mean")
    assert spec.budget == SearchBudget("nsga2", 24, 12, 2, 6)
    assert spec.path == SCENARIOS / "policy_search.toml"


def test_check_prints_the_search_in_short(capsys):
    code, out = check(SCENARIOS / "policy_search.toml", capsys)
    assert code == 0, out
    assert "policy search on 'wechat_gift_launch': 10 levers, 3 objectives, 1 constraint(s)" in out
    assert 'policy.push.reach [0.05, 0.5] when policy.push.enabled = true' in out
    assert "constraints: muted_share <= 0.05" in out
    assert "uncertainty: 8 draws from the shipped posterior; robustness: mean" in out
    assert "288 trials x 8 draws x 2 replicates = 4,608 runs" in out


def test_a_search_file_is_its_own_kind(tmp_path, capsys):
    path = search_file(tmp_path)
    assert kind_of(read_toml(path)) == "search"  # it has base, as a batch does
    assert main(["batch", str(path)]) == 2
    assert "this is a search file, not a batch file; run it with giftsim optimize" in capsys.readouterr().err


def test_policy_keys():
    assert POLICY_KEY_PREFIXES == ("policy.", "merchants.max_admissions_per_week")
    assert is_policy_key("policy.commercial_share") and is_policy_key("merchants.max_admissions_per_week")
    for key in ("policy", "policy.", "merchants.max_admissions_per_weeks", "gifts.send_probability", "merchants"):
        assert not is_policy_key(key), key


def test_levers_come_after_the_levers_their_condition_names(tmp_path):
    levers = ('[levers]\n"policy.allocation.boost" = { range = [2.0, 20.0], when = { "policy.allocation.rule" = '
              '"head_boost" } }\n"policy.allocation.rule" = ["equal", "head_boost"]\n')
    spec = load_search(search_file(tmp_path, levers=levers))
    assert [v.key for v in spec.levers] == ["policy.allocation.rule", "policy.allocation.boost"]


def test_a_small_good_file_and_its_defaults(tmp_path):
    spec = load_search(search_file(tmp_path, search="", constraints=""))
    assert spec.budget == SearchBudget() and spec.uncertainty is None and spec.constraints == ()
    assert spec.robustness == RobustnessMeasure("mean")
    top = TOP + 'robustness = { percentile = 10 }\nuncertainty = "posterior"\n'
    spec = load_search(search_file(tmp_path, top=top))
    assert spec.robustness == RobustnessMeasure("percentile", 10.0)
    assert spec.uncertainty == Uncertainty(posterior="shipped")


def test_the_run_limit_counts_every_draw_and_replicate():
    assert search_runs(16, 8, 8, 2) == 2048 and MAX_SEARCH_RUNS == 10_000_000


def _levers_with(line: str) -> str:
    return LEVERS + line + "\n"


BAD = {
    # name: (parts to replace, fragments of the message besides the file name)
    "no objective": ({"objectives": ""}, ["objectives", "no objective", "gmv_rmb"]),
    "objective not an outcome": ({"objectives": '[objectives]\ngmv = "max"\n'},
                                 ["objectives.gmv", "not an outcome of a run (did you mean 'gmv_rmb'?)", "allowed:", "sme_gmv_share"]),
    "direction": ({"objectives": '[objectives]\ngmv_rmb = "maximise"\n'}, ["objectives.gmv_rmb", "'max'", "'min'"]),
    "no lever": ({"levers": ""}, ["levers", "no lever"]),
    "not a policy key": ({"levers": _levers_with('"gifts.send_probability" = [0.1, 0.5]')},
                         ["levers.'gifts.send_probability'", "not a policy key", "merchants.max_admissions_per_week"]),
    "unknown policy key": ({"levers": _levers_with('"policy.comercial_share" = [0.01, 0.1]')},
                           ["levers.'policy.comercial_share'", "unknown key", "commercial_share"]),
    "value the base refuses": ({"levers": _levers_with('"policy.push.reach" = [0.1, 1.5]')},
                               ["levers.'policy.push.reach'", "1.5", "<= 1"]),
    "choice the base refuses": ({"levers": _levers_with('"policy.push.enabled" = ["no", "yes"]')},
                                ["levers.'policy.push.enabled'", 'choices: "no"', "reads it as false"]),
    "range on a switch": ({"levers": _levers_with('"policy.push.enabled" = [0, 1]')},
                          ["levers.'policy.push.enabled'", "true or false"]),
    "rule parameter without when": ({"levers": _levers_with('"policy.allocation.exponent" = [0.5, 2.0]')},
                                    ["levers.'policy.allocation.exponent'", "unknown key",
                                     'needs when = { "policy.allocation.rule" = RULE }']),
    "rule parameter under the wrong rule": (
        {"levers": _levers_with('"policy.allocation.head_count" = { range = [1, 5], when = { '
                                '"policy.allocation.rule" = "equal" } }')},
        ["levers.'policy.allocation.head_count'", "policy.allocation.rule = 'equal'", "unknown key"]),
    "when names an unknown lever": (
        {"levers": _levers_with('"policy.push.reach" = { range = [0.1, 0.5], when = { "policy.push.enabled" = true } }')},
        ["levers.'policy.push.reach'.when.'policy.push.enabled'", "not a lever of this search",
         "policy.allocation.rule"]),
    "when value not a choice": (
        {"levers": LEVERS.replace('= "head_boost" }', '= "cold_start" }')},
        ["levers.'policy.allocation.boost'.when.'policy.allocation.rule'", "not one of its choices",
         "'equal', 'head_boost'"]),
    "when names a range lever": (
        {"levers": _levers_with('"policy.push.reach" = { range = [0.1, 0.5], when = { '
                                '"policy.commercial_share" = 0.05 } }')},
        ["levers.'policy.push.reach'.when.'policy.commercial_share'", "is a range lever"]),
    "when loops": (
        {"levers": LEVERS + '"policy.push.enabled" = { choices = [false, true], when = { '
                            '"policy.induced_sharing.enabled" = true } }\n"policy.induced_sharing.enabled" = { '
                            'choices = [false, true], when = { "policy.push.enabled" = true } }\n'},
        ["levers.'policy.push.enabled'.when", "loop back"]),
    "range low >= high": ({"levers": LEVERS.replace("[0.01, 0.1]", "[0.1, 0.01]")},
                          ["levers.'policy.commercial_share'.range", "must be below high"]),
    "three numbers": ({"levers": LEVERS.replace("[0.01, 0.1]", "[0.01, 0.05, 0.1]")},
                      ["levers.'policy.commercial_share'", "3 numbers", "{ choices = [...] }"]),
    "log from 0": ({"levers": LEVERS.replace("[0.01, 0.1]", "{ range = [0.0, 0.1], log = true }")},
                   ["levers.'policy.commercial_share'.log", "low > 0"]),
    "one choice": ({"levers": LEVERS.replace('["equal", "head_boost"]', '["head_boost"]')},
                   ["levers.'policy.allocation.rule'.choices", "at least two"]),
    "repeated choice": ({"levers": LEVERS.replace('["equal", "head_boost"]', '["equal", "head_boost", "equal"]')},
                        ["levers.'policy.allocation.rule'.choices", "'equal' more than once"]),
    "integer range, fractional ends": ({"levers": LEVERS.replace("[0.01, 0.1]", "{ range = [0.5, 3], integer = true }")},
                                       ["levers.'policy.commercial_share'.range", "whole-number ends"]),
    "integer key, fractional range": (
        {"levers": _levers_with('"merchants.max_admissions_per_week" = [0.5, 3.5]')},
        ["levers.'merchants.max_admissions_per_week'", "whole numbers"]),
    "constraint not an outcome": ({"constraints": "[constraints]\nmuted = { max = 0.05 }\n"},
                                  ["constraints.muted", "not an outcome of a run", "muted_share"]),
    "constraint min above max": ({"constraints": "[constraints]\nmuted_share = { min = 0.2, max = 0.1 }\n"},
                                 ["constraints.muted_share.min", "above max", "min <= max"]),
    "constraint above the range": ({"constraints": "[constraints]\nsme_gmv_share = { min = 1.5 }\n"},
                                   ["constraints.sme_gmv_share.min", "no policy can meet it", "at most 1"]),
    "constraint below the range": ({"constraints": "[constraints]\ngmv_rmb = { max = -1 }\n"},
                                   ["constraints.gmv_rmb.max", "no policy can meet it", "at least 0"]),
    "constraint without bounds": ({"constraints": "[constraints]\nmuted_share = {}\n"},
                                  ["constraints.muted_share", "min, max or both"]),
    "population 0": ({"search": "[search]\npopulation = 0\n"}, ["search.population", ">= 1"]),
    "generations 0": ({"search": "[search]\ngenerations = 0\n"}, ["search.generations", ">= 1"]),
    "replicates 0": ({"search": "[search]\nreplicates = 0\n"}, ["search.replicates", ">= 1"]),
    "final replicates 0": ({"search": "[search]\nfinal_replicates = 0\n"}, ["search.final_replicates", ">= 1"]),
    "unknown sampler": ({"search": '[search]\nsampler = "cmaes"\n'}, ["search.sampler", "nsga2", "tpe", "random"]),
    "too many runs": ({"search": "[search]\npopulation = 100000\ngenerations = 1000\n",
                       "top": TOP.replace("base.toml", "missing.toml")},  # refused before the base is read
                      ["search:", "200,000,000 runs", "at most 10,000,000"]),
    "too many final runs": ({"search": "[search]\nfinal_replicates = 20000000\n"},
                            ["search.final_replicates = 20,000,000", "for each Pareto policy", "at most 10,000,000"]),
    "when names a lever but no choice lever is left": (
        {"levers": '[levers]\n"policy.push.reach" = { range = [0.1, 0.5], when = { "policy.push.enabled" = true } }\n'},
        ["levers.'policy.push.reach'.when.'policy.push.enabled'", "allowed: none (no other choice lever)"]),
    "unknown top-level key": ({"top": TOP + "replicate = 3\n"}, ["replicate", "unknown key"]),
    "unknown uncertainty name": ({"top": TOP + 'uncertainty = "prior"\n'}, ["uncertainty", '"posterior"']),
    "uncertain lever": ({"top": TOP + 'uncertainty = { ranges = { "policy.commercial_share" = [0.01, 0.1] } }\n'},
                        ["uncertainty.ranges", "'policy.commercial_share' is also a lever"]),
    "uncertain range the base refuses": ({"top": TOP + 'uncertainty = { ranges = { "gifts.send_probability" = '
                                                       '[0.1, 1.5] } }\n'},
                                         ["uncertainty.ranges", "gifts.send_probability = 1.5"]),
    "missing posterior": ({"top": TOP + 'uncertainty = { posterior = "nope.parquet" }\n'},
                          ["uncertainty.posterior", "nope.parquet", "does not exist"]),
    "percentile 100": ({"top": TOP + "robustness = { percentile = 100 }\n"}, ["robustness.percentile = 100", "0 < p < 100"]),
    "unknown robustness": ({"top": TOP + 'robustness = "median"\n'}, ["robustness = 'median'", '"mean", "regret" or { percentile = p }']),
    "base not a scenario": ({"top": TOP.replace("base.toml", str(SCENARIOS / "launch_policies.toml"))},
                            ["base = ", "is a batch file, not a scenario file"]),
    "a lever as one value": ({"levers": _levers_with('"policy.push.reach" = 0.2')},
                             ["levers.'policy.push.reach' = 0.2", "is a single value", "two numbers [low, high]"]),
    "a lever as an empty list": ({"levers": _levers_with('"policy.push.reach" = []')},
                                 ["levers.'policy.push.reach' = []", "is empty"]),
    "missing base": ({"top": TOP.replace("base.toml", "missing.toml")}, ["base = 'missing.toml'", "no such"]),
}


@pytest.mark.parametrize("case", list(BAD))
def test_a_bad_search_file_is_exit_2_naming_the_file_and_key(tmp_path, capsys, case):
    parts, fragments = BAD[case]
    path = search_file(tmp_path, **parts)
    code, out = check(path, capsys)
    assert code == 2, out
    assert "Traceback" not in out
    lines = out.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"{path}: "), out
    for fragment in fragments:
        assert fragment in out, (fragment, out)
    # the loader raises the same one message
    with pytest.raises(ScenarioError):
        load_search(path)


def test_a_range_on_an_integer_key_is_an_integer_range(tmp_path):
    spec = load_search(search_file(tmp_path, levers=LEVERS + '"merchants.max_admissions_per_week" = [1, 20]\n'))
    cap = {v.key: v for v in spec.levers}["merchants.max_admissions_per_week"]
    assert (cap.integer, cap.low, cap.high) == (True, 1, 20) and type(cap.low) is int
    share = {v.key: v for v in spec.levers}["policy.commercial_share"]
    assert not share.integer and type(share.low) is float
