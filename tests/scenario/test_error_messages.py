"""The messages users read for bad input: file, dotted key, value and allowed values, in
the field's words (never the validator's internals), and the override rules behind them
(a new tag replaces its table, ``none`` unsets a key, integer keys in sweeps, samples and
calibrations)."""

from __future__ import annotations

import re

import pytest
import tomli_w

from sim.batch import plan_batch
from sim.calibrate import load_calibration
from sim.cli import main as cli_main
from sim.scenario import load_scenario, validate_scenario, with_overrides

from ..conftest import ROOT, SCENARIOS, error_of, write

WECHAT = SCENARIOS / "wechat_gift_launch.toml"
DOUYIN = SCENARIOS / "douyin_style.toml"
SMALL = 'name = "t"\n[graph]\nkind = "holme_kim"\nn = 60\nm = 2\np = 0.3\n'


# --------------------------------------------------------------------------- 1. file and key
@pytest.mark.parametrize("graph, line", [
    ('kind = "barabasi_albert"\nn = 5\nm = 10\n',
     "graph.m = 10: must be below n = 5, the number of users; allowed: 1 <= m < n"),
    ('kind = "watts_strogatz"\nn = 3\nk = 4\np = 0.1\n',
     "graph.k = 4: must be below n = 3, the number of users; allowed: 2 <= k < n"),
    ('kind = "holme_kim"\nn = 4\nm = 4\np = 0.1\n',
     "graph.m = 4: must be below n = 4, the number of users; allowed: 1 <= m < n"),
])
def test_graph_parameters_above_n_name_the_file_and_key(tmp_path, graph, line):
    p = write(tmp_path, "g.toml", f'name = "g"\n[graph]\n{graph}')
    assert error_of(load_scenario, p) == f"{p}: {line}"


def test_ic_seeds_above_the_users_of_a_generated_graph_name_the_file(tmp_path):
    p = write(tmp_path, "ic.toml", 'mode = { kind = "independent_cascade", p = 0.1, seeds = 500 }\n' + SMALL)
    assert error_of(load_scenario, p) == (
        f"{p}: mode.seeds = 500: is more than the graph's 60 users; allowed: 1 <= seeds <= 60")


