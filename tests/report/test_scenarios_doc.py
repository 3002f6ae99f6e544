"""docs/scenarios.md remade by one command: generated blocks rewritten between their markers
(prose kept), sign sentences from comparisons tables, and the document's blocks matching
its batch files."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from sim.batch import DEFAULT_ROBUSTNESS, load_batch, plan_batch
from sim.batch.uncertainty import robustness_of, uncertainty_of
from sim.report.answers import comparison_lines, format_value, sign_sentence
from sim.report.doc_blocks import DocBlockError, find_blocks, replace_blocks
from sim.report.scenarios_doc import folder_state, main, regenerate

from ..conftest import ROOT
from ..tiny_batch import tiny_batch

DOC = """# Title

Prose before, quoting nothing.

<!-- generated: alpha -->
old table
old sentence
<!-- end generated -->

Prose between.
<!-- generated: beta compare=gifts_sent,hhi -->
<!-- end generated -->
Prose after.
"""


def test_blocks_are_replaced_between_their_markers_and_prose_is_kept_byte_for_byte():
    seen = []

    def render(name):
        def f(block):
            seen.append((block.name, block.options))
            return f"new {name}"
        return f

    out = replace_blocks(DOC, {"alpha": render("alpha"), "beta": render("beta")}, "doc.md")
    assert out == DOC.replace("old table\nold sentence\n", "new alpha\n").replace(
        "<!-- generated: beta compare=gifts_sent,hhi -->\n", "<!-- generated: beta compare=gifts_sent,hhi -->\nnew beta\n")
    assert seen == [("alpha", {}), ("beta", {"compare": "gifts_sent,hhi"})]
    # a second pass with the same bodies changes nothing (idempotent)
    assert replace_blocks(out, {"alpha": render("alpha"), "beta": render("beta")}) == out


def test_an_unknown_block_is_refused_naming_it_its_line_and_the_names_allowed():
    with pytest.raises(DocBlockError) as info:
        replace_blocks(DOC, {"alpha": lambda b: "x"}, "doc.md")
    assert str(info.value) == "doc.md, line 11: unknown generated block 'beta'; allowed: alpha"


@pytest.mark.parametrize("text, message", [
    ("<!-- generated: a -->\nx\n", "doc.md, line 1: block 'a' is not closed with <!-- end generated -->"),
    ("<!-- generated: a -->\n<!-- generated: b -->\n<!-- end generated -->\n",
     "doc.md, line 2: block 'a' (line 1) is not closed with <!-- end generated --> before the next block starts"),
    ("x\n<!-- end generated -->\n", "doc.md, line 2: <!-- end generated --> without a <!-- generated: NAME --> "
     "before it"),
    ("<!-- generated: a b -->\n<!-- end generated -->\n", "doc.md, line 1: option 'b' of block 'a' is not key=value"),
    ("<!-- generated -->\n", "doc.md, line 1: malformed marker '<!-- generated -->'"),
])
def test_malformed_blocks_get_one_clear_message(text, message):
    with pytest.raises(DocBlockError) as info:
        find_blocks(text, "doc.md")
    assert str(info.value).startswith(message)


def _row(**kw):
    base = dict(point=1, point_name="douyin_style", reference="wechat_gift_launch", outcome="gifts_sent",
                unit="draw", n=20, mean=1263.4, lo=1107.0, hi=1420.2, p_higher=1.0, p_lower=0.0, flips_at="")
    base.update(kw)
    return pd.Series(base)


def test_sign_sentence_from_a_hand_made_comparison():
    assert sign_sentence(_row(), robustness=True) == (
        "douyin_style gives more gifts sent than wechat_gift_launch in 100% of draws "
        "(difference +1,263 [+1,107, +1,420]); robust to the unsourced parameters")
    # lower in 3 of 20 draws, higher in 17: "more ... in 85%"; no robustness ends: no flag
    assert sign_sentence(_row(p_higher=0.85, p_lower=0.15), robustness=False).endswith(
        "in 85% of draws (difference +1,263 [+1,107, +1,420])")
    flipped = _row(outcome="sme_gmv_share", mean=-0.098, lo=-0.187, hi=0.0404, p_higher=0.03, p_lower=0.97,
                   flips_at="policy.ad_annoyance = 0.1, merchants.sme.fixed_cost_per_week = 20.0")
    assert sign_sentence(flipped, robustness=True) == (
        "douyin_style gives less small and medium merchants' share of GMV than wechat_gift_launch in 97% of "
        "draws (difference -9.8 pp [-18.7 pp, +4.0 pp]); flips at policy.ad_annoyance = 0.1, "
        "merchants.sme.fixed_cost_per_week = 20.0")
    same = _row(outcome="muted_share", mean=0.0, lo=0.0, hi=0.0, p_higher=0.0, p_lower=0.0, unit="replicate")
    assert sign_sentence(same, robustness=False) == (
        "douyin_style gives the same users who muted as wechat_gift_launch in 100% of replicates "
        "(difference 0.0 pp [0.0 pp, 0.0 pp])")
    tie = _row(outcome="active_merchants", mean=0.0, lo=-3.8, hi=3.8, p_higher=0.5, p_lower=0.5)
    assert sign_sentence(tie, robustness=False) == (
        "douyin_style against wechat_gift_launch: merchants on the platform at the end higher in 50% of draws and "
        "lower in 50%, no clear sign (difference 0 [-3.80, +3.80])")
    undefined = _row(mean=math.nan, lo=math.nan, hi=math.nan, p_higher=math.nan, p_lower=math.nan)
    assert sign_sentence(undefined, robustness=True) == "douyin_style against wechat_gift_launch: gifts sent undefined"


def test_comparison_lines_follow_the_outcomes_asked_for_then_the_points():
    table = pd.DataFrame([_row(point=2, point_name="b"), _row(point=1, point_name="a"),
                          _row(outcome="hhi", mean=0.01, lo=0.005, hi=0.02)])
    lines = comparison_lines(table, ["hhi", "gifts_sent"], robustness=False).splitlines()
    assert [line[:40] for line in lines] == ["- douyin_style gives more HHI of merchan", "- a gives more gifts sent than wechat_gi",
                                             "- b gives more gifts sent than wechat_gi"]
    assert comparison_lines(table, ["gmv_rmb"], robustness=False) == ""
    assert format_value("adoption_share", 0.0518) == "5.2%" and format_value("gmv_rmb", 21004.4) == "21,004"
    assert format_value("hhi", 0.0598) == "0.060" and format_value("mini_program_merchants", 0.0) == "0"


def test_the_documents_blocks_are_its_answer_batches_each_with_uncertainty():
    """Every generated block of docs/scenarios.md names a batch file whose name is the block's,
    and the answer batches of §1-§5 and §7 carry posterior uncertainty and robustness ends;
    §9's batch draws behaviour from ranges (for scenario discovery) over every unsourced
    parameter its policies use."""
    blocks = find_blocks((ROOT / "docs" / "scenarios.md").read_text(encoding="utf-8"), "docs/scenarios.md")
    names = [b.name for b in blocks]
    assert names == ["launch_policies", "commercial_share_sweep", "push_and_sharing", "gift_entry",
                     "platform_styles", "three_years", "pareto_policies"]
    pareto = uncertainty_of(load_batch(ROOT / "scenarios" / "pareto_policies.toml")[0])
    assert pareto.posterior is None and pareto.draws == 200
    assert {"policy.ad_annoyance", "policy.induced_sharing.annoyance", "gifts.send_probability"} <= set(pareto.ranges)
    blocks = blocks[:-1]
    for block in blocks:
        name = block.name
        spec, _ = load_batch(ROOT / "scenarios" / f"{name}.toml")
        assert spec.name == name
        assert set(block.options) <= {"compare"}, name
        assert set(block.options.get("compare", "gifts_sent").split(",")) <= set(spec.outcomes), name
        u = uncertainty_of(spec)
        assert u is not None and u.posterior == "shipped" and u.draws == 20, name
        assert robustness_of(spec) == DEFAULT_ROBUSTNESS, name


TINY_BODY = """replicates = 1
seed = 3
outcomes = ["gifts_sent", "muted_share"]
[[variants]]
name = "base"
[[variants]]
name = "more commerce"
set = { "policy.commercial_share" = 0.4 }
[uncertainty]
ranges = { "gifts.send_probability" = [0.2, 0.5] }
draws = 2
[robustness]
parameters = { "policy.ad_annoyance" = [0.005, 0.1] }
"""


def test_regenerate_runs_a_missing_batch_keeps_a_complete_one_and_refuses_a_different_one(tmp_path, capsys):
    scen = tmp_path / "scenarios"
    scen.mkdir()
    tiny_batch(scen, TINY_BODY, name="answer")
    doc = tmp_path / "doc.md"
    doc.write_text("Intro.\n<!-- generated: answer -->\nstale\n<!-- end generated -->\nEnd.\n")
    results = tmp_path / "results"
    timings = regenerate(doc, scen, results, workers=1)
    assert [(t.name, t.runs, t.state) for t in timings] == [("answer", 8, "ran")]
    text = doc.read_text()
    assert text.startswith("Intro.\n<!-- generated: answer -->\nMean [95% interval] over 2 parameter draws")
    assert text.endswith("<!-- end generated -->\nEnd.\n") and "stale" not in text
    assert "| gifts sent | " in text and "- more commerce gives more gifts sent than base in " in text
    assert "; robust to the unsourced parameters" in text or "; flips at policy.ad_annoyance = " in text
    # complete: kept, the same text
    again = regenerate(doc, scen, results, workers=1)
    assert [t.state for t in again] == ["kept"] and doc.read_text() == text
    # another batch file under the same name: refused (exit 2), the document untouched
    (scen / "answer.toml").write_text((scen / "answer.toml").read_text().replace("seed = 3", "seed = 4"))
    assert folder_state(results / "answer", []) == "different"
    assert main([str(doc), "--scenarios", str(scen), "--results", str(results), "--workers", "1"]) == 2
    assert "holds a different batch" in capsys.readouterr().err
    assert doc.read_text() == text
    # --set-aside: the old folder renamed (kept whole), the new batch run, the block remade
    assert main([str(doc), "--scenarios", str(scen), "--results", str(results), "--workers", "1", "--set-aside"]) == 0
    old = [p for p in results.iterdir() if p.name.startswith("answer.old-")]
    assert len(old) == 1 and folder_state(old[0], [r.run_id for r in plan_batch(scen / "answer.toml").runs]) == "different"
    assert folder_state(results / "answer", [r.run_id for r in plan_batch(scen / "answer.toml").runs]) == "complete"
    assert doc.read_text() != text and doc.read_text().startswith("Intro.\n<!-- generated: answer -->\nMean")
