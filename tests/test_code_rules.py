"""Rules of the house for the code under ``sim/``, read from the source with :mod:`ast`.

Four rules, each with an explicit allow-list of today's offenders:

(a) **Function length**: no function or method is over :data:`MAX_LINES` lines, counted
    from its first decorator (or ``def``) to its last line, docstring and comments included.
(b) **Private names stay home**: no module imports an underscore name (or reaches an
    underscore attribute of an imported name, or imports from an underscore module) that
    belongs to another package of ``sim`` (``sim.X`` vs ``sim.Y``; a module directly under
    ``sim/`` such as ``sim/runner.py`` is a package of its own). Promote what is shared to a
    public name.
(c) **No import cycle between sim's packages**: the graph has one node per package
    (``sim.X``, or the top-level module) and an edge X -> Y when any module of X imports
    anything of Y. Every import counts, including the lazy ones inside a function body and
    those under ``if TYPE_CHECKING:``: a lazy import hides a cycle from the interpreter, not
    from a reader, and the layering in ``../shared/architecture.md`` is about who knows
    whom. ``sim/__init__.py`` (the package's public face, re-exporting ``run`` and friends)
    is not a node; ``from sim import X`` in a submodule is resolved to the package X comes
    from when it is re-exported from a subpackage.
(d) **Public definitions are documented**: every public module, package, class, function
    and method has a docstring (ruff's D100-D104 and D106 with pydocstyle's notion of
    public: a name without a leading underscore, inside public scopes; at module level,
    when ``__all__`` is defined, only its names; nested functions are never public;
    ``@overload`` stubs, ``@override`` methods and property setters/deleters need none). Magic methods (D105) and
    ``__init__`` (D107, documented in the class docstring under the numpy convention) are
    not required; the same choice is made in ``pyproject.toml``'s ``[tool.ruff.lint]``.

How the allow-lists work: each maps an offender to the task of issue 13 that removes it
(``exp``, ``day``, ``loader``, ``kinds``). The test fails if a NEW offender appears, and
also if an allow-listed offender NO LONGER offends: whoever fixes one deletes its entry,
so each list only shrinks. An empty list is the goal.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections import defaultdict
from dataclasses import dataclass
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SIM = ROOT / "sim"
MAX_LINES = 80
"""Longest function or method allowed, decorators and docstring included."""


# ---------------------------------------------------------------------------- allow-lists
# Each entry: offender -> the task of issue 13 that removes it.

LONG_FUNCTIONS: dict[str, str] = {
}
"""Functions over :data:`MAX_LINES` lines today."""

PRIVATE_IMPORTS: dict[str, str] = {
}
"""``importing module -> imported private name`` pairs across packages."""

IMPORT_CYCLES: dict[tuple[str, str], str] = {
}
"""Import edges (importer package, imported package) that close today's cycles: without
them the package graph is acyclic. An entry no longer offends once its edge is gone or
lies on no cycle (the other side of the cycle was cut instead)."""

UNDOCUMENTED: dict[str, str] = {
}
"""Public definitions without a docstring: ``path::qualified.name`` (``path::`` for the module)."""


# ---------------------------------------------------------------------------- reading sim/


@dataclass(frozen=True)
class Module:
    path: Path
    rel: str  # "sim/batch/plan.py"
    name: str  # "sim.batch.plan"
    tree: ast.Module

    @property
    def is_package(self) -> bool:
        return self.path.name == "__init__.py"

    @property
    def package(self) -> str:
        """The package of ``sim`` this module belongs to: ``sim.batch``, ``sim.runner`` or ``sim``."""
        parts = self.name.split(".")
        return ".".join(parts[:2])


@cache
def modules() -> tuple[Module, ...]:
    out = []
    for path in sorted(SIM.rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=rel)
        out.append(Module(path, rel, ".".join(parts), tree))
    return tuple(out)


def _walk_defs(body, prefix=""):
    """(qualified name, node, enclosing-function?) of every function/class, depth first."""
    for node in body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            q = f"{prefix}{node.name}"
            yield q, node
            yield from _walk_defs(node.body, q + ".")
        elif isinstance(node, ast.If | ast.Try | ast.With | ast.For | ast.While):
            for field in ("body", "orelse", "finalbody", "handlers"):
                for sub in getattr(node, field, []):
                    yield from _walk_defs([sub] if not isinstance(sub, ast.ExceptHandler) else sub.body, prefix)


def function_lengths() -> dict[str, int]:
    """``path::qualname`` -> lines, decorators and docstring included, for every function."""
    out = {}
    for m in modules():
        for q, node in _walk_defs(m.tree.body):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                first = min([node.lineno] + [d.lineno for d in node.decorator_list])
                out[f"{m.rel}::{q}"] = node.end_lineno - first + 1
    return out


def _resolve(m: Module, node: ast.ImportFrom) -> str:
    """Absolute module name of a ``from ... import`` (relative levels resolved)."""
    if node.level == 0:
        return node.module or ""
    base = m.name.split(".")
    if not m.is_package:
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _package_of(name: str) -> str | None:
    parts = name.split(".")
    if parts[0] != "sim":
        return None
    return ".".join(parts[:2])


def _reexports() -> dict[str, str]:
    """Names ``sim/__init__.py`` re-exports -> the package they come from."""
    out: dict[str, str] = {}
    top = next((m for m in modules() if m.name == "sim"), None)
    for node in ast.walk(top.tree) if top else ():
        if isinstance(node, ast.ImportFrom):
            src = _package_of(_resolve(top, node))
            for a in node.names:
                if src and src != "sim":
                    out[a.asname or a.name] = src
    return out


def imports(m: Module):
    """(target package, imported module, imported names) of every import of ``sim`` in ``m``,
    function-level ones included."""
    for node in ast.walk(m.tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                pkg = _package_of(a.name)
                if pkg:
                    yield pkg, a.name, ()
        elif isinstance(node, ast.ImportFrom):
            mod = _resolve(m, node)
            pkg = _package_of(mod)
            if pkg is None:
                continue
            names = tuple(a.name for a in node.names)
            if pkg == "sim":  # from sim import X / from .. import X: X's own package
                for n in names:
                    yield _reexports().get(n, f"sim.{n}" if (SIM / n).exists() or (SIM / f"{n}.py").exists()
                                           else "sim"), mod, (n,)
            else:
                yield pkg, mod, names


def private_imports() -> set[str]:
    """``module -> name`` for every private name one package takes from another."""
    out = set()
    for m in modules():
        bound: set[str] = set()  # local names bound to things of other packages
        for pkg, mod, names in imports(m):
            if pkg in (m.package, "sim"):
                continue
            if any(p.startswith("_") and not p.startswith("__") for p in mod.split(".")):
                out.add(f"{m.name} -> {mod}")
            for n in names:
                if n.startswith("_") and not n.startswith("__"):
                    out.add(f"{m.name} -> {mod}.{n}")
        for node in ast.walk(m.tree):
            if isinstance(node, ast.ImportFrom | ast.Import):
                if isinstance(node, ast.ImportFrom):
                    pkg = _package_of(_resolve(m, node))
                    if pkg and pkg not in (m.package, "sim"):
                        bound.update(a.asname or a.name for a in node.names)
                else:
                    for a in node.names:
                        pkg = _package_of(a.name)
                        if pkg and pkg not in (m.package, "sim") and a.asname:
                            bound.add(a.asname)
        for node in ast.walk(m.tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in bound
                    and node.attr.startswith("_") and not node.attr.startswith("__")):
                out.add(f"{m.name} -> {node.value.id}.{node.attr}")
    return out


def package_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = defaultdict(set)
    for m in modules():
        if m.name == "sim":
            continue
        for pkg, _, _ in imports(m):
            if pkg not in (m.package, "sim"):
                graph[m.package].add(pkg)
    return graph


def strongly_connected(graph: dict[str, set[str]]) -> list[set[str]]:
    """The strongly connected components of ``graph`` with more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    out: list[set[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = set()
            while True:
                w = stack.pop()
                comp.add(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(comp)

    for v in sorted(set(graph) | {w for ws in graph.values() for w in ws}):
        if v not in index:
            visit(v)
    return out


def cycle_offenders(graph: dict[str, set[str]], allowed: dict[tuple[str, str], str]) -> set:
    """What breaks rule (c), in terms of the allow-list of edges.

    Returns the allow-listed edges that still lie on a cycle (both ends in one strongly
    connected component), plus, as frozensets, the cycles left once every allow-listed
    edge is taken out of the graph. Compared with the allow-list, the latter are new
    offenders and an allow-listed edge that is gone or on no cycle no longer offends.
    """
    comps = strongly_connected(graph)
    on_cycle = {(a, b) for (a, b) in allowed if b in graph.get(a, ()) and any({a, b} <= c for c in comps)}
    pruned = {a: {b for b in bs if (a, b) not in allowed} for a, bs in graph.items()}
    return on_cycle | {frozenset(c) for c in strongly_connected(pruned)}


def _all_names(tree: ast.Module) -> set[str] | None:
    for node in tree.body:
        targets = (node.targets if isinstance(node, ast.Assign)
                   else [node.target] if isinstance(node, ast.AnnAssign | ast.AugAssign) else [])
        for t in targets:
            if isinstance(t, ast.Name) and t.id == "__all__" and isinstance(node.value, ast.List | ast.Tuple):
                return {e.value for e in node.value.elts if isinstance(e, ast.Constant)}
    return None


def _skipped(node) -> bool:
    """``@overload`` stubs, ``@override`` methods (the base class's docstring applies, as
    ruff's D102 has it) and property setters/deleters need no docstring."""
    for d in getattr(node, "decorator_list", []):
        name = d.attr if isinstance(d, ast.Attribute) else d.id if isinstance(d, ast.Name) else ""
        if name in ("overload", "override", "setter", "deleter"):
            return True
    return False


def _undocumented_in(body, prefix: str, module_all: set[str] | None, in_class: bool):
    for node in body:
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            continue
        name = node.name
        if name.startswith("__") and name.endswith("__"):
            public = False  # magic methods and __init__: D105/D107 not required
        elif name.startswith("_"):
            public = False
        elif not prefix and module_all is not None:
            public = name in module_all
        else:
            public = True
        if not public:
            continue
        q = prefix + name
        if not _skipped(node) and ast.get_docstring(node) is None:
            yield q
        if isinstance(node, ast.ClassDef):  # nested functions are never public
            yield from _undocumented_in(node.body, q + ".", module_all, True)


def undocumented() -> set[str]:
    out = set()
    for m in modules():
        if any(p.startswith("_") and p != "__init__" for p in m.path.relative_to(ROOT).with_suffix("").parts):
            continue
        if ast.get_docstring(m.tree) is None:
            out.add(f"{m.rel}::")
        out.update(f"{m.rel}::{q}" for q in _undocumented_in(m.tree.body, "", _all_names(m.tree), False))
    return out


# ---------------------------------------------------------------------------- the checks


def _compare(found: set, allowed: dict, what: str, fix: str, detail: dict | None = None) -> None:
    new = sorted(found - set(allowed))
    if detail:
        new = [f"{k} ({detail[k]})" for k in new]
    gone = sorted(set(allowed) - found)
    lines = []
    if new:
        lines.append(f"new {what} ({fix}):\n  " + "\n  ".join(map(str, new)))
    if gone:
        lines.append(f"allow-listed {what} that no longer offend (delete them from the allow-list in "
                     f"tests/test_code_rules.py):\n  " + "\n  ".join(map(str, gone)))
    assert not lines, "\n".join(lines)


def test_no_function_over_80_lines():
    lengths = function_lengths()
    long = {k for k, n in lengths.items() if n > MAX_LINES}
    _compare(long, LONG_FUNCTIONS, f"functions over {MAX_LINES} lines", "split them into functions of <= 60 lines",
             {k: f"{lengths[k]} lines" for k in long})


def test_no_private_name_imported_across_packages():
    _compare(private_imports(), PRIVATE_IMPORTS, "private names imported across packages",
             "promote the name to a public module")


def test_no_import_cycle_between_packages():
    _compare(cycle_offenders(package_graph(), IMPORT_CYCLES), IMPORT_CYCLES, "import cycles between sim's packages",
             "move the shared part to the package both may import, or invert the dependency")


def test_public_definitions_are_documented():
    _compare(undocumented(), UNDOCUMENTED, "undocumented public definitions",
             "write a numpy-style docstring: what, shapes, dtypes, units, errors raised")


def test_every_allow_list_entry_names_a_task():
    tasks = {"exp", "day", "loader", "kinds"}
    for table in (LONG_FUNCTIONS, PRIVATE_IMPORTS, IMPORT_CYCLES, UNDOCUMENTED):
        assert set(table.values()) <= tasks


# ---------------------------------------------------------------------------- the checkers themselves


def _module(src: str, name: str = "sim.alpha.mod") -> Module:
    rel = name.replace(".", "/") + ".py"
    return Module(ROOT / rel, rel, name, ast.parse(src))


def test_the_length_count_includes_decorators_and_docstring(monkeypatch):
    src = "@decorator\n@other(1)\ndef f():\n    '''doc\n\n    more'''\n    return 1\n"
    monkeypatch.setattr(sys.modules[__name__], "modules", lambda: (_module(src),))
    assert function_lengths() == {"sim/alpha/mod.py::f": 7}


def test_lazy_and_relative_imports_make_edges(monkeypatch):
    a = _module("def f():\n    from ..beta import g\n    return g\n", "sim.alpha.mod")
    b = _module("from sim.alpha.mod import f\n", "sim.beta")
    monkeypatch.setattr(sys.modules[__name__], "modules", lambda: (a, Module(b.path.with_name("__init__.py"),
                                                                           b.rel, b.name, b.tree)))
    graph = package_graph()
    assert graph == {"sim.alpha": {"sim.beta"}, "sim.beta": {"sim.alpha"}}
    assert strongly_connected(graph) == [{"sim.alpha", "sim.beta"}]
    assert cycle_offenders(graph, {}) == {frozenset({"sim.alpha", "sim.beta"})}
    assert cycle_offenders(graph, {("sim.beta", "sim.alpha"): "loader"}) == {("sim.beta", "sim.alpha")}
    assert cycle_offenders({"sim.beta": {"sim.alpha"}}, {("sim.beta", "sim.alpha"): "loader"}) == set()


def test_private_names_are_found_in_imports_and_attributes(monkeypatch):
    a = _module("from ..beta.loader import _unwrap, public\nfrom ..beta import loader\nx = loader._hidden\n"
                "from .sibling import _fine\n", "sim.alpha.mod")
    monkeypatch.setattr(sys.modules[__name__], "modules", lambda: (a,))
    assert private_imports() == {"sim.alpha.mod -> sim.beta.loader._unwrap", "sim.alpha.mod -> loader._hidden"}


def test_publicness_follows_pydocstyle(monkeypatch):
    src = ('"""Doc."""\n__all__ = ["Pub", "f"]\n'
           "class Pub:\n    def m(self): pass\n    def _p(self): pass\n    def __len__(self): return 0\n"
           "    class Inner: pass\n    @property\n    def v(self):\n        '''Doc.'''\n    @v.setter\n"
           "    def v(self, x): pass\n"
           "def f():\n    def nested(): pass\n"
           "def not_exported(): pass\nclass _Hidden:\n    def m(self): pass\n")
    monkeypatch.setattr(sys.modules[__name__], "modules", lambda: (_module(src),))
    assert undocumented() == {f"sim/alpha/mod.py::{q}" for q in ("Pub", "Pub.m", "Pub.Inner", "f")}


def test_ruff_passes_on_the_whole_tree():
    # pyproject.toml's [tool.ruff.lint]: pycodestyle, pyflakes, isort, bugbear, pyupgrade and
    # pydocstyle (numpy convention, with the house-style exceptions listed there)
    out = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "--output-format", "concise", str(ROOT)],
                         capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stdout + out.stderr
