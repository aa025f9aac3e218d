"""Stage 7, report: what `derive check` found, readable in a terminal, as JSON for tools, or as
GitHub Actions annotations; one report per post, and a summary over several."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .results import Counterexample, LinkResult, StatementResult


@dataclass(frozen=True)
class CheckReport:
    path: str
    net: str
    instance: str
    statements: tuple[StatementResult, ...]
    mentions: int = 0  # formulas that claim nothing (a symbol named in a sentence)
    notation_sources: tuple[str, ...] = ()
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def wrong(self) -> int:
        return self.counts.get("wrong", 0)

    @property
    def exit_code(self) -> int:
        return 1 if self.wrong else 0


WIDTH = 100
LABELS = {"correct": "correct", "wrong": "WRONG", "not checked": "not checked"}
VERDICTS = ("correct", "wrong", "not checked")


def totals(reports: Sequence[CheckReport]) -> dict[str, int]:
    """The links of every report, counted by verdict."""
    return {verdict: sum(r.counts.get(verdict, 0) for r in reports) for verdict in VERDICTS}


def summary_line(reports: Sequence[CheckReport]) -> str:
    """One line over all posts: `3 files: 12 correct, 1 wrong, 4 not checked`."""
    files = f"{len(reports)} file{'s' if len(reports) != 1 else ''}"
    return f"{files}: " + ", ".join(f"{n} {verdict}" for verdict, n in totals(reports).items()) + "\n"


def text_reports(reports: Sequence[CheckReport]) -> str:
    """Each post's report, a blank line apart, then the summary line."""
    return "\n".join(text_report(r) for r in reports) + "\n" + summary_line(reports)


def text_report(report: CheckReport) -> str:
    lines = [f"{report.path}: checked against {report.net} on {report.instance}"]
    if len(report.notation_sources) > 1:
        lines.append("notation: " + ", ".join(report.notation_sources))
    for st in report.statements:
        lines.append("")
        single = len(st.links) == 1
        if single:
            link = st.links[0]
            lines.append(f"line {link.line:<4} {LABELS[link.verdict]:<12} {_clip((link.before or link.left) + ' ' + _rel(link) + ' ' + link.text)}")
            lines += _details(link, indent=" " * 10)
        else:
            lines.append(f"line {st.line:<4} {_clip(st.text, WIDTH - 10)}")
            for link in st.links:
                lines.append(f"  line {link.line:<4} {LABELS[link.verdict]:<12} {_clip(_rel(link) + ' ' + link.text, WIDTH - 24)}")
                lines += _details(link, indent=" " * 12)
    c = report.counts
    lines.append("")
    summary = f"{c.get('correct', 0)} correct, {c.get('wrong', 0)} wrong, {c.get('not checked', 0)} not checked"
    if report.mentions:
        summary += f" ({report.mentions} formula{'s' if report.mentions != 1 else ''} without a claim)"
    lines.append(summary)
    return "\n".join(lines) + "\n"


def _rel(link: LinkResult) -> str:
    if link.relation == "update" and (link.before or "").rstrip().endswith(("-", "+")):
        return "="  # W -= η ∂C/∂W: the sign is already written before
    return {"=": "=", "equiv": r"\equiv", "def": ":=", "in": r"\in", "update": r"\leftarrow", "approx": r"\approx",
            "neq": r"\neq", "lt": "<"}.get(link.relation, link.relation)


def _clip(text: str, width: int = WIDTH) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[:width - 1] + "…"


def _details(link: LinkResult, indent: str) -> list[str]:
    out = []
    if link.verdict == "not checked":
        out.append(f"{indent}why: {link.reason}")
        return out
    if link.verdict == "correct":
        return out
    out.append(f"{indent}why: {link.reason}")
    if link.diagnosis is not None:
        out.append(f"{indent}diagnosis ({link.diagnosis.name}): {link.diagnosis.message}")
    else:
        out.append(f"{indent}diagnosis: none of the usual mistakes reproduces this step")
    if link.counterexample is not None:
        out.append(f"{indent}counterexample: {counterexample_text(link.counterexample)}")
    if link.correct:
        out.append(f"{indent}correct: {link.correct}")
    return out


