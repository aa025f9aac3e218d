"""A `Post` in a platform's own syntax: Markdown with front matter, a notebook, or a LaTeX document.

Each platform is a `Platform` (template, file suffix, how it shows the diagram) plus the frozen
`Flavor` of latex.py (delimiters, raw tags, escaping, `\\lvert` for bars). The `MathWriter` of a
flavor is the only code that places formulas; templates call its filters (`prose`, `display`)
and never see a platform name in a condition.

Templates are Jinja2 with StrictUndefined, keep_trailing_newline and no autoescaping; the LaTeX
template uses `<< >>`, `<% %>` and `<# #>` so that TeX braces never clash with Jinja's. They are
found in the installed package (`derive/templates`, shipped in the wheel) or, in a checkout, in
`templates/` at the repository root.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from string import Formatter
from typing import Any

import jinja2

from .. import __version__, phrases
from ..derivation import Derivation
from ..errors import UnknownName
from ..latex import FLAVORS, Flavor
from ..textprint import DeriveTextPrinter
from . import diagram as diagrams
from ..files import Marker
from .model import Equation, Join, Math, Post, Words, build_post
from .printing import RELATIONS, PostLatexPrinter
from .worked import WorkedExample, worked_example

LANGUAGES = phrases.LANGUAGES


@dataclass(frozen=True)
class Platform:
    name: str
    flavor: Flavor
    template: str
    suffix: str
    diagram: str  # "file": an SVG next to the post; "attachment": inside the notebook; "tikz": drawn in the document
    notebook: bool = False  # the rendered Markdown is cut into the cells of a notebook


PLATFORMS: dict[str, Platform] = {
    "jekyll": Platform("jekyll", FLAVORS["jekyll"], "jekyll.md.j2", ".md", "file"),
    "hugo": Platform("hugo", FLAVORS["hugo"], "hugo.md.j2", ".md", "file"),
    "hexo": Platform("hexo", FLAVORS["hexo"], "hexo.md.j2", ".md", "file"),
    "github": Platform("github", FLAVORS["github"], "github.md.j2", ".md", "file"),
    "jupyter": Platform("jupyter", FLAVORS["jupyter"], "jupyter.md.j2", ".ipynb", "attachment", notebook=True),
    "latex": Platform("latex", FLAVORS["latex"], "latex.tex.j2", ".tex", "tikz"),
}

#: What a LaTeX document needs per language: English compiles with pdflatex, Chinese with
#: xelatex and ctex.
TEX_LANGUAGE = {
    "en": {"engine": "pdflatex", "documentclass": "article"},
    "zh": {"engine": "xelatex", "documentclass": "ctexart"},
}

#: Separates notebook cells in the rendered jupyter template.
CELL_BREAK = "<!-- derive:cell -->"

MARKDOWN_SPECIAL = frozenset("\\`*_{}[]<>#|$~")
LATEX_SPECIAL = {
    "\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&", "#": r"\#",
    "^": r"\^{}", "_": r"\_", "%": r"\%", "~": r"\textasciitilde{}",
}
#: How words are escaped, by Flavor.prose: Markdown takes a backslash before any punctuation that
#: could start emphasis, code, a link, a table or maths; LaTeX has its ten special characters.
PROSE_ESCAPES = {
    "markdown": lambda text: "".join("\\" + ch if ch in MARKDOWN_SPECIAL else ch for ch in text),
    "latex": lambda text: "".join(LATEX_SPECIAL.get(ch, ch) for ch in text),
}
#: Markdown reads a line starting like this as a list item (Hugo, even inside display maths).
LIST_STARTS = ("+ ", "- ", "* ")


def platform(name: str) -> Platform:
    if name not in PLATFORMS:
        raise UnknownName("platform", name, PLATFORMS)
    return PLATFORMS[name]


def language(name: str) -> str:
    if name not in LANGUAGES:
        raise UnknownName("language", name, LANGUAGES)
    return name


# ----------------------------------------------------------------------------------------------
# Formulas and words in one flavor
# ----------------------------------------------------------------------------------------------


class MathWriter:
    """Places printed formulas and escaped words the way one platform's engine needs them."""

    def __init__(self, flavor: Flavor, printer: PostLatexPrinter) -> None:
        self.flavor = flavor
        self.printer = printer

    # -- maths ---------------------------------------------------------------------------------
    def _needs_raw(self, tex: str) -> bool:
        f = self.flavor
        return f.raw is not None and (f.raw_every_formula or any(t in tex for t in f.raw_triggers))

    def inline(self, expr: Any) -> str:
        tex = self.printer.doprint(expr)
        opening, closing = self.flavor.inline
        text = f"{opening}{tex}{closing}"
        if self._needs_raw(tex):
            text = f"{self.flavor.raw[0]}{text}{self.flavor.raw[1]}"
        return text

    def _rows(self, equation: Equation) -> list[list[str]]:
        rows = []
        for forms in equation.rows:
            printed: list[str] = []
            for form in forms:
                text = self.printer.doprint(form)
                if not printed or printed[-1] != text:  # δ = ∂C/∂z where δ is written ∂C/∂z
                    printed.append(text)
            rows.append(printed)
        return rows

    def _lines(self, equation: Equation) -> tuple[list[str], bool]:
        """The formula's lines and whether they need an alignment environment."""
        sign = RELATIONS[equation.relation]
        rows = self._rows(equation)
        if len(rows) == 1 and (len(rows[0]) <= 2 or not equation.split):
            return [f" {sign} ".join(rows[0])], False
        lines: list[str] = []
        for printed in rows:
            lhs, rest = printed[0], printed[1:]
            if equation.split:
                lines.append(f"{lhs} &{sign} {rest[0]}")
                lines += [f"&{sign} {form}" for form in rest[1:]]
            else:
                lines.append(f"{lhs} &{sign} " + f" {sign} ".join(rest))
        return [line + r" \\" for line in lines[:-1]] + [lines[-1]], True

    def _guard(self, lines: list[str]) -> list[str]:
        """Join a line that Markdown would read as a list item to the line before (the line
        break is only whitespace to TeX)."""
        if not self.flavor.guard_line_starts:
            return lines
        out: list[str] = []
        for line in lines:
            if out and line.lstrip().startswith(LIST_STARTS):
                out[-1] = out[-1] + " " + line.strip()
            else:
                out.append(line)
        return out

    def display(self, equation: Equation) -> str:
        f = self.flavor
        lines, aligned = self._lines(equation)
        if aligned:
            block = [f.multiline[0], *lines, f.multiline[1]]
            if not f.multiline_replaces_display:
                block = [f.display[0], *block, f.display[1]]
        else:
            block = [f.display[0], *lines, f.display[1]]
        block = self._guard(block)
        if self._needs_raw("\n".join(lines)):
            block = [f.raw[0], *block, f.raw[1]]
        return "\n".join(block)

    # -- words ---------------------------------------------------------------------------------
    def escape(self, text: str) -> str:
        return PROSE_ESCAPES[self.flavor.prose](text)

    def prose(self, item: Any) -> str:
        if isinstance(item, str):
            return self.escape(item)
        if isinstance(item, Math):
            return self.inline(item.expr)
        if isinstance(item, Join):
            return self.escape(item.glue).join(self.prose(part) for part in item.items if part != "")
        if isinstance(item, Words):
            out = []
            for literal, field, _, _ in Formatter().parse(item.text):
                out.append(self.escape(literal))
                if field is not None:
                    out.append(self.prose(item.value(field)))
            return "".join(out)
        raise TypeError(f"cannot write {type(item).__name__} as words")


