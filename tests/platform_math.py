"""How each platform's engine sees the maths of a post: a small, independent model of each engine.

This is deliberately *not* derive's renderer run backwards: it follows the measured rules of
../shared/README.md (what Liquid, kramdown, goldmark passthrough, Nunjucks + marked, GitHub,
Jupyter and Python-Markdown with arithmatex do) and raises `PlatformError` wherever a post breaks
one of them. The formulas it returns are exactly the text the platform would hand to KaTeX.
Fenced code blocks are code, not maths, on every Markdown platform; a table is a paragraph whose
every line starts with `|`, and a formula in it must not hold a `|` (the row would split there).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass


class PlatformError(AssertionError):
    """The post breaks a rule of its platform's engine."""


@dataclass(frozen=True)
class Formula:
    tex: str
    display: bool


LIQUID_RAW = re.compile(r"\{% raw %\}(.*?)\{% endraw %\}", re.S)
FENCED_CODE = re.compile(r"^```python\n.*?\n```$", re.S | re.M)
#: The diagram of a post in a Jekyll site, linked through Liquid's relative_url filter.
JEKYLL_IMAGE = re.compile(r"^!\[[^\]\n]*\]\(\{\{ '[^'\n]*' \| relative_url \}\}\)$", re.M)
#: The diagram of a post in a Hexo site, from its asset folder.
HEXO_ASSET = re.compile(r"""^\{% asset_img [^ \n]+ '"[^"\n]*" "[^"\n]*"' %\}$""", re.M)
CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")


def _front_matter(text: str, fence: str) -> str:
    if not text.startswith(fence + "\n"):
        raise PlatformError(f"front matter must open with {fence!r}")
    end = text.index("\n" + fence + "\n", len(fence))
    return text[end + len(fence) + 2:]


def _unescaped(text: str, char: str) -> list[int]:
    return [m.start() for m in re.finditer(r"(?<!\\)" + re.escape(char), text)]


# -- Jekyll: Liquid first, then kramdown ------------------------------------------------------------


def _table(paragraph: str) -> bool:
    return all(line.startswith("|") for line in paragraph.splitlines())


def jekyll(text: str) -> list[Formula]:
    body = _front_matter(text, "---")
    body = JEKYLL_IMAGE.sub("", body)
    outside = LIQUID_RAW.sub("", body)
    for opener in ("{{", "{%"):
        if opener in outside:
            raise PlatformError(f"Liquid would read {opener!r} outside a raw block")
    body = LIQUID_RAW.sub(lambda m: m.group(1), body)
    body = FENCED_CODE.sub("", body)
    formulas: list[Formula] = []
    for paragraph in re.split(r"\n\s*\n", body):
        stripped = paragraph.strip()
        if _table(stripped):
            for match in re.finditer(r"\$\$(.+?)\$\$", stripped):
                if "|" in match.group(1):
                    raise PlatformError(f"a '|' in a formula splits the table row: {match.group(1)[:60]!r}")
                formulas.append(Formula(match.group(1).strip(), False))
            continue
        if "|" in stripped:
            raise PlatformError(f"kramdown turns a line with '|' into a table: {stripped[:80]!r}")
        if stripped.startswith("$$") and stripped.endswith("$$") and stripped.count("$$") == 2:
            formulas.append(Formula(stripped[2:-2].strip(), True))
            continue
        for match in re.finditer(r"\$\$(.+?)\$\$", stripped, re.S):
            formulas.append(Formula(match.group(1).strip(), False))
        rest = re.sub(r"\$\$(.+?)\$\$", "", stripped, flags=re.S)
        if _unescaped(rest, "$"):
            raise PlatformError(f"a single $ is not maths in kramdown: {stripped[:80]!r}")
    return formulas


# -- Hugo: goldmark with the passthrough extension ---------------------------------------------------


def _no_formula_in_tables(body: str, inline: re.Pattern) -> None:
    for paragraph in re.split(r"\n\s*\n", body):
        if _table(paragraph.strip()):
            for match in inline.finditer(paragraph):
                if "|" in match.group(1):
                    raise PlatformError(f"a '|' in a formula splits the table row: {match.group(1)[:60]!r}")


def hugo(text: str) -> list[Formula]:
    body = FENCED_CODE.sub("", _front_matter(text, "+++"))
    for span in re.findall(r"`[^`\n]*`", body):
        if "\\(" in span or "$$" in span:
            raise PlatformError(f"Hugo shows maths inside backticks as code: {span!r}")
    display = re.compile(r"^\$\$\n(.*?)\n\$\$$", re.S | re.M)
    positions = []
    for match in display.finditer(body):
        for line in match.group(1).split("\n"):
            if line.lstrip().startswith(("+ ", "- ", "* ")):
                raise PlatformError(f"goldmark reads this display line as a list item: {line!r}")
        positions.append((match.start(), Formula(match.group(1).strip(), True)))
    masked = display.sub(lambda m: "#" * len(m.group(0)), body)
    inline = re.compile(r"\\\((.+?)\\\)", re.S)
    _no_formula_in_tables(masked, inline)
    positions += [(m.start(), Formula(m.group(1).strip(), False)) for m in inline.finditer(masked)]
    return [f for _, f in sorted(positions, key=lambda p: p[0])]


# -- Hexo: Nunjucks tags first (raw blocks escaped from Markdown), then marked -----------------------


