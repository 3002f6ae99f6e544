"""Run every benchmark, each in its own process, and gather their tables.

    python benchmarks/run.py                 # all, about 4 minutes on 2 cores
    python benchmarks/run.py --only scale ic_peers
    python benchmarks/run.py --quick         # fewer repeats and cascades, about 1.5 minutes

Each benchmark is also a script of its own (``python benchmarks/<name>.py --help``) and
writes ``benchmarks/out/<name>.json`` and ``.md``; this one writes
``benchmarks/out/all.md`` with every table and redraws ``docs/img/performance/scale.png``.
Never part of the test suite: the numbers depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

from common import OUT, load_average

HERE = Path(__file__).resolve().parent

BENCHMARKS: dict[str, tuple[list[str], list[str]]] = {
    # name: (arguments, arguments with --quick)
    "facebook": ([], ["--runs", "5"]),
    "mesa_collect": ([], ["--runs", "5"]),
    "scale": ([], ["--repeat", "1"]),
    "graph_io": ([], ["--repeat", "1"]),
    "profile_run": ([], ["--repeat", "1"]),
    "long_run": ([], ["--repeat", "1"]),  # issue 14: 3 years at 10^6 users, about 35 s a run when idle
    "exact_speedups": ([], ["--steps", "100"]),
    "ic_peers": ([], ["--cascades", "200", "60", "--ndlib-cascades", "2"]),
    "reference": ([], ["--sizes", "10000", "--engine-runs", "3", "--reference-runs", "1"]),
    "oracle": ([], ["--replicates", "30"]),
    "batch_throughput": ([], ["--small", "20", "--large", "60", "--repeat", "1"]),  # if present
}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", nargs="+", choices=list(BENCHMARKS))
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args(argv)
    names = [n for n in (args.only or BENCHMARKS) if (HERE / f"{n}.py").exists()]
    failed = []
    for name in names:
        full, quick = BENCHMARKS[name]
        t0, load0 = time.perf_counter(), load_average()
        print(f"== {name} (load {load0})", flush=True)
        proc = subprocess.run([sys.executable, str(HERE / f"{name}.py"), *(quick if args.quick else full)])
        print(f"== {name}: {'ok' if proc.returncode == 0 else 'FAILED'} in {time.perf_counter() - t0:.0f} s\n",
              flush=True)
        if proc.returncode:
            failed.append(name)
        if name == "scale" and proc.returncode == 0:
            subprocess.run([sys.executable, str(HERE / "plot.py")], check=False)
    parts = []
    for name in BENCHMARKS:
        md = OUT / f"{name}.md"
        if md.exists():
            parts += [f"## {name}", "", md.read_text()]
    (OUT / "all.md").write_text("\n".join(parts))
    print(f"tables: {OUT / 'all.md'}" + (f"; FAILED: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
