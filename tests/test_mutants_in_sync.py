"""``benchmarks/mutants.py`` stays in step with the code it plants bugs in.

Each mutant replaces one exact snippet of one source file; a refactor that moves or
rewrites that code leaves the snippet behind and the mutants script stops (or, worse, a
mutant would plant nothing). These tests read the mutants' declarations and check, without
running any mutant (a fraction of a second), that:

- each mutant's file exists and its snippet occurs exactly once in it;
- the mutated file still compiles (a mutant that is a syntax error is "caught" by every test
  and measures nothing) and differs from the original;
- mutant names are unique (``--only`` selects by name);
- every test target of the script's fast subset and of its regression check exists (file,
  and the named test function when one is given), so the subset is not silently narrowed.

Whoever moves code that a mutant targets updates the mutant to plant the same bug in the
new code.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "mutants.py"


def _load_mutants():
    """``benchmarks/mutants.py`` imported by path (it is not a package)."""
    name = "giftsim_benchmarks_mutants"
    spec = importlib.util.spec_from_file_location(name, SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # the @dataclass decorator looks its module up in sys.modules
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[name]
    return module


MUT = _load_mutants()


def test_there_are_mutants_with_unique_names():
    names = [m.name for m in MUT.MUTANTS]
    assert len(names) >= 30
    assert len(names) == len(set(names)), sorted(n for n in names if names.count(n) > 1)


@pytest.mark.parametrize("mutant", MUT.MUTANTS, ids=lambda m: m.name)
def test_mutant_snippet_occurs_exactly_once(mutant):
    path = ROOT / mutant.path
    assert path.is_file(), f"mutant {mutant.name}: {mutant.path} does not exist"
    text = path.read_text(encoding="utf-8")
    count = text.count(mutant.old)
    assert count == 1, (f"mutant {mutant.name}: its snippet occurs {count} times in {mutant.path} "
                        f"(update benchmarks/mutants.py to plant the same bug in the moved code): {mutant.old!r}")
    mutated = text.replace(mutant.old, mutant.new)
    assert mutated != text
    compile(mutated, str(path), "exec")  # raises SyntaxError if the mutant does not parse


@pytest.mark.parametrize("target", MUT.SUBSET + MUT.REGRESSION)
def test_subset_targets_exist(target):
    file, _, name = target.partition("::")
    path = ROOT / file
    assert path.is_file(), f"benchmarks/mutants.py: test file {file} does not exist"
    if name:
        assert f"def {name}(" in path.read_text(encoding="utf-8"), f"benchmarks/mutants.py: no test {name} in {file}"
