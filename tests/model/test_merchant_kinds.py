"""Merchant kinds as data: ``[merchants.<name>]`` tables, their roles (summary segment,
head kind) and chart styles; the shipped scenarios load as before."""

from __future__ import annotations

import ast
import json

import numpy as np
import pytest

from sim import run
from sim.model import GiftModel
from sim.policies import HeadBoostParams, MerchantView, make_policy
from sim.results.store import run_id
from sim.scenario import ScenarioError, load_scenario, with_overrides
from sim.scenario.schema import KIND_ROLE_KEYS, MerchantConfig
from sim.viz.charts import KIND_PALETTE, kind_styles, merchant_frame, top_merchants_chart

from ..conftest import ROOT, SCENARIOS, small_scenario, write

MINIMAL = 'name = "t"\n[graph]\nkind = "barabasi_albert"\nn = 50\nm = 2\n'
LIVE = {"count": 6, "price": 80.0, "appeal": 3.0, "followers": 50.0, "segment": "sme", "colour": "#ff0000",
        "label": "Live"}
"""A new kind: livestreamers, counted with the small and medium merchants, shown in red."""
BUILTIN = ("brand", "sme", "white_label")


def live_scenario(live: dict | None = None, **overrides):
    return small_scenario(merchants={"livestreamer": {**LIVE, **(live or {})}}, **overrides)


def test_a_new_kind_in_a_file_comes_after_the_builtin_kinds(tmp_path):
    p = write(tmp_path, "s.toml", MINIMAL + '[merchants.livestreamer]\ncount = 3\nprice = 50.0\nsegment = "sme"\n'
              'head = true\n[merchants.sme]\ncount = 7\n')
    m = load_scenario(p).merchants
    assert m.kind_names == (*BUILTIN, "livestreamer")
    assert m.segment_codes("sme") == (1, 3) and m.segment_codes("brand") == (0,) and m.segment_codes("other") == (2,)
    assert m.head_kinds() == ("brand", "livestreamer")
    assert m.kind_labels() == m.kind_names
    assert m.livestreamer.count == 3 and m.sme.count == 7
    assert m.livestreamer.quality == type(m.brand).model_fields["quality"].default  # the field default, not brand's


def test_adding_a_kind_keeps_the_other_merchants_and_ids():
    plain, live = GiftModel(small_scenario(), seed=3), GiftModel(live_scenario(), seed=3)
    a, b = plain.merchant_table, live.merchant_table
    n = a.n_merchants
    assert n == 34 and b.n_merchants == 40
    assert b.kind[n:].tolist() == [3] * 6 and np.array_equal(a.kind, b.kind[:n])
    for col in ("price", "quality", "appeal", "followers", "active"):  # drawn first, from the same stream
        assert np.array_equal(getattr(a, col), getattr(b, col)[:n]), col
    assert np.all(b.price[n:] == 80.0) and np.all(b.followers[n:] == 50.0)


def test_a_new_kind_is_counted_by_its_segment():
    res = run(live_scenario(), seed=3)
    m = res.merchants
    assert list(m["kind"].cat.categories) == [*BUILTIN, "livestreamer"]
    assert m["merchant"][m["kind"] == "livestreamer"].tolist() == list(range(34, 40))
    ever = m[m["joined_step"] >= 0]
    total = ever["gmv"].sum()
    live_gmv = ever.loc[ever["kind"] == "livestreamer", "gmv"].sum()
    assert live_gmv > 0 and total > live_gmv
    sme_gmv = ever.loc[ever["kind"].isin(["sme", "livestreamer"]), "gmv"].sum()
    assert res.summary["sme_gmv_share"] == pytest.approx(sme_gmv / total, rel=1e-12)
    assert res.summary["brand_gmv_share"] == pytest.approx(ever.loc[ever["kind"] == "brand", "gmv"].sum() / total,
                                                           rel=1e-12)
    other = run(live_scenario({"segment": "other"}), seed=3)  # the same run, counted elsewhere
    assert other.merchants["gmv"].equals(m["gmv"])
    assert other.summary["sme_gmv_share"] == pytest.approx((sme_gmv - live_gmv) / total, rel=1e-12)


