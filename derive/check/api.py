"""Entry points of `derive check`: a file, a text, or the posts under several paths; a network
(given, or named by the post itself); an optional notation map.

Each post is read and bound to its network and notation first (`read_post`), then judged
(`judge_post`): a run over many posts finds every usage error before it judges anything."""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..api import resolve_network
from ..errors import DeriveError
from ..examples import EXAMPLES
from ..spec import NetworkSpec
from .diagnose import diagnose_link
from .extract import Document, read_document, statements
from .frontmatter import NET_KEY, declared_network
from .judge import Judge
from .notation import (
    BLOCK_KEY,
    NotationMap,
    default_map,
    parse_toml,
    parse_yaml_mapping,
)
from .paths import find_posts
from .report import CheckReport
from .suggest import suggest_notation
from .world import world_for

MAX_BYTES = 5_000_000
LATEX_SUFFIXES = (".tex", ".latex", ".ltx")

Notation = tuple[dict[str, Any], str]  # a notation map's data and where it comes from


@dataclass(frozen=True)
class Post:
    """A post read and bound: its formulas, its network, its notation; ready to judge."""

    path: str
    doc: Document
    spec: NetworkSpec
    nmap: NotationMap


def check_file(path: str | Path, net: str | NetworkSpec | None = None,
               notation: str | Path | None = None) -> CheckReport:
    """`net` None: the network the post names itself (front matter `derive-net:`)."""
    extra = _notation_file(notation) if notation is not None else None
    return judge_post(read_post(path, net, extra))


def check_paths(paths: list[str | Path], net: str | NetworkSpec | None = None,
                notation: str | Path | None = None) -> list[CheckReport]:
    """Every post under `paths` (see paths.find_posts), each with `net` or the network it names."""
    extra = _notation_file(notation) if notation is not None else None
    posts = [read_post(path, net, extra) for path in find_posts(paths)]
    return [judge_post(post) for post in posts]


def read_post(path: str | Path, net: str | NetworkSpec | None = None, notation: Notation | None = None) -> Post:
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
    return read_text(text, net, kind=kind, path=str(path), notation=notation)


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


def check_text(text: str, net: str | NetworkSpec | None = None, *, kind: str = "markdown", path: str = "<text>",
               notation: Notation | None = None) -> CheckReport:
    return judge_post(read_text(text, net, kind=kind, path=path, notation=notation))


def read_text(text: str, net: str | NetworkSpec | None = None, *, kind: str = "markdown", path: str = "<text>",
              notation: Notation | None = None) -> Post:
    doc = read_document(text, kind)
    spec = network_of(doc, net, path)
    nmap = default_map(spec)
    for fmt, body, offset in doc.notation_blocks:
        line = doc.line_col(offset)[0]
        data = _block_data(fmt, body, f"{path} (line {line})")
        if data is not None:
            nmap = nmap.merged(data, f"{path} (line {line})")
    if notation is not None:
        nmap = nmap.merged(*notation)
    return Post(path, doc, spec, nmap)


def judge_post(post: Post) -> CheckReport:
    spec, nmap, doc = post.spec, post.nmap, post.doc
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
    return CheckReport(post.path, spec.name, world.describe_instance(), tuple(results), mentions, nmap.sources, counts)


def network_of(doc: Document, net: str | NetworkSpec | None, path: str) -> NetworkSpec:
    """`net` when given (it overrides the post's own); else the network the post names, a FILE.toml
    read relative to the post."""
    if net is not None:
        return resolve_network(net)
    declared = declared_network(doc, path)
    if declared is None:
        where = f"a '% {NET_KEY}: NET' comment line" if doc.kind == "latex" else f"its front matter ({NET_KEY}: NET)"
        raise DeriveError(f"{path} names no network: give it with --net NET or in {where}; NET is a built-in "
                          f"example ({', '.join(EXAMPLES)}), FILE.toml or mlp:3-4-2")
    value = declared.value
    if value.endswith(".toml") and value not in EXAMPLES:
        value = str(Path(path).parent / value)
    try:
        return resolve_network(value)
    except DeriveError as exc:
        raise DeriveError(f"{path} (line {declared.line}, {NET_KEY}): {exc}") from None


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


def suggest_file(path: str | Path, net: str | NetworkSpec | None = None, *, net_name: str | None = None) -> str:
    """A starting notation map for the post at `path` (TOML text, each line saying where in the post
    it comes from), read against `net` or the network the post names; `net_name`: how to call it."""
    post = read_post(path, net)
    name = net_name or (net if isinstance(net, str) else post.spec.name)
    return suggest_notation(post.doc, post.spec, post.nmap, source=str(path), net=name)