# ----------------------------------------------------------------------------------------------
# Templates
# ----------------------------------------------------------------------------------------------


def template_dir() -> Path:
    """Templates of the installed package first (the wheel ships them as derive/templates),
    else the repository's `templates/` next to the package."""
    package = Path(__file__).resolve().parent.parent
    for candidate in (package / "templates", package.parent / "templates"):
        if (candidate / "latex.tex.j2").is_file():
            return candidate
    raise FileNotFoundError(f"no post templates in {package / 'templates'} or {package.parent / 'templates'}")


def _quoted(text: str) -> str:
    """A double-quoted string that YAML and TOML both read back as `text`."""
    return json.dumps(text, ensure_ascii=False)


@jinja2.pass_context
def _prose_filter(context: Any, item: Any) -> str:
    return context["writer"].prose(item)


@jinja2.pass_context
def _display_filter(context: Any, equation: Equation) -> str:
    return context["writer"].display(equation)


@lru_cache(maxsize=None)
def environment(latex: bool) -> jinja2.Environment:
    options: dict[str, Any] = {}
    if latex:
        options = dict(block_start_string="<%", block_end_string="%>", variable_start_string="<<",
                       variable_end_string=">>", comment_start_string="<#", comment_end_string="#>")
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(template_dir())),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        **options,
    )
    env.filters["prose"] = _prose_filter
    env.filters["display"] = _display_filter
    env.filters["quoted"] = _quoted
    return env


# ----------------------------------------------------------------------------------------------
# One network's posts
# ----------------------------------------------------------------------------------------------


