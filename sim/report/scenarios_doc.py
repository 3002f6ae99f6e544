"""Remake docs/scenarios.md's generated blocks from their batches, by one documented command.

    python -m sim.report.scenarios_doc docs/scenarios.md --workers 2

For each block ``<!-- generated: NAME -->`` the batch file ``scenarios/NAME.toml`` is run
into ``results/NAME`` unless that folder already holds it complete (an interrupted batch
is resumed, finished runs kept), then the block's body becomes the batch's answer
(:func:`sim.report.answers.render_answer`). Prose outside the blocks is kept byte for
byte. Options of a block: ``compare=OUTCOME,...`` limits its sentences to those outcomes.

Exit codes: 0 done; 2 bad input (a malformed or unknown block, a bad batch file, a results
folder holding a different batch: move it away, give ``--set-aside`` to have it renamed
``NAME.old-TIME``, or ``--results``); 3 a batch had failed
runs (the document is not rewritten); 4 results cannot be written; 130 interrupted
(finished runs are kept: the same command resumes them).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from ..batch import BatchExistsError, load_results, plan_batch, run_batch
from ..results import ResultsError
from ..results.atomic import write_text_atomic
from ..scenario import ScenarioError
from .answers import render_answer
from .doc_blocks import Block, DocBlockError, replace_blocks

__all__ = ["BatchTiming", "folder_state", "ensure_batch", "regenerate", "main"]


@dataclass(frozen=True)
class BatchTiming:
    """What regenerating one block cost: the batch, its runs, whether they ran now
    (``"ran"``, ``"resumed"``) or were already complete (``"kept"``), and wall seconds."""

    name: str
    runs: int
    state: str
    seconds: float


def folder_state(folder: Path, run_ids: list[str]) -> str:
    """Whether ``folder`` holds the batch whose planned run ids are ``run_ids``:
    ``"missing"`` (no folder or no ``plan.json``), ``"different"`` (its plan's runs differ:
    another batch file or posterior), ``"incomplete"`` (same plan, not finished, or with
    failed runs) or ``"complete"``."""
    plan_file = folder / "plan.json"
    if not plan_file.is_file():
        return "missing"
    old = [r["run_id"] for r in json.loads(plan_file.read_text(encoding="utf-8")).get("runs", [])]
    if old != run_ids:
        return "different"
    man = folder / "manifest.json"
    manifest = json.loads(man.read_text(encoding="utf-8")) if man.is_file() else {}
    done = manifest.get("finished") and not manifest.get("failed") and (folder / "runs.parquet").is_file()
    return "complete" if done else "incomplete"


def ensure_batch(batch_file: Path, results_root: Path, workers: int | None,
                 set_aside: bool = False) -> tuple[Path, BatchTiming]:
    """Run ``batch_file`` into ``results_root/<name>`` unless complete there (resuming an
    interrupted one); returns the folder and the timing. With ``set_aside``, a folder
    holding a different batch is renamed ``<name>.old-<UTC time>`` (nothing is deleted)
    and the batch runs afresh.

    Raises
    ------
    sim.scenario.ScenarioError
        A bad batch file.
    BatchExistsError
        The folder holds a different batch (another batch file, or draws from another
        posterior) and ``set_aside`` is False.
    RuntimeError
        Runs failed (their errors are in the folder's ``failures.jsonl``).
    """
    start = time.perf_counter()
    plan = plan_batch(batch_file)
    folder = results_root / plan.spec.name
    state = folder_state(folder, [r.run_id for r in plan.runs])
    if state == "different" and set_aside:
        old = folder.with_name(f"{folder.name}.old-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}")
        folder.rename(old)
        print(f"{folder}: held another version of the batch; moved to {old}", file=sys.stderr)
        state = "missing"
    if state == "different":
        raise BatchExistsError(f"{folder}: holds a different batch than {batch_file} (another batch file or "
                               "posterior); move it away, give --set-aside to have it renamed, or --results DIR "
                               "for the document's batches")
    if state != "complete":
        outcome = run_batch(batch_file, out=folder, workers=workers, resume=state == "incomplete")
        if outcome.failed:
            raise RuntimeError(f"{folder}: {outcome.failed} runs failed (see failures.jsonl); the document is "
                               "not rewritten")
    kept = {"complete": "kept", "incomplete": "resumed"}.get(state, "ran")
    return folder, BatchTiming(plan.spec.name, plan.n_runs, kept, time.perf_counter() - start)


def _renderer(batch_file: Path, results_root: Path, workers: int | None, set_aside: bool,
              timings: list[BatchTiming]):
    def render(block: Block) -> str:
        folder, timing = ensure_batch(batch_file, results_root, workers, set_aside)
        timings.append(timing)
        print(f"{timing.name}: {timing.runs} runs, {timing.state}, {timing.seconds:.0f} s", file=sys.stderr)
        results = load_results(folder)
        outcomes = list(json.loads((folder / "manifest.json").read_text(encoding="utf-8"))["batch"]["outcomes"])
        compare = block.options.get("compare")
        return render_answer(results, outcomes, compare.split(",") if compare else None)
    return render


def regenerate(doc: Path, scenarios_dir: Path, results_root: Path, workers: int | None = None,
               only: set[str] | None = None, set_aside: bool = False) -> list[BatchTiming]:
    """Rewrite ``doc``'s generated blocks from the batches ``scenarios_dir/<name>.toml``
    (run or resumed into ``results_root/<name>`` as needed); blocks not in ``only`` (when
    given) are kept as they are. The document is written once, atomically, after every
    block is rendered.

    Raises
    ------
    DocBlockError
        A malformed block, or one whose batch file does not exist.
    sim.scenario.ScenarioError, BatchExistsError, RuntimeError
        See :func:`ensure_batch`.
    """
    text = doc.read_text(encoding="utf-8")
    timings: list[BatchTiming] = []
    render = {}
    for batch_file in sorted(scenarios_dir.glob("*.toml")):  # a block of another name is refused
        name = batch_file.stem
        if only is not None and name not in only:
            render[name] = lambda blk, t=text: t[blk.body_start:blk.body_end]
        else:
            render[name] = _renderer(batch_file, results_root, workers, set_aside, timings)
    new = replace_blocks(text, render, str(doc))
    if new != text:
        write_text_atomic(doc, new)
    return timings


def main(argv: list[str] | None = None) -> int:
    """``python -m sim.report.scenarios_doc DOC [--scenarios DIR] [--results DIR] [--workers N]
    [--only NAME ...] [--set-aside]``; returns the exit code."""
    parser = argparse.ArgumentParser(prog="python -m sim.report.scenarios_doc",
                                     description="Remake docs/scenarios.md's generated blocks from their batches.")
    parser.add_argument("doc", type=Path, help="the document (docs/scenarios.md)")
    parser.add_argument("--scenarios", type=Path, default=Path("scenarios"), help="batch files' folder")
    parser.add_argument("--results", type=Path, default=Path("results"), help="batch folders' root")
    parser.add_argument("--workers", type=int, default=None, help="worker processes (default: all cores)")
    parser.add_argument("--only", nargs="+", default=None, metavar="NAME", help="remake only these blocks")
    parser.add_argument("--set-aside", action="store_true",
                        help="rename a results folder holding another version of a batch to NAME.old-TIME and rerun")
    args = parser.parse_args(argv)
    try:
        timings = regenerate(args.doc, args.scenarios, args.results, args.workers,
                             set(args.only) if args.only else None, args.set_aside)
    except (DocBlockError, ScenarioError, BatchExistsError, FileNotFoundError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except RuntimeError as err:
        print(f"error: {err}", file=sys.stderr)
        return 3
    except ResultsError as err:
        print(f"error: {err}", file=sys.stderr)
        return 4
    except KeyboardInterrupt:
        print("interrupted; finished runs are kept, the same command resumes them", file=sys.stderr)
        return 130
    total = sum(t.seconds for t in timings)
    print(f"{args.doc}: {len(timings)} blocks remade in {total:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
