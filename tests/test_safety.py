"""Safety: no user text is ever evaluated, and only whitelisted names reach generated code."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from derive.safe import as_expr, is_identifier

PACKAGE = Path(__file__).resolve().parent.parent / "derive"
#: Calls that evaluate text as code. None may appear in the package; `sympify` only inside
#: safe.as_expr, which refuses strings.
BUILTINS = {"eval", "exec", "compile", "__import__"}  # as bare names (re.compile is fine)
ANYWHERE = {"parse_expr", "parse_latex", "lambdify", "sympify", "S"}  # bare or as sp.sympify(...)
ALLOWED = {("safe.py", "sympify")}


def _calls(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name) and func.id in BUILTINS | ANYWHERE:
                yield func.id, node.lineno
            elif isinstance(func, ast.Attribute) and func.attr in ANYWHERE:
                yield func.attr, node.lineno


def _sources() -> list[Path]:
    files = sorted(PACKAGE.rglob("*.py"))
    assert len(files) > 5
    return files


@pytest.mark.parametrize("path", _sources(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_code_evaluating_call_in_the_package(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    offenders = [
        f"{path.name}:{line} calls {name}"
        for name, line in _calls(tree)
        if (path.name, name) not in ALLOWED
    ]
    assert not offenders, offenders


def test_no_import_of_text_parsers() -> None:
    for path in _sources():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                assert "parsing" not in node.module, f"{path.name} imports {node.module}"
                names = {a.name for a in node.names}
                assert not names & {"parse_expr", "parse_latex", "sympify", "lambdify"}, (path.name, names)


def test_as_expr_refuses_text() -> None:
    with pytest.raises(TypeError, match="refusing to turn text into an expression"):
        as_expr("__import__('os').system('echo pwned')")
    with pytest.raises(TypeError):
        as_expr(b"1+1")
    assert as_expr(3) == 3


@pytest.mark.parametrize("name", ["W1", "delta2", "x", "w35", "a_3"])
def test_identifiers_accepted(name: str) -> None:
    assert is_identifier(name)


@pytest.mark.parametrize("name", ["", "1w", "w-1", "os.system", "a b", "x;import os", "ŷ", "__class__."])
def test_non_identifiers_refused(name: str) -> None:
    assert not is_identifier(name)


def test_spec_names_reaching_code_are_identifiers() -> None:
    """Every name a spec can put into generated code or symbols passes the whitelist."""
    import derive
    from derive.backprop import build_concrete

    for name in derive.EXAMPLES:
        spec = derive.example(name)
        if spec.general:
            continue
        d = build_concrete(spec)
        for pname, quantity, _ in d.parameters:
            assert is_identifier(pname) and is_identifier(quantity.ident)
        for binding in d.scalar_bindings:
            assert is_identifier(binding.symbol.name)
