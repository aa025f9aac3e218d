r"""Stage 2, parse: scripts, groups and environments. Sub- and superscripts with their markers
(`W^{[l](i)T}`, `g^{\prime[l]}`), braced groups, matrices (`bmatrix`, `pmatrix`, plain-TeX `\pmatrix{…}`),
case distinctions with their conditions, and spaces `\mathbb{R}^{m \times n}`. `StructureParser` is a
mixin of `Parser`, which supplies the token stream and the expression levels.
"""

from __future__ import annotations

from .lexer import (
    AMP,
    CMD,
    EOF,
    LBRACE,
    LETTER,
    OP,
    PRIME,
    RBRACE,
    SUP,
    Token,
)
from .tree import (
    BOLD,
    MATRIX_ENVIRONMENTS,
    PLAIN_FONTS,
    TRANSPOSE_COMMANDS,
    WORD_FONTS,
    Node,
    Script,
)


class StructureParser:
    """Scripts, groups, matrices and cases (a mixin of `Parser`)."""

    def group_tokens(self) -> list[Token]:
        """The tokens of one {…} group (without its braces), or of one token."""
        if self.at(LBRACE):
            open_tok = self.advance()
            depth = 1
            start = self.i
            while True:
                tok = self.peek()
                if tok.kind == EOF:
                    raise self.error(f"unclosed {{ from col {open_tok.pos + 1}", tok)
                if tok.kind == LBRACE:
                    depth += 1
                elif tok.kind == RBRACE:
                    depth -= 1
                    if depth == 0:
                        inner = self.tokens[start:self.i]
                        self.advance()
                        return inner
                self.advance()
        tok = self.peek()
        if tok.kind in (EOF, RBRACE) or (tok.kind == OP and tok.value not in "+-'"):
            raise self.error(f"expected an argument, got {tok.describe()}")
        self.advance()
        if tok.kind == CMD and tok.value in (BOLD | WORD_FONTS | PLAIN_FONTS | {"mathsf", "mathrm"}) and self.at(LBRACE):
            return [tok] + self._braced_with_braces()
        return [tok]

    def _braced_with_braces(self) -> list[Token]:
        start = self.i
        self.group_tokens()
        return self.tokens[start:self.i]

    def group_node(self) -> Node:
        tokens = self.group_tokens()
        if not tokens:
            raise self.error("empty group")
        return self.sub_parser(tokens).parse_side_only()

    def parse_script(self) -> Script:
        tokens = self.group_tokens()
        text = self.text[tokens[0].pos:tokens[-1].end] if tokens else ""
        transpose, primes = False, 0
        # Markers at the end: T, \top, \mathrm{T}, primes; primes also in front: g^{\prime[l]}.
        while tokens:
            last = tokens[-1]
            if last.kind == PRIME or (last.kind == CMD and last.value == "prime"):
                primes += 1
                tokens = tokens[:-1]
                continue
            marker = _transpose_marker(tokens)
            if marker:
                transpose = True
                tokens = tokens[:-marker]
                continue
            break
        while tokens and (tokens[0].kind == PRIME or (tokens[0].kind == CMD and tokens[0].value == "prime")):
            primes += 1
            tokens = tokens[1:]
        if not tokens:
            return Script(None, transpose, primes, False, text)
        sample = None
        split = _bracket_then_paren(tokens)  # Ng's A^{[l](i)}: layer l, example i
        if split is not None:
            sample_tokens = tokens[split + 1:-1]
            tokens = tokens[:split]
            if not sample_tokens:
                raise self.error("empty parentheses in a script")
            sample = self.sub_parser(sample_tokens).parse_script_list()
        paren = (tokens[0].kind == OP and tokens[-1].kind == OP and (tokens[0].value, tokens[-1].value) in (("(", ")"), ("[", "]"))
                 and _balanced_outer(tokens))  # W^{(l)}, and Ng's W^{[l]}
        bracket = paren and tokens[0].value == "["
        if paren:
            tokens = tokens[1:-1]
            if not tokens:
                raise self.error("empty parentheses in a script")
        parser = self.sub_parser(tokens)
        expr = parser.parse_script_list()
        return Script(expr, transpose, primes, paren, text, sample, bracket)

    def parse_script_list(self) -> Node:
        parts = [self.parse_side()]
        while self.at(OP, ","):
            self.advance()
            parts.append(self.parse_side())
        if self.at(CMD, "in") or self.at(OP, "="):  # sum limits are read by the sum itself
            rel = self.advance()
            rhs = self.parse_side()
            parts = [Node("limit", (parts[0].span[0], rhs.span[1]), (parts[0], rhs), "in" if rel.kind == CMD else "=")]
        if not self.at(EOF):
            raise self.error(f"unexpected {self.peek().describe()} in a script")
        if len(parts) == 1:
            return parts[0]
        return Node("list", (parts[0].span[0], parts[-1].span[1]), tuple(parts))

    def parse_environment(self) -> Node:
        tok = self.advance()
        name = "".join(t.value for t in self.group_tokens())
        if name in ("cases", "dcases", "cases*"):
            return self.parse_cases(tok, name)
        if name in ("aligned", "align", "align*", "array*", "gathered", "split"):
            raise self.error(f"an environment ({name}) inside a formula", tok)
        if name not in MATRIX_ENVIRONMENTS:
            raise self.error(f"environment {name} inside a formula", tok)
        if name == "array":
            self.group_tokens()  # the column specification
        inner = self.environment_tokens(tok, name)
        if name == "vmatrix":
            raise self.error("determinants are not supported", tok)
        return self.matrix_from_tokens(inner, tok, name)

    def parse_cases(self, tok: Token, name: str) -> Node:
        """\\begin{cases} value & condition \\\\ … \\end{cases}: one `case` node per row, its value
        parsed and its condition kept as written (the judge reads it: k = y_i, k \\ne n)."""
        inner = self.environment_tokens(tok, name)
        rows: list[Node] = []
        for row in _rows(inner):
            if not row:
                continue
            amp = next((k for k, t in enumerate(row) if t.kind == AMP), None)
            value_tokens = row[:amp] if amp is not None else row
            while value_tokens and value_tokens[-1].kind == OP and value_tokens[-1].value in ",;.":
                value_tokens = value_tokens[:-1]
            if not value_tokens:
                raise self.error("a case without a value", tok)
            value = self.sub_parser(value_tokens).parse_side_only()
            condition = row[amp + 1:] if amp is not None else []
            start, end = row[0].pos, row[-1].end
            text = self.text[condition[0].pos:condition[-1].end] if condition else ""
            rows.append(Node("case", (start, end), (value,), text))
        if not rows:
            raise self.error("an empty case distinction", tok)
        return Node("cases", (tok.pos, self.tokens[self.i - 1].end), tuple(rows))

    def environment_tokens(self, tok: Token, name: str) -> list[Token]:
        """The tokens up to the matching \\end{name} (the parser moves past it)."""
        start = self.i
        depth = 0
        while True:
            t = self.peek()
            if t.kind == EOF:
                raise self.error(f"\\begin{{{name}}} without \\end", tok)
            if t.kind == CMD and t.value == "begin":
                depth += 1
            if t.kind == CMD and t.value == "end":
                if depth == 0:
                    break
                depth -= 1
            self.advance()
        inner = self.tokens[start:self.i]
        self.advance()
        end_name = "".join(t.value for t in self.group_tokens())
        if end_name != name:
            raise self.error(f"\\begin{{{name}}} ended by \\end{{{end_name}}}", tok)
        return inner

    def matrix_from_tokens(self, tokens: list[Token], tok: Token, name: str) -> Node:
        rows: list[list[list[Token]]] = [[[]]]
        depth = 0
        for t in tokens:
            if t.kind == LBRACE or (t.kind == CMD and t.value == "begin"):
                depth += 1
            elif t.kind == RBRACE or (t.kind == CMD and t.value == "end"):
                depth -= 1
            if depth == 0 and t.kind == CMD and t.value in ("\\", "cr"):
                rows.append([[]])
            elif depth == 0 and t.kind == AMP:
                rows[-1].append([])
            else:
                rows[-1][-1].append(t)
        rows = [r for r in rows if any(cell for cell in r)]
        if not rows:
            raise self.error("empty matrix", tok)
        width = len(rows[0])
        cells: list[Node] = []
        for r in rows:
            if len(r) != width:
                raise self.error(f"matrix rows of different lengths ({width} and {len(r)})", tok)
            for cell in r:
                if not cell:
                    raise self.error("empty matrix cell", tok)
                cells.append(self.sub_parser(cell).parse_side_only())
        end = self.tokens[self.i - 1].end
        return Node("matrix", (tok.pos, end), tuple(cells), (len(rows), width))

    def parse_space(self, tok: Token) -> Node:
        """\\mathbb{R}^{m \\times n}: a shape."""
        if not self.at(SUP):
            return Node("space", (tok.pos, self.tokens[self.i - 1].end), ())
        self.advance()
        tokens = self.group_tokens()
        dims: list[list[Token]] = [[]]
        for t in tokens:
            if (t.kind == CMD and t.value == "times") or (t.kind == OP and t.value in "*,") or (t.kind == LETTER and t.value == "x" and t.space_before):
                dims.append([])
            else:
                dims[-1].append(t)
        nodes = []
        for d in dims:
            if not d:
                raise self.error("empty dimension in \\mathbb{R}^{…}", tok)
            nodes.append(self.sub_parser(d).parse_side_only())
        return Node("space", (tok.pos, self.tokens[self.i - 1].end), tuple(nodes))


