"""Entry points of `derive check`: a file or a text, a network, an optional notation map."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

from ..api import resolve_network
from ..errors import DeriveError
from ..spec import NetworkSpec
from .diagnose import diagnose_link
from .extract import read_document, statements
from .judge import Judge
from .notation import BLOCK_KEY, default_map, parse_toml, parse_yaml_mapping
from .report import CheckReport
from .world import world_for

MAX_BYTES = 5_000_000
LATEX_SUFFIXES = (".tex", ".latex", ".ltx")


def check_file(path: str | Path, net: str | NetworkSpec, notation: str | Path | None = None) -> CheckReport:
    path = Path(path)
    if not path.is_file():
        raise DeriveError(f"no such file: {path}")
    if path.stat().st_size > MAX_BYTES:
        raise DeriveError(f"{path} is larger than {MAX_BYTES // 1_000_000} MB; is it a post?")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise DeriveError(f"{path} is not UTF-8 text") from None
    kind = "latex" if path.suffix.lower() in LATEX_SUFFIXES else "markdown"
    if path.suffix.lower() == ".ipynb":
        text = notebook_markdown(text, str(path))
    extra = _notation_file(notation) if notation is not None else None
    return check_text(text, net, kind=kind, path=str(path), notation=extra)


def notebook_markdown(text: str, source: str) -> str:
    """The Markdown cells of a Jupyter notebook (nbformat 4), in order, one blank line apart:
    line numbers in the report count the lines of this text."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DeriveError(f"{source} is not a Jupyter notebook: {exc}") from None
    cells = data.get("cells") if isinstance(data, dict) else None
    if not isinstance(cells, list):
        raise DeriveError(f"{source} is not a Jupyter notebook (no cells)")
    parts = []
    for cell in cells:
        if isinstance(cell, dict) and cell.get("cell_type") == "markdown":
            body = cell.get("source", "")
            parts.append("".join(body) if isinstance(body, list) else str(body))
    return "\n\n".join(parts) + "\n"


def _notation_file(path: str | Path) -> tuple[dict[str, Any], str]:
    path = Path(path)
    if not path.is_file():
        raise DeriveError(f"no such notation map: {path}")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise DeriveError(f"{path} is not UTF-8 text") from None
    return parse_toml(text, str(path)), str(path)


def check_text(text: str, net: str | NetworkSpec, *, kind: str = "markdown", path: str = "<text>",
               notation: tuple[dict[str, Any], str] | None = None) -> CheckReport:
    spec = resolve_network(net)
    doc = read_document(text, kind)
    nmap = default_map(spec)
    for fmt, body, offset in doc.notation_blocks:
        line = doc.line_col(offset)[0]
        data = _block_data(fmt, body, f"{path} (line {line})")
        if data is not None:
            nmap = nmap.merged(data, f"{path} (line {line})")
    if notation is not None:
        nmap = nmap.merged(*notation)
    world = world_for(spec)
    judge = Judge(world, nmap, doc, diagnose_link)
    found, mentions = statements(doc)
    results = []
    for st in found:
        result = judge.check_statement(st)
        if result is None:
            mentions += 1
            continue
        results.append(result)
    counts = {"correct": 0, "wrong": 0, "not checked": 0}
    for r in results:
        for link in r.links:
            counts[link.verdict] += 1
    return CheckReport(path, spec.name, world.describe_instance(), tuple(results), mentions, nmap.sources, counts)


def _block_data(fmt: str, body: str, source: str) -> dict[str, Any] | None:
    if fmt == "toml":
        return parse_toml(body, source)
    if fmt == "front-toml":
        try:
            data = tomllib.loads(body)
        except tomllib.TOMLDecodeError:
            return None  # front matter that is not ours to judge
        return data.get(BLOCK_KEY, data.get("notation"))
    if fmt == "front-yaml":
        lines = body.split("\n")
        block: list[str] | None = None
        for line in lines:
            stripped = line.rstrip()
            if block is None:
                if stripped in (f"{BLOCK_KEY}:", "notation:"):
                    block = []
            elif stripped and not line.startswith((" ", "\t")):
                break
            else:
                block.append(line)
        if block is None:
            return None
        return parse_yaml_mapping(block, source)
    return None
