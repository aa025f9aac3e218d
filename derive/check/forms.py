r"""Stage 5, judge: a statement as forms. The `=` chain parsed side by side (each side on its own when the
whole does not parse), the post's own text around each link (so a report quotes what was written, row
breaks and alignment marks included), and case distinctions as one form per case. `FormReader` is a
mixin of `Judge`.
"""

from __future__ import annotations

import re
from dataclasses import replace

from .extract import Statement
from .lexer import CMD, EOF, LBRACE, OP, RBRACE, RELATIONS, LexError, tokenize, tokenize_leniently
from .parser import Node, ParseError, Sym, parse_chain
from .results import (
    Form,
)

#: Relations a chain states as equal.
EQUALITIES = ("=", "equiv", "def")

class FormReader:
    """Statements to forms, and positions in the post (a mixin of `Judge`)."""

    def forms(self, text: str) -> list[Form]:
        try:
            chain = parse_chain(text, self.functions, self.words)
            out = []
            for rel, node in chain:
                start, end = node.span
                out.append(Form(node if node.kind != "none" else None, text[start:end].strip(), start, rel,
                                error="the formula has no left-hand side" if node.kind == "none" else ""))
            _relation_positions(out, text)
            return out
        except ParseError as exc:
            return self._forms_one_by_one(text, exc)

    def _forms_one_by_one(self, text: str, first_error: ParseError) -> list[Form]:
        """When the chain does not parse as a whole, each side on its own: one bad side leaves the
        others checkable."""
        tokens = tokenize_leniently(text)  # a side that cannot be read is cut out like any other
        cuts: list[tuple[int, int, str | None]] = []  # (start of form, end of previous, relation)
        depth = 0
        start = 0
        relation: str | None = None
        for tok in tokens:
            if tok.kind == LBRACE or (tok.kind == OP and tok.value in "([") or (tok.kind == CMD and tok.value == "left"):
                depth += 1
            elif tok.kind == RBRACE or (tok.kind == OP and tok.value in ")]") or (tok.kind == CMD and tok.value == "right"):
                depth -= 1
            elif depth == 0 and ((tok.kind == OP and tok.value == "=") or (tok.kind == CMD and tok.value in RELATIONS)):
                cuts.append((start, tok.pos, relation))
                relation = "=" if tok.kind == OP else RELATIONS[tok.value]
                start = tok.end
            elif tok.kind == EOF:
                cuts.append((start, tok.pos, relation))
        out = []
        for s, e, rel in cuts:
            piece = text[s:e]
            form = Form(None, piece.strip(), s + (len(piece) - len(piece.lstrip())), rel)
            try:
                sub = parse_chain(piece, self.functions, self.words)
                if len(sub) != 1 or sub[0][0] is not None:
                    raise ParseError(first_error.message, first_error.pos - s)
                node = sub[0][1]
                form.node = _shift(node, s)
            except ParseError as exc:
                form.error = exc.message
                form.error_pos = s + exc.pos
            out.append(form)
        _relation_positions(out, text)
        return out

    def raw(self, st: Statement, start: int, end: int) -> str:
        """The post's own text of a statement's characters start…end (alignment marks included)."""
        if self.doc is None:
            return st.src.text[start:end]
        pieces, run_start, last = [], None, None
        stop = st.src.offset(end)
        for pos in range(start, max(start, end)):
            offset = st.src.offset(pos)
            if offset >= stop:
                break
            if run_start is None:
                run_start = last = offset
            elif offset == last + 1 or (offset > last and _only_layout(self.doc.text[last + 1:offset])):
                last = offset  # rows of one environment: keep the row breaks and alignment marks between
            elif offset != last:
                pieces.append(self.doc.text[run_start:last + 1])
                run_start = last = offset
        if run_start is not None:
            if stop > last + 1 and _only_layout(self.doc.text[last + 1:stop]):
                last = stop - 1  # the row break and alignment mark before this row's relation
            pieces.append(self.doc.text[run_start:last + 1])
        return " ".join(pieces)

    def line_of(self, st: Statement, pos: int) -> int:
        if self.doc is None:
            return 1
        return self.doc.line_col(st.src.offset(pos))[0]

    def col_of(self, st: Statement, pos: int) -> int:
        if self.doc is None:
            return pos + 1
        return self.doc.line_col(st.src.offset(pos))[1]


def _relation_positions(forms: list[Form], text: str) -> None:
    """Each form's relation sign: the last relation token before the form."""
    try:
        tokens = tokenize(text)
    except LexError:
        return
    relations = [t.pos for t in tokens if (t.kind == OP and t.value in "=<>") or (t.kind == CMD and t.value in RELATIONS)
                 or (t.kind == CMD and t.value in ("overset", "stackrel"))]
    colons = {t.end: t.pos for t in tokens if t.kind == OP and t.value == ":"}
    for form in forms[1:]:
        before = [p for p in relations if p < form.start]
        if before:
            form.rel_pos = colons.get(before[-1], before[-1])  # := starts at its colon


def _only_layout(text: str) -> bool:
    """Text between two rows that only lays them out: white space, \\\\ and &."""
    return len(text) < 40 and not text.replace("\\\\", "").replace("&", "").strip()


def _cases_expanded(chain: list[Form], text: str) -> list[Form]:
    """A case distinction as one form per case, each with its condition."""
    out: list[Form] = []
    for form in chain:
        if form.node is None or form.node.kind != "cases":
            out.append(form)
            continue
        earlier: list[str] = []
        for row in form.node.children:
            start, end = row.span
            condition = row.value
            if _otherwise(condition):  # the last case: none of the ones before
                condition = OTHERWISE + "|".join(earlier)
            else:
                earlier.append(condition)
            out.append(Form(row.children[0], text[start:end].strip(), start, form.relation, rel_pos=form.rel_pos,
                            condition=condition))
    return out


#: A case's condition written "otherwise": the negation of the conditions before it, kept as text.
OTHERWISE = "otherwise:"


def _otherwise(condition: str) -> bool:
    words = re.sub(r"\\(?:text|mbox|textrm|mathrm)\b|[{}\s,.]", "", condition or "")
    return words in ("", "otherwise", "else", "否则", "其他", "其它")


def _shift(node: Node, offset: int) -> Node:

    from .parser import Call, Script, Sym

    def script(s: Script | None) -> Script | None:
        if s is None:
            return None
        return replace(s, expr=_shift(s.expr, offset) if s.expr is not None else None)

    value = node.value
    if isinstance(value, Sym):
        value = replace(value, sub=script(value.sub), sup=script(value.sup))
    elif isinstance(value, Call):
        value = replace(value, sub=script(value.sub), sup=script(value.sup))
    return Node(node.kind, (node.span[0] + offset, node.span[1] + offset),
                tuple(_shift(c, offset) for c in node.children), value)


def _occurrences(node: Node, letter: str) -> int:
    """How often a letter is written as a free symbol (in scripts too)."""
    from .parser import Script

    count = 0
    value = node.value
    if isinstance(value, Sym):
        if value.name == letter and value.sub is None and value.sup is None:
            count += 1
        for script in (value.sub, value.sup):
            if isinstance(script, Script) and script.expr is not None:
                count += _occurrences(script.expr, letter)
    for child in node.children:
        count += _occurrences(child, letter)
    return count
