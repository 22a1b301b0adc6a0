"""No import cycle among the warehouse's own modules (``pipelines`` and ``expectations``).

The graph is read from the source with :mod:`ast`, not by importing: a cycle that Python happens to resolve
today (because one side imports late, or only names a module) still means two modules each need the other,
so neither can be understood, tested or moved on its own.

What counts as an edge, and why:

* **Every** ``import`` / ``from ... import`` statement in a module, at module level *and* inside functions,
  methods, ``if`` blocks and ``TYPE_CHECKING`` guards. An import moved into a function to dodge an
  ``ImportError`` is still a dependency: the cycle of concerns is there, only hidden. The fix is to move the
  shared piece to the module it belongs to, not to hide the import.
* ``from pkg import name`` is an edge to ``pkg.name`` when that is a module of ours, else to ``pkg``.
  ``import a.b.c`` is an edge to the longest prefix that is a module of ours. Relative imports are resolved
  against the importing module's package.
* Importing ``a.b.c`` also runs ``a/__init__.py`` and ``a/b/__init__.py``; those implicit edges to parent
  packages are *not* added. They would make every package whose ``__init__`` names its own submodules a
  "cycle" of itself, which is the ordinary layout of a package and not two concerns tangled together.
* Imports of anything outside ``pipelines`` and ``expectations`` (the standard library, dagster, dbt...) are
  ignored: they cannot import us back.
"""

from __future__ import annotations

import ast
import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
ROOTS = ("pipelines", "expectations")


@dataclass(frozen=True)
class Edge:
    """One import statement: ``source`` imports ``target`` at ``path:line``."""

    source: str
    target: str
    path: str
    line: int


def module_names(repo: Path, roots: Iterable[str]) -> dict[str, Path]:
    """Every module under the roots by its dotted name (a package by the name of its ``__init__.py``)."""
    modules: dict[str, Path] = {}
    for root in roots:
        for path in sorted((repo / root).rglob("*.py")):
            parts = list(path.relative_to(repo).with_suffix("").parts)
            if "__pycache__" in parts:
                continue
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join(parts)] = path
    return modules


def _package_of(name: str, path: Path) -> str:
    """The package a relative import in module ``name`` is resolved against."""
    return name if path.name == "__init__.py" else name.rpartition(".")[0]


def _longest_known(dotted: str, known: Mapping[str, Path]) -> str | None:
    """The longest prefix of ``dotted`` that is one of our modules, or None (an outside import)."""
    parts = dotted.split(".")
    for end in range(len(parts), 0, -1):
        candidate = ".".join(parts[:end])
        if candidate in known:
            return candidate
    return None


def _absolute_base(node: ast.ImportFrom, name: str, path: Path) -> str:
    """The absolute module a ``from ... import`` names (relative imports resolved)."""
    if not node.level:
        return node.module or ""
    package = _package_of(name, path).split(".")
    base = package[: len(package) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _targets(node: ast.AST, name: str, path: Path, known: Mapping[str, Path]) -> list[str]:
    """Our modules one import statement depends on."""
    if isinstance(node, ast.Import):
        return [t for alias in node.names if (t := _longest_known(alias.name, known))]
    if isinstance(node, ast.ImportFrom):
        base = _absolute_base(node, name, path)
        found = []
        for alias in node.names:
            submodule = f"{base}.{alias.name}"
            target = submodule if submodule in known else _longest_known(base, known)
            if target:
                found.append(target)
        return found
    return []


def import_edges(repo: Path, roots: Iterable[str]) -> list[Edge]:
    """Every import edge between our modules, module-level and function-level alike (see the module doc)."""
    known = module_names(repo, roots)
    edges = []
    for name, path in known.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            for target in _targets(node, name, path, known):
                if target != name:
                    edges.append(Edge(name, target, str(path.relative_to(repo)), node.lineno))
    return edges


def graph_of(edges: Iterable[Edge]) -> dict[str, set[str]]:
    """Adjacency sets from edges."""
    graph: dict[str, set[str]] = {}
    for edge in edges:
        graph.setdefault(edge.source, set()).add(edge.target)
        graph.setdefault(edge.target, set())
    return graph


def strongly_connected(graph: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components (iterative), each sorted; components in sorted order."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph.get(start, ()))))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    components.append(sorted(component))
            elif child not in index:
                index[child] = low[child] = len(index)
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(sorted(graph.get(child, ())))))
            elif child in on_stack:
                low[node] = min(low[node], index[child])
    return sorted(components)


