"""``giftsim optimize FILE`` end to end on a tiny search file (the real model, a 300-user
graph, six trials): the Pareto policies printed, the folder written, a finished search refused
without --resume (exit 2) and extended with it. Needs the search file reader
(sim.search.load)."""

from __future__ import annotations

import pandas as pd
import pytest

from sim.cli import main

pytest.importorskip("sim.search.load")

BASE = """name = "tiny"
[graph]
kind = "holme_kim"
n = 300
m = 4
p = 0.3
seed = 11
[time]
start = 2024-12-19
end = 2025-01-31
"""

SEARCH = """name = "tiny_search"
description = "a test"
base = "tiny.toml"
seed = 3
[levers]
"policy.commercial_share" = [0.0, 0.3]
"policy.push.enabled" = [false, true]
[objectives]
gmv_rmb = "max"
muted_share = "min"
[search]
sampler = "random"
population = 3
generations = {generations}
replicates = 1
final_replicates = 2
"""


def test_optimize_prints_the_pareto_policies_and_guards_a_finished_search(tmp_path, capsys):
    (tmp_path / "tiny.toml").write_text(BASE)
    (tmp_path / "s.toml").write_text(SEARCH.format(generations=2))
    out = tmp_path / "out"
    assert main(["optimize", str(tmp_path / "s.toml"), "--out", str(out), "--workers", "1"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    pareto = pd.read_parquet(out / "pareto.parquet")
    assert "generation 2/2 done: 6 trials" in text and f"{len(pareto)} Pareto policies of 6 trials" in text
    assert "wrote" in text and "pareto.parquet" in text
    assert len(pd.read_parquet(out / "trials.parquet")) == 6
    assert main(["optimize", str(tmp_path / "s.toml"), "--out", str(out)]) == 2
    assert "holds a finished search; use --resume" in capsys.readouterr().err
    (tmp_path / "s.toml").write_text(SEARCH.format(generations=3))
    assert main(["optimize", str(tmp_path / "s.toml"), "--out", str(out), "--workers", "1", "--resume"]) == 0
    assert "resuming: 6 trials kept" in " ".join(capsys.readouterr().out.split())
    assert len(pd.read_parquet(out / "trials.parquet")) == 9
