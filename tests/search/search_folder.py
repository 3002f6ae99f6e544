"""Write a search folder as ``giftsim optimize`` does (the files and columns of the issue-16
contract: ``search.json``, ``trials.parquet``, ``draws.parquet``, ``pareto.parquet``,
``generations.parquet``; no ``study.db``, which only the engine reads), from given values, so
that the report and the dashboard are tested without running a search.

:func:`write_search_folder` writes any values; :func:`example_search` a small three-objective
search over a tiny generated-graph scenario (:data:`BASE`), whose Pareto set, re-evaluation
and convergence are computed here from the trials' values."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

BASE = """
name = "search_base"
[graph]
kind = "holme_kim"
n = 300
m = 4
p = 0.3
seed = 11
[time]
start = 2024-12-19
end = 2025-01-31
[rollout]
schedule = [{ date = 2024-12-19, share = 0.3 }, { date = 2025-01-10, share = 1.0 }]
[policy]
commercial_share = 0.2
[gifts]
send_probability = 0.5
"""
"""A tiny scenario (300 users) the example search's policies are set on."""

LEVERS = [
    {"key": "policy.commercial_share", "kind": "range", "low": 0.005, "high": 0.3, "integer": False, "log": False,
     "choices": [], "when": {}},
    {"key": "policy.allocation.rule", "kind": "choice", "low": None, "high": None, "integer": False, "log": False,
     "choices": ["equal", "head_boost"], "when": {}},
    {"key": "policy.push.enabled", "kind": "choice", "low": None, "high": None, "integer": False, "log": False,
     "choices": [False, True], "when": {}},
    {"key": "policy.push.reach", "kind": "range", "low": 0.05, "high": 0.5, "integer": False, "log": False,
     "choices": [], "when": {"policy.push.enabled": True}},
]
OBJECTIVES = [("gmv_rmb", "max"), ("sme_gmv_share", "max"), ("muted_share", "min")]
MUTED_MAX = 0.05

# trial, generation, commercial share, rule, push, push reach, GMV, SME share, muted share
TRIALS = [
    (0, 0, 0.010, "equal", False, None, 1200.0, 0.61, 0.010),
    (1, 0, 0.250, "head_boost", True, 0.40, 5200.0, 0.18, 0.090),
    (2, 0, 0.120, "equal", True, 0.20, 3100.0, 0.42, 0.030),
    (3, 0, 0.060, "head_boost", False, None, 1900.0, 0.30, 0.005),
    (4, 1, 0.180, "equal", True, 0.10, 3900.0, 0.37, 0.040),
    (5, 1, 0.090, "equal", False, None, 2500.0, 0.52, 0.015),
    (6, 1, 0.290, "head_boost", True, 0.50, 6100.0, 0.12, 0.120),
    (7, 1, 0.140, "head_boost", False, None, 3000.0, 0.25, 0.030),
    (8, 2, 0.200, "equal", True, 0.15, 4400.0, 0.35, 0.048),
    (9, 2, 0.095, "equal", False, None, 2550.0, 0.51, 0.016),
    (10, 2, 0.030, "equal", False, None, 1500.0, 0.58, 0.012),
    (11, 2, 0.220, "head_boost", True, 0.30, 4600.0, 0.20, 0.070),
]
KEYS = [lv["key"] for lv in LEVERS]
OUTS = [o for o, _ in OBJECTIVES]