def _impression_share(res, kinds) -> float:
    m = res.merchants
    return float(m.loc[m["kind"].isin(kinds), "impressions"].sum() / m["impressions"].sum())


@pytest.mark.parametrize("head, head_kinds, boosted", [
    (True, None, ("brand", "livestreamer")),  # head = true: boosted with the brands
    (False, None, ("brand",)),  # not a head kind
    (False, ["livestreamer"], ("livestreamer",)),  # the policy names the kinds itself
])
def test_head_boost_reads_the_head_attribute(head, head_kinds, boosted):
    alloc = {"rule": "head_boost", "boost": 1e6, "head_count": 0}
    if head_kinds is not None:
        alloc["head_kinds"] = head_kinds
    sc = live_scenario({"head": head}, policy={"commercial_share": 0.2, "allocation": alloc},
                       time={"start": "2024-12-19", "end": "2024-12-28"})
    res = run(sc, seed=5)
    assert _impression_share(res, boosted) > 0.999
    assert _impression_share(res, ["livestreamer"]) > 0.05 if "livestreamer" in boosted else \
        _impression_share(res, ["livestreamer"]) < 0.001


def test_charts_show_a_new_kind_with_its_label_and_colour():
    sc = live_scenario()
    m = GiftModel(sc, seed=3)
    for _ in range(10):
        m.step()
    frame = merchant_frame(m)
    assert list(frame["kind"].cat.categories) == ["brand", "sme", "white_label", "Live"]
    assert set(frame.loc[frame["kind"] == "Live", "colour"]) == {"#ff0000"}
    assert set(frame.loc[frame["kind"] == "brand", "colour"]) == {"#1d3557"}
    spec = top_merchants_chart(frame).to_dict()
    scale = spec["encoding"]["color"]["scale"]
    assert scale["domain"] == ["brand", "sme", "white_label", "Live"]
    assert scale["range"] == ["#1d3557", "#2a9d8f", "#e9c46a", "#ff0000"]
    labels, colours = kind_styles(live_scenario({"colour": None, "label": None}).merchants)
    assert labels[3] == "livestreamer" and colours[3] == KIND_PALETTE[3]  # no colour: the palette's, by code


# issue 14: ids moved with the new keys and defaults the dumped scenario holds (population:
# pay_forward_days, response, monthly budget_period and budget; the [calendar] table; the
# yearly calendar of wechat_gift_launch.toml; groups in red_envelope_2014.toml); issue 15: with the
# calibrated defaults (pass-on, reciprocity, click-through, gifting chance, acceptance, brands' fixed cost)
@pytest.mark.parametrize("file, rid", [
    ("wechat_gift_launch.toml", "s7-b25792cfac27"),
    ("douyin_style.toml", "s7-2426f3eb5cce"),
    ("red_envelope_2014.toml", "s7-ba12b684a1ab"),  # [merchants.brand] / .sme / .white_label tables
    ("onboarding_cap.toml", "s7-04410e4f5c87"),
    ("classic/ic_facebook.toml", "s7-9ca59d960bf4"),
])
def test_shipped_scenarios_load_as_before(file, rid):
    """Run ids (a hash of the dumped scenario) as before kinds were data: the role keys are
    left out of dumps where they are the kind's defaults."""
    sc = load_scenario(SCENARIOS / file)
    assert run_id(sc, 7) == rid
    assert sc.merchants.kind_names == BUILTIN
    dump = json.loads(sc.model_dump_json(by_alias=True))["merchants"]
    assert not {k for name in BUILTIN for k in dump[name]} & set(KIND_ROLE_KEYS)