def test_ic_seeds_above_the_users_of_a_graph_file_name_the_file_on_run(tmp_path, capsys):
    write(tmp_path, "g.txt", "0 1\n1 2\n2 3\n")
    p = write(tmp_path, "ic.toml", 'name = "ic"\nmode = { kind = "independent_cascade", p = 0.1, seeds = 50 }\n'
              '[graph]\nkind = "edgelist"\npath = "g.txt"\n')
    assert cli_main(["run", str(p), "--quiet", "--out", str(tmp_path / "out")]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert f"{p}: mode.seeds = 50: is more than the graph's 4 users; allowed: 1 <= seeds <= 4" in err
    assert not (tmp_path / "out").exists()


def test_end_before_start_names_the_override_that_moved_it(tmp_path):
    p = write(tmp_path, "s.toml", SMALL)
    msg = error_of(load_scenario, p, ["time.end=2024-01-01"])
    assert msg == (f"{p} (--set): time.end = 2024-01-01: is before start (2024-12-19); allowed: an end "
                   "date on or after time.start")


# --------------------------------------------------------------------------- 2. integer keys
def batch(tmp_path, body, base=WECHAT, name="b1"):
    return write(tmp_path, f"{name}.toml", f'name = "{name}"\nbase = "{base}"\nreplicates = 1\n' + body)


def test_a_range_of_whole_numbers_sweeps_an_integer_key_as_integers(tmp_path):
    p = batch(tmp_path, '[sweep]\n"merchants.sme.count" = { start = 0, stop = 6, num = 4 }\n')
    plan = plan_batch(p)
    counts = [pt.params["merchants.sme.count"] for pt in plan.points]
    assert counts == [0, 2, 4, 6] and all(type(c) is int for c in counts)
    assert [pt.scenario.merchants.sme.count for pt in plan.points] == [0, 2, 4, 6]
    assert [pt.name for pt in plan.points] == ["count=0", "count=2", "count=4", "count=6"]


def test_a_range_of_fractions_on_an_integer_key_says_what_to_use(tmp_path):
    p = batch(tmp_path, '[sweep]\n"merchants.sme.count" = { start = 0, stop = 5, num = 4 }\n')
    assert error_of(plan_batch, p) == (
        f"{p}: sweep.'merchants.sme.count' = {{ start = 0, stop = 5, num = 4 }}: gives 0, 1.66667, 3.33333, 5, "
        "but merchants.sme.count is an integer; allowed: a range of whole numbers (e.g. num = 6 or step = 1), "
        "a list of integers, or integer = true to round the values")
    rounded = batch(tmp_path, '[sweep]\n"merchants.sme.count" = { start = 0, stop = 5, num = 4, integer = true }\n',
                    name="b2")
    assert [pt.scenario.merchants.sme.count for pt in plan_batch(rounded).points] == [0, 2, 3, 5]


def test_a_sample_rounds_integer_keys_by_their_type(tmp_path):
    p = batch(tmp_path, '[sample]\nmethod = "latin"\nn = 6\nbounds = { "merchants.sme.count" = [0, 10], '
              '"policy.commercial_share" = [0.01, 0.3] }\n')
    plan = plan_batch(p)
    counts = [pt.params["merchants.sme.count"] for pt in plan.points]
    assert all(type(c) is int and 0 <= c <= 10 for c in counts)
    assert [pt.scenario.merchants.sme.count for pt in plan.points] == counts
    assert list(plan.sample_matrix[:, 0]) == counts  # the design analysed is the one run
    assert all(type(pt.params["policy.commercial_share"]) is float for pt in plan.points)


def test_point_errors_print_the_point_without_a_stray_space(tmp_path, capsys):
    p = batch(tmp_path, '[sweep]\n"merchants.sme.count" = [0, 2.5]\n')
    assert cli_main(["check", str(p)]) == 2
    out = capsys.readouterr().out
    assert f"{p} [count=2.5]: merchants.sme.count = 2.5: must be a whole number (allowed: an integer, 0 <= count <= 100000)" in out
    assert " : " not in out


def calibration(tmp_path, parameters, name="cal"):
    (tmp_path / "base.toml").write_text(
        SMALL + '[time]\nstart = 2025-01-01\nend = 2025-01-14\n[rollout]\nschedule = [{ date = 2025-01-01, share = 1.0 }]\n'
        '[policy]\ncommercial_share = 0.2\n')
    spec = {"name": name, "base": "base.toml", "replicates": 1, "seed": 3, "max_iterations": 1,
            "population_size": 2, "check_replicates": 2, "parameters": parameters,
            "targets": {"gifts_sent": {"value": 10.0, "scale": 5.0}}}
    return write(tmp_path, f"{name}.toml", tomli_w.dumps(spec))


def test_a_calibration_rounds_an_integer_parameter(tmp_path):
    from sim.calibrate import calibrate

    base = load_scenario(calibration(tmp_path, {"merchants.sme.count": [1, 9]}).parent / "base.toml")
    assert with_overrides(base, [("merchants.sme.count", 4.7)], source="calibration").merchants.sme.count == 5
    res = calibrate(tmp_path / "cal.toml", out=tmp_path / "out")
    fitted = load_scenario(tmp_path / "out" / "fitted.toml")
    assert fitted.merchants.sme.count == round(res.fitted["merchants.sme.count"])


def test_calibration_parameters_are_checked_against_the_base_naming_the_file(tmp_path):
    p = calibration(tmp_path, {"gifts.send_probability": [0.1, 2.0], "gifts.nope": [0.0, 1.0]})
    msg = error_of(load_calibration, p)
    assert msg.splitlines()[0] == (
        f"{p}: parameters.'gifts.send_probability' (upper bound): gifts.send_probability = 2.0: must be <= 1 "
        "(allowed: 0 <= send_probability <= 1)")
    assert msg.splitlines()[1].startswith(f"{p}: parameters.'gifts.nope' (lower bound): gifts.nope = 0.0: unknown key")


# --------------------------------------------------------------------------- 3. wording
def test_a_bad_range_gives_one_line_of_its_own_branch(tmp_path):
    p = batch(tmp_path, '[sweep]\n"policy.commercial_share" = { start = 0.5, stop = 0.1, num = 4 }\n')
    assert error_of(plan_batch, p) == f"{p}: sweep.'policy.commercial_share': stop (0.1) is below start (0.5)"
    q = batch(tmp_path, '[sweep]\n"policy.commercial_share" = "lots"\n', name="b2")
    assert error_of(plan_batch, q) == (
        f"{q}: sweep.'policy.commercial_share' = 'lots': must be a list or a table (start, stop, num, step, integer)")


def test_a_value_where_a_table_belongs_says_so_with_an_example(tmp_path):
    p = write(tmp_path, "s.toml", SMALL)
    assert error_of(load_scenario, p, ["policy=1"]) == (
        f"{p} (--set): policy = 1: must be a table of policy keys (commercial_share, allocation, ad_annoyance, "
        "push, ...), e.g. --set policy.commercial_share=0.025")
    q = write(tmp_path, "q.toml", "policy = 1\n" + SMALL)
    assert "must be a table of policy keys" in error_of(load_scenario, q)
    assert "a [policy] table with commercial_share = 0.025" in error_of(load_scenario, q)


@pytest.mark.parametrize("name, words", [
    (".hidden", "must start with a letter, a digit or '_', not '.'"),
    ("a/b", "may hold only letters (a-z, A-Z), digits, '_', '.' and '-', not '/'"),
])
def test_a_bad_batch_name_says_which_characters_are_allowed(tmp_path, name, words):
    p = write(tmp_path, "b.toml", f'name = "{name}"\nbase = "{WECHAT}"\n')
    msg = error_of(plan_batch, p)
    assert msg.startswith(f"{p}: name = '{name}': {words}") and "pattern" not in msg


def test_dates_in_messages_are_iso_not_python(tmp_path):
    p = write(tmp_path, "r.toml", SMALL + "[rollout]\nschedule = [{date = 2025-01-01, share = 0.5}, "
              "{date = 2024-12-20, share = 0.6}]\n")
    msg = error_of(load_scenario, p)
    assert msg == (f"{p}: rollout.schedule[1].date = 2024-12-20: rollout dates must increase: 2024-12-20 follows "
                   "2025-01-01 (schedule[0]); allowed: a date after 2025-01-01")
    q = write(tmp_path, "q.toml", SMALL + '[[occasions]]\nname = "x"\ndate = 2025-01-01\nlift = "big"\n')
    assert "datetime" not in error_of(load_scenario, q)


def test_a_sobol_size_not_a_power_of_two_names_the_key_and_the_nearest(tmp_path):
    p = batch(tmp_path, '[sample]\nmethod = "sobol"\nn = 10\nbounds = { "policy.commercial_share" = [0.01, 0.3] }\n')
    assert error_of(plan_batch, p) == (f"{p}: sample.n = 10: a Sobol design needs a power of 2 (its points are "
                                       "balanced only then); allowed: a power of 2, e.g. 8 or 16")


# --------------------------------------------------------------------------- 4. tags in --set
def test_set_of_a_new_rule_replaces_the_allocation_table():
    sc = load_scenario(DOUYIN, ["policy.allocation.rule=equal"])
    assert sc.policy.allocation.rule == "equal"
    for order in (["policy.allocation.rule=sales_proportional", "policy.allocation.exponent=2"],
                  ["policy.allocation.exponent=2", "policy.allocation.rule=sales_proportional"]):
        sc = load_scenario(DOUYIN, order)
        assert sc.policy.allocation.rule == "sales_proportional" and sc.policy.allocation.exponent == 2.0
        assert sc.policy.allocation.smoothing == 1.0  # the new rule's default
    # the same rule keeps the file's other keys
    assert load_scenario(DOUYIN, ["policy.allocation.rule=head_boost"]).policy.allocation.boost == 10.0
    # and a key the new rule lacks is still an error, naming --set
    msg = error_of(load_scenario, DOUYIN, ["policy.allocation.rule=equal", "policy.allocation.boost=3"])
    assert msg == f"{DOUYIN} (--set): policy.allocation.boost = 3: unknown key; allowed keys here: rule"


def test_set_of_a_new_graph_kind_or_dist_replaces_its_table(tmp_path):
    sc = load_scenario(WECHAT, ["graph.kind=barabasi_albert", "graph.n=100", "graph.m=3"])
    assert sc.graph.kind == "barabasi_albert" and sc.graph.n == 100
    sc = load_scenario(WECHAT, ["population.activity.dist=uniform", "population.activity.low=0.2",
                                "population.activity.high=0.9"])
    assert sc.population.activity.dist == "uniform" and sc.population.activity.low == 0.2


def test_a_batch_variant_changing_the_rule_replaces_the_table(tmp_path):
    p = write(tmp_path, "b.toml", f'name = "b"\nbase = "{DOUYIN}"\n[[variants]]\nname = "eq"\n'
              'set = { "policy.allocation.rule" = "equal" }\n')
    assert plan_batch(p).points[0].scenario.policy.allocation.rule == "equal"


# --------------------------------------------------------------------------- 5. dates in the period
def test_an_occasion_outside_the_period_is_an_error(tmp_path):
    p = write(tmp_path, "o.toml", SMALL + '[time]\nstart = 2024-12-19\nend = 2025-01-31\n'
              '[[occasions]]\nname = "Dragon Boat"\ndate = 2025-05-31\nlift = 1.0\n')
    assert error_of(load_scenario, p) == (
        f"{p}: occasions[0].date = 2025-05-31: occasion 'Dragon Boat' lies outside the simulated period "
        "2024-12-19 to 2025-01-31 (time.start to time.end), and so does its window (2025-05-26 to 2025-06-01, "
        "lead_days before to lag_days after), so it could not change anything; allowed: a date whose window "
        "overlaps the period (or leave the occasion out)")


def test_an_occasion_whose_run_up_falls_in_the_period_is_fine(tmp_path):
    p = write(tmp_path, "o.toml", SMALL + '[time]\nstart = 2024-12-19\nend = 2025-02-10\n'
              '[[occasions]]\nname = "Valentine"\ndate = 2025-02-14\nlift = 1.0\nlead_days = 5\n')
    assert load_scenario(p).occasions[0].name == "Valentine"


def test_a_rollout_starting_after_the_run_is_an_error(tmp_path):
    p = write(tmp_path, "r.toml", f'extends = "{WECHAT}"\nname = "late"\n[rollout]\n'
              "schedule = [{date = 2025-06-01, share = 0.5}]\n")
    assert error_of(load_scenario, p) == (
        f"{p}: rollout.schedule[0].date = 2025-06-01: the staged rollout starts after the simulated period "
        "2024-12-19 to 2025-02-14 (time.start to time.end) ends; the share is constant before the first point, "
        "so every step would get its share 0.5; allowed: a first date on or before time.end (2025-02-14)")
    # a point before the start or after the end shapes the share inside: fine
    ok = write(tmp_path, "ok.toml", f'extends = "{WECHAT}"\nname = "ok"\n[rollout]\n'
               "schedule = [{date = 2024-12-01, share = 0.1}, {date = 2025-03-01, share = 1.0}]\n")
    assert load_scenario(ok).rollout.schedule[0].share == 0.1


def test_inherited_dates_are_checked_against_the_new_period_and_name_their_file(tmp_path):
    occasions = "".join(f'[[occasions]]\nname = "{n}"\ndate = {d}\nlift = 1.0\nlag_days = 0\n'
                        for n, d in (("New Year", "2025-01-01"), ("Spring Festival", "2025-01-29"),
                                     ("Valentine", "2025-02-14")))
    base = write(tmp_path, "base.toml", SMALL + "[time]\nstart = 2024-12-19\nend = 2025-02-14\n" + occasions)
    p = write(tmp_path, "short.toml", 'extends = "base.toml"\nname = "short"\n[time]\nend = 2025-01-10\n')
    msg = error_of(load_scenario, p)
    assert msg.startswith(f"{base}: occasions[1].date = 2025-01-29: occasion 'Spring Festival'")
    assert f"{base}: occasions[2].date = 2025-02-14" in msg


def test_dated_occasions_with_the_yearly_calendar_are_refused(tmp_path):
    # the yearly calendar replaces the dated occasions: giving both is a mistake, named
    p = write(tmp_path, "y.toml", f'extends = "{WECHAT}"\nname = "y"\n[[occasions]]\nname = "o"\n'
              'date = 2025-01-05\nlift = 1.0\n')
    msg = error_of(load_scenario, p)
    assert "occasions = '1 dated occasion': dated occasions are not used when calendar.yearly = true" in msg
    assert "[[calendar.occasions]] table with a date" in msg
    # an empty list, or the same file without the yearly calendar, is fine
    assert load_scenario(write(tmp_path, "e.toml", f'extends = "{WECHAT}"\nname = "e"\noccasions = []\n'))
    off = write(tmp_path, "off.toml", f'extends = "{p.name}"\nname = "off"\n[calendar]\nyearly = false\n')
    assert [o.name for o in load_scenario(off).occasions] == ["o"]


def test_default_dates_and_classic_modes_are_not_checked(tmp_path):
    # defaults: a short period with the default calendar (occasions up to Valentine's Day)
    assert validate_scenario({"name": "d", "graph": {"kind": "complete", "n": 5},
                              "time": {"start": "2025-03-01", "end": "2025-03-05"}}).time.days == 5
    # the classic modes ignore occasions and the rollout
    raw = {"name": "c", "graph": {"kind": "complete", "n": 5}, "mode": {"kind": "bass", "p": 0.1, "q": 0.3},
           "time": {"start": "2025-03-01", "end": "2025-03-05"},
           "rollout": {"schedule": [{"date": "2026-01-01", "share": 0.5}]}}
    assert validate_scenario(raw).mode.kind == "bass"


def test_every_shipped_file_still_checks(capsys):
    files = sorted(str(p) for p in SCENARIOS.rglob("*.toml"))
    assert cli_main(["check", *files]) == 0, capsys.readouterr().out


# --------------------------------------------------------------------------- 6. none, docs
def test_set_none_unsets_an_optional_key(tmp_path):
    p = write(tmp_path, "s.toml", SMALL + "[gifts]\nchat_entry_from = 2025-01-17\n[merchants]\n"
              "max_admissions_per_week = 2\n")
    assert load_scenario(p).gifts.chat_entry_from is not None
    sc = load_scenario(p, ["gifts.chat_entry_from=none", "merchants.max_admissions_per_week=none"])
    assert sc.gifts.chat_entry_from is None and sc.merchants.max_admissions_per_week is None
    assert error_of(load_scenario, p, ["policy.commercial_share=none"]) == (
        f"{p} (--set): policy.commercial_share = 'none': must be a valid number (allowed: 0 <= commercial_share <= 1)")
    assert error_of(load_scenario, p, ["gifts.chat_entry_from=soon"]) == (
        f"{p} (--set): gifts.chat_entry_from = 'soon': must be a date (YYYY-MM-DD), or leave the key out for "
        "none (--set gifts.chat_entry_from=none)")


def test_docs_say_how_to_leave_a_key_out():
    text = (ROOT / "docs" / "model.md").read_text(encoding="utf-8")
    row = next(line for line in text.splitlines() if line.startswith("| `gifts.chat_entry_from`"))
    assert "or left out" in row and "| none |" not in row and "--set gifts.chat_entry_from=none" in row
    assert "`--set KEY=none`" in text


def test_readme_names_the_columns_of_the_run_tables():
    from sim.model import SERIES
    from sim.model.gifts import GIFT_COLUMNS

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    rows = {m.group(1): m.group(2) for m in re.finditer(r"^\| `(\w+)\.parquet` \| (.*) \|$", readme, re.M)}
    for col in ["step", "date", *SERIES]:
        assert f"`{col}`" in rows["series"], col
    for col in ["gift_id", *GIFT_COLUMNS]:
        assert f"`{col}`" in rows["gifts"], col
    assert "one row per day" not in readme and "day sent" not in rows["gifts"]


def test_sources_cite_the_domain_brief_in_the_repository():
    files = [*SCENARIOS.rglob("*.toml"), ROOT / "docs" / "model.md", ROOT / "docs" / "scenarios.md",
             ROOT / "sim" / "scenario" / "schema.py"]
    for f in files:
        assert "../shared/domain.md" not in f.read_text(encoding="utf-8"), f
    assert "`docs/domain.md`" in (ROOT / "docs" / "model.md").read_text(encoding="utf-8")


# --------------------------------------------------------------------------- 7. merchant bound
def test_merchant_count_is_capped_at_a_laptop_size(tmp_path):
    p = write(tmp_path, "s.toml", SMALL)
    assert error_of(load_scenario, p, ["merchants.sme.count=1000000"]) == (
        f"{p} (--set): merchants.sme.count = 1000000: must be <= 100000 (allowed: 0 <= count <= 100000)")
    assert load_scenario(p, ["merchants.sme.count=100000"]).merchants.sme.count == 100_000


def test_calendar_keys_without_the_yearly_switch_are_fine_unless_they_change_the_yearly_occasions(tmp_path):
    # birthdays need no yearly calendar; a dump of any scenario (which holds every default) reads back
    p = write(tmp_path, "b.toml", f'extends = "{WECHAT}"\nname = "b"\n[calendar]\nyearly = false\n'
              "birthday_gift_rate = 0.01\n")
    sc = load_scenario(p)
    assert sc.calendar.birthday_gift_rate == 0.01 and not sc.calendar.yearly
    for s in (sc, load_scenario(WECHAT)):
        assert validate_scenario(s.model_dump(mode="json", by_alias=True), "<dump>") == s
