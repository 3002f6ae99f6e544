"""``giftsim schema``: print the JSON Schema of a scenario, batch, calibration or search file,
for editors that validate and complete TOML (see the README's "Editor support")."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..results import file_in_the_way
from ..schemas import KINDS, json_schema

__all__ = ["add_parser", "main"]


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Add the ``schema`` (print the JSON Schema of a kind of file) subcommand to ``sub``."""
    p = sub.add_parser(
        "schema", help="print the JSON Schema of a scenario, batch, calibration or search file (for editors)",
        description="Print the JSON Schema of a KIND file (default: scenario), generated from the models that "
        "validate it, so that an editor (e.g. VS Code's Even Better TOML, or any Taplo-based one) "
        "checks keys, types and ranges and completes keys as you type. Save it once, e.g. "
        "giftsim schema scenario --out giftsim-scenario.schema.json.",
    )
    p.add_argument("kind", nargs="?", default="scenario", choices=KINDS,
                   help="which file: scenario (default), batch, calibration or search")
    p.add_argument("--out", metavar="PATH", help="write the schema to the file PATH (UTF-8; its folder is created if "
                   "missing) instead of printing it")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    """Run ``giftsim schema`` with parsed ``args``; returns the exit code."""
    text = json.dumps(json_schema(args.kind), indent=2) + "\n"
    if args.out:
        out = Path(args.out)
        if out.is_dir():  # writing would fail with "Is a directory" (exit 4): the argument is wrong
            raise ValueError(f"--out {out}: is a folder; give a file name for the schema, "
                             f"e.g. --out {out / f'giftsim-{args.kind}.schema.json'}")
        file = file_in_the_way(out.parent)
        if file is not None:
            raise ValueError(f"--out {out}: {file} is a file, not a folder; give a file name in a folder")
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
        print(f"wrote {args.out}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0