def test_role_keys_round_trip_through_dumps():
    sc = live_scenario()
    dump = sc.model_dump(mode="json", by_alias=True)
    assert dump["merchants"]["livestreamer"]["segment"] == "sme" and "head" not in dump["merchants"]["livestreamer"]
    again = with_overrides(sc, [("merchants.brand.head", False)])
    assert again.merchants.head_kinds() == () and again.merchants.livestreamer == sc.merchants.livestreamer
    assert "head" in again.model_dump(by_alias=True)["merchants"]["brand"]  # away from brand's default: kept


def test_overrides_reach_and_add_kinds():
    sc = with_overrides(live_scenario(), [("merchants.livestreamer.count", 2),
                                          ("merchants.podcaster", {"count": 1, "price": 30.0})])
    assert sc.merchants.kind_names == (*BUILTIN, "livestreamer", "podcaster")
    assert sc.merchants.livestreamer.count == 2 and sc.merchants.podcaster.count == 1
    # a new kind's integer keys are integer keys: whole floats of a sweep, a calibration's proposal
    assert with_overrides(sc, [("merchants.livestreamer.count", 4.0)]).merchants.livestreamer.count == 4
    assert with_overrides(sc, [("merchants.podcaster.initial_stock", 4.7)],
                          source="calibration").merchants.podcaster.initial_stock == 5


def test_a_batch_sweeps_a_new_kinds_count(tmp_path):
    from sim.batch import plan_batch

    write(tmp_path, "live.toml", MINIMAL + "[merchants.livestreamer]\ncount = 3\nprice = 5.0\n")
    b = write(tmp_path, "b.toml", 'name = "kb"\nscenarios = ["live.toml"]\nreplicates = 1\n'
              '[sweep]\n"merchants.livestreamer.count" = [2, 4.0]\n')
    plan = plan_batch(b)
    assert [pt.scenario.merchants.livestreamer.count for pt in plan.points] == [2, 4]


@pytest.mark.parametrize("text, fragments", [
    ("[merchants]\nreview_dayz = 7\n", ["merchants.review_dayz = 7: is not a key of [merchants]",
                                        "allowed: review_days, exit_after", "a table [merchants.review_dayz]"]),
    ("[merchants.Live-Streamer]\ncount = 3\nprice = 5.0\n", ["merchants.Live-Streamer", "lower-case letters"]),
    ("[merchants.livestreamer]\ncount = 3\n", ["merchants.livestreamer.price", "missing"]),
    ("[merchants.livestreamer]\ncount = 3\nprice = 5.0\ncnt = 2\n",
     ["merchants.livestreamer.cnt = 2: unknown key", "allowed keys here: count, joined_at_start"]),
    ("[merchants.livestreamer]\ncount = 3\nprice = 5.0\ncolour = \"red\"\n", ["merchants.livestreamer.colour"]),
    ("[merchants.livestreamer]\ncount = 3\nprice = 5.0\nsegment = \"big\"\n",
     ["merchants.livestreamer.segment = 'big'", "'brand', 'sme' or 'other'"]),
    ("[merchants.livestreamer]\ncount = 3\nprice = 5.0\nlabel = \"sme\"\n",
     ["merchants.livestreamer.label = 'sme'", "two kinds show as 'sme'"]),
    ("[merchants.a]\ncount = 100000\nprice = 5.0\n[merchants.b]\ncount = 100000\nprice = 5.0\n"
     "[merchants.c]\ncount = 100000\nprice = 5.0\n", ["merchants.c.count = 100000", "300,034", "at most 300,000"]),
    ("[policy.allocation]\nrule = \"head_boost\"\nhead_kinds = [\"brand\", \"livestreamer\"]\n",
     ["policy.allocation.head_kinds", "names 'livestreamer'", "allowed: brand, sme, white_label"]),
    ("".join(f"[merchants.k{i}]\ncount = 0\nprice = 5.0\n" for i in range(98)),
     ["merchants.k97", "at most 100 kinds"]),
])
def test_bad_kind_tables_name_the_key_and_what_is_allowed(tmp_path, text, fragments):
    p = write(tmp_path, "bad.toml", MINIMAL + text)
    with pytest.raises(ScenarioError) as info:
        load_scenario(p)
    msg = str(info.value)
    assert str(p) in msg and "\n" not in msg.strip()
    for frag in fragments:
        assert frag in msg, msg


