"""``giftsim validate``: rerun every validation check, print a pass/fail table, write the plots."""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

from rich.table import Table

from .common import ExitCode, console, err_console, fmt

__all__ = ["add_parser", "main"]

DEFAULT_OUT = Path("results") / "validation"
"""Where the plots go unless ``--plots DIR`` says otherwise (relative to the current
folder, like every results folder). The images of docs/validation.md are regenerated
with ``--plots docs/img/validation``."""


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Add the ``validate`` (the checks against theory, cynetdiff and published data) subcommand to ``sub``."""
    p = sub.add_parser(
        "validate", help="rerun the validation checks (theory, peer library, published data)",
        description="Run every check of docs/validation.md: independent cascade against "
        "Newman's percolation theory and the Borel law, Bass mode against the Bass curve, "
        "IC against cynetdiff on the Facebook graph, structural virality; print a pass/fail "
        "table, report the plausibility figures against published data and the evidence table "
        "(each figure of docs/evidence.md against the model, pooled over --replicates runs of its scenario), "
        "and write the plots "
        f"(into {DEFAULT_OUT}, or --plots DIR). "
        "Exit 3 if a check fails.",
    )
    p.add_argument("--only", nargs="+", metavar="CHECK",
                   help="run only these checks (names as in the table)")
    p.add_argument("--plots", "--out", dest="plots", metavar="DIR", default=str(DEFAULT_OUT),
                   help=f"folder for the PNG plots (default {DEFAULT_OUT}; the documentation's images: "
                   "--plots docs/img/validation)")
    p.add_argument("--no-plots", action="store_true", help="write no plots")
    p.add_argument("--no-plausibility", action="store_true",
                   help="skip the comparison with published data (runs the default scenarios)")
    p.add_argument("--seeds", type=int, default=10,
                   help="replicates of each default scenario for the plausibility figures (default 10)")
    p.add_argument("--evidence", nargs="*", metavar="FIGURE",
                   help="print the evidence table (published figures against the model, docs/evidence.md), "
                   "of these figures only if named; it is printed anyway unless --only or --no-evidence")
    p.add_argument("--no-evidence", action="store_true", help="skip the evidence table")
    p.add_argument("--replicates", type=int, default=4,
                   help="replicates of each figure's scenario for the evidence table (default 4)")
    p.add_argument("--power", action="store_true",
                   help="also rerun each check with the engine's probability off by -5%% and +5%% "
                   "(each should FAIL: the tolerance catches a 5%% error)")
    p.add_argument("--markdown", metavar="FILE",
                   help="also write the tables as Markdown to FILE (for docs/validation.md)")
    p.set_defaults(func=main)


def _cell(text: object) -> str:
    """A Markdown table cell (pipes escaped)."""
    return str(text).replace("|", "\\|")


def _checks(args, out: Path | None, md: list[str]) -> tuple[int, int]:
    from ..validation import MissingPeer, names, run_check, save_plot

    table = Table(title="giftsim validate: engine against theory and a peer library",
                  header_style="bold")
    for col, just in (("check", "left"), ("measured", "right"), ("expected", "right"),
                      ("seconds", "right"), ("result", "left")):
        table.add_column(col, justify=just)
    notes: list[str] = []
    md += ["| check | source | measured | expected | statistic | tolerance | result |",
           "|---|---|---|---|---|---|---|"]
    failed = skipped = 0
    for name in names(args.only):
        t0 = time.perf_counter()
        try:
            r = run_check(name, extras=out is not None)
        except MissingPeer as err:
            skipped += 1
            table.add_row(name, "-", "-", "-", "[yellow]SKIP[/]")
            notes.append(f"[bold]{name}[/]: {err}")
            md.append(f"| {name} | - | - | - | {_cell(err)} | - | SKIP |")
            continue
        secs = time.perf_counter() - t0
        failed += not r.passed
        verdict = "[green]PASS[/]" if r.passed else "[bold red]FAIL[/]"
        table.add_row(r.name, fmt(r.measured), fmt(r.expected), f"{secs:.1f}", verdict)
        notes.append(f"[bold]{r.name}[/] ({r.source}): {r.formula}\n  measured: {r.statistic}\n"
                     f"  pass if: {r.tolerance}")
        md.append(f"| `{r.name}` | {_cell(r.source)} | {r.measured:.5g} | {r.expected:.5g} | "
                  f"{_cell(r.statistic)} | {_cell(r.tolerance)} | {'PASS' if r.passed else 'FAIL'} |")
        if out is not None and r.plot is not None:
            save_plot(r.plot, out / f"{r.name}.png")
    console.print(table)
    for n in notes:
        console.print(n, soft_wrap=True)
    return failed, skipped


def _power(args, md: list[str]) -> int:
    """Rerun each check with ``engine_factor`` 0.95 and 1.05; return how many still passed."""
    import inspect

    from ..validation import CHECKS, names

    table = Table(title="Power: each check with the engine's p off by 5% (should FAIL)", header_style="bold")
    for col in ("check", "p x", "statistic", "result"):
        table.add_column(col, overflow="fold")
    md += ["", "| check | engine p x | statistic | result |", "|---|---|---|---|"]
    missed = 0
    for name in names(args.only):
        fn = CHECKS[name]
        if "engine_factor" not in inspect.signature(fn).parameters:
            continue
        for factor in (0.95, 1.05):
            try:
                r = fn(engine_factor=factor)
            except ImportError:
                continue
            missed += r.passed
            verdict = "[bold red]passed (missed)[/]" if r.passed else "[green]FAIL (caught)[/]"
            table.add_row(name, f"{factor:g}", r.statistic, verdict)
            md.append(f"| `{name}` | {factor:g} | {_cell(r.statistic)} | "
                      f"{'passed (missed)' if r.passed else 'FAIL (caught)'} |")
    console.print(table)
    return missed


def _plausibility(args, out: Path | None, md: list[str]) -> None:
    from ..scenario import load_scenario
    from ..validation import landing, purchase_by_received, save_plot, sweep
    from ..validation.plausibility import PUBLISHED, saturation_plot, sweep_plot

    root = Path(__file__).resolve().parents[2] / "scenarios"
    scen = {"wechat_gift_launch": load_scenario(root / "wechat_gift_launch.toml"),
            "douyin_style": load_scenario(root / "douyin_style.toml")}
    land, runs = landing(scen, range(args.seeds))
    table = Table(title=f"Plausibility against published data (mean +/- SE over {args.seeds} seeds; "
                        "reported, not pass/fail)", header_style="bold")
    table.add_column("metric", no_wrap=True)
    for col in (*scen, "published", "source"):
        table.add_column(col, overflow="fold")
    md += ["", f"| metric | {' | '.join(scen)} | published | source |",
           "|---|" + "---|" * len(scen) + "---|---|"]
    for metric in land["metric"].unique():
        cells = []
        for name in scen:
            row = land[(land["scenario"] == name) & (land["metric"] == metric)].iloc[0]
            mark = "" if isinstance(row["inside"], float) and math.isnan(row["inside"]) else (
                " (in)" if row["inside"] else " (out)")
            cells.append(f"{row['mean']:.4g} +/- {row['se']:.2g}{mark}")
        lo, hi, src = PUBLISHED.get(metric, (math.nan, math.nan, ""))
        pub = "" if math.isnan(lo) else f"{lo:g} - {hi:g}"
        table.add_row(metric, *cells, pub, src)
        md.append(f"| {metric} | {' | '.join(cells)} | {pub} | {_cell(src)} |")
    console.print(table)
    sats = {name: purchase_by_received(runs[name]) for name in scen}
    sat = sats["wechat_gift_launch"]
    console.print("P(recipient buys | gifts received before buying), wechat_gift_launch: " + ", ".join(
        f"k={int(r.received)}{'+' if r.received == sat['received'].max() else ''}: {r.share:.3f} "
        f"(n={int(r.recipients)})" for r in sat.itertuples()))
    md += ["", "| scenario | gifts received before buying | recipients | bought | share |",
           "|---|---|---|---|---|"]
    md += [f"| {name} | {int(r.received)} | {int(r.recipients)} | {int(r.sent_after)} | "
           f"{r.share:.3f} +/- {r.se:.3f} |" for name, t in sats.items() for r in t.itertuples()]
    sw = sweep(scen["wechat_gift_launch"])
    cols = ["single_adopter_share", "beyond_one_step_share", "recommendations_per_purchase",
            "visits_per_purchase", "recipients_sending_on"]
    short = ("single", "beyond 1", "recs/buy", "visits/buy", "send on")
    t2 = Table(title="One-at-a-time sweep from wechat_gift_launch (mean over 4 seeds)", header_style="bold",
               caption="single: single_adopter_share; beyond 1: beyond_one_step_share; recs/buy: "
                       "recommendations_per_purchase; visits/buy: visits_per_purchase; send on: "
                       "recipients_sending_on")
    t2.add_column("parameter")
    t2.add_column("value")
    for c in short:
        t2.add_column(c, justify="right")
    md += ["", "| parameter | value | " + " | ".join(cols) + " |", "|---|---|" + "---|" * len(cols)]
    for r in sw.itertuples():
        vals = [f"{getattr(r, c):.3f}" for c in cols]
        t2.add_row(r.parameter, r.value, *vals)
        md.append(f"| {r.parameter} | {r.value} | " + " | ".join(vals) + " |")
    console.print(t2)
    if out is not None:
        save_plot(saturation_plot(sats), out / "plausibility_saturation.png")
        save_plot(sweep_plot(sw), out / "plausibility_cascades.png")


def _evidence(args, out: Path | None, md: list[str]) -> None:
    """Print the evidence table (:func:`sim.evidence.table.evidence_table`) and add it to ``md``."""
    from ..evidence.plots import bands_plot
    from ..evidence.table import evidence_table

    t = evidence_table(args.replicates, args.evidence or None)
    table = Table(title=f"Evidence: published figures against the model (pooled over {args.replicates} "
                        "replicates of each figure's scenario; reported, not pass/fail)", header_style="bold")
    for col, just in (("figure", "left"), ("scenario", "left"), ("model", "right"), ("replicate range", "right"),
                      ("band", "right"), ("inside", "left")):
        table.add_column(col, justify=just, no_wrap=True)
    md += ["", "| figure | scenario | model | replicate range | band | inside | source |",
           "|---|---|---|---|---|---|---|"]
    for r in t.itertuples():
        band, rng = f"{fmt(r.band_low)} - {fmt(r.band_high)}", f"{fmt(r.low)} - {fmt(r.high)}"
        table.add_row(r.name, r.scenario, fmt(r.value), rng, band, "[green]yes[/]" if r.inside else "[red]no[/]")
        md.append(f"| `{r.name}` | {r.scenario} | {fmt(r.value)} | {rng} | {band} | "
                  f"{'yes' if r.inside else 'no'} | {_cell(r.source)} |")
    console.print(table)
    for r in t.itertuples():
        console.print(f"[bold]{r.name}[/] ({r.source}): {r.quantity}", soft_wrap=True)
    if out is not None:
        bands_plot(t, out / "evidence.png")


def main(args: argparse.Namespace) -> int:
    """Run ``giftsim validate`` with parsed ``args``; returns the exit code."""
    if args.seeds < 2:
        raise ValueError(f"--seeds must be >= 2, got {args.seeds}")
    if args.replicates < 1:
        raise ValueError(f"--replicates must be >= 1, got {args.replicates}")
    if args.evidence:
        from ..evidence.table import figure_names

        figure_names(args.evidence)
    out = None if args.no_plots else Path(args.plots)
    if out is not None:
        file = next((p for p in (out, *out.parents) if p.exists() and not p.is_dir()), None)
        if file is not None:
            raise ValueError(f"--plots {out}: {file} is a file, not a folder")
    md: list[str] = []
    t0 = time.perf_counter()
    failed, skipped = _checks(args, out, md)
    if args.power and _power(args, md):
        err_console.print("[yellow]a check did not catch a 5% error in p (see the power table)[/]")
    if not args.no_plausibility and args.only is None:
        _plausibility(args, out, md)
    if not args.no_evidence and (args.only is None or args.evidence is not None):
        _evidence(args, out, md)
    if args.markdown:
        Path(args.markdown).write_text("\n".join(md) + "\n", encoding="utf-8")
    where = f"; plots in {out}" if out is not None else ""
    console.print(f"{time.perf_counter() - t0:.0f} s{where}")
    if skipped:
        err_console.print(f"[yellow]{skipped} check(s) skipped: a peer library is missing[/]")
    if failed:
        err_console.print(f"[bold red]{failed} check(s) failed[/]")
        return int(ExitCode.RUNS_FAILED)
    return 0
