"""``giftsim discover``: scenario discovery (PRIM) over a finished batch with uncertainty
draws: where in the uncertain parameters point A loses to point B on an outcome."""

from __future__ import annotations

import argparse

from rich.markup import escape
from rich.table import Table

from .common import console

__all__ = ["add_parser", "main"]


def _share(option: str, low: float, high: float, closed_high: bool):
    """An argparse type: a float in (low, high) (or (low, high]), else an error naming ``option``."""
    def parse(text: str) -> float:
        try:
            x = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{option} must be a number, got {text!r}") from None
        if not (low < x < high or (closed_high and x == high)):
            bracket = "]" if closed_high else ")"
            raise argparse.ArgumentTypeError(f"{option} must be in ({low:g}, {high:g}{bracket}, got {text}")
        return x
    return parse


def _positive_int(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--max-boxes must be a whole number >= 1, got {text!r}") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"--max-boxes must be a whole number >= 1, got {text}")
    return n


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Add the ``discover`` (scenario discovery with PRIM) subcommand to ``sub``."""
    p = sub.add_parser(
        "discover", help="scenario discovery (PRIM): where in the uncertain parameters one point loses to another",
        description="Read a finished batch with [uncertainty] draws (FOLDER = results/<batch>), pair the draws of "
        "points A (--policy) and B (--versus), mark each draw where A loses to B on Y (B better by more "
        "than --threshold in the outcome's better direction; Y's mean over the draw's replicates), and find with "
        "PRIM (the EMA Workbench's, an optional extra: pip install 'giftsim[discover]') the boxes of the "
        "uncertain parameters where those draws concentrate, with their coverage and density. Writes "
        "FOLDER/discovery/<A>__vs__<B>__<OUTCOME>.parquet (boxes) and .json (what was asked, the peeling "
        "trajectory, versions); giftsim report and giftsim viz of the batch show them.",
    )
    p.add_argument("folder", help="a batch folder with uncertainty draws, e.g. results/launch_policies")
    p.add_argument("--policy", required=True, metavar="A", help="the point that may lose (its name in the batch)")
    p.add_argument("--versus", required=True, metavar="B", action="append",
                   help="the point it is compared with; repeat to compare with several (A loses where any beats it)")
    p.add_argument("--outcome", required=True, metavar="Y", action="append",
                   help="an outcome with a better direction, e.g. gmv_rmb; repeat for several: then A loses where a B "
                   "dominates it (at least as good on every outcome, better on one)")
    p.add_argument("--threshold", type=float, default=0.0, metavar="T",
                   help="one --outcome only: A loses when B beats it by more than T, in the outcome's units "
                   "(default 0)")
    p.add_argument("--min-density", type=_share("--min-density", 0, 1, True), default=0.8,
                   help="keep a box only if A loses in at least this share of its draws (default 0.8)")
    p.add_argument("--peel-alpha", type=_share("--peel-alpha", 0, 0.5, False), default=0.05,
                   help="share of a box's draws peeled per step (default 0.05)")
    p.add_argument("--paste-alpha", type=_share("--paste-alpha", 0, 0.5, False), default=0.05,
                   help="share of draws pasted back per step (default 0.05)")
    p.add_argument("--mass-min", type=_share("--mass-min", 0, 1, False), default=0.05,
                   help="smallest box, as a share of the draws (default 0.05)")
    p.add_argument("--max-boxes", type=_positive_int, default=1,
                   help="most boxes looked for, each among the draws outside the earlier ones (default 1)")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    """Run ``giftsim discover`` with parsed ``args``; returns the exit code (2 on bad input,
    raised as ValueError: :class:`sim.analysis.DiscoveryInputError`,
    :class:`sim.analysis.PrimUnavailableError`)."""
    from ..analysis import PrimSettings, discover, discovery_sentence, loses_text, write_discovery

    settings = PrimSettings(min_density=args.min_density, peel_alpha=args.peel_alpha, paste_alpha=args.paste_alpha,
                            mass_min=args.mass_min, max_boxes=args.max_boxes)
    with console.status("finding boxes (PRIM)"):
        d = discover(args.folder, args.policy, args.versus, args.outcome, args.threshold, settings)
    parquet, js = write_discovery(d)
    a = d.asked
    title = f"where {args.policy} {loses_text(a['versus'], a['outcome'], len(a['outcomes']))}: PRIM boxes"
    table = Table(title=escape(title),
                  header_style="bold")
    for name in ("box", "parameter", "low", "high", "range of draws", "coverage", "density", "draws in box"):
        table.add_column(name, justify="left" if name == "parameter" else "right")
    for _, r in d.boxes.iterrows():
        whole = f"[{r['range_low']:.3g}, {r['range_high']:.3g}]" if r["parameter"] else "-"
        table.add_row(str(int(r["box"])), escape(str(r["parameter"]) or "(none)"), f"{r['low']:.3g}",
                      f"{r['high']:.3g}", whole, f"{r['coverage']:.0%}", f"{r['density']:.0%}",
                      f"{int(r['draws'])} ({int(r['cases'])} lost)")
    if len(d.boxes):
        console.print(table)
    console.print(escape(discovery_sentence(d)), soft_wrap=True)
    console.print(f"wrote {escape(str(parquet))} and {escape(js.name)}", soft_wrap=True)
    return 0
