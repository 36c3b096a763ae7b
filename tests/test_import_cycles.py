"""No import cycle in ``convcourse/`` (issue 11): every module's imports, read with ``ast``.

Imports inside functions count too: a cycle hidden in a function (``config`` once
imported ``execute`` there, and ``execute`` imported ``config``) still ties two
modules together, and the first caller to import the wrong one first finds a
half-initialised module.
"""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "convcourse"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path, modules: set) -> set:
    """The modules of the package that ``path`` imports, anywhere in the file.

    ``from X import Y`` names the module ``X.Y`` when there is one (a submodule),
    else ``X``; a parent package is not counted for importing one of its modules
    (Python runs its ``__init__`` first, but that is the package's own edge).
    """
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                origin = ".".join(base + ([node.module] if node.module else []))
            else:
                origin = node.module or ""
            targets = [f"{origin}.{alias.name}" if f"{origin}.{alias.name}" in modules
                       else origin for alias in node.names]
        else:
            continue
        found |= {t for t in targets if t in modules and t != name}
    return found


def import_graph() -> dict:
    paths = sorted(PACKAGE.rglob("*.py"))
    modules = {module_name(p) for p in paths}
    return {module_name(p): imported_modules(p, modules) for p in paths}


def cycles(graph: dict) -> list:
    """The strongly connected components of more than one module (Tarjan), sorted."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(found)


def test_the_graph_sees_relative_and_function_level_imports():
    graph = import_graph()
    assert "convcourse.course.nbfacts" in graph["convcourse.course.execute"]
    # config imports execute inside apply_robust_pipeline, not at the top
    assert "convcourse.course.execute" in graph["convcourse.course.config"]
    assert "convcourse.course._judge_worker" in graph["convcourse.course.judge"]  # from . import m


def test_the_cycle_finder_finds_a_cycle_through_three_modules():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]


@pytest.mark.parametrize("module", ["convcourse.course.nbfacts"])
def test_the_facts_module_imports_nothing_of_the_package(module):
    assert import_graph()[module] == set()


def test_the_package_has_no_import_cycle():
    assert cycles(import_graph()) == []
