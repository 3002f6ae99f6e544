"""``giftsim calibrate``: fit scenario parameters to target figures."""

from __future__ import annotations

import argparse

from rich.markup import escape
from rich.table import Table

from ..calibrate import calibrate
from ..scenario import is_integer_field, load_scenario, schema_field
from .common import console, evaluator_from_args, expect_kind, fmt, refuse_out_below_a_file

__all__ = ["add_parser", "main"]


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Add the ``calibrate`` subcommand to ``sub``."""
    p = sub.add_parser(
        "calibrate", help="fit scenario parameters to target figures (differential evolution or ABC-SMC)",
        description="Fit the [parameters] of CALIBFILE to its [targets]: with scipy's differential "
        "evolution, every point run with the same seeds (calibration.json, history.parquet, fitted.toml), or, "
        "for a file with method = \"abc_smc\", by ABC-SMC against published figures (history.db, "
        "posterior.parquet, generations.parquet, predictive.parquet, fitted.toml with the posterior medians, "
        "plots/, calibration.json; a stopped ABC calibration resumes after its last finished generation). "
        "Results go to results/calibrate/<name>/.",
    )
    p.add_argument("calibfile", help="calibration TOML file, e.g. scenarios/calibrate_plausibility.toml")
    p.add_argument("--workers", type=int, default=1, help="processes evaluating points in parallel (default 1)")
    p.add_argument("--out", help="output folder (default results/calibrate/<name>); a batch folder, or a "
                   "folder holding anything but a calibration, is refused")
    p.add_argument("--force", action="store_true",
                   help="replace an earlier calibration in the output folder (refused without it; a stopped ABC "
                   "calibration of the same file resumes without it)")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    """Run ``giftsim calibrate`` with parsed ``args``: an ABC file (``method = "abc_smc"``)
    by ABC-SMC (:mod:`sim.cli.calibrate_abc`), else by differential evolution; returns the
    exit code."""
    from ..calibrate.abc_spec import calibration_method

    expect_kind(args.calibfile, "calibration")
    refuse_out_below_a_file(args.out, "calibration")
    if calibration_method(args.calibfile) == "abc_smc":
        from .calibrate_abc import abc_main

        return abc_main(args)
    return _differential_evolution(args)


def _differential_evolution(args: argparse.Namespace) -> int:
    evaluator = evaluator_from_args(args)
    with console.status("calibrating (differential evolution)..."):
        res = calibrate(args.calibfile, evaluator=evaluator, out=args.out, force=args.force)
    t = Table(title=f"{res.spec.name}: loss {res.loss:.4g} after {res.evaluations} evaluations",
              header_style="bold")
    t.add_column("parameter")
    t.add_column("fitted", justify="right")
    t.add_column("bounds", justify="right")
    at_bound = []
    fitted_doc = load_scenario(res.folder / "fitted.toml").model_dump(mode="python")
    for k, v in res.fitted.items():
        lo, hi = res.spec.parameters[k]
        field = schema_field(k, fitted_doc)
        shown = fmt(round(v)) if field is not None and is_integer_field(field) else fmt(v)  # as the runs used it
        t.add_row(k, shown, escape(f"[{fmt(lo)}, {fmt(hi)}]"))
        if min(v - lo, hi - v) <= 0.01 * (hi - lo):
            at_bound.append(k)
    console.print(t)
    if at_bound:
        console.print(f"note: {', '.join(at_bound)} ended at a bound of its range: the best value may lie "
                      "outside it; widen the bounds and calibrate again")
    c = Table(title=f"fit at the fitted values: mean [95% interval] over {res.spec.check_replicates} new replicates",
              header_style="bold")
    for col in ("metric", "target", "fitted", "within tolerance", "source"):
        c.add_column(col, justify="right" if col in ("target", "fitted") else "left")
    partial = False
    for _, r in res.check.iterrows():
        n = int(r["n"])
        if n == 0:
            fitted, within = "-", "no: undefined in every replicate"
        else:
            mark = f" (n={n})" if n < res.spec.check_replicates else ""
            partial |= bool(mark)
            fitted = f"{fmt(r['fitted_mean'])} [{fmt(r['lo'])}, {fmt(r['hi'])}]{mark}"
            within = "yes" if r["within_scale"] else "no"
        c.add_row(r["metric"], f"{fmt(r['target'])} ± {fmt(r['scale'])}", fitted, within, r["source"])
    if partial:
        c.caption = ("(n=k): the metric is finite in only k of the replicates (undefined, e.g. a rate with "
                     "nothing to divide, in the others); mean and interval over those k")
    console.print(c)
    for w in res.warnings:
        console.print(f"[bold yellow]warning:[/] {escape(w)}", soft_wrap=True)
    console.print(f"wrote {res.folder} (calibration.json, history.parquet, fitted.toml)")
    return 0
