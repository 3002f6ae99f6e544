"""``giftsim viz``: the live explorer of a scenario, the dashboard of a finished batch, or the
Pareto front of a policy search (whose policies open in the explorer)."""

from __future__ import annotations

import argparse
from pathlib import Path

from .common import console, err_console

__all__ = ["add_parser", "main", "is_batch_folder", "configure_search"]


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Add the ``viz`` (the browser explorer or a batch's dashboard) subcommand to ``sub``."""
    p = sub.add_parser(
        "viz", help="open the live explorer of a scenario, or the dashboard of a finished batch",
        description="Serve a local web app: for a scenario file, a live explorer (the social graph "
        "spreading, play/step/reset, parameter controls, live charts); for a finished batch "
        "folder (results/<batch>), a dashboard comparing its points; for a policy search folder "
        "(giftsim optimize's results), its interactive Pareto front, where a chosen policy opens in the "
        "explorer. Stop it with Ctrl-C.",
    )
    p.add_argument("target", help="scenario TOML file, a batch results folder, or a search results folder")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=int, default=8765, help="port (default 8765; 0 picks a free one)")
    p.add_argument("--seed", type=int, default=0, help="explorer: random seed, >= 0 (default 0)")
    p.add_argument("--node-cap", type=int, default=None,
                   help="explorer: most users drawn one by one in the interactive view, 1..10000 (default "
                        "10000); a graph of up to 10,000 users with more shows an ego subgraph; graphs of "
                        "10,001 users or more are drawn whole by the zoomable raster view")
    p.set_defaults(func=main)


def is_batch_folder(path: Path) -> bool:
    """A finished batch: a folder with ``runs.parquet``."""
    return path.is_dir() and (path / "runs.parquet").is_file()


def batch_file_message(path: Path, results_root: Path = Path("results")) -> str:
    """What to do with a batch file given to ``giftsim viz``: run it, then open its
    folder; the folder itself when it already holds the finished batch."""
    from ..scenario import read_toml

    name = read_toml(path).get("name")
    run = f"run it with `giftsim batch {path}`"
    if isinstance(name, str) and name:
        folder = results_root / name
        if is_batch_folder(folder):
            return (f"{path}: this is a batch file, not a scenario file; its dashboard is "
                    f"`giftsim viz {folder}` (or {run} again into a new --out folder)")
        return (f"{path}: this is a batch file, not a scenario file; {run}, then `giftsim viz {folder}` "
                "(or the folder given to --out)")
    return (f"{path}: this is a batch file, not a scenario file; {run}, then "
            "`giftsim viz results/<batch name>` (or its --out folder)")


def configure_search(target: Path, seed: int, cap: int) -> str:
    """Set up the search dashboard of the search folder ``target`` (read here, so a bad folder
    fails before serving), and compute the base scenario's graph layout once (cached), so that
    "Open in explorer" does not wait for it; returns what is served, for the console.

    Raises
    ------
    sim.search.folder.SearchFolderError
        If ``target`` is not a readable search folder.
    ValueError
        If ``cap`` is not in 1..10,000.
    """
    from ..scenario import ScenarioError, load_scenario
    from ..search.folder import read_search
    from ..viz import search_app
    from ..viz.session import ExplorerSession, check_node_cap

    check_node_cap(cap, "--node-cap")
    search = read_search(target)
    try:
        base = load_scenario(search.base)
    except (ScenarioError, OSError) as err:
        console.print(f"[yellow]warning:[/] the base scenario cannot be loaded, so no policy opens in the "
                      f"explorer: {err}", soft_wrap=True)
    else:
        with console.status("building the base scenario's graph layout (computed once per graph, then cached)"):
            probe = ExplorerSession(base, seed=seed, node_cap=cap)
        console.print(f"base scenario {base.name}: {probe.model.population.n_users:,} users; layout "
                      f"{'loaded from cache' if probe.layout_cached else 'computed'} in {probe.layout_seconds:.1f} s")
    search_app.configure(search_app.SearchConfig(str(target), seed, cap))
    return f"search dashboard of {target} ({len(search.trials)} trials, {len(search.pareto)} Pareto policies)"


def main(args: argparse.Namespace) -> int:
    """Run ``giftsim viz`` with parsed ``args``; returns the exit code."""
    from ..viz.layout import DEFAULT_NODE_CAP
    from ..viz.server import serve

    target = Path(args.target)
    if args.seed < 0:
        raise ValueError(f"--seed must be >= 0, got {args.seed}")
    if not 0 <= args.port <= 65535:
        raise ValueError(f"--port must be in 0..65535, got {args.port}")
    if (target / "search.json").is_file():  # a policy search (read_search names what is wrong)
        what = configure_search(target, args.seed, DEFAULT_NODE_CAP if args.node_cap is None else args.node_cap)
        app = "sim.viz.search_app:Page"
    elif is_batch_folder(target):
        from ..batch import load_results
        from ..viz import dashboard_app

        results = load_results(target)  # fail here, with a message, not in the browser
        dashboard_app.configure(dashboard_app.DashboardConfig(str(target)))
        what = f"batch dashboard of {target} ({len(results.runs)} runs)"
        app = "sim.viz.dashboard_app:Page"
    elif target.is_dir():
        raise ValueError(f"{target}: a folder without runs.parquet: not a finished batch "
                         "(run `giftsim batch` first, or give a scenario file)")
    else:
        from ..scenario import ScenarioError, load_scenario
        from .common import file_kind

        if target.is_file() and file_kind(target) == "batch":
            raise ScenarioError(batch_file_message(target))
        from ..viz import explorer_app
        from ..viz.session import ExplorerSession, check_node_cap

        cap = check_node_cap(DEFAULT_NODE_CAP if args.node_cap is None else args.node_cap, "--node-cap")
        scenario = load_scenario(target)
        with console.status("building the model and the graph layout (computed once per graph, then cached)"):
            probe = ExplorerSession(scenario, seed=args.seed, node_cap=cap)
            if probe.raster is not None:  # compile datashader's loops before the first page
                probe.raster.warm_up()
        n = probe.model.population.n_users
        console.print(f"graph: {n:,} users, {probe.view.nodes.size:,} drawn; layout "
                      f"{'loaded from cache' if probe.layout_cached else 'computed'} in {probe.layout_seconds:.1f} s")
        explorer_app.configure(explorer_app.ExplorerConfig(str(target), args.seed, cap))
        what = f"explorer of {scenario.name}"
        app = "sim.viz.explorer_app:Page"

    def ready(url: str) -> None:
        console.print(f"giftsim {what}: [bold]{url}[/]  (Ctrl-C to stop)", soft_wrap=True)

    try:
        serve(app, args.host, args.port, on_ready=ready)
    except OSError as err:
        err_console.print(f"[bold red]error:[/] cannot listen on {args.host}:{args.port}: {err.strerror or err}")
        return 2
    return 0
