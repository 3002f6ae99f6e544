"""Shared by the benchmarks: the scaled scenario, timing, peak memory, and writing results.

Every benchmark writes ``benchmarks/out/<name>.json`` (rows plus the machine and load it
ran under) and ``benchmarks/out/<name>.md`` (a markdown table). Timings on a shared
machine vary with its load: benchmarks repeat and report medians, and record the
1-minute load average before and after.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "out"
WECHAT = ROOT / "scenarios" / "wechat_gift_launch.toml"

if str(ROOT) not in sys.path:  # run as `python benchmarks/x.py` from anywhere
    sys.path.insert(0, str(ROOT))


def scale_scenario(n: int, *, m: int = 5):
    """The default WeChat scenario on a Barabási-Albert graph of ``n`` users (mean degree
    about 2 m) with the merchant pool scaled with the population (34 merchants per 4,039
    users by default: here n/1000 brands, n/200 small merchants, n/400 white labels)."""
    from sim import load_scenario
    from sim.scenario import with_overrides

    return with_overrides(load_scenario(WECHAT), [
        ("graph", {"kind": "barabasi_albert", "n": n, "m": m, "engine": "numpy"}),
        ("merchants.brand.count", max(4, n // 1000)),
        ("merchants.sme.count", max(20, n // 200)),
        ("merchants.white_label.count", max(10, n // 400)),
    ])


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, MB.

    Linux's ``VmHWM`` (the high-water mark of this program's memory); not ``ru_maxrss``,
    which a child started by fork and exec inherits from its parent's resident size.
    """
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def load_average() -> float:
    return round(os.getloadavg()[0], 2)


def timed(fn: Callable[[], object], repeat: int) -> tuple[list[float], object]:
    """Wall times (s) of ``repeat`` calls of ``fn`` and the last call's result."""
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return times, out


def median(xs: list[float]) -> float:
    return float(statistics.median(xs))


def meta() -> dict:
    """The machine and software a benchmark ran on."""
    import numpy as np

    versions = {"python": platform.python_version(), "numpy": np.__version__}
    for mod in ("mesa", "networkx", "cynetdiff", "ndlib"):
        try:
            from importlib.metadata import version

            versions[mod] = version(mod)
        except Exception:  # not installed
            versions[mod] = None
    cpu = ""
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return {"date": time.strftime("%Y-%m-%d %H:%M"), "machine": platform.machine(), "cpu": cpu,
            "cpus": os.cpu_count(), "versions": versions}


def in_subprocess(script: Path, args: list[str]) -> dict:
    """Run ``script args`` in a fresh interpreter (own peak memory) and parse the JSON it
    prints on its last line."""
    out = subprocess.run([sys.executable, str(script), *args], capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"{script.name} {' '.join(args)} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def write(name: str, rows: list[dict], table: list[str], extra: dict | None = None, *,
          out: Path = OUT, load_before: float | None = None) -> Path:
    """Write ``<name>.json`` (rows, meta, loads, extra) and ``<name>.md`` (``table`` lines)."""
    out.mkdir(parents=True, exist_ok=True)
    doc = {"benchmark": name, "meta": meta(), "load_before": load_before, "load_after": load_average(),
           "rows": rows, **(extra or {})}
    (out / f"{name}.json").write_text(json.dumps(doc, indent=2, default=float))
    md = out / f"{name}.md"
    md.write_text("\n".join(table) + "\n")
    return md


def md_table(header: list[str], rows: list[list[object]]) -> list[str]:
    """Markdown table lines; numbers right-aligned."""
    def cell(x: object) -> str:
        if isinstance(x, float):
            return f"{x:,.3g}" if abs(x) < 100 else f"{x:,.0f}"
        if isinstance(x, int):
            return f"{x:,}"
        return str(x)

    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---:" if i else "---" for i in range(len(header))) + "|"]
    lines += ["| " + " | ".join(cell(x) for x in r) + " |" for r in rows]
    return lines