def counterexample_text(cx: Counterexample) -> str:
    where = f"at {cx.where}, " if cx.where else ""
    entry = f" entry {cx.entry}" if cx.entry else ""
    values = "; ".join(f"{name} = {_numbers(v)}" for name, v in point_values(cx))
    return (f"{where}with {values}: the left side{entry} is {cx.left:.6g}, the right side is {cx.right:.6g}")


def point_values(cx: Counterexample) -> list[tuple[str, Any]]:
    return [(str(name), numbers) for name, numbers in cx.point]


def _numbers(values: Any) -> str:
    array = np.asarray(values, dtype=float)
    if array.size == 1:
        return f"{float(array.ravel()[0]):g}"
    if array.ndim == 2 and array.shape[1] == 1:  # a column vector, written as a transposed row
        return "[" + ", ".join(f"{v:g}" for v in array[:, 0]) + "]ᵀ"
    rows = ["[" + ", ".join(f"{v:g}" for v in row) + "]" for row in array]
    return rows[0] if len(rows) == 1 else "[" + ", ".join(rows) + "]"


def json_report(report: CheckReport) -> str:
    return json.dumps(_report_json(report), indent=2, ensure_ascii=False) + "\n"


def _report_json(report: CheckReport) -> dict[str, Any]:
    return {
        "path": report.path,
        "net": report.net,
        "instance": report.instance,
        "notation": list(report.notation_sources),
        "counts": report.counts,
        "formulas_without_claim": report.mentions,
        "statements": [
            {"line": st.line, "text": st.text, "links": [_link_json(l) for l in st.links]} for st in report.statements
        ],
    }


def json_reports(reports: Sequence[CheckReport]) -> str:
    """Several posts: one object, the summary's counts and the list of each post's report (each in
    the shape `json_report` gives one post)."""
    data = {
        "files": len(reports),
        "counts": totals(reports),
        "reports": [_report_json(r) for r in reports],
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def github_annotations(reports: Sequence[CheckReport]) -> str:
    """GitHub Actions workflow commands: one `::error file=…,line=…,col=…::message` per wrong link
    (links not checked stay silent), then the summary line. A notebook's line numbers count the lines
    of its Markdown cells, not of the .ipynb file: its annotations name the file and say the line."""
    out = []
    for report in reports:
        notebook = Path(report.path).suffix.lower() == ".ipynb"
        for st in report.statements:
            for link in st.links:
                if link.verdict != "wrong":
                    continue
                claim = " ".join(f"{link.left} {_rel(link)} {link.text}".split())
                where = {"file": report.path}
                if notebook:
                    claim += f" (line {link.line} of the notebook's Markdown cells)"
                else:
                    where.update(line=str(link.line), col=str(link.col))
                where["title"] = "derive check"
                message = "\n".join([claim] + _details(link, indent=""))
                properties = ",".join(f"{key}={escape_property(value)}" for key, value in where.items())
                out.append(f"::error {properties}::{escape_data(message)}\n")
    return "".join(out) + summary_line(reports)


def escape_data(text: str) -> str:
    """A workflow command's message, escaped as GitHub documents (and its toolkit does)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A workflow command's property value: the message escapes, and `:` and `,` that would end it."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _link_json(link: LinkResult) -> dict[str, Any]:
    out: dict[str, Any] = {
        "line": link.line, "col": link.col, "relation": link.relation, "left": link.before or link.left,
        "compared_with": link.left, "text": link.text,
        "verdict": link.verdict, "reason": link.reason, "method": link.method,
    }
    if link.shapes:
        out["shapes"] = list(link.shapes)
    if link.diagnosis:
        out["diagnosis"] = {"name": link.diagnosis.name, "message": link.diagnosis.message}
    if link.correct:
        out["correct"] = link.correct
    if link.counterexample:
        cx = link.counterexample
        out["counterexample"] = {
            "where": cx.where, "entry": cx.entry, "left": cx.left, "right": cx.right,
            "values": {name: np.asarray(v, dtype=float).tolist() for name, v in point_values(cx)},
        }
    return out
