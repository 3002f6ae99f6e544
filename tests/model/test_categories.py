"""Product categories (issue 14): the ``[categories]`` table, a merchant kind's
``categories`` weights, the merchants' prices, returns and gift suitability drawn from
them, and the guards on bad values."""

from __future__ import annotations

import json

import numpy as np
import pytest

from sim import run
from sim.cli import main
from sim.model import GiftModel, GiftSource
from sim.model.categories import draw_kind_products
from sim.model.merchants import MerchantTable
from sim.model.steps import Visits, send
from sim.reference.model import unsupported
from sim.results.store import run_id
from sim.scenario import ScenarioError, load_scenario, validate_scenario, with_overrides
from sim.scenario.categories_config import CategoriesConfig, builtin_categories
from sim.scenario.schema import MerchantConfig

from ..conftest import small_scenario
from .test_model import check_invariants
from .test_steps import NOW, tiny_table, tiny_world

BASE = {"name": "cats", "graph": {"kind": "holme_kim", "n": 60, "m": 2, "p": 0.3, "seed": 3}}
BUILTIN = ("books", "small_appliances", "food", "apparel", "beauty", "luxury")


def scenario(**tables) -> object:
    return validate_scenario({**BASE, **tables}, "cats.toml")


def refused(tables: dict) -> str:
    with pytest.raises(ScenarioError) as e:
        scenario(**tables)
    return str(e.value)


# ---------------------------------------------------------------- the table

def test_builtin_categories_and_partial_tables():
    cats = scenario().categories
    assert cats.names == BUILTIN and cats.is_default()
    assert cats.apparel.return_rate == 0.8 and cats.books.gift_suitability == 1.5
    sc = scenario(categories={"apparel": {"return_rate": 0.5}, "toys": {"price": 40.0, "gift_suitability": 2.0}})
    assert sc.categories.apparel.return_rate == 0.5
    assert sc.categories.apparel.price == builtin_categories()["apparel"].price  # the rest kept
    assert sc.categories.names == (*BUILTIN, "toys") and sc.categories.toys.return_rate == 0.2
    assert not sc.categories.is_default()


def test_defaults_stay_out_of_dumps_and_dumps_round_trip():
    plain = scenario()
    dump = json.loads(plain.model_dump_json(by_alias=True))
    assert "categories" not in dump and not any("categories" in dump["merchants"][k] for k in MerchantConfig().kind_names)
    sc = scenario(categories={"toys": {"price": 40.0}}, merchants={"sme": {"categories": {"toys": 1.0, "food": 2.0}}})
    again = validate_scenario(json.loads(sc.model_dump_json(by_alias=True)), "<dump>")
    assert again == sc and run_id(again, 1) == run_id(sc, 1) != run_id(plain, 1)


@pytest.mark.parametrize("tables, says", [
    ({"categories": {"toys": {"gift_suitability": 2.0}}}, "cats.toml: categories.toys.price: is missing"),
    ({"categories": {"toys": {"price": 5.0, "size": 1}}}, "categories.toys.size = 1: unknown key; allowed keys here: "
                                                          "price, gift_suitability, return_rate"),
    ({"categories": {"toys": 3}}, "categories.toys = 3: is not a category table"),
    ({"categories": {"Toys": {"price": 5.0}}}, "categories.Toys: is not a category name"),
    ({"categories": {"books": {"return_rate": 1.5}}}, "categories.books.return_rate = 1.5: must be <= 1"),
    ({"categories": {"books": {"gift_suitability": -1.0}}}, "categories.books.gift_suitability = -1.0: must be >= 0"),
    ({"merchants": {"sme": {"categories": {"toys": 1}}}},
     "merchants.sme.categories.toys = 1.0: names 'toys', not a category of the scenario; allowed: books, "
     "small_appliances, food, apparel, beauty, luxury"),
    ({"merchants": {"sme": {"categories": {"books": -1}}}}, "merchants.sme.categories.books = -1: must be >= 0"),
    ({"merchants": {"sme": {"categories": {"books": 0, "food": 0}}}},
     "merchants.sme.categories = {books = 0.0, food = 0.0}: has no positive weight"),
    ({"merchants": {"sme": {"categories": {}}}}, "merchants.sme.categories = {}: has no positive weight"),
    ({"merchants": {"sme": {"categories": 3}}}, "merchants.sme.categories = 3: must be a table"),
    ({"categories": {f"c{i}": {"price": 1.0} for i in range(95)}},
     "categories.c94: is category 101 (of 101); allowed: at most 100 categories (the 6 built-in ones included)"),
    ({"categories": {f"c{i}": {"price": 1.0} for i in range(200)}},  # the 101st is named, and counted as such
     "categories.c94: is category 101 (of 206); allowed: at most 100 categories (the 6 built-in ones included)"),
])
def test_bad_values_get_one_message_naming_the_key(tables, says):
    text = refused(tables)
    assert says in text and len(text.splitlines()) == 1, text