def shortest_cycle(graph: Mapping[str, Iterable[str]], start: str) -> list[str] | None:
    """The shortest path from ``start`` back to itself (breadth first, ties by name), or None."""
    parents: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for child in sorted(graph.get(node, ())):
                if child == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(parents[path[-1]])
                    return [start, *reversed(path[:-1]), start]
                if child not in parents:
                    parents[child] = node
                    following.append(child)
        frontier = following
    return None


def find_cycles(graph: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """One concrete cycle per tangle (strongly connected component of more than one module, or a module
    that imports itself), starting at the component's first module by name: ``[a, b, c, a]``."""
    cycles = []
    for component in strongly_connected(graph):
        if len(component) > 1 or component[0] in graph.get(component[0], ()):
            cycles.append(shortest_cycle(graph, component[0]))
    return cycles


def describe(cycle: list[str], edges: Iterable[Edge]) -> str:
    """``a -> b (path:line) -> ... -> a``, naming the import statement of each step."""
    where = {}
    for edge in edges:
        where.setdefault((edge.source, edge.target), f"{edge.path}:{edge.line}")
    steps = [cycle[0]] + [
        f"{target} (imported at {where[(source, target)]})" for source, target in itertools.pairwise(cycle)
    ]
    return " -> ".join(steps)


# --- the cycle finder, on small graphs ----------------------------------------------------------------------
def test_finds_a_three_module_cycle_and_nothing_else():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert find_cycles(graph) == [["a", "b", "c", "a"]]


def test_a_dag_has_no_cycle_even_with_shared_dependencies():
    graph = {"a": {"b", "c"}, "b": {"d"}, "c": {"d"}, "d": set()}
    assert find_cycles(graph) == []


def test_one_cycle_per_tangle_and_the_shortest_one():
    graph = {"a": {"b", "x"}, "b": {"c"}, "c": {"a"}, "x": {"a"}, "p": {"q"}, "q": {"p"}, "s": {"s"}}
    assert find_cycles(graph) == [["a", "x", "a"], ["p", "q", "p"], ["s", "s"]]


def test_graph_from_source_counts_function_level_and_relative_imports(tmp_path):
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "sub" / "__init__.py").write_text("from pkg.sub import b\n")
    (package / "sub" / "a.py").write_text("import json\nfrom pkg.sub.b import thing\n")
    (package / "sub" / "b.py").write_text("def late():\n    from . import c\n\nthing = 1\n")
    (package / "sub" / "c.py").write_text("import pkg.sub.a\nfrom pkg import sub\n")
    edges = import_edges(tmp_path, ["pkg"])
    graph = graph_of(edges)
    assert graph["pkg.sub.a"] == {"pkg.sub.b"}
    assert graph["pkg.sub.b"] == {"pkg.sub.c"}
    assert graph["pkg.sub.c"] == {"pkg.sub.a", "pkg.sub"}
    [cycle] = find_cycles(graph)
    assert cycle == ["pkg.sub", "pkg.sub.b", "pkg.sub.c", "pkg.sub"]
    assert "pkg.sub.c (imported at pkg/sub/b.py:2)" in describe(cycle, edges)


# --- the warehouse -------------------------------------------------------------------------------------------
def test_the_graph_sees_the_warehouse():
    """A guard on the test itself: an edge we know is there is found (a wrong root would find no cycle)."""
    graph = graph_of(import_edges(REPO, ROOTS))
    assert any(target.startswith("pipelines.") for targets in graph.values() for target in targets)
    assert "pipelines.definitions" in graph


def test_no_import_cycle_in_pipelines_or_expectations():
    edges = import_edges(REPO, ROOTS)
    cycles = find_cycles(graph_of(edges))
    assert not cycles, "import cycles (move the shared piece where it belongs):\n" + "\n".join(
        describe(cycle, edges) for cycle in cycles
    )