class PostSource:
    """Everything a network's posts share, computed once: the worked example, the diagram,
    one printer per set of printer settings, one `Post` per language."""

    def __init__(self, derivation: Derivation, seed: int = 0) -> None:
        self.derivation = derivation
        self.seed = seed
        # The general derivation shows its numbers and picture on its first concrete instance.
        self.concrete = derivation.instances[0] if derivation.general else derivation
        self.example: WorkedExample = worked_example(self.concrete, seed)
        self.diagram = diagrams.network_diagram(self.concrete)
        self._printers: dict[tuple, PostLatexPrinter] = {}
        self._posts: dict[str, Post] = {}

    @property
    def name(self) -> str:
        return self.derivation.spec.name

    def printer(self, flavor: Flavor, concrete: bool = False) -> PostLatexPrinter:
        """The printer of the derivation (or of its concrete instance) in a flavor's settings;
        flavors with the same printer settings share one, and its memo of printed forms."""
        d = self.concrete if concrete else self.derivation
        settings = flavor.printer_settings()
        key = (concrete, tuple(sorted(settings.items())))
        if key not in self._printers:
            self._printers[key] = PostLatexPrinter({**d.printer_settings("latex"), **settings})
        return self._printers[key]

    def post(self, lang: str) -> Post:
        if lang not in self._posts:
            self._posts[lang] = build_post(self.derivation, self.example, lang)
        return self._posts[lang]

    def svg(self, marker: Marker | None) -> str:
        text = DeriveTextPrinter(self.concrete.printer_settings("text"))
        return diagrams.svg(self.diagram, text.doprint, None if marker is None else marker.text)

    def tikz(self, flavor: Flavor) -> str:
        printer = self.printer(flavor, concrete=True)
        opening, closing = flavor.inline
        return diagrams.tikz(self.diagram, lambda expr: f"{opening}{printer.doprint(expr)}{closing}")


def file_names(net: str, platform_name: str, lang: str) -> tuple[str, str | None]:
    """(post file, diagram file or None) of one post."""
    p = platform(platform_name)
    post = f"{net}.{p.name}.{lang}{p.suffix}"
    return post, (f"{net}.svg" if p.diagram == "file" else None)


def _source(net: str, platform_name: str, lang: str) -> str:
    return f"derive post {net} (platform {platform_name}, language {lang})"


def render_post(source: PostSource, platform_name: str, lang: str) -> dict[str, str]:
    """The files of one post, name -> text, each stamped with its generated-file marker."""
    p = platform(platform_name)
    language(lang)
    post = source.post(lang)
    writer = MathWriter(p.flavor, source.printer(p.flavor))
    post_name, diagram_name = file_names(source.name, p.name, lang)
    marker = Marker.for_command(__version__, _source(source.name, p.name, lang))
    context = {
        "post": post,
        "writer": writer,
        "marker": marker.text,
        "diagram_src": f"attachment:{source.name}.svg" if p.diagram == "attachment" else diagram_name,
        "diagram_tikz": source.tikz(p.flavor) if p.diagram == "tikz" else "",
        "tex": TEX_LANGUAGE[lang],
        # A notebook is cut into cells at these breaks; other platforms get nothing there.
        "cell": CELL_BREAK + "\n" if p.notebook else "",
    }
    text = environment(p.name == "latex").get_template(p.template).render(context)
    files: dict[str, str] = {}
    if p.notebook:
        text = notebook(text, marker, {f"{source.name}.svg": source.svg(None)})
    files[post_name] = marker.stamp(text)
    if diagram_name is not None:
        diagram_marker = Marker.for_command(__version__, f"derive post {source.name} (diagram of every Markdown post)")
        files[diagram_name] = diagram_marker.stamp(source.svg(diagram_marker))
    return files


def notebook(markdown: str, marker: Marker, attachments: dict[str, str]) -> str:
    """A valid nbformat 4.5 notebook of Markdown cells, split at CELL_BREAK lines; a cell that
    shows `attachment:NAME` carries that file as an attachment, so the notebook stands alone."""
    cells = []
    chunks: list[list[str]] = [[]]
    for line in markdown.splitlines(keepends=True):
        if line.strip() == CELL_BREAK:
            chunks.append([])
        else:
            chunks[-1].append(line)
    for chunk in chunks:
        while chunk and not chunk[-1].strip():
            chunk.pop()
        while chunk and not chunk[0].strip():
            chunk.pop(0)
        if not chunk:
            continue
        chunk[-1] = chunk[-1].rstrip("\n")
        cell: dict[str, Any] = {"cell_type": "markdown", "id": f"cell-{len(cells) + 1:03d}", "metadata": {},
                                "source": chunk}
        source = "".join(chunk)
        found = {name: body for name, body in attachments.items() if f"attachment:{name}" in source}
        if found:
            cell["attachments"] = {name: {"image/svg+xml": body.splitlines(keepends=True)}
                                   for name, body in sorted(found.items())}
        cells.append(cell)
    document = {
        "cells": cells,
        "metadata": {
            "derive": {"generated": marker.text},
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    return json.dumps(document, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