def write_search_folder(folder: Path, base: Path, *, trials: pd.DataFrame, draws: pd.DataFrame,
                        pareto: pd.DataFrame, generations: pd.DataFrame, name: str = "tiny_search",
                        levers=LEVERS, objectives=OBJECTIVES, constraints=(("muted_share", None, MUTED_MAX),),
                        status: str = "complete") -> Path:
    """Write the five files of a search folder into ``folder`` (created); returns ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    manifest = {
        "kind": "search", "giftsim_version": "test", "name": name,
        "description": "a tiny search written by the tests", "file": str(folder / f"{name}.toml"),
        "base": str(Path(base).resolve()), "seed": 7, "levers": levers,
        "objectives": [{"outcome": o, "direction": d} for o, d in objectives],
        "constraints": [{"outcome": o, "low": lo, "high": hi} for o, lo, hi in constraints],
        "robustness": {"kind": "percentile", "percentile": 10.0},
        "uncertainty": {"source": "ranges", "keys": ["gifts.click_through"], "draws": 3},
        "budget": {"sampler": "nsga2", "population": 4, "generations": 3, "replicates": 2, "final_replicates": 8},
        "status": status, "trials_done": int(len(trials)), "wall_seconds": 12.5, "workers": 2,
    }
    (folder / "search.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    for file, df in (("trials", trials), ("draws", draws), ("pareto", pareto), ("generations", generations)):
        df.to_parquet(folder / f"{file}.parquet", index=False)
    return folder


def _better(a: np.ndarray, b: np.ndarray) -> bool:
    """``a`` dominates ``b`` (every objective as a value to maximise)."""
    return bool(np.all(a >= b) and np.any(a > b))


def front(values: np.ndarray) -> np.ndarray:
    """Boolean mask of the non-dominated rows of ``values`` (n, k), every column maximised."""
    return np.array([not any(_better(values[j], values[i]) for j in range(len(values)) if j != i)
                     for i in range(len(values))], dtype=bool)


def _signed(df: pd.DataFrame) -> np.ndarray:
    return np.column_stack([df[o].to_numpy() * (1 if d == "max" else -1) for o, d in OBJECTIVES])


def example_trials() -> pd.DataFrame:
    """:data:`TRIALS` as ``trials.parquet``'s columns: feasible when muted share <= 0.05, Pareto on
    the feasible trials' front."""
    df = pd.DataFrame(TRIALS, columns=["trial", "generation", *KEYS, *OUTS])
    df["trial"] = df["trial"].astype("int64")
    df["generation"] = df["generation"].astype("int64")
    for o in OUTS:
        df[f"mean:{o}"] = df[o] * 1.01
    df["feasible"] = df["muted_share"] <= MUTED_MAX
    on = np.zeros(len(df), dtype=bool)
    feas = df["feasible"].to_numpy()
    on[np.flatnonzero(feas)] = front(_signed(df[feas]))
    df["pareto"] = on
    df["seconds"] = 1.5 + 0.1 * df["trial"]
    return df


def example_pareto(trials: pd.DataFrame) -> pd.DataFrame:
    """The Pareto trials re-evaluated: values times 0.98, a +-5% interval, trials 5 and 9 within
    noise of each other (their values differ by 2%), the last one dominated on re-evaluation."""
    p = trials[trials["pareto"]].reset_index(drop=True)
    out = p[["trial", "generation", *KEYS, *OUTS]].copy()
    for o in OUTS:
        out[f"reevaluated:{o}"] = p[o] * 0.98
        out[f"low:{o}"] = p[o] * 0.93
        out[f"high:{o}"] = p[o] * 1.03
    out["dominated_on_reevaluation"] = out["trial"] == out["trial"].max()
    pair = {5: "9", 9: "5"}
    out["within_noise"] = out["trial"].isin(pair)
    out["noise_peers"] = out["trial"].map(lambda t: pair.get(int(t), ""))
    out["overrides"] = [json.dumps({k: (None if pd.isna(r[k]) else r[k]) for k in KEYS if not pd.isna(r[k])})
                        for _, r in p.iterrows()]
    return out


def example_generations(trials: pd.DataFrame) -> pd.DataFrame:
    """Convergence: per generation, trials and feasible so far, the front's size, the best
    feasible value of each objective so far and a hypervolume that grows."""
    rows = []
    for g in sorted(trials["generation"].unique()):
        so_far = trials[trials["generation"] <= g]
        feas = so_far[so_far["feasible"]]
        row = {"generation": int(g), "trials": len(so_far), "feasible": len(feas),
               "pareto_size": int(front(_signed(feas)).sum())}
        for o, d in OBJECTIVES:
            row[f"best:{o}"] = float(feas[o].max() if d == "max" else feas[o].min())
        row["hypervolume"] = 0.2 + 0.1 * g
        rows.append(row)
    return pd.DataFrame(rows)


def example_draws(trials: pd.DataFrame) -> pd.DataFrame:
    """Three draws per trial, each objective's value times 0.9, 1.0 and 1.1."""
    rows = []
    for _, r in trials.iterrows():
        for d, f in enumerate((0.9, 1.0, 1.1)):
            rows.append({"trial": int(r["trial"]), "draw": d, **{o: r[o] * f for o in OUTS}})
    return pd.DataFrame(rows)


def example_search(folder: Path) -> Path:
    """Write :data:`BASE` as ``folder/base.toml`` and the example search into ``folder/search``;
    returns the search folder."""
    folder.mkdir(parents=True, exist_ok=True)
    base = folder / "base.toml"
    base.write_text(BASE, encoding="utf-8")
    trials = example_trials()
    return write_search_folder(folder / "search", base, trials=trials, draws=example_draws(trials),
                               pareto=example_pareto(trials), generations=example_generations(trials))
