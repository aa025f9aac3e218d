"""The one door from Python values to SymPy expressions, and it is closed to text.

`sympify` of a string parses it as Python (via `eval`); derive never lets user text reach it.
Everything in the package converts values with `as_expr`, which refuses strings, and a test walks
the package source to hold that line (tests/test_safety.py).
"""

from __future__ import annotations

import re
from typing import Any

import sympy as sp

#: What a name must look like before it may become a symbol that reaches generated code.
IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")


def as_expr(value: Any) -> Any:
    """A SymPy object from a number or a SymPy object; text is refused."""
    if isinstance(value, (str, bytes)):
        raise TypeError(f"refusing to turn text into an expression: {value!r}")
    return sp.sympify(value)


def is_identifier(name: str) -> bool:
    return isinstance(name, str) and bool(IDENTIFIER.match(name))
