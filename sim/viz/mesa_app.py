"""An example Mesa app: Mesa's own SolaraViz page over a GiftModel, with giftsim's graph
view and charts (:mod:`sim.viz.mesa_components`) beside one of Mesa's plots of the model's
``datacollector``. Mesa's controls run it: Step, Play, Reset, and a slider of the
commercial share that Reset applies.

Serve it on this machine, offline (as ``giftsim viz`` serves the explorer)::

    python -m sim.viz.mesa_app scenarios/wechat_gift_launch.toml --seed 7 --port 8766

or import :func:`make_page` into a notebook (``make_page("my.toml", seed=7)`` shows the page).
"""

from __future__ import annotations

import argparse
import os
import sys

import solara
from mesa.visualization import Slider, SolaraViz, make_plot_component

from ..model import GiftModel
from ..scenario import ScenarioError, load_scenario
from .mesa_components import make_chart_component, make_graph_component

__all__ = ["SCENARIO_ENV", "SEED_ENV", "components", "model_params", "make_page", "Page", "main"]

SCENARIO_ENV = "GIFTSIM_MESA_SCENARIO"
"""Environment variable naming the scenario file :func:`Page` opens (unset: the default scenario)."""
SEED_ENV = "GIFTSIM_MESA_SEED"
"""Environment variable holding the seed :func:`Page` uses (default 0)."""


def components() -> list:
    """The page's components, ``(function, page)`` pairs: giftsim's graph and two of its
    charts on the first tab, Mesa's own Altair plot of ``gmv_rmb`` and a chart of the
    merchants on the second."""
    return [make_graph_component(), make_chart_component("gifts"), make_chart_component("adoption"),
            make_plot_component({"gmv_rmb": "#2a9d8f"}, backend="altair", page=1),
            make_chart_component("top_merchants", page=1)]


def model_params(model: GiftModel, scenario: str | None) -> dict:
    """What Mesa's Reset rebuilds the model from: the scenario path and seed (fixed) and a
    slider of ``policy.commercial_share`` (0 to 0.3) starting at the model's value."""
    share = float(model.gift_scenario.policy.commercial_share)
    return {"scenario": scenario, "seed": model.seed,
            "policy.commercial_share": Slider("commercial share", value=share, min=0.0, max=0.3, step=0.01)}


def make_page(scenario: str | None = None, seed: int = 0):
    """Mesa's SolaraViz over ``GiftModel(scenario, seed=seed)`` with :func:`components`.

    Returns
    -------
    solara element
        The page (a notebook shows it; :func:`Page` serves it).

    Raises
    ------
    sim.scenario.ScenarioError
        If the scenario file cannot be loaded.
    """
    model = GiftModel(scenario, seed=seed)
    return SolaraViz(model, components=components(), model_params=model_params(model, scenario),
                     name=f"giftsim: {model.gift_scenario.name}")


@solara.component
def Page():
    """The served page: :func:`make_page` of the scenario and seed in :data:`SCENARIO_ENV`
    and :data:`SEED_ENV`, one model per browser tab."""
    scenario, seed = os.environ.get(SCENARIO_ENV) or None, int(os.environ.get(SEED_ENV, "0"))
    model = solara.use_memo(lambda: GiftModel(scenario, seed=seed), [])
    parts = solara.use_memo(components, [])
    SolaraViz(model, components=parts, model_params=model_params(model, scenario),
              name=f"giftsim: {model.gift_scenario.name}")


def main(argv: list[str] | None = None) -> int:
    """Serve :func:`Page` for a scenario file until Ctrl-C; prints the URL when ready.

    Returns
    -------
    int
        0, or 2 when the scenario cannot be loaded (the message names the file and key).
    """
    parser = argparse.ArgumentParser(prog="python -m sim.viz.mesa_app", description=__doc__.split("\n\n")[0])
    parser.add_argument("scenario", help="scenario TOML file")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8766)
    args = parser.parse_args(argv)
    try:
        load_scenario(args.scenario)
    except ScenarioError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    os.environ[SCENARIO_ENV], os.environ[SEED_ENV] = os.path.abspath(args.scenario), str(args.seed)
    from .server import serve

    serve("sim.viz.mesa_app:Page", args.host, args.port,
          on_ready=lambda url: print(f"giftsim Mesa app: {url}  (Ctrl-C to stop)", flush=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
