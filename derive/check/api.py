"""Entry points of `derive check`: a file, a text, or the posts under several paths; a network
(given, or named by the post itself); an optional notation map.

Each post is read and bound to its network and notation first (`read_post`), then judged
(`judge_post`): a run over many posts finds every usage error before it judges anything."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ..api import resolve_network
from ..errors import DeriveError
from ..examples import EXAMPLES
from ..inputs import MAX_SPEC_BYTES, check_numbers, loads_json, loads_toml, quoted, shown
from ..inputs import read_text as read_file
from ..spec import NetworkSpec
from .diagnose import diagnose_link
from .extract import MAX_FORMULA_CHARS, Document, Statement, claims, read_document, statements, too_many_claims
from .frontmatter import NET_KEY, declared_network
from .judge import Judge
from .results import LinkResult, StatementResult
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

#: The largest post read (a notebook counts its JSON, images included).
MAX_BYTES = 5_000_000
#: The most text scanned for formulas (a notebook's Markdown cells), read in about a second.
MAX_TEXT_CHARS = 1_000_000
#: The most formulas read ($x$ in a sentence included); the generated posts have at most 300.
MAX_FORMULAS = 10_000
#: The most `=` links one check judges: each takes tens of milliseconds, a wrong one with its
#: diagnosis more; the generated posts have at most 172.
MAX_CLAIMS = 500
LATEX_SUFFIXES = (".tex", ".latex", ".ltx")
RST_SUFFIXES = (".rst", ".rest")
#: \Sigma written without a prime after it: the post's own Σ, so Σ′ is not read as Nielsen's diag(σ′).
OWN_SIGMA = re.compile(r"\\Sigma(?![A-Za-z])(?!\s*(?:'|’|′|\\prime|\^\s*\{?\s*(?:'|\\prime)))")

Notation = tuple[dict[str, Any], str]  # a notation map's data and where it comes from


@dataclass(frozen=True)
class Post:
    """A post read and bound: its formulas, its network, its notation; ready to judge."""

    path: str
    doc: Document
    spec: NetworkSpec
    nmap: NotationMap
    statements: tuple[Statement, ...]  # what it claims, within the limits of one check
    mentions: int  # formulas that claim nothing (a symbol named in a sentence)


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
    text = read_file(path, "post", MAX_BYTES)
    suffix = path.suffix.lower()
    kind = "latex" if suffix in LATEX_SUFFIXES else "rst" if suffix in RST_SUFFIXES else "markdown"
    if path.suffix.lower() == ".ipynb":
        text = notebook_markdown(text, quoted(path))
    return read_text(text, net, kind=kind, path=str(path), notation=notation)


def notebook_markdown(text: str, source: str) -> str:
    """The Markdown cells of a Jupyter notebook (nbformat 4), in order, one blank line apart:
    line numbers in the report count the lines of this text."""
    data = loads_json(text, source)
    cells = data.get("cells") if isinstance(data, dict) else None
    if not isinstance(cells, list):
        raise DeriveError(f"{source} is not a Jupyter notebook (no cells)")
    parts = []
    for number, cell in enumerate(cells, start=1):
        if isinstance(cell, dict) and cell.get("cell_type") == "markdown":
            body = cell.get("source", "")
            if isinstance(body, list) and all(isinstance(line, str) for line in body):
                parts.append("".join(body))
            elif isinstance(body, str):
                parts.append(body)
            else:
                raise DeriveError(f"cell {number} of {source} is not a notebook cell: its source must be text "
                                  "or a list of lines of text")
    return "\n\n".join(parts) + "\n"


def _notation_file(path: str | Path) -> tuple[dict[str, Any], str]:
    return parse_toml(read_file(path, "notation map", MAX_SPEC_BYTES), quoted(path)), str(path)


def check_text(text: str, net: str | NetworkSpec | None = None, *, kind: str = "markdown", path: str = "<text>",
               notation: Notation | None = None) -> CheckReport:
    return judge_post(read_text(text, net, kind=kind, path=path, notation=notation))


def read_text(text: str, net: str | NetworkSpec | None = None, *, kind: str = "markdown", path: str = "<text>",
              notation: Notation | None = None) -> Post:
    if len(text) > MAX_TEXT_CHARS:
        raise DeriveError(f"{shown(path)} has {len(text):,} characters of text, more than the limit of "
                          f"{MAX_TEXT_CHARS:,} (split the post)")
    doc = read_document(text, kind, max_formulas=MAX_FORMULAS)
    spec = network_of(doc, net, path)
    nmap = default_map(spec)
    for fmt, body, offset in doc.notation_blocks:
        line = doc.line_col(offset)[0]
        where = f"{shown(path)} (line {line})"
        data = _block_data(fmt, body, where)
        if data is not None:
            nmap = nmap.merged(data, where)
    if notation is not None:
        nmap = nmap.merged(*notation)
    nmap.check_neurons(spec)
    if any(OWN_SIGMA.search(math.src.text) for math in doc.maths):
        nmap = replace(nmap, sigma_prime_matrix=False)
    found, mentions = statements(doc, max_claims=MAX_CLAIMS)
    if sum(claims(st) for st in found) > MAX_CLAIMS:
        raise too_many_claims(MAX_CLAIMS)
    return Post(path, doc, spec, nmap, tuple(found), mentions)


def judge_post(post: Post) -> CheckReport:
    spec, nmap, doc = post.spec, post.nmap, post.doc
    world = world_for(spec)
    judge = Judge(world, nmap, doc, diagnose_link)
    mentions = post.mentions
    judged: list[tuple[Statement, StatementResult]] = []
    for st in post.statements:
        if st.too_long:
            judged.append((st, _too_long(st, doc)))
            continue
        result = judge.check_statement(st)
        if result is None:
            mentions += 1
            continue
        judged.append((st, result))
    results = _conditionals(judged)
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
    declared = declared_network(doc, shown(path))
    if declared is None:
        where = f"a '% {NET_KEY}: NET' comment line" if doc.kind == "latex" else f"its front matter ({NET_KEY}: NET)"
        raise DeriveError(f"{shown(path)} names no network: give it with --net NET or in {where}; NET is a built-in "
                          f"example ({', '.join(EXAMPLES)}), FILE.toml or mlp:3-4-2")
    value = declared.value
    if value.endswith(".toml") and value not in EXAMPLES:
        value = str(Path(path).parent / value)
    try:
        return resolve_network(value)
    except DeriveError as exc:
        raise DeriveError(f"{shown(path)} (line {declared.line}, {NET_KEY}): {exc}") from None


def _conditionals(judged: list[tuple[Statement, StatementResult]]) -> list[StatementResult]:
    """The results, a conditional statement's read as the post states it: its hypotheses ("if a^L = y",
    "a^L = y ⇒ …", either side of ⇔) are not asserted, and what holds under them is asserted only when
    they hold in general; otherwise neither is called wrong (not checked)."""
    groups: dict[tuple[int, int], list[int]] = {}
    for n, (st, _) in enumerate(judged):
        if st.group is not None:
            groups.setdefault(st.group, []).append(n)
    results = [result for _, result in judged]
    for n, (st, result) in enumerate(judged):
        if st.worded_condition:
            results[n] = _not_wrong(result, "said to hold under a condition in words (if, when, …): not judged on its own")
    for members in groups.values():
        hypotheses = [n for n in members if judged[n][0].hypothesis]
        if not hypotheses or all(_holds(link) for n in hypotheses for link in results[n].links):
            continue
        for n in members:
            reason = ("a hypothesis of a conditional statement (after 'if', before ⇒, beside ⇔): the post does not "
                      "assert it" if judged[n][0].hypothesis else
                      "holds under a hypothesis the post states (if, ⇒, ⇔) that does not hold in general: not judged "
                      "on its own")
            results[n] = _not_wrong(results[n], reason)
    return results


def _holds(link: LinkResult) -> bool:
    """Whether a hypothesis holds in general: it is correct, or it picks a layer or an index ("when
    $l = L$": what follows is judged at that layer)."""
    return link.verdict == "correct" or (link.verdict == "not checked" and link.reason.startswith("defines "))


def _not_wrong(result: StatementResult, reason: str) -> StatementResult:
    """The result with its wrong links not checked, for the reason given."""
    links = tuple(replace(link, verdict="not checked", reason=reason, diagnosis=None, correct=None, counterexample=None)
                  if link.verdict == "wrong" else link for link in result.links)
    return replace(result, links=links)


def _too_long(st: Statement, doc: Document) -> StatementResult:
    line, col = doc.line_col(st.src.offset(0))
    reason = f"a formula longer than {MAX_FORMULA_CHARS:,} characters is not checked (line {line}, col {col})"
    link = LinkResult(line, col, "=", st.src.text, "", "not checked", reason=reason)
    return StatementResult(line, " ".join(st.src.text.split()), (link,))


def _block_data(fmt: str, body: str, source: str) -> dict[str, Any] | None:
    if fmt == "toml":
        return parse_toml(body, source)
    if fmt == "front-toml":
        try:
            data = loads_toml(body, source)
        except DeriveError:
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
        try:
            mapping = parse_yaml_mapping(block, source)
        except ValueError:  # Python's limit on reading integers: 4,300 digits
            raise DeriveError(f"the notation map in {source} has a number of more than 4,300 digits") from None
        return check_numbers(_named_keys(mapping, source), source)
    return None


def suggest_file(path: str | Path, net: str | NetworkSpec | None = None, *, net_name: str | None = None) -> str:
    """A starting notation map for the post at `path` (TOML text, each line saying where in the post
    it comes from), read against `net` or the network the post names; `net_name`: how to call it."""
    post = read_post(path, net)
    name = net_name or (net if isinstance(net, str) else post.spec.name)
    return suggest_notation(post.doc, post.spec, post.nmap, source=shown(path), net=name)


#: A notation map nests three tables deep (symbols, a symbol, its keys); front matter may nest as
#: deep as it is long, and a value nested thousands deep cannot even be named in a message.
MAX_MAP_DEPTH = 8


def _named_keys(data: dict[Any, Any], source: str) -> dict[str, Any]:
    """YAML reads the key `1:` as a number; in a notation map every key is a name (and a map whose
    keys mix numbers and words must still sort and be refused by name). Iterative."""
    root: dict[str, Any] = {}
    pending = [(data, root, 1)]
    while pending:
        given, named, depth = pending.pop()
        if depth > MAX_MAP_DEPTH:
            raise DeriveError(f"the notation map in {source} nests deeper than {MAX_MAP_DEPTH} levels")
        for key, value in given.items():
            if isinstance(value, dict):
                named[str(key)] = {}
                pending.append((value, named[str(key)], depth + 1))
            else:
                named[str(key)] = value
    return root
