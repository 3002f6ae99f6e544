"""The README's "Using giftsim from Mesa" examples run as written (from the project folder)."""

from __future__ import annotations

import multiprocessing as mp
import re
import warnings
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _examples() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Using giftsim from Mesa\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, flags=re.S)


@pytest.fixture
def in_project(monkeypatch):
    monkeypatch.chdir(ROOT)
    before = mp.get_start_method(allow_none=True)
    yield
    mp.set_start_method(before, force=True)  # batch_run forces "spawn" on the whole process


def _run(code: str) -> dict:
    namespace: dict = {"__name__": "readme_example"}
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)  # the examples use Mesa 3.5's current API
        exec(compile(code, "README.md", "exec"), namespace)
    return namespace


def test_three_examples():
    examples = _examples()
    assert len(examples) == 3
    assert "mesa.batch_run(" in examples[0] and "SolaraViz(" in examples[1] and "merchant_class=" in examples[2]


def test_batch_run_example(in_project, capsys):
    ns = _run(_examples()[0])
    daily = ns["daily"]
    days = ns["GiftModel"]("scenarios/wechat_gift_launch.toml", seed=1).n_steps
    assert len(daily) == 2 * 3 * days and sorted(daily["seed"].unique()) == [1, 2, 3]
    means = daily.groupby("policy.commercial_share")[["gifts_sent", "gmv_rmb"]].sum()
    assert means.loc[0.2, "gifts_sent"] > means.loc[0.02, "gifts_sent"]
    assert "gifts_sent" in capsys.readouterr().out


def test_solaraviz_example(in_project):
    import reacton.core
    from mesa.visualization.solara_viz import SolaraViz

    ns = _run(_examples()[1])
    page, model = ns["page"], ns["model"]
    assert isinstance(page, reacton.core.Element) and page.component.f is SolaraViz.f
    assert model.gift_scenario.name == "wechat_gift_launch" and model.seed == 7
    assert len(page.kwargs["components"]) == 3


def test_merchant_subclass_example(in_project, capsys):
    ns = _run(_examples()[2])
    model, cls = ns["model"], ns["CautiousMerchant"]
    assert all(type(a) is cls for a in model.merchant_agents) and not model.running
    stockouts = int(model.recorder.columns["stockouts"].sum())
    assert capsys.readouterr().out.strip() == f"{stockouts} purchases lost to empty stock"


def test_extending_merchant_class_example(in_project):
    import numpy as np

    from sim.model import GiftModel

    text = (ROOT / "docs" / "extending.md").read_text(encoding="utf-8")
    code = re.findall(r"```python\n(.*?)```", text.split("## Your own merchant class\n", 1)[1], flags=re.S)[0]
    ns = _run(code)
    model = ns["model"]
    model.run()
    base = GiftModel("scenarios/wechat_gift_launch.toml", seed=7)
    base.run()
    cut = model.merchant_table.price < base.merchant_table.price
    assert cut.any() and not (model.merchant_table.price > base.merchant_table.price).any()
    times = np.log(model.merchant_table.price[cut] / base.merchant_table.price[cut]) / np.log(0.9)
    assert np.allclose(times, np.round(times)) and (np.round(times) >= 1).all()  # 10% a review, whole cuts
