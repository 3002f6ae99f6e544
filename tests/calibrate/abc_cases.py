"""A small, fast ABC calibration whose targets the model made at a known point.

The figures are :class:`sim.evidence.Evidence` entries for a generated graph of 300 users
over four weeks (``base.toml`` in a test's folder): gifts sent per user and the share of
gifts accepted, their bands around the model's own pooled values at :data:`TRUTH`. They
are registered in :data:`sim.evidence.EVIDENCE` only for the duration of a test (a fixture,
or :func:`registered` in a subprocess).
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

import tomli_w

from sim.evidence.quantities import pooled
from sim.evidence.targets import EVIDENCE, Evidence
from sim.runner import run
from sim.scenario import load_scenario, with_overrides

BASE = {
    "name": "abc_small",
    "graph": {"kind": "holme_kim", "n": 300, "m": 4, "p": 0.3, "seed": 5},
    "time": {"start": "2025-01-01", "end": "2025-01-28"},
    "rollout": {"schedule": [{"date": "2025-01-01", "share": 1.0}]},
    "policy": {"commercial_share": 0.2},
}

TRUTH = {"gifts.send_probability": 0.35, "gifts.accept_intercept": 0.5}
PRIORS = {"gifts.send_probability": [0.05, 0.9], "gifts.accept_intercept": [-2.0, 3.0]}
TRUTH_REPLICATES = 16


def gifts_per_user(result) -> tuple[float, float]:
    """Gifts sent, over users."""
    return float(result.summary["gifts_sent"]), float(result.summary["users"])


def accepted_share(result) -> tuple[float, float]:
    """Gifts accepted, over gifts sent."""
    return float(result.summary["gifts_accepted"]), float(result.summary["gifts_sent"])


def truth_figures(folder: Path) -> dict[str, Evidence]:
    """The two figures, their values the model's pooled quantities at :data:`TRUTH` over
    :data:`TRUTH_REPLICATES` runs (seeds 1000...), their bands +-10% and +-0.06 around them."""
    sc = with_overrides(load_scenario(folder / "base.toml"), list(TRUTH.items()))
    results = [run(sc, 1000 + s) for s in range(TRUTH_REPLICATES)]
    per_user = pooled(gifts_per_user(r) for r in results)
    accepted = pooled(accepted_share(r) for r in results)
    return {
        "test_gifts_per_user": Evidence("test_gifts_per_user", "gifts per user at the truth", "the model itself",
                                        (0.9 * per_user, 1.1 * per_user), per_user, "+-10%", "gifts sent per user",
                                        gifts_per_user, "base.toml"),
        "test_accepted_share": Evidence("test_accepted_share", "accepted share at the truth", "the model itself",
                                        (accepted - 0.06, accepted + 0.06), accepted, "+-0.06",
                                        "gifts accepted per gift sent", accepted_share, "base.toml"),
    }


def write_files(folder: Path, **spec) -> Path:
    """``base.toml`` and ``abc.toml`` (small budget; ``spec`` replaces top-level keys) in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "base.toml").write_text(tomli_w.dumps(BASE))
    doc = {"name": "abc_test", "method": "abc_smc", "base": "base.toml", "replicates": 2, "seed": 11,
           "predictive_draws": 6, "predictive_replicates": 1,
           "parameters": PRIORS, "targets": {"test_gifts_per_user": 1.0, "test_accepted_share": 1.0},
           "budget": {"population_size": 20, "max_generations": 3, "max_simulations": 5000, "max_minutes": 10}}
    doc.update(spec)
    (folder / "abc.toml").write_text(tomli_w.dumps(doc))
    return folder / "abc.toml"


@contextlib.contextmanager
def registered(folder: Path):
    """The figures of :func:`truth_figures` in :data:`sim.evidence.EVIDENCE` while inside."""
    figures = truth_figures(folder)
    EVIDENCE.update(figures)
    try:
        yield figures
    finally:
        for name in figures:
            EVIDENCE.pop(name, None)


if __name__ == "__main__":  # python -m tests.calibrate.abc_cases FOLDER OUT [--cli]: the calibration, in a subprocess
    from sim.calibrate.abc import abc_calibrate
    from sim.cli import main

    folder, out = Path(sys.argv[1]), Path(sys.argv[2])
    with registered(folder):
        if sys.argv[3:] == ["--cli"]:
            sys.exit(main(["calibrate", str(folder / "abc.toml"), "--out", str(out)]))
        abc_calibrate(folder / "abc.toml", out=out)
