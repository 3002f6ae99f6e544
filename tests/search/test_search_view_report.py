"""``giftsim report`` of a policy search folder: the page shows the folder's own values (the
Pareto policies' trial numbers, levers, re-evaluated intervals and flags, the convergence
table, the settings), and a folder that is not a search gets one clear message."""

from __future__ import annotations

import json
import re
from html import unescape
from pathlib import Path

import pandas as pd
import pytest

from sim.cli import main as cli
from sim.report.search_report import pareto_policy_table, write_search_report
from sim.search.folder import SearchFolderError, is_search_folder, read_search

from .search_folder import example_search


@pytest.fixture
def search(tmp_path) -> Path:
    return example_search(tmp_path)


def _text(html: str) -> str:
    return unescape(re.sub(r"<[^>]+>", " ", html))


def test_read_search_reads_the_contract_files(search):
    s = read_search(search)
    assert is_search_folder(search) and not is_search_folder(search.parent)
    assert s.objectives == [("gmv_rmb", "max"), ("sme_gmv_share", "max"), ("muted_share", "min")]
    assert list(s.pareto["trial"]) == [0, 2, 3, 4, 5, 8, 9, 10]
    assert s.overrides(3) == {"policy.commercial_share": 0.06, "policy.allocation.rule": "head_boost",
                              "policy.push.enabled": False}
    with pytest.raises(KeyError, match="trial 1 is not a Pareto policy"):
        s.overrides(1)


def test_report_shows_the_pareto_policies_values(search, tmp_path):
    out = write_search_report(search, out=tmp_path / "rep")
    page = out.html.read_text(encoding="utf-8")
    text = _text(page)
    pareto = pd.read_parquet(search / "pareto.parquet")
    shown = out.tables["pareto"]
    # best first on GMV, every Pareto trial once
    assert list(shown["trial"]) == [8, 4, 2, 9, 5, 3, 10, 0]
    r8 = pareto[pareto["trial"] == 8].iloc[0]
    cell = shown[shown["trial"] == 8].iloc[0]
    assert cell["gmv_rmb"] == f"{r8['reevaluated:gmv_rmb']:,.0f} [{r8['low:gmv_rmb']:,.0f}, {r8['high:gmv_rmb']:,.0f}]"
    assert cell["gmv_rmb"] == "4,312 [4,092, 4,532]" and cell["policy.push.reach"] == "0.15"
    assert "4,312 [4,092, 4,532]" in text and "0.343 [0.3255, 0.3605]" in text
    assert shown[shown["trial"] == 3].iloc[0]["policy.allocation.rule"] == "head_boost"
    assert shown[shown["trial"] == 5].iloc[0]["policy.push.reach"] == "-"  # lever did not apply
    assert shown[shown["trial"] == 9].iloc[0]["flags"] == "within noise of 5"
    assert shown[shown["trial"] == 10].iloc[0]["flags"] == "dominated on re-evaluation"
    assert "within noise of 5" in text and "dominated on re-evaluation" in text
    # figures written beside the page and embedded
    assert sorted(p.name for p in out.figures) == ["convergence.png", "pareto.png"]
    assert page.count("data:image/png;base64,") == 2
    # convergence table: the best muted share so far and the hypervolume of each generation
    gens = out.tables["generations"]
    assert list(gens["hypervolume"]) == pytest.approx([0.2, 0.3, 0.4])
    assert list(gens["best:gmv_rmb"]) == [3100.0, 3900.0, 4400.0]
    # settings
    for words in ("policy.push.reach", "policy.push.enabled = true", "[0.005, 0.3]", "equal, head_boost",
                  "minimise", "percentile 10", "sampler nsga2, population 4 x 3 generations", "gifts.click_through"):
        assert words in text, words


def test_report_of_a_running_search_shows_the_current_front(search, tmp_path):
    m = json.loads((search / "search.json").read_text())
    m["status"] = "running"
    (search / "search.json").write_text(json.dumps(m))
    (search / "pareto.parquet").unlink()
    s = read_search(search)
    shown = pareto_policy_table(s)
    assert list(shown["trial"]) == [8, 4, 2, 9, 5, 3, 10, 0]  # trials.parquet's pareto column
    assert shown[shown["trial"] == 8].iloc[0]["gmv_rmb"] == "4,400"  # the search value
    text = _text(write_search_report(search).html.read_text(encoding="utf-8"))
    assert "has not finished" in text


def test_giftsim_report_of_a_search_folder(search, capsys):
    assert cli(["report", str(search)]) == 0
    out = capsys.readouterr().out
    assert "12 trials, 9 feasible, 8 on the Pareto front" in out
    assert "hypervolume 0.4, front of 8" in out
    assert (search / "report" / "report.html").is_file()


def test_report_refuses_a_folder_that_is_not_a_search(search, tmp_path, capsys):
    with pytest.raises(SearchFolderError, match="no search.json: not a search folder"):
        write_search_report(tmp_path)
    m = json.loads((search / "search.json").read_text())
    m["kind"] = "batch"
    (search / "search.json").write_text(json.dumps(m))
    assert not is_search_folder(search)
    assert cli(["report", str(search)]) == 2
    err = capsys.readouterr().err
    assert "search.json: kind is 'batch', not 'search'" in err and "Traceback" not in err
    m["kind"] = "search"
    (search / "search.json").write_text(json.dumps(m))
    pd.read_parquet(search / "pareto.parquet").drop(columns=["overrides"]).to_parquet(search / "pareto.parquet")
    assert cli(["report", str(search)]) == 2
    assert "pareto.parquet: missing column(s) overrides" in capsys.readouterr().err
