"""Fingerprints of seeded runs: a SHA-256 of every output table and of the summary, to
show that a speed change leaves results bit for bit unchanged.

    python benchmarks/fingerprint.py --write before.json   # on the old code
    python benchmarks/fingerprint.py --check before.json   # on the new code

The runs cover the default scenario and variants where push, induced sharing, muting,
sales-proportional, head-boost and cold-start allocation, the chat entry, cash gifts,
scarce stock, the onboarding cap and six-hour steps matter, plus a 100,000-user
Barabási-Albert run, and the classic modes (independent cascade on ego-Facebook and on a
100,000-user Barabási-Albert graph, Bass on a complete graph). Not part of the test
suite (the seeded regression test is); this is the wider net used when touching the
engine for speed.

``--check`` compares the hashes the file has; one it lacks (a table added since it was
written, such as ``invitations``, or a new case) is listed as not compared, not as a
difference.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
SCALE = [
    ("graph", {"kind": "barabasi_albert", "n": 100_000, "m": 5, "engine": "numpy"}),
    ("merchants.brand.count", 100), ("merchants.sme.count", 500), ("merchants.white_label.count", 250),
]

ALL_ON = [  # issue 14's mechanisms all on, as benchmarks/long_run.py's all-on row of docs/performance.md
    ("graph", {"kind": "barabasi_albert", "n": 100_000, "m": 5, "engine": "numpy"}),
    ("time.end", "2025-12-31"), ("calendar.birthday_gift_rate", 0.01),
    ("groups.enabled", True), ("groups.group_gift_rate", 0.0005), ("groups.send_back_base", 0.075),
    ("groups.send_back_per_rmb", 0.0), ("gifts.chat_entry_from", "2025-01-17"),
    ("merchants.brand.per_10k_users", 10.0), ("merchants.sme.per_10k_users", 50.0),
    ("merchants.white_label.per_10k_users", 25.0), ("merchants.brand.channel", "choose"),
    ("merchants.market.visibility_weight", 1.0), ("merchants.market.reentry_after_days", 60),
]

CASES: dict[str, tuple[str, list[tuple[str, object]], int]] = {
    "wechat_seed7": ("wechat_gift_launch.toml", [], 7),
    "wechat_seed3": ("wechat_gift_launch.toml", [], 3),
    "push_muting": ("wechat_gift_launch.toml", [
        ("policy.push", {"enabled": True, "reach": 0.5, "annoyance": 1.5}),
        ("policy.ad_annoyance", 0.3), ("population.annoyance_decay", 0.05)], 5),
    "push_mild": ("wechat_gift_launch.toml", [
        ("policy.push", {"enabled": True, "reach": 0.2}), ("policy.ad_annoyance", 0.05)], 12),
    "induced_push": ("wechat_gift_launch.toml", [
        ("policy.induced_sharing", {"enabled": True, "fanout": 4}),
        ("policy.push", {"enabled": True, "reach": 0.3})], 11),
    "sales_prop_scarce": ("wechat_gift_launch.toml", [
        ("policy.allocation", {"rule": "sales_proportional", "exponent": 1.5}),
        ("policy.commercial_share", 0.1),
        ("merchants.sme", {"initial_stock": 2, "restock_quantity": 3, "lead_days": 4}),
        ("merchants.max_admissions_per_week", 2)], 13),
    "head_boost": ("douyin_style.toml", [], 2),
    "cold_start": ("cold_start.toml", [], 4),
    "chat_entry": ("wechat_chat_entry.toml", [], 6),
    "red_envelope": ("red_envelope_2014.toml", [], 8),
    "six_hour_steps": ("wechat_gift_launch.toml", [("time.step_hours", 6), ("policy.commercial_share", 0.1)], 9),
    "ba_100k": ("wechat_gift_launch.toml", SCALE, 1),
    "ic_facebook": ("classic/ic_facebook.toml", [], 3),
    "ic_ba_100k": ("classic/ic_facebook.toml", [SCALE[0], ("mode.p", 0.08)], 5),
    "bass_complete": ("classic/bass_complete.toml", [], 2),
    "all_on_ba_100k_1y": ("wechat_gift_launch.toml", ALL_ON, 1),
    "all_on_ba_100k_3y": ("wechat_gift_launch.toml", [*ALL_ON, ("time.end", "2027-12-31")], 2),
}


def _hash_frame(df: pd.DataFrame) -> str:
    h = hashlib.sha256()
    for name in df.columns:
        col = df[name]
        values = col.cat.codes.to_numpy() if isinstance(col.dtype, pd.CategoricalDtype) else col.to_numpy()
        h.update(str(name).encode())
        h.update(np.ascontiguousarray(values).tobytes() if values.dtype != object else repr(values.tolist()).encode())
    return h.hexdigest()[:16]


def fingerprint(name: str) -> dict[str, str]:
    """Hashes of one case's tables and summary."""
    from sim import load_scenario, run
    from sim.scenario import with_overrides

    file, overrides, seed = CASES[name]
    sc = load_scenario(ROOT / "scenarios" / file)
    if overrides:
        sc = with_overrides(sc, overrides)
    r = run(sc, seed)
    tables = ("series", "gifts", "users", "merchants", "cascades", "invitations")
    out = {t: _hash_frame(getattr(r, t)) for t in tables}
    out["summary"] = hashlib.sha256(json.dumps(r.summary, sort_keys=True).encode()).hexdigest()[:16]
    out["gifts_sent"] = str(r.summary["gifts_sent"])
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--write", help="write the fingerprints to this JSON file")
    ap.add_argument("--check", help="compare with fingerprints in this JSON file")
    ap.add_argument("--cases", nargs="*", default=list(CASES))
    args = ap.parse_args(argv)
    got = {}
    for name in args.cases:
        got[name] = fingerprint(name)
        print(name, got[name], flush=True)
    if args.write:
        Path(args.write).write_text(json.dumps(got, indent=1))
    if args.check:
        want = json.loads(Path(args.check).read_text())
        new = [f"{c}.{t}" for c in got for t in got[c] if t not in want.get(c, {})]
        bad = [f"{c}.{t}" for c in got for t in got[c] if t in want.get(c, {}) and want[c][t] != got[c][t]]
        if new:
            print(f"not in {args.check}, not compared: " + ", ".join(new))
        print("IDENTICAL" if not bad else "DIFFERENT: " + ", ".join(bad))
        return 1 if bad else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
