"""derive/check reads as stages: a module imports only modules of its own stage or earlier ones."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

CHECK = Path(__file__).resolve().parent.parent / "derive" / "check"

#: module -> stage number, in the order the package docstring gives.
STAGES = {
    "lexer": 1, "extract": 1, "frontmatter": 1,
    "tree": 2, "environments": 2, "parser": 2,
    "notation": 3, "bind": 3, "suggest": 3,
    "world": 4, "nodes": 4, "usage": 4, "symbols": 4, "build": 4, "values": 4, "printer": 4,
    "results": 5, "forms": 5, "worked": 5, "claims": 5, "judge": 5,
    "case": 6, "mutations": 6, "diagnose": 6,
    "report": 7,
    "paths": 8, "api": 8, "cli": 9, "__init__": 9,
}


def _check_imports(path: Path) -> set[str]:
    """The derive.check modules a file imports (relative imports inside the package)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module:
                found.add(node.module.split(".")[0])
            else:
                found.update(alias.name for alias in node.names)
    return found


def test_every_module_has_a_stage():
    modules = {p.stem for p in CHECK.glob("*.py")}
    assert modules == set(STAGES), f"give these modules a stage: {sorted(modules ^ set(STAGES))}"


@pytest.mark.parametrize("module", sorted(STAGES))
def test_imports_only_earlier_stages(module):
    later = sorted(m for m in _check_imports(CHECK / f"{module}.py") if STAGES[m] > STAGES[module])
    assert not later, f"{module} (stage {STAGES[module]}) imports a later stage: {later}"


def test_no_circle():
    graph = {m: _check_imports(CHECK / f"{m}.py") for m in STAGES}
    state: dict[str, int] = {}

    def visit(m: str, path: list[str]) -> None:
        state[m] = 1
        for n in sorted(graph[m]):
            if state.get(n) == 1:
                raise AssertionError("import circle: " + " -> ".join(path[path.index(n):] + [n]))
            if n not in state:
                visit(n, path + [n])
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m, [m])
