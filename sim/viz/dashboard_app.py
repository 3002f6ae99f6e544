"""The batch dashboard page: a finished batch's points side by side, daily curves with 95%
bands, outcome distributions, and parameter-to-outcome plots when the batch sweeps.
Reads the batch only through :func:`sim.batch.load_results`.

Start it with ``giftsim viz results/<batch>``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import solara

from ..analysis import read_discoveries
from ..batch import BatchResults, load_results
from ..model import SERIES
from . import batch_charts as bc
from .discovery_panel import DiscoveryPanel
from .widgets import Html

__all__ = ["DashboardConfig", "configure", "header_text", "Page"]


@dataclass(frozen=True)
class DashboardConfig:
    """What the dashboard opens: ``folder``, a finished batch folder (``results/<batch>``)."""

    folder: str


_config: DashboardConfig | None = None


def configure(config: DashboardConfig) -> None:
    """Set the batch folder the page opens (called by ``giftsim viz`` before serving)."""
    global _config
    _config = config


def _folder() -> str:
    if _config is not None:
        return _config.folder
    folder = os.environ.get("GIFTSIM_VIZ_BATCH")
    if not folder:
        raise RuntimeError("no batch: start the dashboard with `giftsim viz results/<batch>`")
    return folder


DEFAULT_SERIES = ("aware_users", "gifts_sent", "gmv_rmb", "active_merchants")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def header_text(res: BatchResults, name: str) -> str:
    """The dashboard's title line: ``<name>: P points × R replicates, K of N runs ok``
    (R from the batch file as recorded in the manifest, else the runs table)."""
    runs = res.runs
    reps = (res.manifest.get("batch") or {}).get("replicates")
    if reps is None:
        reps = int(runs["replicate"].nunique()) if len(runs) else 0
    n_ok = int((runs["status"] == "ok").sum())
    return (f"{name}: {_plural(int(runs['point'].nunique()), 'point')} × {_plural(int(reps), 'replicate')}, "
            f"{n_ok} of {len(runs)} runs ok")


@solara.component
def Page():
    """The batch dashboard: a header with the points and runs, then tabs with each outcome per
    point, the daily curves, the distributions of an outcome over replicates and, when a
    parameter was swept or sampled, outcomes against it, and the boxes of any scenario discovery
    (``giftsim discover``) of the batch. Reads the folder set by
    :func:`configure` (or ``GIFTSIM_VIZ_BATCH``) once per browser tab.

    Raises
    ------
    RuntimeError
        If no folder was configured.
    FileNotFoundError
        If the folder has no ``runs.parquet`` (not a finished batch).
    """
    res = solara.use_memo(lambda: load_results(_folder()), [])
    discoveries = solara.use_memo(lambda: read_discoveries(res.folder), [])
    outs = bc.outcomes(res)
    params = bc.swept_params(res)
    series_names = [s for s in SERIES if s in res.timeseries.columns]
    curve_series = solara.use_reactive([s for s in DEFAULT_SERIES if s in series_names])
    dist_outcome = solara.use_reactive(outs[0] if outs else None)
    param = solara.use_reactive(params[0] if params else None)
    param_outcomes = solara.use_reactive(outs[:4])
    batch = res.manifest.get("batch") or {}
    name = batch.get("name") or os.path.basename(os.path.normpath(str(res.folder)))
    runs = res.runs
    n_ok = int((runs["status"] == "ok").sum())

    solara.Title(f"giftsim · {name}")
    with solara.AppBar():
        solara.AppBarTitle(f"giftsim batch dashboard · {name}")
    with solara.Column(gap="12px", style={"padding": "8px"}):
        with solara.Card(margin=0, classes=["giftsim-batch"]):
            Html("div", [header_text(res, name)],
                 classes="giftsim-batch-title", style="font-size:18px;font-weight:500",
                 **{"data-points": str(runs["point"].nunique()), "data-runs": str(len(runs)), "data-ok": str(n_ok)})
            if batch.get("description"):
                Html("div", [batch["description"]])
            Html("div", [f"folder {res.folder} · swept: {', '.join(params) if params else 'nothing (fixed points)'}"],
                 style="font-size:12px;color:#666")
        if n_ok == 0:
            solara.Warning("No run finished: nothing to plot.")
            return
        with solara.lab.Tabs():
            with solara.lab.Tab("Points side by side"):
                with solara.Row(style={"flex-wrap": "wrap", "gap": "8px"}, classes=["giftsim-outcomes"]):
                    for o in outs:
                        with solara.Card(margin=0):
                            solara.FigureAltair(bc.outcome_chart(res, o))
            with solara.lab.Tab("Curves"):
                solara.SelectMultiple("daily series", values=curve_series.value, all_values=series_names,
                                      on_value=curve_series.set)
                with solara.Column(classes=["giftsim-curves"]):
                    for s in curve_series.value:
                        with solara.Card(margin=0):
                            solara.FigureAltair(bc.curve_chart(res, s))
            with solara.lab.Tab("Distributions"):
                solara.Select("outcome", values=outs, value=dist_outcome)
                with solara.Row(style={"flex-wrap": "wrap", "gap": "8px"}, classes=["giftsim-distributions"]):
                    shown = ([dist_outcome.value] if dist_outcome.value else []) + [
                        x for x in outs if x != dist_outcome.value][:3]
                    for o in shown:
                        with solara.Card(margin=0):
                            solara.FigureAltair(bc.distribution_chart(res, o))
            if params:
                with solara.lab.Tab("Parameters → outcomes"):
                    solara.Select("parameter", values=params, value=param)
                    solara.SelectMultiple("outcomes", values=param_outcomes.value, all_values=outs,
                                          on_value=param_outcomes.set)
                    with solara.Row(style={"flex-wrap": "wrap", "gap": "8px"}, classes=["giftsim-params-outcomes"]):
                        for o in param_outcomes.value:
                            with solara.Card(margin=0):
                                solara.FigureAltair(bc.param_chart(res, param.value, o))
            if discoveries:
                with solara.lab.Tab("Scenario discovery"):
                    DiscoveryPanel(discoveries)
