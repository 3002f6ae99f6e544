"""``docs/evidence.md``: the evidence table, the figures the model cannot express, the plots,
and the calibration's posterior, diagnostics and predictive checks when they exist.

Regenerate with::

    python -m sim.evidence.report docs/evidence.md [--replicates 20] [--calibration results/calibrate/evidence]

The plots go to ``img/evidence/`` beside the Markdown file.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from . import POSTERIOR_COLUMNS
from .plots import bands_plot, marginals_plot, pairs_plot, predictive_plot
from .quantities import weighted_quantile
from .table import evidence_table
from .targets import EVIDENCE, NOT_EXPRESSIBLE

__all__ = ["COMMAND", "CALIBRATION_DIR", "CALIBRATION_METHOD", "MARKET_DIR",
           "CALIBRATION_PLACEHOLDER", "cell", "render", "calibration_section", "main"]

COMMAND = "python -m sim.evidence.report docs/evidence.md"
"""The documented command that writes ``docs/evidence.md`` and its images."""

CALIBRATION_DIR = Path("results") / "calibrate" / "evidence"
"""Where ``giftsim calibrate scenarios/calibrate_evidence.toml`` writes (relative to the
current folder); the report's calibration section is read from here."""

CALIBRATION_PLACEHOLDER = ("The calibration section is produced from `results/calibrate/evidence/` "
                           "(posterior, generations, predictive checks); it is not there yet.")
"""The calibration section's one line when no calibration has been written."""


def cell(text: object) -> str:
    """``text`` as one Markdown table cell: pipes escaped, newlines as spaces."""
    return str(text).replace("|", "\\|").replace("\n", " ")


def _num(x: float) -> str:
    if isinstance(x, float) and math.isnan(x):
        return "-"
    return "inf" if math.isinf(x) else f"{x:.4g}"


def _table_lines(table: pd.DataFrame) -> list[str]:
    lines = ["| figure | scenario | model value (replicate range) | band | published | inside | source |",
             "|---|---|---|---|---|---|---|"]
    for r in table.itertuples():
        lines.append(f"| `{r.name}`: {cell(r.figure)} | `{r.scenario}` | {_num(r.value)} "
                     f"({_num(r.low)} - {_num(r.high)}) | {_num(r.band_low)} - {_num(r.band_high)} | "
                     f"{_num(r.target)} | {'yes' if r.inside else '**no**'} | {cell(r.source)} |")
    return lines


def _quantity_lines() -> list[str]:
    lines = ["| figure | model quantity | band |", "|---|---|---|"]
    lines += [f"| `{n}` | {cell(e.quantity)} | {cell(e.band_note)} |" for n, e in EVIDENCE.items()]
    return lines


def _posterior_lines(posterior: pd.DataFrame, keys: list[str]) -> list[str]:
    w = posterior["weight"].to_numpy(float)
    lines = ["| parameter | weighted mean | 5% | 50% | 95% |", "|---|---|---|---|---|"]
    for k in keys:
        x = posterior[k].to_numpy(float)
        lines.append(f"| `{k}` | {_num(float(np.average(x, weights=w)))} | "
                     + " | ".join(_num(weighted_quantile(x, w, q)) for q in (0.05, 0.5, 0.95)) + " |")
    return lines


def calibration_section(folder: Path, img_dir: Path, rel_img: str) -> list[str]:
    """The calibration section's Markdown lines from ``folder`` (``posterior.parquet``,
    ``generations.parquet``, ``predictive.parquet``), writing its plots into ``img_dir``
    (linked as ``rel_img/...``); :data:`CALIBRATION_PLACEHOLDER` when ``posterior.parquet`` is absent."""
    if not (folder / "posterior.parquet").is_file():
        return [CALIBRATION_PLACEHOLDER]
    posterior = pd.read_parquet(folder / "posterior.parquet")
    keys = [c for c in posterior.columns if c not in POSTERIOR_COLUMNS]
    lines = [f"From `{folder.as_posix()}/`: {len(posterior)} particles of the last generation "
             f"(importance-weighted).", "", "### Posterior", "", *_posterior_lines(posterior, keys), ""]
    marginals_plot(posterior, keys, img_dir / "posterior_marginals.png")
    lines += [f"![weighted marginal posteriors]({rel_img}/posterior_marginals.png)", ""]
    if len(keys) >= 2:
        pairs_plot(posterior, keys, img_dir / "posterior_pairs.png")
        lines += [f"![pairwise posterior]({rel_img}/posterior_pairs.png)", ""]
    if (folder / "generations.parquet").is_file():
        g = pd.read_parquet(folder / "generations.parquet")
        lines += ["### Diagnostics", "", "| generation | epsilon | simulations | accepted | acceptance | ESS |",
                  "|---|---|---|---|---|---|"]
        lines += [f"| {int(r.t)} | {_num(r.epsilon)} | {int(r.simulations)} | {int(r.accepted)} | "
                  f"{_num(r.acceptance)} | {_num(r.ess)} |" for r in g.itertuples()]
        lines.append("")
    if (folder / "predictive.parquet").is_file():
        p = pd.read_parquet(folder / "predictive.parquet")
        lines += ["### Posterior predictive check", "",
                  "| figure | fitted | median | 5% - 95% | band | inside (share of draws) | draws |",
                  "|---|---|---|---|---|---|---|"]
        lines += [f"| `{r.figure}` | {'yes' if r.target else 'no'} | {_num(r.median)} | {_num(r.lo)} - "
                  f"{_num(r.hi)} | {_num(r.band_low)} - {_num(r.band_high)} | {_num(r.inside_share)} | "
                  f"{int(r.draws)} |" for r in p.itertuples()]
        if len(p):
            predictive_plot(p, img_dir / "predictive.png")
            lines += ["", f"![posterior predictive check]({rel_img}/predictive.png)"]
    return lines