def test_a_policy_names_kinds_through_its_view():
    n = 4
    view = MerchantView(day=0, step_days=1.0, active=np.ones(n, dtype=bool), kind=np.array([0, 1, 3, 3], np.int8),
                        followers=np.zeros(n), joined_day=np.zeros(n, np.int32), recent_orders=np.zeros(n),
                        total_orders=np.zeros(n), total_impressions=np.zeros(n), quality=np.full(n, 0.5),
                        expected_impressions=10.0, kind_names=(*BUILTIN, "livestreamer"),
                        head_kinds=("livestreamer",))
    w = make_policy(HeadBoostParams(boost=5.0, head_count=0)).weights(view, np.random.default_rng(0))
    assert w.tolist() == [1.0, 1.0, 5.0, 5.0]
    w = make_policy(HeadBoostParams(boost=5.0, head_count=0, head_kinds=("sme",))).weights(view, None)
    assert w.tolist() == [1.0, 5.0, 1.0, 1.0]
    with pytest.raises(ValueError, match="'podcaster' is not one of this run's kinds"):
        make_policy(HeadBoostParams(head_kinds=("podcaster",))).weights(view, None)


def test_classic_modes_take_the_scenarios_kinds_with_no_merchants():
    cfg = MerchantConfig.model_validate({"livestreamer": LIVE})
    empty = cfg.emptied()
    assert empty.kind_names == cfg.kind_names and all(t.count == 0 for t in empty.types())
    assert empty.livestreamer.model_dump() == {**cfg.livestreamer.model_dump(), "count": 0}


def test_policies_do_not_import_the_model():
    """The policy gets a documented view (MerchantView), so sim.policies imports nothing of
    sim.model (the model <-> policies import cycle is gone)."""
    for path in sorted((ROOT / "sim" / "policies").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                target = ("." * node.level) + (node.module or "")
                assert not (target.startswith("..model") or target.startswith("sim.model")), (path, target)


@pytest.mark.parametrize("text, ok", [
    ("[merchants.livestreamer]\ncount = 3\nprice = 5.0\nsegment = 'sme'\nhead = true\ncolour = '#ff006e'\n", True),
    ("[merchants.livestreamer]\ncount = 3\n", False),  # a new kind needs its price
    ("[merchants.livestreamer]\ncount = 3\nprice = 5.0\ncnt = 1\n", False),
    ("[merchants.livestreamer]\ncount = 3\nprice = 5.0\nsegment = 'big'\n", False),
    ("[merchants.Live]\ncount = 3\nprice = 5.0\n", False),  # not a kind name
    ("[merchants]\nreview_dayz = 7\n", False),  # neither a setting nor a table
    ("[merchants.brand]\nhead = false\n", True),  # a built-in kind given in part
])
def test_editor_schema_agrees_with_the_loader_on_kinds(tmp_path, text, ok):
    jsonschema = pytest.importorskip("jsonschema")
    import tomllib

    from sim.schemas import json_schema

    schema = json_schema("scenario")
    errors = list(jsonschema.validators.validator_for(schema)(schema).iter_errors(tomllib.loads(MINIMAL + text)))
    assert (errors == []) is ok, [e.message for e in errors]
    try:
        load_scenario(write(tmp_path, "s.toml", MINIMAL + text))
        loaded = True
    except ScenarioError:
        loaded = False
    assert loaded is ok
