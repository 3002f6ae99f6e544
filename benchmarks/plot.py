"""The figure of ``docs/performance.md``: wall time and peak memory of the full gift model
against users, from ``benchmarks/out/scale.json`` (run ``benchmarks/scale.py`` first).

    python benchmarks/plot.py [--out docs/img/performance/scale.png]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from common import OUT, ROOT


def main(argv: list[str] | None = None) -> Path:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=OUT / "scale.json")
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "img" / "performance" / "scale.png")
    args = ap.parse_args(argv)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    doc = json.loads(args.data.read_text())
    rows, growth = doc["rows"], doc.get("growth", {})
    n = np.array([r["users"] for r in rows], dtype=float)
    fig, (ax_t, ax_m) = plt.subplots(1, 2, figsize=(8, 3.2), dpi=100)
    series = [("total (graph + set-up + steps + tables)", "seconds_total", "#1f77b4", "o"),
              ("58 steps", "seconds_steps", "#ff7f0e", "s"), ("graph construction", "seconds_graph", "#2ca02c", "^")]
    for label, key, colour, marker in series:
        ax_t.plot(n, [r[key] for r in rows], marker=marker, color=colour,
                  label=f"{label}, slope {growth.get(key, float('nan')):.2f}")
    ref = np.array([rows[-1]["seconds_total"] * x / n[-1] for x in n])
    ax_t.plot(n, ref, ls=":", color="grey", label="linear (slope 1)")
    ax_t.axhline(30, color="#d62728", lw=0.8, ls="--")
    ax_t.text(n[0], 30 * 1.1, "goal: 30 s at 10^6 users", color="#d62728", fontsize=7)
    ax_t.set(xscale="log", yscale="log", xlabel="users", ylabel="wall time, s", title="time")
    ax_t.set_ylim(top=100)
    rss = [r["peak_rss_mb"] for r in rows]
    above = [r["peak_rss_mb"] - r["rss_after_import_mb"] for r in rows]
    ax_m.plot(n, rss, marker="o", color="#1f77b4", label=f"peak RSS, slope {growth.get('peak_rss_mb', 0):.2f}")
    ax_m.plot(n, above, marker="s", color="#ff7f0e",
              label=f"above the imports, slope {growth.get('rss_above_imports', 0):.2f}")
    ax_m.plot(n, [above[-1] * x / n[-1] for x in n], ls=":", color="grey", label="linear (slope 1)")
    ax_m.axhline(2048, color="#d62728", lw=0.8, ls="--")
    ax_m.text(n[0], 2048 * 1.1, "goal: 2 GB at 10^6 users", color="#d62728", fontsize=7)
    ax_m.set(xscale="log", yscale="log", xlabel="users", ylabel="MB", title="peak memory")
    ax_m.set_ylim(top=8000)
    for ax in (ax_t, ax_m):
        ax.legend(fontsize=7, loc="lower right")
        ax.grid(True, which="major", alpha=0.3)
    fig.suptitle("Full gift model, default WeChat scenario, BA m = 5, 58 days", fontsize=9)
    fig.tight_layout()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.out)
    print(args.out)
    return args.out


if __name__ == "__main__":
    main()