MARKET_DIR = Path("results") / "calibrate" / "market"
"""Where ``giftsim calibrate scenarios/calibrate_market.toml`` writes the second stage."""

CALIBRATION_METHOD = (
    "Pattern-oriented (Grimm et al., Science 2005): ABC-SMC (pyabc) keeps the parameter sets whose runs reproduce "
    "all the figures of a scenario at once. Two stages, each a calibration file: `scenarios/calibrate_evidence.toml` "
    "fits the five behaviour parameters without a direct source (pass-on, reciprocity, the feed's click-through "
    "and gifting chance, acceptance) to the five figures of `wechat_gift_launch.toml`, four runs per particle at "
    "fresh seeds; `scenarios/calibrate_market.toml` fits the brands' weekly fixed cost to the 15% brand share of "
    "`wechat_gift_launch_3y.toml` with the behaviour at the first stage's medians. The first stage was then run "
    "again with the fitted brand cost (the cost moves the launch's lift): the figures below are from that run, "
    "and every figure of both scenarios lies in its band at the resulting defaults (table above). The posterior "
    "medians are the schema's defaults (docs/model.md marks them `calibrated`); batches draw from the shipped "
    "posterior with `uncertainty = \"posterior\"` (docs/scenarios.md).")
"""How the calibration was made (the calibration section's first paragraph)."""


def _stage_two_lines(folder: Path) -> list[str]:
    """The market stage's posterior and predictive check, when ``folder`` holds it."""
    if not (folder / "posterior.parquet").is_file():
        return []
    posterior = pd.read_parquet(folder / "posterior.parquet")
    keys = [c for c in posterior.columns if c not in POSTERIOR_COLUMNS]
    lines = ["### Second stage: the market", "", f"From `{folder.as_posix()}/`: {len(posterior)} particles.", "",
             *_posterior_lines(posterior, keys), ""]
    if (folder / "predictive.parquet").is_file():
        p = pd.read_parquet(folder / "predictive.parquet")
        lines += ["| figure | median | 5% - 95% | band | inside (share of draws) | draws |",
                  "|---|---|---|---|---|---|"]
        lines += [f"| `{r.figure}` | {_num(r.median)} | {_num(r.lo)} - {_num(r.hi)} | {_num(r.band_low)} - "
                  f"{_num(r.band_high)} | {_num(r.inside_share)} | {int(r.draws)} |" for r in p.itertuples()]
        lines.append("")
    return lines


def render(table: pd.DataFrame, doc: Path, calibration: Path = CALIBRATION_DIR) -> str:
    """The Markdown of ``docs/evidence.md`` for an evidence table
    (:func:`sim.evidence.table.evidence_table`), writing its plots under
    ``doc``'s folder ``img/evidence/``."""
    img_dir = doc.parent / "img" / "evidence"
    rel = os.path.relpath(img_dir, doc.parent).replace(os.sep, "/")
    bands_plot(table, img_dir / "bands.png")
    reps = sorted(set(int(n) for n in table["replicates"]))
    out = ["# Evidence: the model against published figures", "",
           f"<!-- generated by `{COMMAND}`; do not edit by hand -->", "",
           "Each published figure the model can express (`sim.evidence.EVIDENCE`), with the scale-free model "
           "quantity it compares to, pooled as a ratio of sums over replicates of the shipped scenario it applies "
           f"to (seeds 0 to {max(reps) - 1}; {', '.join(map(str, reps))} replicates). The replicate range is "
           "the smallest and largest value of a single replicate. `giftsim validate` prints the same table.",
           "", *_table_lines(table), "", f"![model values against the bands]({rel}/bands.png)", "",
           "Shaded: the band; dashed: the published value; marker: the pooled model value (green inside, red "
           "outside) with the replicate range.", "", "## Quantities and bands", "", *_quantity_lines(), "",
           "## Figures the model does not express", "", "| figure | source | why not |", "|---|---|---|"]
    out += [f"| {cell(f)} | {cell(s)} | {cell(why)} |" for f, s, why in NOT_EXPRESSIBLE]
    section = calibration_section(Path(calibration), img_dir, rel)
    out += ["", "## Calibration", ""]
    if section == [CALIBRATION_PLACEHOLDER]:
        out += section
    else:  # the market stage sits beside the evidence stage (results/calibrate/market)
        out += [CALIBRATION_METHOD, "", *section, "", *_stage_two_lines(Path(calibration).parent / MARKET_DIR.name)]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    """Write the evidence report (``python -m sim.evidence.report FILE``); returns the exit code
    (2 with one message for a bad argument)."""
    p = argparse.ArgumentParser(prog="python -m sim.evidence.report", description=__doc__.split("\n\n")[0])
    p.add_argument("out", type=Path, help="the Markdown file to write (docs/evidence.md)")
    p.add_argument("--replicates", type=int, default=20, help="runs of each figure's scenario (default 20)")
    p.add_argument("--calibration", type=Path, default=CALIBRATION_DIR,
                   help=f"the calibration's folder (default {CALIBRATION_DIR})")
    args = p.parse_args(argv)
    if args.replicates < 1:
        print(f"--replicates must be >= 1, got {args.replicates}", file=sys.stderr)
        return 2
    if args.out.parent.exists() and not args.out.parent.is_dir():
        print(f"{args.out}: {args.out.parent} is not a folder", file=sys.stderr)
        return 2
    table = evidence_table(args.replicates)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(render(table, args.out, args.calibration), encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
