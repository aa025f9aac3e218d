"""Stage 1, extract: the network a post names for itself, beside its notation.

    ---                              +++                          % derive-net: l-layer
    derive-net: two-two-two          derive-net = "nets/tiny.toml"     (a LaTeX comment line)
    ---                              +++

The value is what `--net` takes: a built-in example, FILE.toml (relative to the post) or a
shorthand such as mlp:3-4-2. Resolving it into a network is the caller's job (api.py)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import DeriveError
from ..inputs import loads_toml
from .extract import Document

NET_KEY = "derive-net"

_YAML_LINE = re.compile(r"^" + re.escape(NET_KEY) + r"[ \t]*:(.*)$", re.M)
_LATEX_LINE = re.compile(r"^[ \t]*%+[ \t]*" + re.escape(NET_KEY) + r"[ \t]*:(.*)$", re.M)


@dataclass(frozen=True)
class DeclaredNetwork:
    value: str  # as written: an example name, FILE.toml or mlp:…
    line: int  # where the post names it


def declared_network(doc: Document, source: str) -> DeclaredNetwork | None:
    """The network named in the front matter (Markdown, notebooks' first cell) or in a
    `% derive-net:` comment line (LaTeX); None when the post names none."""
    if doc.kind == "latex":
        return _from_line(_LATEX_LINE.search(doc.text), doc, 0, source)
    for fmt, body, offset in doc.notation_blocks:
        if fmt == "front-yaml":
            return _from_line(_YAML_LINE.search(body), doc, offset, source)
        if fmt == "front-toml":
            return _from_toml(body, doc, offset, source)
    return None


def _from_line(match: re.Match[str] | None, doc: Document, offset: int, source: str) -> DeclaredNetwork | None:
    if match is None:
        return None
    line = doc.line_col(offset + match.start())[0]
    value = _unquoted(re.sub(r"[ \t]+#.*$", "", match.group(1)).strip())
    return DeclaredNetwork(_checked(value, source, line), line)


def _from_toml(body: str, doc: Document, offset: int, source: str) -> DeclaredNetwork | None:
    try:
        data = loads_toml(body, source)
    except DeriveError:  # malformed, nested too deep, numbers too long
        return None  # front matter that is not ours to judge (api.py skips it for the notation too)
    if NET_KEY not in data:
        return None
    match = re.search(r"^[ \t]*" + re.escape(NET_KEY) + r"[ \t]*=", body, re.M)
    line = doc.line_col(offset + (match.start() if match else 0))[0]
    value = data[NET_KEY]
    if not isinstance(value, str):
        raise DeriveError(f"{source} (line {line}): {NET_KEY} must be a network name in quotes, not {value!r}")
    return DeclaredNetwork(_checked(value.strip(), source, line), line)


def _unquoted(text: str) -> str:
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1].strip()
    return text


def _checked(value: str, source: str, line: int) -> str:
    if not value:
        raise DeriveError(f"{source} (line {line}): {NET_KEY} names no network; write a built-in example, "
                          "FILE.toml (relative to the post) or mlp:3-4-2")
    return value
