"""The package's imports point one way: no circles, nobody imports cli.py, and every module keeps
to its layer in the README's table ("How it works"). Read statically (ast), so every import counts:
at module level, inside functions, under TYPE_CHECKING."""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "derive"
README = ROOT / "README.md"

#: Circles other branches are removing; each case fails (strict) the moment its circle is gone,
#: and then its entry must go.
KNOWN_CIRCLES = {
    frozenset({"derive.export.module", "derive.export.matrixform"}):
        "issue 13: the export helper removes the circle between the skeleton and the forms",
    frozenset({"derive.export.module", "derive.export.scalarform"}):
        "issue 13: the export helper removes the circle between the skeleton and the forms",
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@cache
def modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def imported(module: str, path: Path, node: ast.Import | ast.ImportFrom) -> list[str]:
    """The modules of derive an import statement names (a package when the name is not a module)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names if alias.name.split(".")[0] == "derive"]
    if node.level:
        base = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
        for _ in range(node.level - 1):
            base = base.rsplit(".", 1)[0]
        target = f"{base}.{node.module}" if node.module else base
    else:
        target = node.module or ""
        if target.split(".")[0] != "derive":
            return []
    return [f"{target}.{alias.name}" if f"{target}.{alias.name}" in modules() else target for alias in node.names]


@cache
def graph() -> dict[str, frozenset[str]]:
    """module -> the modules of derive it imports."""
    edges: dict[str, frozenset[str]] = {}
    for module, path in modules().items():
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                found.update(imported(module, path, node))
        found.discard(module)
        unknown = found - set(modules())
        assert not unknown, f"{module} imports {sorted(unknown)}, which are not modules of derive"
        edges[module] = frozenset(found)
    return edges


def reaches(start: str, goal: str) -> bool:
    seen, todo = {start}, [start]
    while todo:
        for nxt in graph()[todo.pop()]:
            if nxt == goal:
                return True
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return False


def _pairs() -> list:
    pairs = {frozenset({a, b}) for a, targets in graph().items() for b in targets} | set(KNOWN_CIRCLES)
    cases = []
    for pair in sorted(pairs, key=sorted):
        a, b = sorted(pair)
        marks = [pytest.mark.xfail(strict=True, reason=KNOWN_CIRCLES[pair])] if pair in KNOWN_CIRCLES else []
        cases.append(pytest.param(a, b, id=f"{a}~{b}", marks=marks))
    return cases


@pytest.mark.parametrize("a, b", _pairs())
def test_no_circle(a: str, b: str) -> None:
    """For every pair of modules with an import between them, only one reaches the other."""
    assert not (reaches(a, b) and reaches(b, a)), f"{a} and {b} import each other (directly or through others)"


def test_nothing_imports_cli() -> None:
    importers = sorted(m for m, targets in graph().items() if "derive.cli" in targets and m != "derive.__main__")
    assert not importers, f"{importers} import derive.cli; shared arguments belong in derive/arguments.py"


# ----------------------------------------------------------------------------------------------
# The layers of README.md
# ----------------------------------------------------------------------------------------------


def readme_layers() -> list[tuple[str, list[str]]]:
    """(layer, its entries) from the README's table: the first fenced block after the sentence
    that says 'one line per layer' in "How it works", lowest layer first."""
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## How it works"):]
    block = re.search(r"one line per layer.*?```\w*\n(.*?)```", section, re.S | re.I)
    assert block, "README's How it works has no table of layers ('one line per layer', then a fenced block)"
    layers = []
    for line in block.group(1).splitlines():
        name, _, entries = line.partition(":")
        layers.append((name.strip(), entries.split()))
    return layers


def layer_of(module: str, layers: list[tuple[str, list[str]]]) -> int:
    """The index of the module's layer: a top-level module by its file name (`__init__` for the
    package), a module of a subpackage by its package (`posts/`)."""
    parts = module.split(".")[1:]
    if not parts:
        entry = "__init__"
    elif len(parts) > 1 or (PACKAGE / parts[0]).is_dir():
        entry = parts[0] + "/"
    else:
        entry = parts[0]
    for index, (_, entries) in enumerate(layers):
        if entry in entries:
            return index
    raise AssertionError(f"{module} ({entry}) is in no layer of README's 'How it works' table: add it to one")


def test_readme_layers_name_every_module_once() -> None:
    layers = readme_layers()
    entries = [entry for _, names in layers for entry in names]
    assert len(entries) == len(set(entries)), "a module is listed on two layers"
    for entry in entries:
        path = PACKAGE / (entry.rstrip("/") if entry.endswith("/") else f"{entry}.py")
        assert path.exists(), f"README's layers list {entry}, which is not in derive/"
    for module in modules():
        layer_of(module, layers)


@pytest.mark.parametrize("module", sorted(modules()))
def test_imports_only_its_own_layer_and_below(module: str) -> None:
    layers = readme_layers()
    own = layer_of(module, layers)
    upward = sorted(target for target in graph()[module] if layer_of(target, layers) > own)
    assert not upward, (f"{module} (layer {layers[own][0]!r}) imports {upward} from a layer above it; "
                        "move the shared part down")