def hexo(text: str) -> list[Formula]:
    body = FENCED_CODE.sub("", HEXO_ASSET.sub("", _front_matter(text, "---")))
    outside = LIQUID_RAW.sub("", body)
    for opener in ("{{", "{%", "{#"):
        if opener in outside:
            raise PlatformError(f"Nunjucks would read {opener!r} outside a raw block")
    if _unescaped(outside, "$"):
        raise PlatformError("a formula outside {% raw %} is mangled by hexo-renderer-marked")
    formulas: list[Formula] = []
    for match in LIQUID_RAW.finditer(body):
        block = match.group(1)
        stripped = block.strip()
        if not stripped:
            continue  # a raw block that held a code listing
        if block.startswith("\n"):
            if not (stripped.startswith("$$") and stripped.endswith("$$") and stripped.count("$$") == 2):
                raise PlatformError(f"a display raw block must hold exactly one $$ formula: {stripped[:60]!r}")
            formulas.append(Formula(stripped[2:-2].strip(), True))
        else:
            if not (stripped.startswith("$") and stripped.endswith("$") and len(_unescaped(stripped, "$")) == 2):
                raise PlatformError(f"an inline raw block must hold exactly one $ formula: {stripped[:60]!r}")
            formulas.append(Formula(stripped[1:-1].strip(), False))
    return formulas


# -- GitHub: ```math fences and $`…`$ are taken out before Markdown ---------------------------------


def github(text: str) -> list[Formula]:
    fence = re.compile(r"^```math\n(.*?)\n```$", re.S | re.M)
    inline = re.compile(r"\$`(.+?)`\$", re.S)
    text = FENCED_CODE.sub("", text)
    positions = [(m.start(), Formula(m.group(1).strip(), True)) for m in fence.finditer(text)]
    masked = fence.sub(lambda m: "#" * len(m.group(0)), text)
    positions += [(m.start(), Formula(m.group(1).strip(), False)) for m in inline.finditer(masked)]
    if _unescaped(inline.sub("", masked), "$"):
        raise PlatformError("plain $…$ is fragile on GitHub: use $`…`$")
    return [f for _, f in sorted(positions, key=lambda p: p[0])]


# -- Jupyter: Markdown cells, $$…$$ and $…$ ----------------------------------------------------------


def jupyter(text: str) -> list[Formula]:
    notebook = json.loads(text)
    if notebook.get("nbformat") != 4:
        raise PlatformError("not an nbformat 4 notebook")
    formulas: list[Formula] = []
    for cell in notebook["cells"]:
        if cell["cell_type"] != "markdown":
            continue
        source = "".join(cell["source"])
        positions: list[tuple[int, Formula]] = []
        display = re.compile(r"\$\$(.+?)\$\$", re.S)
        for match in display.finditer(source):
            positions.append((match.start(), Formula(match.group(1).strip(), True)))
        masked = display.sub(lambda m: "#" * len(m.group(0)), source)
        for match in re.finditer(r"(?<!\\)\$(.+?)(?<!\\)\$", masked, re.S):
            positions.append((match.start(), Formula(match.group(1).strip(), False)))
        formulas += [f for _, f in sorted(positions, key=lambda p: p[0])]
    return formulas


# -- MkDocs: Python-Markdown with pymdownx.arithmatex (generic) ---------------------------------------


def mkdocs(text: str) -> list[Formula]:
    body = FENCED_CODE.sub("", _front_matter(text, "---"))
    display = re.compile(r"^\$\$\n(.*?)\n\$\$$", re.S | re.M)
    positions = [(m.start(), Formula(m.group(1).strip(), True)) for m in display.finditer(body)]
    masked = display.sub(lambda m: "#" * len(m.group(0)), body)
    inline = re.compile(r"\\\((.+?)\\\)", re.S)
    _no_formula_in_tables(masked, inline)
    positions += [(m.start(), Formula(m.group(1).strip(), False)) for m in inline.finditer(masked)]
    if _unescaped(inline.sub("", masked), "$"):
        raise PlatformError("arithmatex reads $…$ in words as maths: the words must hold no $")
    return [f for _, f in sorted(positions, key=lambda p: p[0])]


# -- LaTeX ----------------------------------------------------------------------------------------------


def latex(text: str, include_diagram: bool = True) -> list[Formula]:
    text = re.sub(r"\\begin\{Verbatim\}.*?\\end\{Verbatim\}", "", text, flags=re.S)  # code, not maths
    if not include_diagram:
        text = re.sub(r"\\begin\{tikzpicture\}.*?\\end\{tikzpicture\}", "", text, flags=re.S)
    positions: list[tuple[int, Formula]] = []
    for pattern, display in ((r"\\\[(.+?)\\\]", True), (r"(\\begin\{align\*\}.+?\\end\{align\*\})", True),
                             (r"\\\((.+?)\\\)", False)):
        for match in re.finditer(pattern, text, re.S):
            positions.append((match.start(), Formula(match.group(1).strip(), display)))
    return [f for _, f in sorted(positions, key=lambda p: p[0])]


EXTRACTORS = {"jekyll": jekyll, "hugo": hugo, "hexo": hexo, "github": github, "mkdocs": mkdocs, "jupyter": jupyter,
              "latex": latex}


def normalised(f: Formula) -> Formula:
    """The same formula as every platform should carry it: one line, aligned not align*."""
    tex = f.tex.replace(r"\begin{align*}", r"\begin{aligned}").replace(r"\end{align*}", r"\end{aligned}")
    return Formula(" ".join(tex.split()), f.display)


def outside_text(tex: str) -> str:
    r"""The formula without the contents of \text{…} (where Chinese is allowed)."""
    out, i = [], 0
    while i < len(tex):
        if tex.startswith(r"\text{", i):
            depth, i = 1, i + len(r"\text{")
            while i < len(tex) and depth:
                depth += {"{": 1, "}": -1}.get(tex[i], 0)
                i += 1
            continue
        out.append(tex[i])
        i += 1
    return "".join(out)