def test_a_bad_category_file_exits_2_naming_file_and_key(tmp_path, capsys):
    f = tmp_path / "bad.toml"
    f.write_text('name = "bad"\n[graph]\nkind = "holme_kim"\nn = 50\nm = 2\np = 0.3\n'
                 '[categories.toys]\ngift_suitability = 2.0\n', encoding="utf-8")
    assert main(["run", str(f), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "bad.toml" in err and "categories.toys.price" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_a_new_category_and_weights_from_a_file_and_overrides(tmp_path):
    f = tmp_path / "c.toml"
    f.write_text('name = "c"\n[graph]\nkind = "holme_kim"\nn = 50\nm = 2\np = 0.3\n'
                 '[categories.toys]\nprice = {dist = "uniform", low = 10, high = 20}\n'
                 '[merchants.sme]\ncategories = {toys = 1, books = 2}\n', encoding="utf-8")
    sc = load_scenario(f)
    assert sc.merchants.sme.categories == {"toys": 1.0, "books": 2.0} and sc.categories.names[-1] == "toys"
    sc2 = with_overrides(sc, [("categories.toys.gift_suitability", 3.0), ("merchants.brand.categories", {"luxury": 1})])
    assert sc2.categories.toys.gift_suitability == 3.0 and sc2.merchants.brand.categories == {"luxury": 1.0}


# ---------------------------------------------------------------- the draw

def uniform_categories() -> CategoriesConfig:
    return scenario(categories={
        "books": {"price": {"dist": "uniform", "low": 10.0, "high": 20.0}, "return_rate": 0.1, "gift_suitability": 2.0},
        "food": {"price": {"dist": "uniform", "low": 100.0, "high": 200.0}, "return_rate": 0.5},
        "luxury": {"price": {"dist": "uniform", "low": 5000.0, "high": 20000.0}, "return_rate": 0.9}}).categories


def test_prices_returns_and_suitability_come_from_the_category():
    cats = uniform_categories()
    cfg = scenario(merchants={"sme": {"count": 20_000, "categories": {"books": 1.0, "food": 3.0, "luxury": 1.0,
                                                                      "beauty": 0.0}}}).merchants
    t = MerchantTable.draw(cfg, price_cap=10_000.0, steps_per_day=1, rng=np.random.default_rng(4), categories=cats)
    sme = t.kind == 1
    code = t.category[sme]
    names = np.array(cats.names)[code]
    # shares by weight (1 : 3 : 1), never a category of weight 0; binomial sd about 0.003
    assert set(names) == {"books", "food", "luxury"}
    for name, want in (("books", 0.2), ("food", 0.6), ("luxury", 0.2)):
        assert abs(np.mean(names == name) - want) < 0.015
    price, q = t.price[sme], t.quality[sme]
    books, food, lux = names == "books", names == "food", names == "luxury"
    assert price[books].min() >= 10 and price[books].max() <= 20
    assert price[food].min() >= 100 and price[food].max() <= 200
    assert price[lux].min() >= 5000 and price[lux].max() == 10_000.0  # clipped to the price cap
    for sel, rate in ((books, 0.1), (food, 0.5), (lux, 0.9)):
        assert np.array_equal(t.return_prob[sme][sel], rate * (1.0 - q[sel]))
    assert np.all(t.gift_suitability[sme][books] == 2.0) and np.all(t.gift_suitability[sme][food] == 1.2)
    # kinds without weights: no category, suitability 1
    assert np.all(t.category[~sme] == -1) and np.all(t.gift_suitability[~sme] == 1.0)


def test_kinds_without_categories_draw_as_before():
    cfg = scenario(merchants={"sme": {"categories": {"food": 1.0}}}).merchants
    plain = MerchantTable.draw(cfg, price_cap=1e4, steps_per_day=1, rng=np.random.default_rng(9))
    without = scenario().merchants
    old = MerchantTable.draw(without, price_cap=1e4, steps_per_day=1, rng=np.random.default_rng(9),
                             categories=scenario().categories)
    # no category table given: the weights are ignored; no weights: the category table is ignored
    for name in ("price", "quality", "return_prob", "active", "category", "gift_suitability"):
        assert np.array_equal(getattr(plain, name), getattr(old, name)), name
    p = draw_kind_products(cfg.sme, None, 5, np.random.default_rng(1))
    assert np.all(p.category == -1) and np.array_equal(p.price, cfg.sme.price.sample(np.random.default_rng(1), 5))


# ---------------------------------------------------------------- the run

def suited(*values: float):
    """:func:`tiny_table` with these gift suitabilities."""
    t = tiny_table(len(values))
    t.gift_suitability = np.array(values)
    return t


def test_suitability_multiplies_the_chance_to_gift_on_a_visit():
    w = tiny_world(table=suited(0.0, 3.0))
    w.population.propensity[:] = 1.0
    sc = small_scenario(gifts={"send_probability": 0.1})
    n = 20_000
    users = np.repeat(np.arange(4), n // 4)
    v = Visits.concat([Visits.of(users, np.zeros(n, np.int64), GiftSource.IMPRESSION),
                       Visits.of(users, np.ones(n, np.int64), GiftSource.IMPRESSION)])
    it, _ = send.intents_from_visits(w, NOW, sc, v)
    per = np.bincount(it.merchant, minlength=2)
    assert per[0] == 0  # suitability 0: never
    assert abs(per[1] / n - 0.3) < 0.015  # 0.1 * 3; binomial sd 0.0032
    w2 = tiny_world(table=suited(1.0, 20.0))
    w2.population.propensity[:] = 1.0
    it2, _ = send.intents_from_visits(w2, NOW, sc, v)
    assert np.bincount(it2.merchant, minlength=2)[1] == n  # capped at 1: every visit


def test_cash_gifts_ignore_categories():
    w = tiny_world(cash=True, table=suited(0.0, 0.0))
    w.population.propensity[:] = 1.0
    sc = small_scenario(gifts={"send_probability": 1.0, "item": "cash"})
    it, _ = send.intents_from_visits(w, NOW, sc, Visits.of(np.arange(4), np.full(4, -1), GiftSource.CHAT))
    assert it.size == 4


def test_returns_follow_the_category():
    sc = small_scenario(merchants__sme__categories={"apparel": 1.0, "books": 1.0},
                        merchants__sme__quality=0.0, merchants__sme__count=12, merchants__sme__joined_at_start=1.0,
                        categories={"apparel": {"return_rate": 1.0}, "books": {"return_rate": 0.0}},
                        policy__commercial_share=0.4, time__end="2025-01-05")
    r = run(sc, 2)
    m = r.merchants
    assert {"category", "gift_suitability"} <= set(m.columns)
    assert list(m["category"].cat.categories) == list(BUILTIN)
    sme = m[m["kind"] == "sme"]
    assert set(sme["category"]) == {"apparel", "books"} and m.loc[m["kind"] != "sme", "category"].isna().all()
    g = r.gifts.merge(m[["merchant", "category"]], on="merchant")
    acc = g[(g["outcome"] == "accepted")]
    app, bk = acc[acc["category"] == "apparel"], acc[acc["category"] == "books"]
    assert len(app) > 10 and len(bk) > 10
    assert app["returned"].all() and not bk["returned"].any()
    assert sme.loc[sme["category"] == "apparel", "returned"].sum() == len(app)


def test_suitability_moves_a_run_and_the_gift_mix():
    common = {"merchants__sme__categories": {"books": 1.0, "apparel": 1.0}, "merchants__sme__joined_at_start": 1.0,
              "merchants__sme__count": 20, "merchants__brand__count": 0, "merchants__white_label__count": 0,
              "time__end": "2025-01-10", "population__budget": 1e5}
    def book_share(suit):
        sc = small_scenario(**common, categories={"books": {"gift_suitability": suit, "price": 50.0},
                                                  "apparel": {"gift_suitability": 1.0, "price": 50.0}})
        r = run(sc, 5)
        g = r.gifts.merge(r.merchants[["merchant", "category"]], on="merchant")
        visits = g[g["source"].isin(["impression", "push", "chat"])]
        return float(np.mean(visits["category"] == "books")), len(visits)
    low, n_low = book_share(0.2)
    high, n_high = book_share(3.0)
    assert n_low > 50 and n_high > 50
    assert low < 0.35 < 0.65 < high, (low, high)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_invariants_with_categories(seed):
    cats = {"apparel": {"return_rate": 1.0, "gift_suitability": 2.0},
            "luxury": {"price": {"dist": "lognormal", "median": 9000.0, "sigma": 1.0}}}
    sc = small_scenario(merchants__brand__categories={"luxury": 1.0, "beauty": 1.0},
                        merchants__sme__categories={"apparel": 2.0, "books": 1.0, "food": 1.0},
                        merchants__white_label__categories={"apparel": 1.0, "small_appliances": 1.0},
                        merchants__sme__initial_stock=2, categories=cats, time__end="2025-01-10",
                        population__reciprocity=0.5)
    m = GiftModel(sc, seed=seed)
    while m.running:
        m.step()
        check_invariants(m)
    assert m.ledger.column("sender").size > 50 and m.merchant_table.returned.sum() > 0
    assert np.all(m.merchant_table.category >= 0) and np.all(m.merchant_table.price <= 10_000.0)


def test_reference_model_lists_categories_as_unsupported():
    assert unsupported(scenario()) == []
    assert unsupported(scenario(merchants={"sme": {"categories": {"books": 1.0}}})) == ["merchants.sme.categories"]


def test_a_batch_keeps_the_category_column(tmp_path):
    from sim.batch import load_results, run_batch

    from ..tiny_batch import TINY
    (tmp_path / "tiny.toml").write_text(TINY + "[merchants.sme]\ncategories = { books = 1, food = 1 }\n")
    spec = tmp_path / "b.toml"
    spec.write_text('name = "b"\nbase = "tiny.toml"\nreplicates = 2\nseed = 3\n'
                    '[sweep]\n"categories.books.gift_suitability" = [0.5, 3.0]\n')
    out = run_batch(spec, out=tmp_path / "b", workers=1)
    m = load_results(out.folder).merchants
    assert out.completed == 4 and len(m) == 4 * 34
    assert str(m["category"].dtype) == "category" and list(m["category"].cat.categories) == list(BUILTIN)
    sme = m["kind"] == "sme"
    assert set(m.loc[sme, "category"]) == {"books", "food"} and m.loc[~sme, "category"].isna().all()
    books = m[m["category"] == "books"]
    assert set(books.groupby("point")["gift_suitability"].first()) == {0.5, 3.0}