def _transpose_marker(tokens: list[Token]) -> int:
    """How many tokens at the end of a script mark a transpose (0 when none)."""
    last = tokens[-1]
    if last.kind == CMD and last.value in ("top", "intercal", "T"):
        return 1
    if last.kind == LETTER and last.value == "T":
        if len(tokens) == 1:
            return 1
        before = tokens[-2]
        if before.kind == OP and before.value in ")]":
            return 1
        if before.kind in (CMD,) and before.value in TRANSPOSE_COMMANDS and not before.value == "top":
            return 2 if len(tokens) == 2 or tokens[-3].kind != LBRACE else 0
    if last.kind == RBRACE and len(tokens) >= 4:
        inner = tokens[-2]
        if (inner.kind == LETTER and inner.value == "T" and tokens[-3].kind == LBRACE and tokens[-4].kind == CMD
                and tokens[-4].value in TRANSPOSE_COMMANDS):
            return 4
    return 0


def _rows(tokens: list[Token]) -> list[list[Token]]:
    """Tokens cut at top-level row breaks (\\\\, \\cr), without a spacing argument \\\\[2ex]."""
    rows: list[list[Token]] = [[]]
    depth = 0
    skip_spacing = False
    for t in tokens:
        if skip_spacing:
            if t.kind == OP and t.value == "]":
                skip_spacing = False
            continue
        if t.kind == LBRACE or (t.kind == CMD and t.value == "begin"):
            depth += 1
        elif t.kind == RBRACE or (t.kind == CMD and t.value == "end"):
            depth -= 1
        if depth == 0 and t.kind == CMD and t.value in ("\\", "cr"):
            rows.append([])
            continue
        if depth == 0 and not rows[-1] and t.kind == OP and t.value == "[" and len(rows) > 1:
            skip_spacing = True
            continue
        rows[-1].append(t)
    return rows


