"""The search dashboard page: a policy search's interactive Pareto front (objective selectors,
hover for levers and values, click or list to choose a policy), the chosen policy's levers and
values, and "Open in explorer", which turns the page into the live explorer
(:func:`sim.viz.explorer_app.Explorer`) of the base scenario with that policy's overrides.

Start it with ``giftsim viz results/<search>``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import solara

from ..scenario import ScenarioError, load_scenario
from ..search.folder import SearchFolder, read_search
from .controls import apply_overrides
from .explorer_app import Explorer, ExplorerConfig
from .layout import DEFAULT_NODE_CAP
from .search_charts import PolicyRow, clicked_trial, explorer_overrides, pareto_chart, pareto_policies, policy_label
from .widgets import Html

__all__ = ["SearchConfig", "configure", "Page"]


@dataclass(frozen=True)
class SearchConfig:
    """What the search dashboard opens: ``folder`` (a search folder), and the explorer's ``seed``
    and ``node_cap`` for the policies it opens."""

    folder: str
    seed: int = 0
    node_cap: int = DEFAULT_NODE_CAP


_config: SearchConfig | None = None


def configure(config: SearchConfig) -> None:
    """Set the search folder the page opens (called by ``giftsim viz`` before serving)."""
    global _config
    _config = config


def _current_config() -> SearchConfig:
    if _config is not None:
        return _config
    folder = os.environ.get("GIFTSIM_VIZ_SEARCH")
    if not folder:
        raise RuntimeError("no search: start the dashboard with `giftsim viz results/<search>`")
    return SearchConfig(folder)


@solara.component
def PolicyCard(search: SearchFolder, policy: PolicyRow | None, on_open):
    """The chosen policy's levers and values, and the "Open in explorer" button."""
    with solara.Card("Chosen policy", margin=0, classes=["giftsim-policy"]):
        if policy is None:
            solara.Text("Choose a policy: click a red point or pick one from the list.")
            return
        Html("div", [f"Trial {policy.trial}"], classes="giftsim-policy-trial", style="font-weight:500",
             **{"data-trial": str(policy.trial)})
        rows = [Html("tr", [Html("td", [k]),
                            Html("td", [v], classes="giftsim-lever", **{"data-key": k, "data-value": v})])
                for k, v in policy.levers.items()]
        rows += [Html("tr", [Html("td", [o]), Html("td", [v], classes="giftsim-objective", **{"data-key": o})])
                 for o, v in policy.values.items()]
        Html("table", rows, classes="giftsim-policy-table", style="font-size:13px")
        if policy.flags:
            solara.Warning(policy.flags, dense=True)
        solara.Button("Open in explorer", on_click=on_open, color="primary", disabled=not policy.openable,
                      classes=["giftsim-open"])
        if not policy.openable:
            solara.Text("The search has not re-evaluated its front yet: no overrides to open.")


def _header(search: SearchFolder) -> None:
    t = search.trials
    m = search.manifest
    n_pareto = int(t["pareto"].astype(bool).sum())
    with solara.Card(margin=0, classes=["giftsim-search"]):
        Html("div", [f"{search.name}: {len(t)} trials, {int(t['feasible'].astype(bool).sum())} feasible, "
                     f"{n_pareto} on the Pareto front ({m.get('status', '?')})"],
             classes="giftsim-search-title", style="font-size:18px;font-weight:500",
             **{"data-trials": str(len(t)), "data-pareto": str(n_pareto), "data-status": str(m.get("status"))})
        if m.get("description"):
            Html("div", [str(m["description"])])
        Html("div", [f"folder {search.folder} · base scenario {m.get('base')} · objectives "
                     + ", ".join(f"{o} ({d})" for o, d in search.objectives)], style="font-size:12px;color:#666")


def _open(search: SearchFolder, trial: int | None, opened, error) -> None:
    """Open ``trial`` in the explorer, or leave the message why it cannot be (the base scenario
    is missing or the policy's overrides do not apply to it) in ``error``."""
    if trial is None:
        return
    try:
        apply_overrides(load_scenario(search.base), explorer_overrides(search.overrides(trial)))
    except (ScenarioError, OSError, KeyError, ValueError) as err:
        error.set(f"cannot open trial {trial} in the explorer: {err}")
        return
    error.set(None)
    opened.set(trial)


@solara.component
def Page():
    """The search dashboard of one browser tab (the folder set by :func:`configure` or
    ``GIFTSIM_VIZ_SEARCH``, read once): the Pareto front and the chosen policy, or, once
    "Open in explorer" is pressed, the explorer running that policy (its "Back" returns).

    Raises
    ------
    RuntimeError
        If no folder was configured.
    sim.search.folder.SearchFolderError
        If the folder is not a search folder.
    """
    cfg = _current_config()
    search = solara.use_memo(lambda: read_search(cfg.folder), [])
    policies = solara.use_memo(lambda: pareto_policies(search), [])
    outs = [o for o, _ in search.objectives]
    x = solara.use_reactive(outs[0])
    y = solara.use_reactive(outs[1] if len(outs) > 1 else outs[0])
    chosen = solara.use_reactive(policies[0].trial if policies else None)
    opened = solara.use_reactive(None)
    error = solara.use_reactive(None)
    by_trial = {p.trial: p for p in policies}
    if opened.value is not None:
        overrides = explorer_overrides(search.overrides(opened.value))
        Explorer(ExplorerConfig(str(search.base), cfg.seed, cfg.node_cap), overrides=overrides,
                 on_back=lambda: opened.set(None),
                 title=f" · policy of trial {opened.value} ({search.name})").key(f"explorer-{opened.value}")
        return
    labels = {policy_label(p): p.trial for p in policies}

    def on_click(datum) -> None:
        trial = clicked_trial(datum, policies)
        if trial is not None:
            chosen.set(trial)

    solara.Title(f"giftsim · {search.name}")
    with solara.AppBar():
        solara.AppBarTitle(f"giftsim search dashboard · {search.name}")
    with solara.Column(gap="12px", style={"padding": "8px"}):
        _header(search)
        with solara.Columns([3, 2]):
            with solara.Column():
                with solara.Row(classes=["giftsim-axes"]):
                    solara.Select("x objective", values=outs, value=x, classes=["giftsim-x"])
                    solara.Select("y objective", values=outs, value=y, classes=["giftsim-y"])
                with solara.Card(margin=0, classes=["giftsim-pareto"]):
                    solara.FigureAltair(pareto_chart(search, x.value, y.value, chosen.value), on_click=on_click)
            with solara.Column():
                current = by_trial.get(chosen.value)
                solara.Select("Pareto policy", values=list(labels),
                              value=policy_label(current) if current else None,
                              on_value=lambda v: chosen.set(labels.get(v)), classes=["giftsim-choose"])
                PolicyCard(search, current, lambda: _open(search, chosen.value, opened, error))
                if error.value:
                    solara.Error(error.value, dense=True, classes=["giftsim-error"])
