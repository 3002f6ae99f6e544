"""``giftsim calibrate`` of an ABC file (``method = "abc_smc"``): run or resume it, then
print the generations, the posterior and the posterior predictive check."""

from __future__ import annotations

import argparse
import contextlib
import logging

from rich.markup import escape
from rich.table import Table

from .common import Interrupted, caused_by_interrupt, console, evaluator_from_args, fmt, sigterm_as_interrupt

__all__ = ["abc_main", "generations_table", "posterior_table", "predictive_table"]


def generations_table(result) -> Table:
    """Per generation: epsilon, particles simulated, acceptance, effective sample size."""
    g = result.generations
    t = Table(title=f"{result.spec.name}: ABC-SMC, {len(g)} generations, "
              f"{int(g['simulations'].sum()) if len(g) else 0:,} particles simulated "
              f"({result.spec.replicates} runs each)", header_style="bold")
    for col in ("generation", "epsilon", "simulations", "acceptance", "ESS"):
        t.add_column(col, justify="right")
    for _, r in g.iterrows():
        t.add_row(str(int(r["t"])), fmt(float(r["epsilon"])), fmt(int(r["simulations"])),
                  f"{float(r['acceptance']):.1%}", f"{float(r['ess']):.1f}")
    return t


def posterior_table(result) -> tuple[Table, list[str]]:
    """Per parameter: weighted median [5%, 95%] and the prior; and the keys piling up at a bound."""
    s = result.summary()
    t = Table(title="posterior: weighted median [90% interval]", header_style="bold")
    for col in ("parameter", "median", "90% interval", "prior", "at a bound"):
        t.add_column(col, justify="left" if col in ("parameter", "at a bound") else "right")
    piled = []
    for _, r in s.iterrows():
        shape = result.spec.priors.get(r["parameter"], "uniform")
        t.add_row(r["parameter"], fmt(float(r["median"])), escape(f"[{fmt(float(r['lo']))}, {fmt(float(r['hi']))}]"),
                  escape(f"{shape} [{fmt(float(r['low']))}, {fmt(float(r['high']))}]"), r["at_bound"] or "-")
        if r["at_bound"]:
            piled.append(f"{r['parameter']} ({r['at_bound']})")
    return t, piled


def predictive_table(result) -> Table:
    """Per figure of the base scenario: the predictive median [5%, 95%], the band, the share
    of posterior draws inside it, and whether the calibration fitted it."""
    p = result.predictive
    draws = int(p["draws"].iloc[0]) if len(p) else 0
    t = Table(title=f"posterior predictive check: median [5%, 95%] over {draws} posterior draws "
              f"x {result.spec.predictive_replicates} runs", header_style="bold")
    for col in ("figure", "model", "band", "inside", "fitted"):
        t.add_column(col, justify="left" if col in ("figure", "fitted") else "right")
    for _, r in p.iterrows():
        t.add_row(r["figure"], escape(f"{fmt(float(r['median']))} [{fmt(float(r['lo']))}, {fmt(float(r['hi']))}]"),
                  escape(f"[{fmt(float(r['band_low']))}, {fmt(float(r['band_high']))}]"),
                  f"{float(r['inside_share']):.0%}", "yes" if bool(r["target"]) else "no")
    return t


@contextlib.contextmanager
def _quiet_pyabc(verbose: int):
    """Quiet the ``ABC`` logger (pyabc logs every generation at INFO) unless ``-v``."""
    logger = logging.getLogger("ABC")
    level = logger.level
    if not verbose:
        logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


def _interrupted(args: argparse.Namespace) -> Interrupted:
    """What a Ctrl-C or SIGTERM keeps: the finished generations, to resume from."""
    from pathlib import Path

    from ..scenario import read_toml

    folder = args.out or Path("results") / "calibrate" / str(read_toml(Path(args.calibfile)).get("name", ""))
    return Interrupted(f"interrupted; the finished generations are kept in {folder}/history.db: run the same "
                       "command again to resume after the last of them")


def abc_main(args: argparse.Namespace) -> int:
    """``giftsim calibrate`` of an ABC file with parsed ``args``; returns the exit code."""
    from ..calibrate.abc import abc_calibrate

    evaluator = evaluator_from_args(args)
    with console.status("ABC-SMC: starting...") as status, _quiet_pyabc(getattr(args, "verbose", 0) or 0):
        def progress(message: str) -> None:
            if message.startswith("resuming"):
                console.print(f"{escape(str(args.calibfile))}: {message} (a stopped calibration's history.db)")
            status.update(f"ABC-SMC: {message}...")

        try:
            with sigterm_as_interrupt():
                res = abc_calibrate(args.calibfile, evaluator=evaluator, out=args.out, force=args.force,
                                    progress=progress)
        except Exception as err:
            if not caused_by_interrupt(err):
                raise
            raise _interrupted(args) from err
        except KeyboardInterrupt as err:
            raise _interrupted(args) from err
    console.print(generations_table(res))
    table, piled = posterior_table(res)
    console.print(table)
    if piled:
        console.print(f"note: the posterior piles up at a bound of its prior for {', '.join(piled)}: the values "
                      "the figures favour may lie beyond it; widen the prior if the key allows", soft_wrap=True)
    console.print(predictive_table(res))
    console.print(f"wrote {escape(str(res.folder))} (posterior.parquet, generations.parquet, predictive.parquet, "
                  "fitted.toml, plots/, calibration.json)", soft_wrap=True)
    return 0
