"""Functions fit on a screen: none in ``pipelines`` or ``expectations`` is longer than 60 lines.

A function's length is ``end_lineno - lineno + 1`` of its ``def`` (decorators not counted), less its docstring:
a docstring that says why is never a reason to split a function. A nested function counts in its own right
and inside the function around it.

``TOO_LONG`` is a ratchet: the functions still over the limit today, each with its length. The test fails when
an unlisted function goes over the limit, when a listed one grows, and when a listed one is no longer over the
limit (or is gone): then its line is removed, so the list only ever shrinks.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
ROOTS = ("pipelines", "expectations")
LIMIT = 60

# path::qualified name -> its length today. Split the function, then delete its line.
TOO_LONG: dict[str, int] = {}


def _docstring_lines(node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    first = node.body[0] if node.body else None
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
        return first.end_lineno - first.lineno + 1
    return 0


def function_lengths(tree: ast.AST, prefix: str = "") -> Iterator[tuple[str, int]]:
    """(qualified name, length without docstring) of every function and method in the tree, nested ones too."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            name = prefix + node.name
            yield name, node.end_lineno - node.lineno + 1 - _docstring_lines(node)
            yield from function_lengths(node, name + ".<locals>.")
        elif isinstance(node, ast.ClassDef):
            yield from function_lengths(node, prefix + node.name + ".")
        else:
            yield from function_lengths(node, prefix)


def lengths_in(repo: Path, roots: tuple[str, ...]) -> dict[str, int]:
    """``path::name`` -> length, for every function under the roots."""
    found = {}
    for root in roots:
        for path in sorted((repo / root).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            for name, length in function_lengths(tree):  # a name defined twice (if/else): the longer
                key = f"{path.relative_to(repo).as_posix()}::{name}"
                found[key] = max(length, found.get(key, 0))
    return found


def ratchet_problems(lengths: dict[str, int], listed: dict[str, int], limit: int) -> list[str]:
    """What breaks the rule or the ratchet, one line each (empty: all is well)."""
    problems = []
    for name, length in sorted(lengths.items()):
        if length > limit and name not in listed:
            problems.append(f"{name} is {length} lines (limit {limit}): split it into named helpers")
        elif name in listed and length > listed[name]:
            problems.append(f"{name} grew to {length} lines (listed at {listed[name]}): split it, do not grow it")
    for name, was in sorted(listed.items()):
        if name not in lengths:
            problems.append(f"{name} (listed at {was} lines) is gone: delete its line from TOO_LONG")
        elif lengths[name] <= limit:
            problems.append(f"{name} is now {lengths[name]} lines, within the limit: delete its line from TOO_LONG")
    return problems


def test_lengths_count_the_def_to_the_last_line_without_the_docstring():
    source = '''
@decorator
def f():
    """A docstring
    of three
    lines."""
    x = 1
    return x


class C:
    def method(self):
        def inner():
            return 1
        return inner()
'''
    assert dict(function_lengths(ast.parse(source))) == {"f": 3, "C.method": 4, "C.method.<locals>.inner": 2}


def test_the_ratchet_fails_on_new_grown_fixed_and_gone_functions():
    lengths = {"a.py::new": 61, "a.py::grown": 70, "a.py::fixed": 40, "a.py::same": 65, "a.py::shorter": 62}
    listed = {"a.py::grown": 65, "a.py::fixed": 70, "a.py::same": 65, "a.py::shorter": 64, "a.py::gone": 80}
    problems = ratchet_problems(lengths, listed, 60)
    assert [p.split(" ")[0] for p in problems] == ["a.py::grown", "a.py::new", "a.py::fixed", "a.py::gone"]


def test_no_function_longer_than_a_screen():
    problems = ratchet_problems(lengths_in(REPO, ROOTS), TOO_LONG, LIMIT)
    assert not problems, "\n".join(problems)