def _shape_script(expr: Node) -> tuple[Node, Node] | None:
    """The two dimensions of a subscript written m × n (or m * n), else None."""
    if expr.kind == "mul" and len(expr.children) == 2 and expr.value in (("times",), ("ast",)):
        return expr.children[0], expr.children[1]
    return None


def _bracket_then_paren(tokens: list[Token]) -> int | None:
    """Where the (…) group starts in a script written [a](b), or None."""
    if not (tokens[0].kind == OP and tokens[0].value == "[" and tokens[-1].kind == OP and tokens[-1].value == ")"):
        return None
    depth = 0
    for k, t in enumerate(tokens):
        if t.kind == OP and t.value in "([":
            depth += 1
        elif t.kind == OP and t.value in ")]":
            depth -= 1
            if depth == 0:
                nxt = tokens[k + 1] if k + 1 < len(tokens) else None
                if t.value == "]" and nxt is not None and nxt.kind == OP and nxt.value == "(" and \
                        _balanced_outer(tokens[k + 1:]):
                    return k + 1
                return None
    return None


def _balanced_outer(tokens: list[Token]) -> bool:
    """Whether the first '(' is closed by the last ')'."""
    depth = 0
    for k, t in enumerate(tokens):
        if t.kind == OP and t.value in "([":
            depth += 1
        elif t.kind == OP and t.value in ")]":
            depth -= 1
            if depth == 0 and k != len(tokens) - 1:
                return False
    return depth == 0
