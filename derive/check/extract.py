r"""Find every formula in a Markdown, LaTeX or reStructuredText post, and group them into the statements
it makes.

Formulas come in every form real posts use: `$…$` (also broken across lines), `$$…$$` (display,
or inline the kramdown way, several on one line, with blank lines inside), `\(…\)`, `\[…\]`,
math in backticks (`` `$…$` ``, `` `$$ … $$` ``) and GitHub's `` $`…`$ `` and ```` ```math ````,
MyST's ```` ```{math} ```` directive and `` {math}`…` `` role (and the Markdown inside its other
directives, ```` ```{note} ````), top-level `equation`/`align`/`eqnarray` environments; inside them `aligned`, `align*`,
`eqnarray` with `&=&` and `\tag{…}`, `\left\{ \begin{align*} … \end{align*} \right.` systems.
Sphinx's `.. math::` directive (each paragraph a formula) and `:math:` role in reStructuredText.
Hexo's doubled backslashes (`\\\\` for a row break) and Markdown's escaped `\_` are undone.
Code blocks, code spans and comments are skipped, except the notation blocks they may hold.

Every character of a formula keeps its offset in the file (`Src`), so a report can give the line
and column of anything the parser points at, even after rows are joined into one `=` chain.

A statement is one `=` chain. Rows of an aligned environment that start with `=` (or `&=`)
continue the chain of the row before; a row with no relation at all continues the row before's
last expression; a display block that starts with `=`, or that holds only an expression and
directly follows another display block, continues that block's last chain.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field, replace
from functools import lru_cache

from ..errors import DeriveError
from .lexer import CMD, OP, RELATIONS, Token, tokenize_leniently


@dataclass(frozen=True)
class Src:
    """Text with the file offset of each character (and one past the end)."""

    text: str
    offsets: tuple[int, ...]

    @staticmethod
    def of(text: str, start: int) -> "Src":
        return Src(text, tuple(range(start, start + len(text) + 1)))

    def __getitem__(self, key: slice) -> "Src":
        start, stop, _ = key.indices(len(self.text))
        return Src(self.text[start:stop], self.offsets[start:stop] + (self.offsets[stop] if stop < len(self.offsets) else self.offsets[-1],))

    def __add__(self, other: "Src") -> "Src":
        return Src(self.text + other.text, self.offsets[:-1] + other.offsets)

    def offset(self, pos: int) -> int:
        return self.offsets[max(0, min(pos, len(self.offsets) - 1))]

    def sub(self, pattern: str, repl: str) -> "Src":
        """Replace matches of a regex, each replacement character taking the match's offset."""
        text, offsets = [], []
        last = 0
        for m in re.finditer(pattern, self.text):
            text.append(self.text[last:m.start()])
            offsets.extend(self.offsets[last:m.start()])
            text.append(repl)
            offsets.extend([self.offsets[m.start()]] * len(repl))
            last = m.end()
        text.append(self.text[last:])
        offsets.extend(self.offsets[last:])
        offsets.append(self.offsets[-1])
        return Src("".join(text), tuple(offsets))

    def strip(self) -> "Src":
        start = len(self.text) - len(self.text.lstrip())
        stop = len(self.text.rstrip())
        return self[start:max(start, stop)]

    @staticmethod
    def synthetic(text: str, at: int) -> "Src":
        return Src(text, tuple([at] * (len(text) + 1)))


@dataclass(frozen=True)
class Math:
    src: Src
    display: bool
    start: int  # file offset of the opening delimiter
    end: int  # file offset after the closing delimiter


@dataclass(frozen=True)
class Statement:
    src: Src
    display: bool
    condition: str = ""  # a condition the sentence before states for it: "If $k = y_i$,"
    too_long: bool = False  # longer than MAX_FORMULA_CHARS: src holds its beginning, it is not checked
    #: A conditional statement's parts share a group: its hypotheses ("if a^L = y", "a^L = y ⇒ …", either
    #: side of ⇔), which the post does not assert, and what it says holds under them.
    group: tuple[int, int] | None = None
    hypothesis: bool = False
    #: Said to hold under a condition in words: "… when the cost is cross-entropy", "If the output is
    #: linear, …" (a network derive is not told of, or a special case).
    worded_condition: bool = False

    def grown(self, more: Src, joint: str) -> "Statement":
        """This statement continued by more (a row or display block that carries on its chain)."""
        if self.too_long or len(self.src.text) + len(joint) + len(more.text) > MAX_FORMULA_CHARS:
            return Statement(self.src[:MAX_FORMULA_CHARS], True, too_long=True)
        return Statement(self.src + Src.synthetic(joint, more.offset(0)) + more, True)


