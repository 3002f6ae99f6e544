"""sim.scenario.reference: the basis of every default (sourced, calibrated, assumption,
lever, setting) in the generated parameter tables of docs/model.md."""

from __future__ import annotations

import fnmatch

import pytest

from sim.scenario.reference import BASES, LEVER_KEYS, SETTING_KEYS, parameter_basis, parameter_rows, parameter_tables

BEHAVIOUR = ("population.*", "gifts.*", "rollout.*", "occasions", "merchants.*", "categories.*", "groups.*",
             "calendar.*", "policy.ad_annoyance", "policy.*.annoyance", "policy.*.click_through",
             "policy.*.send_boost", "policy.paid_traffic.cpm_rmb")
"""Keys of behaviour: their defaults must be sourced, calibrated or an assumption."""

NOT_BEHAVIOUR = ("population.budget_period", "population.response.enabled", "gifts.item", "calendar.yearly",
                 "groups.enabled", "groups.file", "merchants.*.segment", "merchants.*.head", "merchants.*.colour",
                 "merchants.*.label", "merchants.*.channel", "merchants.*.categories",
                 "merchants.max_admissions_per_week")
"""Keys under a behaviour table that are switches, files, roles or a platform's choice."""


def _matches(key: str, patterns: tuple[str, ...]) -> bool:
    return any(fnmatch.fnmatchcase(key, p) for p in patterns)


@pytest.mark.parametrize(("key", "doc", "basis"), [
    ("policy.commercial_share", "Fraction of feed impressions (domain.md §2; assumption).", "lever"),
    ("policy.allocation.exponent", "Exponent of past sales.", "lever"),
    ("policy.push.reach", "Share of active users pushed each day.", "lever"),
    ("time.start", "First simulated day (domain.md §1).", "setting"),
    ("merchants.livestreamer.colour", "Colour of the kind in charts.", "setting"),
    ("gifts.x", "Chance (calibrated to evidence.md; prior: assumption, range 0.01-0.2).", "calibrated"),
    ("gifts.x", "Chance (assumption; range 1-3; WeChat only pushes messages, domain.md §2).", "assumption"),
    ("gifts.x", "Chance (Assumption; range 1-3).", "assumption"),
    ("gifts.x", "Expiry (domain.md §1).", "sourced"),
    ("gifts.x", "Most receivers pay forward (Kizilcec et al.).", "sourced"),
    ("gifts.x", "Coefficient of innovation (Bass 1969).", "sourced"),
    ("gifts.x", "Entry in the chat menu (issue #8).", "sourced"),
    ("gifts.x", "Budgets per month (issue 14).", "sourced"),
    ("gifts.x", "Figure in ../shared/evidence.md.", "sourced"),
    ("gifts.x", "Largest group (source: WeChat caps a group at 500 members).", "sourced"),
    ("gifts.x", "Days between reviews, 500 or 1,000,000 units.", "setting"),
    ("merchants.review_days", "Days between merchants' join/leave reviews.", "setting"),
])
def test_parameter_basis_follows_the_key_then_the_docstring(key, doc, basis):
    assert parameter_basis(key, doc) == basis


def test_every_basis_is_one_of_the_five_and_every_key_pattern_is_used():
    rows = parameter_rows()
    assert {b for _, b, _ in rows} <= set(BASES)  # calibrated once the calibration marks its keys
    keys = [k for k, _, _ in rows]
    for pattern in LEVER_KEYS + SETTING_KEYS:
        assert any(fnmatch.fnmatchcase(k, pattern) for k in keys), f"{pattern} names no key"


def test_every_behaviour_default_is_sourced_calibrated_or_an_assumption():
    # An unmarked behaviour default ("Days between reviews.") comes out as `setting`: the
    # suite fails until its docstring says "assumption; range lo-hi" or cites its source.
    unmarked = [k for k, b, _ in parameter_rows() if b == "setting" and not _matches(k, SETTING_KEYS)]
    assert not unmarked, f"behaviour defaults without a basis (mark them in the schema's docstrings): {unmarked}"
    wrong = [(k, b) for k, b, _ in parameter_rows()
             if _matches(k, BEHAVIOUR) and not _matches(k, NOT_BEHAVIOUR)
             and b not in ("sourced", "calibrated", "assumption")]
    assert not wrong, wrong


def test_the_tables_show_the_basis_column():
    text = parameter_tables()
    assert text.count("| key | allowed | default | basis | meaning and source |") > 20
    row = next(line for line in text.splitlines() if line.startswith("| `policy.push.click_through` |"))
    assert row.split(" | ")[3] == "assumption"
    row = next(line for line in text.splitlines() if line.startswith("| `policy.commercial_share` |"))
    assert row.split(" | ")[3] == "lever"


CALIBRATION_KEYS = ("population.pay_forward", "population.reciprocity", "gifts.send_probability",
                    "gifts.click_through", "gifts.accept_intercept")
"""Keys the ABC-SMC calibration (docs/evidence.md) is to mark as calibrated."""


def test_every_assumption_gives_its_range():
    # "assumption" alone is not enough: the guide asks for a range to vary it over. A switch
    # (true/false) has no range; the calibration's keys get theirs from the calibration.
    missing = [k for k, b, doc in parameter_rows() if b == "assumption" and "range" not in doc
               and k not in CALIBRATION_KEYS + ("gifts.unlock_on_receive",)]
    assert not missing, f"assumptions without a range: {missing}"
