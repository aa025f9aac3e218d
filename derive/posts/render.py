"""A `Post` in a platform's own syntax: Markdown with front matter, a notebook, or a LaTeX document.

Each platform is a `Platform` (template, file suffix, how it shows the diagram and its code, where
its files go in a site) plus the frozen `Flavor` of latex.py (delimiters, raw tags, escaping,
`\\lvert` for bars). The `MathWriter` of a flavor is the only code that places formulas, tables and
code listings; templates call its filters (`prose`, `display`, `table`, `code`) and never see a
platform name in a condition.

Templates are Jinja2 with StrictUndefined, keep_trailing_newline and no autoescaping; the LaTeX
template uses `<< >>`, `<% %>` and `<# #>` so that TeX braces never clash with Jinja's. They are
found in the installed package (`derive/templates`, shipped in the wheel) or, in a checkout, in
`templates/` at the repository root.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from string import Formatter
from typing import Any

import jinja2

from .. import __version__
from ..derivation import Derivation
from ..errors import UnknownName
from ..files import Marker
from ..latex import FLAVORS, Flavor
from ..textprint import DeriveTextPrinter
from . import code as codes
from . import diagram as diagrams
from . import wording
from .model import Code, CodeBlock, Equation, Join, Math, Post, Table, Words, build_post
from .printing import RELATIONS, PostLatexPrinter
from .worked import WorkedExample, worked_example

LANGUAGES = wording.LANGUAGES


@dataclass(frozen=True)
class SiteLayout:
    """Where a post and its diagram go in a site's source tree, and how the post links the
    diagram. `{slug}`, `{net}` and `{date}` are filled per post."""

    post: str
    diagram: str | None
    link: str
    image: str = "markdown"  # "markdown": ![alt](link); "hexo-asset": Hexo's asset_img tag


@dataclass(frozen=True)
class Platform:
    name: str
    flavor: Flavor
    template: str
    suffix: str
    diagram: str  # "file": an SVG next to the post; "attachment": inside the notebook; "tikz": drawn in the document
    site: SiteLayout
    notebook: bool = False  # the rendered Markdown is cut into the cells of a notebook
    code_template: str = "_code.md.j2"  # the code section: listings, or (notebook) code cells


PLATFORMS: dict[str, Platform] = {
    "jekyll": Platform("jekyll", FLAVORS["jekyll"], "jekyll.md.j2", ".md", "file",
                       SiteLayout("_posts/{date}-{slug}.md", "assets/{slug}/{net}.svg",
                                  "{{{{ '/assets/{slug}/{net}.svg' | relative_url }}}}")),
    "hugo": Platform("hugo", FLAVORS["hugo"], "hugo.md.j2", ".md", "file",
                     SiteLayout("content/posts/{slug}/index.md", "content/posts/{slug}/{net}.svg", "{net}.svg")),
    "hexo": Platform("hexo", FLAVORS["hexo"], "hexo.md.j2", ".md", "file",
                     SiteLayout("source/_posts/{slug}.md", "source/_posts/{slug}/{net}.svg", "{net}.svg",
                                image="hexo-asset")),
    "github": Platform("github", FLAVORS["github"], "github.md.j2", ".md", "file",
                       SiteLayout("{slug}.md", "{net}.svg", "{net}.svg")),
    "mkdocs": Platform("mkdocs", FLAVORS["mkdocs"], "mkdocs.md.j2", ".md", "file",
                       SiteLayout("docs/posts/{slug}.md", "docs/posts/{net}.svg", "{net}.svg")),
    "jupyter": Platform("jupyter", FLAVORS["jupyter"], "jupyter.md.j2", ".ipynb", "attachment",
                        SiteLayout("{slug}.ipynb", None, "attachment:{net}.svg"), notebook=True,
                        code_template="_code_cells.md.j2"),
    "latex": Platform("latex", FLAVORS["latex"], "latex.tex.j2", ".tex", "tikz", SiteLayout("{slug}.tex", None, "")),
}

#: What a LaTeX document needs per language: English compiles with pdflatex, Chinese with
#: xelatex and ctex.
TEX_LANGUAGE = {
    "en": {"engine": "pdflatex", "documentclass": "article"},
    "zh": {"engine": "xelatex", "documentclass": "ctexart"},
}

#: Separates notebook cells in the rendered jupyter template.
CELL_BREAK = "<!-- derive:cell -->"
#: A code listing in Markdown, and (notebook) a code cell.
CODE_FENCE = ("```python", "```")

MARKDOWN_SPECIAL = frozenset("\\`*_{}[]<>#|$~")
#: Python-Markdown (MkDocs) unescapes only these; a backslash before anything else stays visible.
PYTHON_MARKDOWN_SPECIAL = frozenset("\\`*_{}[]#")
LATEX_SPECIAL = {
    "\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&", "#": r"\#",
    "^": r"\^{}", "_": r"\_", "%": r"\%", "~": r"\textasciitilde{}",
}
#: How words are escaped, by Flavor.prose: Markdown takes a backslash before any punctuation that
#: could start emphasis, code, a link, a table or maths; LaTeX has its ten special characters.
PROSE_ESCAPES = {
    "markdown": lambda text: "".join("\\" + ch if ch in MARKDOWN_SPECIAL else ch for ch in text),
    "python-markdown": lambda text: "".join("\\" + ch if ch in PYTHON_MARKDOWN_SPECIAL else ch for ch in text),
    "latex": lambda text: "".join(_latex_prose_char(ch) for ch in text),
}
#: Markdown reads a line starting like this as a list item (Hugo, even inside display maths).
LIST_STARTS = ("+ ", "- ", "* ")
#: Template tags of Liquid (Jekyll) and Nunjucks (Hexo): code holding one goes into raw tags.
TEMPLATE_OPENERS = ("{{", "{%", "{#")


def platform(name: str) -> Platform:
    if name not in PLATFORMS:
        raise UnknownName("platform", name, PLATFORMS)
    return PLATFORMS[name]


def language(name: str) -> str:
    if name not in LANGUAGES:
        raise UnknownName("language", name, LANGUAGES)
    return name


# ----------------------------------------------------------------------------------------------
# Code in a LaTeX listing
# ----------------------------------------------------------------------------------------------

#: Characters of exported code (its comments quote the steps in Unicode) as LaTeX that pdflatex
#: typesets: the rest is read from Unicode's own decompositions (super/subscripts, accents, bold
#: and double-struck letters, Greek letters by name).
CODE_SYMBOLS = {
    "\u2212": "-", "\u2202": r"\(\partial\)", "\u2299": r"\(\odot\)", "\u2298": r"\(\oslash\)",
    "\u00b7": r"\(\cdot\)", "\u00d7": r"\(\times\)", "\u2208": r"\(\in\)", "\u221a": r"\(\surd\)",
    "\u2192": r"\(\to\)", "\u2264": r"\(\le\)", "\u2265": r"\(\ge\)", "\u2260": r"\(\ne\)",
    "\u2248": r"\(\approx\)", "\u2211": r"\(\sum\)", "\u220f": r"\(\prod\)", "\u2207": r"\(\nabla\)",
    "\u2032": "'", "\u2026": r"\dots{}", "\u2014": "---", "\u2013": "--", "\u22ee": r"\(\vdots\)",
    "\u2018": "`", "\u2019": "'", "\u201c": "``", "\u201d": "''",
    "\u2016": r"\(\Vert\)",
}
#: Punctuation words keep as written in LaTeX (code listings spell it in ASCII).
PROSE_PUNCTUATION = frozenset("\u2018\u2019\u201c\u201d\u2014\u2013\u2026")
CODE_ACCENTS = {"\u0302": r"\^", "\u0303": r"\~", "\u0304": r"\=", "\u0307": r"\.", "\u0308": r'\"'}
CODE_ASCII = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}"}
#: Unicode spells λ LAMDA; TeX spells it \lambda.
UNICODE_GREEK_SPELLING = {"lamda": "lambda"}
GREEK_CAPITALS = frozenset({"Gamma", "Delta", "Theta", "Lambda", "Xi", "Pi", "Sigma", "Upsilon", "Phi", "Psi",
                            "Omega"})


def _code_char(ch: str) -> str:
    if ch.isascii():
        return CODE_ASCII.get(ch, ch)
    if ch in CODE_SYMBOLS:
        return CODE_SYMBOLS[ch]
    name = unicodedata.name(ch, "")
    if name.startswith("GREEK SMALL LETTER ") and len(name.split()) == 4:
        letter = name.split()[-1].lower()
        return rf"\(\{UNICODE_GREEK_SPELLING.get(letter, letter)}\)"
    capital = UNICODE_GREEK_SPELLING.get(name.split()[-1].lower(), name.split()[-1].lower()).title() if name else ""
    if name.startswith("GREEK CAPITAL LETTER ") and capital in GREEK_CAPITALS:
        return rf"\(\{capital}\)"
    tag, _, codes_ = unicodedata.decomposition(ch).partition(" ")
    base = "".join(chr(int(c, 16)) for c in codes_.split()) if codes_ else ""
    if tag == "<super>":
        return rf"\textsuperscript{{{code_latex(base)}}}"
    if tag == "<sub>":
        return rf"\textsubscript{{{code_latex(base)}}}"
    if tag == "<font>" and "DOUBLE-STRUCK" in name:
        return rf"\(\mathbb{{{base}}}\)"
    if tag == "<font>" and "BOLD" in name:
        return rf"\textbf{{{code_latex(base)}}}"
    if tag == "<fraction>" and len(base) == 3:
        return rf"\(\frac{{{base[0]}}}{{{base[2]}}}\)"
    raise ValueError(f"no LaTeX for the character {ch!r} ({name or 'unnamed'}) of a code listing")


def _latex_prose_char(ch: str) -> str:
    """A character of words in LaTeX: its ten special characters escaped, and the symbols words
    may hold (σ′, −, ≠, λ in an explanation) typeset as in code, so that pdflatex reads them."""
    if ch in LATEX_SPECIAL:
        return LATEX_SPECIAL[ch]
    if ch in PROSE_PUNCTUATION:
        return ch  # the typeset text's own quotes and dashes (Chinese ones are full width)
    if ch in CODE_SYMBOLS or unicodedata.name(ch, "").startswith(("GREEK SMALL LETTER ", "GREEK CAPITAL LETTER ")):
        try:
            return _code_char(ch)
        except ValueError:  # a capital written like a Latin one (Α): words keep it
            return ch
    return ch


def code_latex(text: str) -> str:
    """Code as the body of a fancyvrb Verbatim whose command characters are the backslash and the
    braces: ASCII as it is (but those three), every other character as LaTeX; combining accents
    go on the character before them."""
    out: list[str] = []
    for ch in unicodedata.normalize("NFD", text):
        if ch in CODE_ACCENTS:
            if not out:
                raise ValueError("a code listing starts with a combining accent")
            out[-1] = f"{CODE_ACCENTS[ch]}{{{out[-1]}}}"
        else:
            out.append(_code_char(ch))
    return "".join(out)


# ----------------------------------------------------------------------------------------------
# Formulas, words, tables and code in one flavor
# ----------------------------------------------------------------------------------------------


class MathWriter:
    """Places printed formulas, escaped words, tables and code the way one platform needs them."""

    def __init__(self, flavor: Flavor, printer: PostLatexPrinter) -> None:
        self.flavor = flavor
        self.printer = printer

    @property
    def latex(self) -> bool:
        return self.flavor.prose == "latex"

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

    def inline_code(self, text: str) -> str:
        if self.latex:
            return rf"\texttt{{{self.escape(text)}}}"
        if "`" in text:
            raise ValueError(f"inline code holds a backtick: {text!r}")
        return f"`{text}`"

    def prose(self, item: Any) -> str:
        if isinstance(item, str):
            return self.escape(item)
        if isinstance(item, Math):
            return self.inline(item.expr)
        if isinstance(item, Code):
            return self.inline_code(item.text)
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

    # -- tables and code -------------------------------------------------------------------------
    def table(self, table: Table) -> str:
        header = [self.prose(cell) for cell in table.header]
        rows = [[self.prose(cell) for cell in row] for row in table.rows]
        if self.latex:
            columns = "".join(rf">{{\raggedright\arraybackslash}}p{{{share:g}\linewidth}}" for share in table.widths)
            lines = [rf"\begin{{longtable}}{{@{{}}{columns}@{{}}}}",
                     " & ".join(rf"\textbf{{{cell}}}" for cell in header) + r" \\", r"\hline", r"\endhead"]
            lines += [" & ".join(row) + r" \\" for row in rows]
            return "\n".join([*lines, r"\end{longtable}"])
        for row in [header, *rows]:
            for cell in row:
                if "\n" in cell or any(ch == "|" and (i == 0 or cell[i - 1] != "\\") for i, ch in enumerate(cell)):
                    raise ValueError(f"a Markdown table cell cannot hold a line break or a bare '|': {cell!r}")
        lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
        lines += ["| " + " | ".join(row) + " |" for row in rows]
        return "\n".join(lines)

    def code(self, block: CodeBlock) -> str:
        if self.latex:
            return "\n".join([r"\begin{Verbatim}[commandchars=\\\{\}, fontsize=\scriptsize]",
                              code_latex(block.text), r"\end{Verbatim}"])
        text = "\n".join([CODE_FENCE[0], block.text, CODE_FENCE[1]])
        if self.flavor.raw is not None and any(t in block.text for t in TEMPLATE_OPENERS):
            text = "\n".join([self.flavor.raw[0], text, self.flavor.raw[1]])
        return text

    def image(self, alt: Words, link: str, kind: str) -> str:
        """The diagram in the post: Markdown's image, or Hexo's asset_img tag (which resolves
        the post's asset folder on every page that shows the post)."""
        text = self.prose(alt)
        if kind == "hexo-asset":
            if "'" in text or '"' in text:
                raise ValueError(f"an asset_img title cannot hold quotes: {text!r}")
            return f"{{% asset_img {link} '\"{text}\" \"{text}\"' %}}"  # title, then alt
        return f"![{text}]({link})"


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


def _writer_filter(method: str) -> Any:
    """A template filter handing its argument to the context's MathWriter (`prose`, `display`,
    `table`, `code`)."""

    @jinja2.pass_context
    def apply(context: Any, item: Any) -> str:
        return getattr(context["writer"], method)(item)

    return apply


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
    env.filters.update({method: _writer_filter(method) for method in ("prose", "display", "table", "code")})
    env.filters["quoted"] = _quoted
    return env


# ----------------------------------------------------------------------------------------------
# One network's posts
# ----------------------------------------------------------------------------------------------


class PostSource:
    """Everything a network's posts share, computed once: the exported code, the worked example
    (reproduced by that code), the diagram, one printer per set of printer settings, one `Post`
    per language. `code=False` leaves the code section out (and exports nothing)."""

    def __init__(self, derivation: Derivation, seed: int = 0, *, code: bool = True) -> None:
        self.derivation = derivation
        self.seed = seed
        # The general derivation shows its numbers, picture and code on its first concrete instance.
        self.concrete = derivation.instances[0] if derivation.general else derivation
        name = codes.shorthand(self.concrete.spec) if derivation.general else derivation.spec.name
        self.exported = codes.export(self.concrete.spec, name) if code else None
        self.example: WorkedExample = worked_example(self.concrete, seed,
                                                     None if self.exported is None else self.exported.module)
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
            self._posts[lang] = build_post(self.derivation, self.example, lang, self.exported)
        return self._posts[lang]

    def svg(self, marker: Marker | None) -> str:
        text = DeriveTextPrinter(self.concrete.printer_settings("text"))
        return diagrams.svg(self.diagram, text.doprint, None if marker is None else marker.text)

    def tikz(self, flavor: Flavor) -> str:
        printer = self.printer(flavor, concrete=True)
        opening, closing = flavor.inline
        return diagrams.tikz(self.diagram, lambda expr: f"{opening}{printer.doprint(expr)}{closing}")


@dataclass(frozen=True)
class Placement:
    """Where one post's files go, relative to the directory written, and how the post links its
    diagram: the flat layout of output/ (NET.PLATFORM.LANG.EXT and NET.svg side by side), or a
    site layout (`date` set, YYYY-MM-DD)."""

    post: str
    diagram: str | None
    link: str
    image: str
    date: str | None


def slug(net: str, lang: str) -> str:
    """A post's name in a site: the network's name, with the language after it but for English."""
    return net if lang == "en" else f"{net}-{lang}"


def placement(net: str, platform_name: str, lang: str, date: str | None = None) -> Placement:
    p = platform(platform_name)
    diagram = f"{net}.svg" if p.diagram == "file" else None
    if date is None:
        link = p.site.link.format(net=net) if p.diagram == "attachment" else (diagram or "")
        return Placement(f"{net}.{p.name}.{lang}{p.suffix}", diagram, link, "markdown", None)
    values = {"slug": slug(net, lang), "net": net, "date": date}
    layout = p.site
    return Placement(layout.post.format(**values), None if layout.diagram is None else layout.diagram.format(**values),
                     layout.link.format(**values), layout.image, date)


def file_names(net: str, platform_name: str, lang: str) -> tuple[str, str | None]:
    """(post file, diagram file or None) of one post in the flat layout."""
    where = placement(net, platform_name, lang)
    return where.post, where.diagram


def _source(net: str, platform_name: str, lang: str) -> str:
    return f"derive post {net} (platform {platform_name}, language {lang})"


def render_post(source: PostSource, platform_name: str, lang: str, date: str | None = None) -> dict[str, str]:
    """The files of one post, path -> text, each stamped with its generated-file marker; paths
    are those of the flat layout, or (with a `date`) of the platform's site layout."""
    p = platform(platform_name)
    language(lang)
    post = source.post(lang)
    writer = MathWriter(p.flavor, source.printer(p.flavor))
    where = placement(source.name, p.name, lang, date)
    marker = Marker.for_command(__version__, _source(source.name, p.name, lang))
    context = {
        "post": post,
        "writer": writer,
        "marker": marker.text,
        "date": date,
        "diagram": writer.image(post.diagram_alt, where.link, where.image) if p.diagram != "tikz" else "",
        "diagram_tikz": source.tikz(p.flavor) if p.diagram == "tikz" else "",
        "tex": TEX_LANGUAGE[lang],
        "code_template": p.code_template,
        # A notebook is cut into cells at these breaks; other platforms get nothing there.
        "cell": CELL_BREAK + "\n" if p.notebook else "",
    }
    text = environment(p.name == "latex").get_template(p.template).render(context)
    files: dict[str, str] = {}
    if p.notebook:
        text = notebook(text, marker, {f"{source.name}.svg": source.svg(None)})
    files[where.post] = marker.stamp(text)
    if where.diagram is not None:
        diagram_marker = Marker.for_command(__version__, f"derive post {source.name} (diagram of every Markdown post)")
        files[where.diagram] = diagram_marker.stamp(source.svg(diagram_marker))
    return files


def _cell(chunk: list[str], number: int, attachments: dict[str, str]) -> dict[str, Any]:
    """One notebook cell: a fenced Python block becomes a code cell, the rest Markdown."""
    identity = f"cell-{number:03d}"
    if chunk[0].rstrip("\n") == CODE_FENCE[0] and chunk[-1].strip() == CODE_FENCE[1]:
        lines = chunk[1:-1]
        if lines:
            lines[-1] = lines[-1].rstrip("\n")
        return {"cell_type": "code", "execution_count": None, "id": identity, "metadata": {}, "outputs": [],
                "source": lines}
    chunk[-1] = chunk[-1].rstrip("\n")
    cell: dict[str, Any] = {"cell_type": "markdown", "id": identity, "metadata": {}, "source": chunk}
    source = "".join(chunk)
    found = {name: body for name, body in attachments.items() if f"attachment:{name}" in source}
    if found:
        cell["attachments"] = {name: {"image/svg+xml": body.splitlines(keepends=True)}
                               for name, body in sorted(found.items())}
    return cell


def notebook(markdown: str, marker: Marker, attachments: dict[str, str]) -> str:
    """A valid nbformat 4.5 notebook, split into cells at CELL_BREAK lines: a cell that is one
    fenced Python block is a code cell, any other a Markdown cell; a cell that shows
    `attachment:NAME` carries that file as an attachment, so the notebook stands alone."""
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
        if chunk:
            cells.append(_cell(chunk, len(cells) + 1, attachments))
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