@dataclass
class Document:
    text: str
    kind: str  # "markdown" | "latex" | "rst"
    maths: list[Math] = field(default_factory=list)
    notation_blocks: list[tuple[str, str, int]] = field(default_factory=list)  # (format, text, offset)
    line_starts: list[int] = field(default_factory=list)
    max_formulas: int | None = None

    def add(self, math: Math) -> None:
        """One more formula; more than max_formulas is refused as soon as it is found."""
        if self.max_formulas is not None and len(self.maths) >= self.max_formulas:
            raise DeriveError(f"the post has more than {self.max_formulas:,} formulas, the limit of one check "
                              "(split the post)")
        self.maths.append(math)

    def line_col(self, offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(self.line_starts, offset) - 1
        return line + 1, offset - self.line_starts[line] + 1


DISPLAY_ENVIRONMENTS = ("equation", "equation*", "align", "align*", "eqnarray", "eqnarray*", "gather", "gather*",
                        "multline", "multline*", "displaymath", "flalign", "flalign*", "alignat", "alignat*", "math")
ROW_ENVIRONMENTS = DISPLAY_ENVIRONMENTS + ("aligned", "split", "gathered", "alignedat")
SKIP_ENVIRONMENTS = ("verbatim", "lstlisting", "minted", "comment")
NOTATION_MARK = "derive-notation"


#: Math exported HTML-escaped (`a &amp;= b`, `0 &lt; x`): each entity becomes its character padded
#: with spaces to the same length, so that columns stay those of the file.
HTML_ENTITIES = re.compile(r"&(amp|lt|gt);")
_ENTITY_CHAR = {"amp": "&", "lt": "<", "gt": ">"}


def read_document(text: str, kind: str, max_formulas: int | None = None) -> Document:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = HTML_ENTITIES.sub(lambda m: _ENTITY_CHAR[m.group(1)].ljust(len(m.group(0))), text)
    doc = Document(text, kind, max_formulas=max_formulas)
    doc.line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
    if kind == "latex":
        _scan_latex(doc)
    elif kind == "rst":
        _scan_rst(doc)
    else:
        _scan_markdown(doc)
    return doc


# ----------------------------------------------------------------------------------------------
# Scanning in linear time
# ----------------------------------------------------------------------------------------------


class Finder:
    """`text.find` with a memory, for scanners that only move forward: the first `needle` at or
    after `start` is the one found last time unless that lies before `start`, so an opening
    delimiter that is never closed costs one search, not one per occurrence (200,000 × `\\(`)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.last: dict[str, tuple[int, int]] = {}  # needle -> (searched from, found at or -1)

    def find(self, needle: str, start: int) -> int:
        known = self.last.get(needle)
        if known is not None and known[0] <= start and (known[1] < 0 or known[1] >= start):
            return known[1]
        found = self.text.find(needle, start)
        self.last[needle] = (start, found)
        return found

    def find_unescaped(self, needle: str, start: int) -> int:
        """The first needle at or after start not preceded by a backslash."""
        while True:
            k = self.find(needle, start)
            if k <= 0 or self.text[k - 1] != "\\":
                return k
            start = k + 1


class SingleDollars:
    """Pandoc's rule for `$…$`: `$` opens when a non-space follows and closes when a non-space
    precedes it and no digit follows; math never spans a blank line. The closers and the blank
    lines are found once, then each opener is a binary search (40 KB of `$1` is linear).
    `$ x $` with spaces inside is read as MathJax and KaTeX read it (see spaced_end)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.closers = [m.start() for m in re.finditer(r"(?<=[^\s\\])\$(?![0-9])", text)]
        # (newline, next newline) pairs with only spaces, tabs or > between them: blank lines
        self.blank_starts: list[int] = []
        self.blank_ends: list[int] = []
        for m in re.finditer(r"\n(?=([ \t>]*)\n)", text):
            self.blank_starts.append(m.start())
            self.blank_ends.append(m.end() + len(m.group(1)))
        self.newlines = [m.start() for m in re.finditer("\n", text)]

    def end(self, i: int) -> int | None:
        """Where the `$` opening at i closes, or None when it opens nothing."""
        text = self.text
        if i > 0 and text[i - 1] == "\\":
            return None
        if i + 1 < len(text) and text[i + 1] in " \t":
            return self.spaced_end(i)
        if i + 1 >= len(text) or text[i + 1].isspace() or text[i + 1] == "$":
            return None
        k = bisect.bisect_left(self.closers, i + 1)
        return self.closers[k] if k < len(self.closers) else None

    def spaced_end(self, i: int) -> int | None:
        """`$ x $` with spaces inside: closed by the next `$` on the same line, when what it holds is
        maths (a command, a script or a relation), not prices. Each search stops at that `$`."""
        text = self.text
        k = bisect.bisect_left(self.newlines, i)
        line_end = self.newlines[k] if k < len(self.newlines) else len(text)
        k = text.find("$", i + 1, line_end)
        while k >= 0 and text[k - 1] == "\\":
            k = text.find("$", k + 1, line_end)
        if k < 0 or (k + 1 < len(text) and text[k + 1] == "$"):
            return None
        body = text[i + 1:k].strip()
        return k if body and any(mark in body for mark in ("\\", "^", "_", "=")) else None

    def blank_between(self, start: int, end: int) -> bool:
        k = bisect.bisect_left(self.blank_starts, start)
        return k < len(self.blank_starts) and self.blank_ends[k] < end


# ----------------------------------------------------------------------------------------------
# Markdown
# ----------------------------------------------------------------------------------------------

FENCE = re.compile(r"^[ \t>]*(`{3,}|~{3,})[ \t]*([^\n`]*)$", re.M)
#: A MyST directive's fence (```{note}, ```{admonition} Title): its body is Markdown, except for these.
MARKDOWN_DIRECTIVE = re.compile(r"\{([A-Za-z][\w:-]*)\}(?:[ \t].*)?")
NOT_MARKDOWN = frozenset({"math", "code", "code-block", "code-cell", "sourcecode", "literalinclude", "raw", "include",
                          "eval-rst", "eval-md", "mermaid", "graphviz", "csv-table", "toctree", "bibliography", "glue"})
#: The options that open a MyST directive's body (:label: eq-forward).
DIRECTIVE_OPTIONS = re.compile(r"(?:[ \t]*:[A-Za-z][\w-]*:[^\n]*\n)*")
RAW_TAG = re.compile(r"\{%-?\s*(?:raw|endraw)\s*-?%\}")


#: Where something can start: the scanner jumps over plain text to the next of these.
MARKDOWN_SPECIAL = re.compile(r"[\n<{\\\\`$]")
BEGIN = re.compile(r"\\begin\{([a-zA-Z*]+)\}")
#: What may precede `$$` on its line for the formula to be displayed: blanks, a quote's >, raw tags.
DISPLAY_PREFIX = re.compile(r"(?:\s|" + RAW_TAG.pattern + r")*(?:>(?:\s|" + RAW_TAG.pattern + r")*)?")


def _scan_markdown(doc: Document) -> None:
    text = doc.text
    i = _front_matter(doc)
    n = len(text)
    finder = Finder(text)
    dollars = SingleDollars(text)
    directives: list[str] = []  # the fences of the MyST directives open around i, whose bodies are Markdown
    while i < n:
        at_line_start = i == 0 or text[i - 1] == "\n"
        if at_line_start:
            m = FENCE.match(text, i)
            if m:
                fence, info = m.group(1), m.group(2).strip()
                if directives and not info and fence[0] == directives[-1][0] and len(fence) >= len(directives[-1]):
                    directives.pop()  # the directive's closing fence
                    i = m.end()
                    continue
                if MARKDOWN_DIRECTIVE.fullmatch(info) and MARKDOWN_DIRECTIVE.fullmatch(info).group(1) not in NOT_MARKDOWN:
                    directives.append(fence)  # ```{note}: its body is read on as Markdown
                    i = m.end()
                    continue
                i = _fenced_block(doc, m)
                continue
        ch = text[i]
        if ch not in "<{\\`$":
            m = MARKDOWN_SPECIAL.search(text, i)  # text[i] may itself be a newline
            i = (m.start() + 1 if m.group() == "\n" else m.start()) if m else n
            continue
        if text.startswith("<!--", i):
            end = finder.find("-->", i + 4)
            end = n if end < 0 else end
            body = text[i + 4:end]
            if body.lstrip().startswith(NOTATION_MARK):
                start = i + 4 + body.find(NOTATION_MARK) + len(NOTATION_MARK)
                doc.notation_blocks.append(("toml", text[start:end], start))
            i = end + 3
            continue
        m = RAW_TAG.match(text, i)
        if m:
            i = m.end()
            continue
        if ch == "\\":
            if text.startswith("\\[", i) or text.startswith("\\(", i):
                close = "\\]" if text[i + 1] == "[" else "\\)"
                end = finder.find(close, i + 2)
                if end < 0:
                    i += 2
                    continue
                doc.add(Math(_markdown_math(text[i + 2:end], i + 2), text[i + 1] == "[", i, end + 2))
                i = end + 2
                continue
            m = BEGIN.match(text, i)
            if m and m.group(1) in DISPLAY_ENVIRONMENTS:
                end_tag = f"\\end{{{m.group(1)}}}"
                end = finder.find(end_tag, i)
                if end >= 0:
                    end += len(end_tag)
                    doc.add(Math(_markdown_math(text[i:end], i), True, i, end))
                    i = end
                    continue
            i += 2  # an escaped character: \$ is a dollar
            continue
        if ch == "`":
            i = _code_span(doc, i, finder)
            continue
        if ch == "$":
            if text.startswith("$`", i):  # GitHub: $`…`$
                end = finder.find("`$", i + 2)
                if end >= 0:
                    doc.add(Math(_markdown_math(text[i + 2:end], i + 2), False, i, end + 2))
                    i = end + 2
                    continue
            if text.startswith("$$", i):
                end = finder.find_unescaped("$$", i + 2)
                if end < 0:
                    i += 2
                    continue
                line_start = doc.line_starts[bisect.bisect_right(doc.line_starts, i) - 1]
                display = DISPLAY_PREFIX.fullmatch(text, line_start, i) is not None
                doc.add(Math(_markdown_math(text[i + 2:end], i + 2), display, i, end + 2))
                i = end + 2
                continue
            end = dollars.end(i)
            if end is not None and not dollars.blank_between(i + 1, end):
                doc.add(Math(_markdown_math(text[i + 1:end], i + 1), False, i, end + 1))
                i = end + 1
                continue
            i += 1
            continue
        i += 1


def _front_matter(doc: Document) -> int:
    text = doc.text
    for mark, fmt in (("---", "yaml"), ("+++", "toml")):
        if text.startswith(mark + "\n"):
            end = text.find("\n" + mark, len(mark))
            if end < 0:
                return 0
            body = text[len(mark) + 1:end + 1]
            doc.notation_blocks.append((f"front-{fmt}", body, len(mark) + 1))
            close = text.find("\n", end + 1)
            return len(text) if close < 0 else close + 1
    return 0


def _fenced_block(doc: Document, m: re.Match) -> int:
    text = doc.text
    fence, info = m.group(1), m.group(2).strip()
    body_start = m.end() + 1
    close = re.compile(r"^[ \t>]*" + re.escape(fence[0]) + "{" + str(len(fence)) + r",}[ \t]*$", re.M)
    cm = close.search(text, body_start)
    body_end = cm.start() if cm else len(text)
    after = cm.end() if cm else len(text)
    body = text[body_start:body_end] if body_start <= body_end else ""
    words = info.split()
    if words and words[0] == "{math}":  # MyST's math directive: options first
        options = DIRECTIVE_OPTIONS.match(body).end()
        doc.add(Math(_markdown_math(body[options:], body_start + options), True, m.start(), after))
    elif words and words[0] == "math":
        doc.add(Math(_markdown_math(body, body_start), True, m.start(), after))
    elif NOTATION_MARK in words:
        doc.notation_blocks.append(("toml", body, body_start))
    return after + 1


BACKTICKS = re.compile(r"`+")


def _code_span(doc: Document, i: int, finder: Finder) -> int:
    """A code span: skipped, unless it wraps math (`$…$`, `$$…$$`) or is GitHub's $`…`$."""
    text = doc.text
    run = BACKTICKS.match(text, i).end() - i
    ticks = "`" * run
    end = finder.find(ticks, i + run)
    while end >= 0 and text.startswith("`", end + run):
        end = finder.find(ticks, BACKTICKS.match(text, end).end())
    if end < 0:
        return i + run
    body = text[i + run:end]
    after = end + run
    stripped = body.strip()
    lead = i + run + (len(body) - len(body.lstrip()))
    if i > 0 and text[i - 1] == "$" and text.startswith("$", after):
        doc.add(Math(_markdown_math(body, i + run), False, i - 1, after + 1))
        return after + 1
    if text.endswith("{math}", 0, i):  # MyST's math role: {math}`…`
        doc.add(Math(_markdown_math(body, i + run), False, i - len("{math}"), after))
        return after
    if stripped.startswith("$$") and stripped.endswith("$$") and len(stripped) > 4:
        doc.add(Math(_markdown_math(stripped[2:-2], lead + 2), True, i, after))
    elif stripped.startswith("$") and stripped.endswith("$") and len(stripped) > 2:
        doc.add(Math(_markdown_math(stripped[1:-1], lead + 1), False, i, after))
    return after


def _markdown_math(body: str, start: int) -> Src:
    src = Src.of(body, start)
    if "\\\\\\\\" in body:  # Hexo: \\\\ is a row break \\
        src = src.sub(r"\\\\\\\\", "\\\\")
    src = src.sub(r"\\([_*])", r"\1")  # Markdown-escaped _ and *
    src = src.sub(RAW_TAG.pattern, " ")
    return src


# ----------------------------------------------------------------------------------------------
# reStructuredText
# ----------------------------------------------------------------------------------------------


#: A directive or comment line: `.. math::`, `.. code-block:: python`, `.. note::`, `.. derive-notation`.
RST_EXPLICIT = re.compile(r"^([ \t]*)\.\.(?:[ \t]+(?:([A-Za-z][\w-]*)::|(derive-notation)\b)?[ \t]*(.*))?$")
#: Directives whose body is not prose: skipped like a code block.
RST_LITERAL = frozenset({"code", "code-block", "sourcecode", "literalinclude", "raw", "include", "doctest",
                         "testcode", "testoutput", "ipython", "jupyter-execute", "highlight", "parsed-literal"})
RST_OPTION = re.compile(r"[ \t]*:[\w-]+:")
RST_ROLE = re.compile(r":math:`((?:[^`\n]|\n(?![ \t]*\n))+)`")  # within its paragraph


def _scan_rst(doc: Document) -> None:
    """Sphinx's reStructuredText: every blank-line-separated paragraph of a `.. math::` directive
    (and the directive's argument) is a display formula, `:math:`…`` an inline one (also over
    several lines of its paragraph); code blocks (`::` literal blocks, `.. code-block::`), comments
    and their indented bodies are skipped, except a `.. derive-notation` comment, whose body is the
    post's notation map."""
    text, starts = doc.text, doc.line_starts
    lines = text.split("\n")
    prose = 0  # where the prose not yet searched for roles starts
    k = 0
    while k < len(lines):
        line = lines[k]
        m = RST_EXPLICIT.match(line)
        literal = line.rstrip().endswith("::") and m is None
        if m is None and not literal or m is not None and m.group(2) and m.group(2) != "math" \
                and m.group(2) not in RST_LITERAL:
            k += 1  # prose, or `.. note::` and other directives that hold prose and maths: read on inside
            continue
        indent = len(line) - len(line.lstrip()) if m is None else len(m.group(1))
        end = k + 1  # the body: the lines after, blank or indented deeper
        while end < len(lines) and (not lines[end].strip() or len(lines[end]) - len(lines[end].lstrip()) > indent):
            end += 1
        body_start = starts[k + 1] if k + 1 < len(starts) else len(text)
        body_end = starts[end] - 1 if end < len(starts) else len(text)
        _rst_roles(doc, prose, body_start if literal else starts[k])  # a literal block's paragraph is prose
        prose = body_end
        if m is not None and m.group(3):
            doc.notation_blocks.append(("toml", text[body_start:body_end], body_start))
        elif m is not None and m.group(2) == "math":
            _rst_math(doc, k, m, end)
        k = end
    _rst_roles(doc, prose, len(text))


def _rst_roles(doc: Document, start: int, stop: int) -> None:
    """The `:math:` roles of the prose between start and stop."""
    for role in RST_ROLE.finditer(doc.text, start, stop):
        doc.add(Math(_markdown_math(role.group(1), role.start(1)), False, role.start(), role.end()))


def _rst_math(doc: Document, k: int, m: re.Match, end: int) -> None:
    """The formulas of a `.. math::` directive on line k, whose body ends before line `end`."""
    text, starts = doc.text, doc.line_starts
    lines = text.split("\n")
    blocks: list[tuple[int, int]] = []  # line ranges of the paragraphs
    if (m.group(4) or "").strip():
        blocks.append((k, k + 1))
    first = k + 1
    while first < end and RST_OPTION.match(lines[first]):  # :label: eq-delta, :nowrap:
        first += 1
    run = None
    for n in range(first, end + 1):
        if n < end and lines[n].strip():
            run = n if run is None else run
        elif run is not None:
            blocks.append((run, n))
            run = None
    for lo, hi in blocks:
        start = starts[k] + m.start(4) if lo == k else starts[lo]
        stop = starts[hi] - 1 if hi < len(starts) else len(text)
        doc.add(Math(_markdown_math(text[start:stop], start), True, start, stop))


# ----------------------------------------------------------------------------------------------
# LaTeX
# ----------------------------------------------------------------------------------------------


LATEX_SPECIAL = re.compile(r"[\\\\$]")


def _scan_latex(doc: Document) -> None:
    text = doc.text
    _latex_notation_blocks(doc)
    # Comments become blanks, offsets unchanged.
    cleaned = re.sub(r"(?<!\\)%[^\n]*", lambda m: " " * len(m.group(0)), text)
    finder = Finder(cleaned)
    begin = cleaned.find("\\begin{document}")
    i = begin + len("\\begin{document}") if begin >= 0 else 0
    n = len(cleaned)
    while i < n:
        ch = cleaned[i]
        if ch not in "\\$":
            m = LATEX_SPECIAL.search(cleaned, i)
            i = m.start() if m else n
            continue
        if ch == "\\":
            if cleaned.startswith("\\[", i) or cleaned.startswith("\\(", i):
                close = "\\]" if cleaned[i + 1] == "[" else "\\)"
                end = finder.find(close, i + 2)
                if end < 0:
                    i += 2
                    continue
                doc.add(Math(Src.of(cleaned[i + 2:end], i + 2), cleaned[i + 1] == "[", i, end + 2))
                i = end + 2
                continue
            m = BEGIN.match(cleaned, i)
            if m:
                env = m.group(1)
                if env in SKIP_ENVIRONMENTS or env in DISPLAY_ENVIRONMENTS:
                    end_tag = f"\\end{{{env}}}"
                    end = finder.find(end_tag, i)
                    if env in SKIP_ENVIRONMENTS and end >= 0:
                        i = end + len(end_tag)
                        continue
                    if env in DISPLAY_ENVIRONMENTS and end >= 0:
                        end += len(end_tag)
                        doc.add(Math(Src.of(cleaned[i:end], i), True, i, end))
                        i = end
                        continue
                i += len(m.group(0))
                continue
            i += 2
            continue
        delimiter = "$$" if cleaned.startswith("$$", i) else "$"  # $$…$$ displays, $…$ inline
        width = len(delimiter)
        end = finder.find_unescaped(delimiter, i + width)
        if end < 0:
            i += width
            continue
        doc.add(Math(Src.of(cleaned[i + width:end], i + width), delimiter == "$$", i, end + width))
        i = end + width


def _latex_notation_blocks(doc: Document) -> None:
    """% derive-notation, then TOML on the following comment lines, up to a non-comment line."""
    lines = doc.text.split("\n")
    offset = 0
    collecting: list[str] | None = None
    start = 0
    for line in lines:
        stripped = line.strip()
        if collecting is not None:
            if stripped.startswith("%") and stripped.lstrip("%").strip() != "end":
                collecting.append(stripped.lstrip("%"))
            else:
                doc.notation_blocks.append(("toml", "\n".join(collecting), start))
                collecting = None
        elif stripped.startswith("%") and stripped.lstrip("%").strip().startswith(NOTATION_MARK):
            collecting = []
            start = offset + len(line) + 1
        offset += len(line) + 1
    if collecting is not None:
        doc.notation_blocks.append(("toml", "\n".join(collecting), start))


# ----------------------------------------------------------------------------------------------
# From formulas to statements
# ----------------------------------------------------------------------------------------------

#: The longest formula (or chain of rows and display blocks) that is read: the generated posts'
#: longest is 641 characters. Longer ones are reported not checked, without being parsed.
MAX_FORMULA_CHARS = 2_000

SPACING = re.compile(r"\s*\[[^\]]*\]")  # \\[2pt] after a row break
ENV_MARK = re.compile(r"\\(begin|end)\{([a-zA-Z*]+)\}")
#: An index range qualifying a formula: j = 1, \ldots, n; l = 1, 2, …, L.
RANGE = re.compile(r"\s*(?:\\text\{[^}]*\}\s*)?[a-z]\s*(?:=|\\in)\s*[^=]*(?:\\[lc]?dots|…)[^=]*$")
SEPARATOR = re.compile(r"\\(?:quad|qquad|text|mbox|textrm|intertext|textbf|textit)\b|\\(?:Rightarrow|implies|iff|Longrightarrow|"
                       r"Leftrightarrow|Longleftrightarrow|therefore|because)(?![A-Za-z])")


def statements(doc: Document, max_claims: int | None = None) -> tuple[list[Statement], int]:
    """The statements of a document, and how many formulas hold no claim (a symbol in a sentence).
    A formula longer than MAX_FORMULA_CHARS becomes one statement marked too long, unread. With
    max_claims, a document asking more checks than that is refused as soon as that is known."""
    out: list[Statement] = []
    mentions = 0
    previous_display_end: int | None = None
    settled = 0  # statements of out that no later formula can continue: all but the last
    first_of_previous = 0  # where the statements of the formula before start in out
    worded = False  # whether the formula before is said to hold under a condition in words
    pending: tuple[int, int] | None = None  # the group of a hypothesis in prose ("if $a^L = y$,") the next formula joins
    asked = 0  # the claims of those
    condition = ""
    for n, math in enumerate(doc.maths):
        while settled < len(out) - 1:
            asked += claims(out[settled])
            settled += 1
        if max_claims is not None and asked > max_claims:
            raise too_many_claims(max_claims)
        if len(math.src.text) > MAX_FORMULA_CHARS:
            out.append(Statement(math.src[:MAX_FORMULA_CHARS], math.display, too_long=True))
            previous_display_end = None
            condition = "" if math.display else condition
            continue
        if _states_condition(doc, n):
            condition = math.src.text.strip()  # "If $k = y_i$," : a condition on the block that follows
            mentions += 1
            continue
        pieces = _pieces(math.src)
        found = _assemble(pieces)
        if not found:
            continue
        hypotheses, rows = _hypotheses(doc.text, math, pieces)
        starts = [p.offset(0) for row in pieces for p in row]
        in_prose = _prose_hypothesis(doc, n)
        if in_prose:  # "… when $a^L = y$": this formula, and the one before it in its sentence
            hypotheses, rows = set(starts), {start: (-1, n) for start in starts}
            if n > 0 and _same_sentence(doc, n - 1, n):
                out[first_of_previous:] = [replace(st, group=(-1, n)) for st in out[first_of_previous:]]
        elif pending is not None and _same_sentence(doc, n - 1, n):  # "If $a^L = y$, then $\delta^L = 0$."
            rows = {start: pending for start in starts}
        pending = (-1, n) if in_prose else None
        first_of_previous = len(out)
        # a condition in words holds for the formulas of its sentence: "With the cross-entropy cost,
        # $C = …$, σ′ cancels: $$δ^L = a^L − y$$"
        worded = _worded_condition(doc, n) or (worded and _same_sentence(doc, n - 1, n))
        if math.display and out and out[-1].display and previous_display_end is not None:
            gap = RAW_TAG.sub("", doc.text[previous_display_end:math.start])
            first = found[0]
            if _starts_with_relation(first):
                previous = out[-1]
                trailing = TRAILING_EQUALS.search(previous.src.text)
                if trailing and not previous.too_long and first.text.lstrip().startswith(("=", "&")):
                    # "… =" then "= …": one relation, not two
                    previous = Statement(previous.src[:trailing.start()], previous.display)
                out[-1] = previous.grown(first, " ")
                found = found[1:]
            elif len(found) == 1 and not _has_relation(first) and gap.strip() == "" and _has_relation(out[-1].src):
                out[-1] = out[-1].grown(first, " = ")
                found = []
        for piece in found:
            if (not math.display and not _has_relation(piece)) or RANGE.match(piece.text):
                mentions += 1  # a symbol named in a sentence; j = 1, …, n qualifies a formula
                continue
            start = piece.offset(0)
            out.append(Statement(piece, math.display, condition if math.display else "", group=rows.get(start),
                                 hypothesis=start in hypotheses, worded_condition=worded))
        if math.display:
            previous_display_end = math.end
            condition = ""
    return out, mentions


#: Separators that make the piece before them a hypothesis (P ⇒ Q), or both sides hypotheses (P ⇔ Q).
IMPLIES = re.compile(r"\\(?:implies|Rightarrow|Longrightarrow)(?![A-Za-z])|⇒|⟹")
IFF = re.compile(r"\\(?:iff|Leftrightarrow|Longleftrightarrow)(?![A-Za-z])|⇔|⟺")
#: Words that make what follows them a hypothesis: in a formula's prose (\text{if }), in a sentence ("when $…$").
HYPOTHESIS_WORDS = r"(?:\b(?:if|when|whenever|provided(?: that)?|assuming(?: that)?|given that|iff|unless|only if)|若|如果|假如|当)"
TEXT_HYPOTHESIS = re.compile(r"\\(?:text|mbox|textrm|textbf|textit)\s*\{[^{}]*?" + HYPOTHESIS_WORDS[:-1]
                             + r"|\bfor)\s*\}\s*$", re.IGNORECASE)
PROSE_HYPOTHESIS = re.compile(HYPOTHESIS_WORDS + r"\s*$", re.IGNORECASE)
ROW_BREAK = re.compile(r"\\\\|\\cr(?![A-Za-z])")
#: The end of a sentence between two formulas (or a blank line, or a display's own line).
SENTENCE_END = re.compile(r"[.!?。！？](?:\s|$)|\n[ \t]*\n")


def _hypotheses(text: str, math: Math, rows: list[list[Src]]) -> tuple[set[int], dict[int, tuple[int, int]]]:
    """The pieces of a formula that are hypotheses (by their start offsets), and for each piece of a
    row that holds one, the group of that row: (formula start, row)."""
    pieces = [p for row in rows for p in row if p.text.strip()]
    hypotheses: set[int] = set()
    row_of: dict[int, int] = {}
    row = 0
    previous_end = math.src.offset(0)
    ends = [p.offset(len(p.text)) for p in pieces]
    for k, piece in enumerate(pieces):
        start = piece.offset(0)
        before = text[previous_end:start] if previous_end <= start else ""
        if ROW_BREAK.search(before):
            row += 1
        before = ROW_BREAK.split(before)[-1]
        after_end = pieces[k + 1].offset(0) if k + 1 < len(pieces) else math.src.offset(len(math.src.text))
        after = ROW_BREAK.split(text[ends[k]:after_end] if ends[k] <= after_end else "")[0]
        if TEXT_HYPOTHESIS.search(before) or IFF.search(before) or IMPLIES.search(after) or IFF.search(after):
            hypotheses.add(start)
        row_of[start] = row
        previous_end = ends[k]
    conditional = {row_of[h] for h in hypotheses}
    return hypotheses, {start: (math.start, r) for start, r in row_of.items() if r in conditional}


def _prose_hypothesis(doc: Document, n: int) -> bool:
    """Whether the sentence makes formula n a hypothesis: "… when $a^L = y$", "If $a^L = y$, then …"
    (a condition on indices before a display, "If $k = y_i$,", is read as such before this is asked)."""
    math = doc.maths[n]
    line_start = doc.line_starts[bisect.bisect_right(doc.line_starts, math.start) - 1]
    return PROSE_HYPOTHESIS.search(doc.text, max(line_start, math.start - CONDITION_LOOKBACK), math.start) is not None


def _same_sentence(doc: Document, a: int, b: int) -> bool:
    """Whether formulas a and b (a before b) are in one sentence: no sentence end between them (a
    display after "If $a^L = y$, the error vanishes:" is in its sentence, blank line and all)."""
    gap = doc.text[doc.maths[a].end:doc.maths[b].start]
    if doc.maths[b].display:
        gap = gap.rstrip()
    return len(gap) <= CONDITION_LOOKBACK * 2 and not SENTENCE_END.search(gap)


#: Words after a formula that make it conditional ("… when the cost is cross-entropy").
WORDED_AFTER = re.compile(r"[ \t]*,?[ \t]*(?:if|when|whenever|provided|assuming|unless|only if|iff)\s+[A-Za-z]",
                          re.IGNORECASE)
#: A sentence that opens with a condition in words before its formula ("If the cost is cross-entropy,",
#: "With a softmax output,") and goes on to the formula without another formula or a sentence end.
WORDED_BEFORE = re.compile(r"(?:^|[.!?。][*_]*\s+)[ \t*_>]*((?:if|when|whenever|assuming|provided|unless|for|with|using|under)"
                           r"\b[^$\\.!?,\n]*),[^$\\.!?。]*\Z", re.IGNORECASE | re.MULTILINE)
#: What makes such a clause a condition on the network: its cost or activations ("for", "with", "using",
#: "under", and an "if" or "when" about what we do, "When training,", need one of these).
NETWORK_WORDS = re.compile(r"\b(?:cost|loss|entropy|quadratic|squared|mse|activations?|sigmoids?|logistic|tanh|relu|"
                           r"softmax|linear|identity)\b", re.IGNORECASE)
#: A clause about what we do, not about the network: "If we stack …", "When training,".
PROCEDURAL = re.compile(r"(?:if|when|whenever)\s+(?:we|you|i|one|\w+ing)\b|(?:for|with|using|under)\b", re.IGNORECASE)


#: A condition that names a slip ("If one forgets the gate, one gets …"): the formula is the slip's
#: result, shown as such, and judged.
SLIP = re.compile(r"forg[eo]t|omit|drop|mistak|wrong|bug|incorrect|slip|\bmiss|instead|错", re.IGNORECASE)


def _worded_condition(doc: Document, n: int) -> bool:
    """Whether formula n is said to hold under a condition in words, right after it or opening its sentence."""
    math = doc.maths[n]
    m = WORDED_AFTER.match(doc.text, math.end)
    if m:
        clause = doc.text[math.end:doc.text.find("\n", math.end) % (len(doc.text) + 1)]
        return not SLIP.search(clause[:CONDITION_LOOKBACK * 2])
    m = WORDED_BEFORE.search(doc.text, max(0, math.start - CONDITION_LOOKBACK * 3), math.start)
    if m is None or SLIP.search(m.group(0)):
        return False
    return not PROCEDURAL.match(m.group(1)) or NETWORK_WORDS.search(m.group(1)) is not None


#: A condition on indices: k = y_i, k \ne n, y_i ≠ n.
CONDITION = re.compile(r"\s*[A-Za-z](?:_\{?[A-Za-z0-9]\}?)?\s*(?:=|\\neq?\b|≠)\s*[A-Za-z](?:_\{?[A-Za-z0-9]\}?)?\s*")
#: The words that introduce a condition in the sentence before it, and how far back they are looked for.
CONDITION_WORDS = re.compile(r"(?:\b(?:if|when|for|where|whenever)|若|如果|当|对于)\s*$", re.IGNORECASE)
CONDITION_LOOKBACK = 64
#: A chain ending in its relation, continued by a block that starts with one ("… =" then "= …").
TRAILING_EQUALS = re.compile(r"(?:&\s*)?=\s*$")


def _states_condition(doc: Document, n: int) -> bool:
    """Whether formula n is a condition on the display that follows: "If $$k = y_i$$," then the block."""
    math = doc.maths[n]
    if not CONDITION.fullmatch(math.src.text) or n + 1 >= len(doc.maths):
        return False
    line_start = doc.line_starts[bisect.bisect_right(doc.line_starts, math.start) - 1]
    # the words just before it on its line (a bounded look back: a line may be a whole post)
    if not CONDITION_WORDS.search(doc.text, max(line_start, math.start - CONDITION_LOOKBACK), math.start):
        return False
    following = doc.maths[n + 1]
    return following.display and not doc.text[math.end:following.start].strip(" \t\n,:;")


#: An equation's label at its start: \text{2) }, \text{(1.1)}, \textbf{1.}.
LABEL = re.compile(r"^((?:\s|\\(?:tiny|small|normalsize|large|Large|LARGE|huge|Huge)\b)*)"
                   r"\\text(?:bf|rm)?\{\s*\(?[0-9A-Za-z]{1,3}(?:\.[0-9]{1,2})?[.)]?\s*\}")


def _without_label(src: Src) -> Src:
    """The label blanked out (kept in place, so the post's text around a link still shows it)."""
    m = LABEL.match(src.text)
    if not m:
        return src
    start = m.end(1)
    return Src(src.text[:start] + " " * (m.end() - start) + src.text[m.end():], src.offsets)


def _pieces(src: Src) -> list[list[Src]]:
    """Rows of a formula (split at top-level \\\\), each cut into pieces at prose and \\quad."""
    src = _without_label(_flatten_environments(src))
    rows = _split_top(src, "row")
    out = []
    for row in rows:
        row = _without_label(row)
        parts = []
        for part in _split_top(row, "piece"):
            parts += _split_commas(part)
        out.append([_without_dangling(p.strip()) for p in parts if p.text.strip(" .,;")])
    return out


#: A relation or sign left at the end of a piece cut before an annotation: "… \leftarrow \text{shape} (n, 1)".
DANGLING = re.compile(r"(?:\\leftarrow|\\gets|\\longleftarrow|-|:)\s*$")


def _without_dangling(src: Src) -> Src:
    m = DANGLING.search(src.text)
    return src[:m.start()].strip() if m and m.start() > 0 else src


FUNCTION_NAME = re.compile(r"\s*\{([A-Za-z]+)\}")
FUNCTION_POWER = re.compile(r"\^(?:[0-9]|\{-?[0-9]\})")


def _names_function(text: str, j: int) -> bool:
    """Whether the \\text{…} at j is a function's name: a word followed by (, ' or \\left(."""
    group = FUNCTION_NAME.match(text, j)
    if group is None:
        return False
    after = group.end()
    if text.startswith("^", after) and not text.startswith(("^{'}", "^\\prime"), after):
        power = FUNCTION_POWER.match(text, after)  # \text{sech}^2(z): the function's value squared
        after = power.end() if power else after
    return text.startswith(("(", "'", "\\left(", "\\left (", "^{'}", "^\\prime", "’"), after)


def _split_commas(src: Src) -> list[Src]:
    """a = b, c = d: two statements. A comma part without a relation stays with the part
    before it (x_1, x_2 is one mention; f(a, b) has its comma inside parentheses)."""
    text = src.text
    cuts, depth, i = [], 0, 0
    while i < len(text):
        ch = text[i]
        if ch == "\\":
            if text.startswith("\\left", i) or text.startswith("\\right", i):
                depth += 1 if text.startswith("\\left", i) else -1
                i += 5 if text.startswith("\\left", i) else 6
                i += 2 if i < len(text) and text[i] == "\\" else 1
                continue
            env = ENV_MARK.match(text, i)
            if env:  # a comma inside an environment (a case's "value, & condition") cuts nothing
                depth += 1 if env.group(1) == "begin" else -1
                i = env.end()
                continue
            i += 2
            continue
        if ch in "{([":
            depth += 1
        elif ch in "})]":
            depth -= 1
        elif ch in ",;" and depth == 0:
            cuts.append(i)
        i += 1
    if not cuts:
        return [src]
    relations_at = _relation_positions(text)  # the formula is tokenized once, not once per part
    parts, related_parts, start = [], [], 0
    for cut in cuts + [len(text)]:
        parts.append(src[start:cut])
        first = bisect.bisect_left(relations_at, start)
        related_parts.append(first < len(relations_at) and relations_at[first] < cut)
        start = cut + 1
    merged: list[Src] = []
    related: list[bool] = []  # whether each merged part has a relation
    for part, has in zip(parts, related_parts):
        if merged and not (has and related[-1]):
            merged[-1] = merged[-1] + Src.synthetic(",", part.offset(0)) + part
            related[-1] = related[-1] or has
        else:
            merged.append(part)
            related.append(has)
    return merged


def _flatten_environments(src: Src) -> Src:
    """Drop the \\begin/\\end of row environments (align, aligned, eqnarray, …) and the \\left\\{
    … \\right. of a system around them; matrix environments stay."""
    text = src.text
    cuts: list[tuple[int, int]] = []
    stack: list[bool] = []  # per open row environment: left in place (a case distinction f = \left\{ … \right.)
    for m in ENV_MARK.finditer(text):
        if m.group(2) in ROW_ENVIRONMENTS:
            start, end = m.start(), m.end()
            if m.group(1) == "begin":
                lm = re.search(r"\\left\s*\\\{\s*$", text[:start])
                keep = bool(stack and stack[-1]) or bool(lm and _has_relation(src[:lm.start()]))
                stack.append(keep)
                if keep:
                    continue
            else:
                keep = stack.pop() if stack else False
                if keep:
                    continue
            if m.group(1) == "begin":
                if m.group(2) == "alignat" or m.group(2) == "alignat*" or m.group(2) == "alignedat":
                    brace = re.match(r"\s*\{[^}]*\}", text[end:])
                    if brace:
                        end += brace.end()
                lm = re.search(r"\\left\s*\\\{\s*$", text[:start])
                if lm:
                    start = lm.start()
            else:
                rm = re.match(r"\s*\\right\s*\.", text[end:])
                if rm:
                    end += rm.end()
            cuts.append((start, end))
    for start, end in reversed(cuts):
        src = src[:start] + Src.synthetic(" " * (end - start), src.offset(start)) + src[end:]
    return src


def _split_top(src: Src, mode: str) -> list[Src]:
    """Split at top-level row breaks (mode "row", also turning & into spaces) or at prose and
    spacing separators (mode "piece")."""
    text = src.text
    parts: list[Src] = []
    depth = 0
    env_depth = 0
    start = 0
    i = 0
    n = len(text)
    amps: list[int] = []
    while i < n:
        ch = text[i]
        if ch == "\\":
            m = ENV_MARK.match(text, i)
            if m:
                env_depth += 1 if m.group(1) == "begin" else -1
                i = m.end()
                continue
            if depth == 0 and env_depth == 0:
                if mode == "row" and text.startswith("\\\\", i):
                    parts.append(src[start:i])
                    i += 2
                    # an optional spacing argument: \\[2pt]
                    sm = SPACING.match(text, i)
                    if sm:
                        i += sm.end()
                    start = i
                    continue
                if mode == "row" and text.startswith("\\cr", i) and not text[i + 3:i + 4].isalpha():
                    parts.append(src[start:i])
                    i += 3
                    start = i
                    continue
                if mode == "piece":
                    m = SEPARATOR.match(text, i)
                    if m and _names_function(text, m.end()):
                        m = None  # \text{ReLU}'(z), \text{vec}(W): a function's name, not prose
                    if m:
                        parts.append(src[start:i])
                        j = m.end()
                        if text[m.start() + 1:m.end()] in ("text", "mbox", "textrm", "intertext", "textbf", "textit"):
                            j = _skip_braced(text, j)
                        start = i = j
                        continue
            if text.startswith("\\left", i) or text.startswith("\\right", i):
                i += 5 if text.startswith("\\left", i) else 6
                if i < n and text[i] == "\\":
                    i += 2 if i + 1 < n and not text[i + 1].isalpha() else 1
                    while i < n and text[i].isalpha():
                        i += 1
                else:
                    i += 1
                continue
            i += 2
            continue
        if ch in "{([":
            depth += 1
        elif ch in "})]":
            depth = max(0, depth - 1)
        elif ch == "&" and mode == "row" and depth == 0 and env_depth == 0:
            amps.append(i)
        i += 1
    parts.append(src[start:])
    if mode == "row" and amps:
        parts = [_blank_amps(p) for p in parts]
    return parts


def _blank_amps(src: Src) -> Src:
    """Alignment marks become spaces; eqnarray's &=& becomes =."""
    text = src.text
    out, depth, env_depth = [], 0, 0
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\":
            m = ENV_MARK.match(text, i)
            if m:
                env_depth += 1 if m.group(1) == "begin" else -1
                out.append(m.group(0))
                i = m.end()
                continue
            out.append(text[i:i + 2])
            i += 2
            continue
        if ch in "{([":
            depth += 1
        elif ch in "})]":
            depth = max(0, depth - 1)
        out.append(" " if ch == "&" and depth == 0 and env_depth == 0 else ch)
        i += 1
    return Src("".join(out), src.offsets)


def _skip_braced(text: str, i: int) -> int:
    while i < len(text) and text[i].isspace():
        i += 1
    if i < len(text) and text[i] == "{":
        depth = 0
        while i < len(text):
            if text[i] == "\\":
                i += 2
                continue
            if text[i] == "{":
                depth += 1
            elif text[i] == "}":
                depth -= 1
                if depth == 0:
                    return i + 1
            i += 1
    return i


def _assemble(rows: list[list[Src]]) -> list[Src]:
    """Pieces into chains: a piece that starts with a relation continues the chain before it; a
    row with no relation continues the expression before it."""
    out: list[Src] = []
    related: list[bool] = []  # whether each chain of out has a relation (tokenized once per piece)
    for row in rows:
        for k, piece in enumerate(row):
            has = _has_relation(piece)
            if out and (_starts_with_relation(piece) or (not has and k == 0 and related[-1])):
                out[-1] = out[-1] + Src.synthetic(" ", piece.offset(0)) + piece
                related[-1] = related[-1] or has
            else:
                out.append(piece)
                related.append(has)
    return out


def _has_relation(src: Src) -> bool:
    return relations(src) > 0


def relations(src: Src) -> int:
    """How many relations (=, <, \\equiv, …) a formula has outside brackets."""
    return len(_relation_positions(src.text))


@lru_cache(maxsize=256)  # the same formula is asked about at each step of cutting it up
def _relation_positions(text: str) -> tuple[int, ...]:
    """Where the relations outside brackets start, in order."""
    depth = 0
    found: list[int] = []
    tokens = tokenize_leniently(text)
    i = 0
    while i < len(tokens):
        t = tokens[i]
        annotated = _annotated_relation_end(tokens, i) if depth == 0 else None
        if annotated is not None:  # \overset{\text{chain rule}}{=}: its = is braced, and a relation
            found.append(t.pos)
            i = annotated
            continue
        if t.kind in ("{",) or (t.kind == OP and t.value in "(["):
            depth += 1
        elif t.kind in ("}",) or (t.kind == OP and t.value in ")]"):
            depth -= 1
        elif depth == 0 and _is_relation(t):
            found.append(t.pos)
        i += 1
    return tuple(found)


def _is_relation(t: Token) -> bool:
    return (t.kind == OP and t.value in "=<>") or (t.kind == CMD and t.value in RELATIONS)


def _annotated_relation_end(tokens: list[Token], i: int) -> int | None:
    r"""Where `\overset{…}{=}` (or \stackrel, \underset) starting at token i ends, when its base is
    one relation: an equality annotated with its reason; None for anything else."""
    if tokens[i].kind != CMD or tokens[i].value not in ("overset", "stackrel", "underset"):
        return None
    j = i + 1
    for _ in range(2):  # the annotation's group, then the base's
        if j >= len(tokens) or tokens[j].kind != "{":
            return None
        start, depth = j, 0
        while j < len(tokens):
            depth += {"{": 1, "}": -1}.get(tokens[j].kind, 0)
            j += 1
            if depth == 0:
                break
    base = tokens[start + 1:j - 1]
    return j if len(base) == 1 and _is_relation(base[0]) else None


def too_many_claims(max_claims: int) -> DeriveError:
    return DeriveError(f"the post has more than {max_claims:,} steps to check, the limit of one check (split the post)")


def claims(st: Statement) -> int:
    """How many links of its chain a statement asks to be checked (at least one)."""
    return 1 if st.too_long else max(1, relations(st.src))


def _starts_with_relation(src: Src) -> bool:
    head = src.text.lstrip(" \t\n&")[:64]  # the first token, whole: relation names are short
    tokens = tokenize_leniently(head)
    for i, t in enumerate(tokens):
        if t.kind == "&":
            continue
        return (t.kind == OP and t.value == "=") or (t.kind == CMD and t.value in RELATIONS) \
            or _annotated_relation_end(tokens, i) is not None
    return False
