"""Plant small deliberate bugs one at a time and count how many a fast subset of the suite catches.

Each mutant replaces one exact snippet of one source file (the script stops if the snippet
is not found exactly once, so a mutant never silently becomes a no-op) in a temporary copy
of the project; the subset of tests runs against the copy (``PYTHONPATH`` points at it).
A mutant is *caught* when a test fails. ``tests/model/test_regression.py`` (the seeded snapshot,
which every intended model change also breaks) runs separately, so that the report can say
which mutants only the snapshot caught.

(A first version planted ``cash_rmb`` summing product gifts too: an equivalent mutant, as a
run's gifts are all cash or all products, so it was replaced.)

Usage (from the project folder; it takes a few minutes per ten mutants on 2 cores)::

    .venv/bin/python benchmarks/mutants.py                 # every mutant, the current tests
    .venv/bin/python benchmarks/mutants.py --tests-rev REV # the same subset as of git REV
    .venv/bin/python benchmarks/mutants.py --only refund_expired,top10_as_top1

The result (a table, and JSON with ``--json FILE``) is recorded in ``docs/reliability.md``.
Not collected by pytest (it lives in ``benchmarks/``).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

SUBSET = [
    "tests/model/test_model.py",
    "tests/model/test_invariants.py",
    "tests/metrics/test_summary_recomputed.py",
    "tests/scenario/test_schema_coverage.py",
    "tests/metrics/test_metrics.py",
    "tests/policies/test_builtin.py",
    "tests/model/test_step_length.py",
    "tests/batch/test_batch.py::test_launch_policies_plan",
    "tests/batch/test_batch.py::test_seeds_depend_on_point_and_replicate_only",
    "tests/batch/test_batch.py::test_run_seed_is_pinned_to_its_seedsequence_derivation",
]
"""The fast subset run against every mutant (about a minute); entries missing from the
tested revision are skipped."""

REGRESSION = ["tests/model/test_regression.py::test_default_scenario_seeded_regression"]


@dataclass(frozen=True)
class Mutant:
    name: str
    path: str
    old: str
    new: str
    what: str


M = "sim/model/model.py"
ST = "sim/model/steps/"
S = "sim/metrics/summary.py"
C = "sim/metrics/concentration.py"
MUTANTS = [
    # money
    Mutant("refund_expired", ST + "settle.py",
           "    np.add.at(world.population.budget, led.column(\"sender\")[ids], price)\n", "",
           "an expired gift's price is not credited back to the sender's budget"),
    Mutant("refund_returned", ST + "settle.py",
           "    np.add.at(world.population.budget, led.column(\"sender\")[ids[ret]], price[ret])\n", "",
           "a returned gift's price is not credited back to the sender's budget"),
    Mutant("returns_total_all", ST + "item.py", "returns_rmb=float(price[ret].sum())",
           "returns_rmb=float(price.sum())", "returns_rmb sums every accepted gift"),
    Mutant("commission_incl_returns", ST + "item.py", "commission_rmb=float((price - net)[kept].sum())",
           "commission_rmb=float((price - net).sum())", "commission kept on returned gifts"),
    Mutant("cash_amount_uncapped", ST + "item.py", "int(merchant.size)), 0.01, self.price_cap)",
           "int(merchant.size)), 0.01, 10_000.0)",
           "cash amounts not clipped to gifts.price_cap"),
    # summary outcomes
    Mutant("sme_share_with_white_label", S, "lambda f: _segment_share(f, \"sme\")",
           "lambda f: _div(f.gmv[~np.isin(f.kinds, f.model.gift_scenario.merchants.segment_codes(\"brand\"))].sum(), "
           "f.total_gmv)", "SME share of GMV includes white-label GMV"),
    Mutant("top10_as_top1", S, "top_k_share(f.gmv, 10)", "top_k_share(f.gmv, 1)", "top-10 share computed as top-1"),
    Mutant("hhi_not_squared", C, "float(np.sum(s * s))", "float(np.sum(s))", "HHI sums shares, not their squares"),
    Mutant("gini_rank_weight", C, "(2 * i - n - 1) * v", "(2 * i - n) * v", "Gini rank weights off by one"),
    Mutant("r_denominator_users", S, "_div(f.caused, f.n_senders)", "_div(f.caused, f.n_users)",
           "R divides by users instead of senders"),
    Mutant("acceptance_over_all", S, "(f.outcome != GiftOutcome.PENDING).sum())", "len(f.outcome))",
           "acceptance rate counts pending gifts in the denominator"),
    Mutant("beyond_one_step_depth1", S, "(f.cascades[\"depth\"] >= 2).sum()", "(f.cascades[\"depth\"] >= 1).sum()",
           "beyond-one-step share counts depth 1"),
    Mutant("half_adoption_off_by_one", S, "(np.partition(first_send_step, k)[k] + 1)",
           "(np.partition(first_send_step, k)[k])", "days to half adoption one step early"),
    Mutant("sv_top10_as_top1", S, "f.cascades.head(10)[\"structural_virality\"]",
           "f.cascades.head(1)[\"structural_virality\"]",
           "structural virality of the top 10 uses the largest only"),
    Mutant("gmv_share_active_only", S, "ever = mt.joined_step >= 0", "ever = mt.active",
           "concentration over merchants active at the end only"),
    Mutant("largest_is_last", S, "lambda f: int(_largest(f, \"size\", 0))",
           "lambda f: int(f.cascades[\"size\"].iloc[-1]) if len(f.cascades) else 0",
           "largest cascade read from the wrong end"),
    # time and steps
    Mutant("expiry_off_by_one", ST + "send.py", "deadline=t + expiry_steps)", "deadline=t + expiry_steps + 1)",
           "gifts expire one step late"),
    Mutant("expiry_in_days", M, "self.expiry_steps = scenario.gifts.expiry_hours // time.step_hours",
           "self.expiry_steps = scenario.gifts.expiry_hours // 24", "expiry counted in days whatever the step"),
    Mutant("lead_in_steps", "sim/model/merchants.py", "t.lead_days * steps_per_day, dtype=np.int64",
           "t.lead_days, dtype=np.int64", "restock lead time counted in steps, not days"),
    Mutant("activity_not_per_step", "sim/model/population.py",
           "pop.activity = 1.0 - (1.0 - daily) ** (step_hours / 24.0)", "pop.activity = daily",
           "daily activity used as the per-step probability"),
    Mutant("decay_per_step", ST + "annoyance.py", "** step_days\n", "\n", "annoyance fades per step, not per day"),
    Mutant("push_reach_per_step", ST + "traffic.py", "reach * now.per_step(pop, users)", "reach",
           "push reach applied in every step of a day"),
    Mutant("demand_window_steps", M, "scenario.merchants.demand_window_days * self.steps_per_day",
           "scenario.merchants.demand_window_days", "demand window counted in steps"),
    Mutant("cold_start_days_in_steps", "sim/policies/base.py",
           "since = (self.day - self.joined_day).astype(np.float64) * self.step_days",
           "since = (self.day - self.joined_day).astype(np.float64)", "cold-start age counted in steps"),
    # seeds
    Mutant("run_seed_key_swapped", "sim/experiments/seeds.py",
           "key = (replicate,) if common_random_numbers else (point, replicate)",
           "key = (replicate,) if common_random_numbers else (replicate, point)", "run seed keys swapped"),
    Mutant("streams_swapped", "sim/experiments/seeds.py", "STREAMS = (\"graph\", \"population\",",
           "STREAMS = (\"population\", \"graph\",", "graph and population streams swapped"),
    # parameters left at their defaults elsewhere
    Mutant("follow_probability_fixed", ST + "item.py", "< follow_probability\n", "< 0.05\n",
           "follow_probability ignored (default used)"),
    Mutant("send_boost_ignored", ST + "send.py", "boost = induced.send_boost if", "boost = 1.5 if",
           "induced send_boost ignored (default used)"),
    Mutant("unit_cost_ignored", "sim/model/merchants.py",
           "margin = t.price[i] * (1.0 - t.commission[i] - t.unit_cost_share[i])",
           "margin = t.price[i] * (1.0 - t.commission[i] - 0.6)", "unit_cost_share ignored by entry (default used)"),
    Mutant("exit_after_fixed", M, "ProfitHistory(self.merchant_table.n_merchants, scenario.merchants.exit_after)",
           "ProfitHistory(self.merchant_table.n_merchants, 4)", "exit_after ignored (default used)"),
    Mutant("admissions_per_period", ST + "merchants.py", "None if cap is None else int(cap * cfg.review_days / 7)",
           "None if cap is None else int(cap)", "admission cap per review, not per week"),
    Mutant("head_count_fixed", "sim/policies/builtin.py", "head[order[: p.head_count]] = True",
           "head[order[:10]] = True", "head_count ignored (default used)"),
    Mutant("unlock_always", ST + "settle.py", "    if gifts.unlock_on_receive:\n", "    if True:\n",
           "unlock_on_receive = false ignored"),
]


def apply(copy_root: Path, m: Mutant) -> None:
    p = copy_root / m.path
    text = p.read_text(encoding="utf-8")
    if text.count(m.old) != 1:
        raise SystemExit(f"mutant {m.name}: the snippet occurs {text.count(m.old)} times in {m.path}")
    p.write_text(text.replace(m.old, m.new), encoding="utf-8")


def pytest(copy_root: Path, targets: list[str], examples: int) -> tuple[bool, str]:
    """Run ``targets`` in the copy; (passed, last line of the output)."""
    env = {**os.environ, "PYTHONPATH": str(copy_root), "GIFTSIM_PROPERTY_EXAMPLES": str(examples),
           "GIFTSIM_SUMMARY_EXAMPLES": str(examples)}
    cmd = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *targets]
    out = subprocess.run(cmd, cwd=copy_root, env=env, capture_output=True, text=True)
    lines = [x for x in out.stdout.splitlines() if x.strip()]
    return out.returncode == 0, (lines[-1] if lines else out.stderr.strip()[-200:])


def present(copy_root: Path, targets: list[str]) -> list[str]:
    """The targets whose file and test exist in the copy."""
    keep = []
    for t in targets:
        f, _, name = t.partition("::")
        if (copy_root / f).is_file() and (not name or f"def {name}(" in (copy_root / f).read_text()):
            keep.append(t)
    return keep


def make_copy(dst: Path, tests_rev: str | None) -> None:
    for name in ("sim", "scenarios", "data"):
        shutil.copytree(ROOT / name, dst / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", dst / "pyproject.toml")
    if tests_rev is None:
        shutil.copytree(ROOT / "tests", dst / "tests", ignore=shutil.ignore_patterns("__pycache__"))
    else:
        tar = subprocess.run(["git", "-C", str(ROOT), "archive", tests_rev, "tests"], capture_output=True, check=True)
        subprocess.run(["tar", "-x", "-C", str(dst)], input=tar.stdout, check=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", help="comma-separated mutant names")
    ap.add_argument("--tests-rev", help="run the tests as of this git revision (the engine stays current)")
    ap.add_argument("--examples", type=int, default=20, help="hypothesis examples per property test (20)")
    ap.add_argument("--json", type=Path, help="write the results here")
    args = ap.parse_args(argv)
    chosen = MUTANTS if not args.only else [m for m in MUTANTS if m.name in args.only.split(",")]
    rows = []
    with tempfile.TemporaryDirectory(prefix="giftsim-mutants-") as tmp:
        base = Path(tmp) / "base"
        make_copy(base, args.tests_rev)
        subset, regression = present(base, SUBSET), present(base, REGRESSION)
        ok, line = pytest(base, subset + regression, args.examples)
        if not ok:
            raise SystemExit(f"the unmutated copy fails its tests: {line}")
        print(f"subset: {len(subset)} targets; unmutated copy passes ({line})", flush=True)
        for m in chosen:
            work = Path(tmp) / m.name
            shutil.copytree(base, work)
            apply(work, m)
            t0 = time.perf_counter()
            sub_ok, sub_line = pytest(work, subset, args.examples)
            reg_ok, _ = pytest(work, regression, args.examples)
            shutil.rmtree(work)
            row = {"name": m.name, "what": m.what, "caught_by_subset": not sub_ok, "caught_by_regression": not reg_ok,
                   "seconds": round(time.perf_counter() - t0, 1), "subset_result": sub_line}
            rows.append(row)
            mark = "caught" if not sub_ok else ("REGRESSION ONLY" if not reg_ok else "MISSED")
            print(f"{m.name:28s} {mark:16s} {row['seconds']:6.1f} s  {sub_line[:90]}", flush=True)
    caught = sum(r["caught_by_subset"] or r["caught_by_regression"] for r in rows)
    only_reg = sum(r["caught_by_regression"] and not r["caught_by_subset"] for r in rows)
    print(f"\ncaught {caught}/{len(rows)} ({100 * caught / max(len(rows), 1):.0f}%); "
          f"caught only by model/test_regression.py: {only_reg}")
    if args.json:
        args.json.write_text(json.dumps({"tests_rev": args.tests_rev, "caught": caught, "total": len(rows),
                                         "regression_only": only_reg, "mutants": rows}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
