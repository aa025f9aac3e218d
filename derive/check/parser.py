r"""A recursive-descent parser for the maths of hand-written backprop derivations.

It reads what the tokenizer produced into a tree of `Node`s that records *what was written*, with
the position of every node: a symbol with its scripts (`W^{(2)T}_{bc}`), a product and how its
factors were joined (juxtaposition, `\cdot`, `*`), a partial-derivative fraction, a sum with its
limits. What the symbols *mean* is decided later, by the notation map (build.py); so the same
tree can be rebuilt after a mistake is undone (mistakes.py), and a shape error can name the two
factors that do not fit.

One method per precedence level, loosest first:

    chain     side (relation side)*              = \equiv := \approx \in \leftarrow …
    side      sum
    sum       [+|-] hadamard ((+|-) hadamard)*
    hadamard  product ((\odot|\circ|\oslash|\otimes) product)*
    product   factor ((\cdot|\times|*|/)? factor)*   juxtaposition binds like \cdot
    factor    [-] postfix
    postfix   primary (^{…} | _{…} | ')*         transposes, entries, powers
    primary   number | symbol | group | \frac | \sum | matrix | function call | …

Nothing here evaluates user text: tokens become nodes, and nodes become SymPy objects only in
build.py, by explicit construction.
"""

from __future__ import annotations

from dataclasses import replace

from .environments import (
    StructureParser,
    _shape_script,
)
from .lexer import (
    AMP,
    CMD,
    EOF,
    LBRACE,
    LETTER,
    NUMBER,
    OP,
    PRIME,
    RBRACE,
    RELATIONS,
    SUB,
    SUP,
    LexError,
    Token,
    tokenize,
)
from .tree import (
    BOLD,
    DECORATIONS,
    DOTS,
    FUNCTION_COMMANDS,
    FUNCTION_WORDS,
    GREEK,
    HADAMARD_OPS,
    MAX_DEPTH,
    MAX_OPERATION_DEPTH,
    OPENERS,
    OPERATOR_FUNCTIONS,
    PLAIN_FONTS,
    PRODUCT_OPS,
    WORD_FONTS,
    Call,
    Node,
    ParseError,
    Script,
    Sym,
    operation_depth,
)


def parse_chain(text: str, functions: frozenset[str] = frozenset(),
                words: frozenset[str] = frozenset()) -> list[tuple[str | None, Node]]:
    """The formula as a chain: [(None, first side), (relation, side), …]. `words` are symbol names of
    several letters (Mazur's out, net): their letters written together are one symbol."""
    try:
        tokens = tokenize(text)
    except LexError as exc:
        raise ParseError(exc.message, exc.pos) from None
    chain = Parser(_unwrapped(tokens), text, functions, words).parse_chain()
    for _, side in chain:
        if operation_depth(side) > MAX_OPERATION_DEPTH:
            raise ParseError(f"the formula stacks more than {MAX_OPERATION_DEPTH} operations deep (nested or chained); "
                             "derive checks formulas up to that size", side.span[0])
    return chain


def _unwrapped(tokens: list[Token]) -> list[Token]:
    """A whole equation wrapped in \\mathrm{…} (CS231n-style posts): the equation inside."""
    if len(tokens) < 4 or tokens[0].kind != CMD or tokens[0].value not in ("mathrm", "rm", "mathit", "text") \
            or tokens[1].kind != LBRACE or tokens[-2].kind != RBRACE:
        return tokens
    depth = 0
    for k, tok in enumerate(tokens[1:-1], start=1):
        depth += (tok.kind == LBRACE) - (tok.kind == RBRACE)
        if depth == 0 and k != len(tokens) - 2:
            return tokens
    inner = tokens[2:-2]
    if not any((t.kind == OP and t.value == "=") or (t.kind == CMD and t.value in RELATIONS) for t in inner):
        return tokens
    return inner + [tokens[-1]]


def parse_expression(text: str, functions: frozenset[str] = frozenset()) -> Node:
    chain = parse_chain(text, functions)
    if len(chain) != 1:
        raise ParseError("expected one expression, found a relation", chain[1][1].span[0])
    return chain[0][1]


class Parser(StructureParser):
    def __init__(self, tokens: list[Token], text: str, functions: frozenset[str],
                 words: frozenset[str] = frozenset()) -> None:
        self.tokens = tokens
        self.text = text
        self.functions = functions | FUNCTION_WORDS
        self.words = words
        self.i = 0
        self.depth = 0
        self.abs_depth = 0

    # -- token stream ----------------------------------------------------------------------------
    def peek(self, k: int = 0) -> Token:
        return self.tokens[min(self.i + k, len(self.tokens) - 1)]

    def advance(self) -> Token:
        tok = self.tokens[self.i]
        if tok.kind != EOF:
            self.i += 1
        return tok

    def at(self, kind: str, value: str | None = None, k: int = 0) -> bool:
        tok = self.peek(k)
        return tok.kind == kind and (value is None or tok.value == value)

    def at_cmd(self, *names: str) -> bool:
        tok = self.peek()
        return tok.kind == CMD and tok.value in names

    def expect(self, kind: str, value: str | None = None, what: str | None = None) -> Token:
        tok = self.peek()
        if tok.kind != kind or (value is not None and tok.value != value):
            wanted = what or (f"\\{value}" if kind == CMD and value else repr(value) if value else kind)
            raise ParseError(f"expected {wanted} at col {tok.pos + 1}, got {tok.describe()}", tok.pos)
        return self.advance()

    def error(self, message: str, tok: Token | None = None) -> ParseError:
        tok = tok or self.peek()
        return ParseError(f"{message} at col {tok.pos + 1}", tok.pos)

    def sub_parser(self, tokens: list[Token]) -> "Parser":
        end = tokens[-1].end if tokens else self.peek().pos
        p = Parser(tokens + [Token(EOF, "", end, end)], self.text, self.functions, self.words)
        p.depth = self.depth
        return p

    def enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error("the formula is nested too deeply")

    # -- chain -----------------------------------------------------------------------------------
    def parse_chain(self) -> list[tuple[str | None, Node]]:
        chain: list[tuple[str | None, Node]] = []
        relation = self.relation()
        if relation is not None:
            chain.append((None, Node("none", (0, 0))))
        chain.append((relation, self.parse_side()))
        while True:
            relation = self.relation()
            if relation is None:
                break
            chain.append((relation, self.parse_side()))
        self.skip_punctuation()
        if not self.at(EOF):
            raise self.error(f"unexpected {self.peek().describe()}")
        return chain

    def skip_punctuation(self) -> None:
        while self.at(OP) and self.peek().value in ".,;:" and self._only_punctuation_left():
            self.advance()

    def _only_punctuation_left(self) -> bool:
        k = self.i
        while self.tokens[k].kind == OP and self.tokens[k].value in ".,;:":
            k += 1
        return self.tokens[k].kind == EOF

    def relation(self) -> str | None:
        tok = self.peek()
        while tok.kind == AMP:  # alignment marks: a &= b, eqnarray's &=&
            self.advance()
            tok = self.peek()
        if tok.kind == OP:
            nxt = self.peek(1)
            if tok.value == "=":
                self.advance()
                self._skip_amp()
                return "="
            if tok.value == ":" and nxt.kind == OP and nxt.value == "=":
                self.advance(), self.advance()
                return "def"
            if tok.value in "+-" and nxt.kind == OP and nxt.value == "=" and not nxt.space_before:
                self.advance(), self.advance()
                return "update"
            if tok.value in "<>":
                self.advance()
                if self.at(OP, "="):
                    self.advance()
                return "lt"
            return None
        if tok.kind == CMD:
            if tok.value in RELATIONS:
                self.advance()
                self._skip_amp()
                return RELATIONS[tok.value]
            if tok.value in ("overset", "stackrel", "underset"):
                save = self.i
                self.advance()
                self.group_tokens()
                inner = self.group_tokens()
                if len(inner) == 1 and inner[0].kind == OP and inner[0].value == "=":
                    return "def"
                self.i = save
        return None

    def _skip_amp(self) -> None:
        while self.at(AMP):
            self.advance()

    # -- expression levels -----------------------------------------------------------------------
    def parse_side(self) -> Node:
        self.enter()
        try:
            return self.parse_sum()
        finally:
            self.depth -= 1

    def parse_sum(self) -> Node:
        start = self.peek().pos
        signs: list[int] = []
        terms: list[Node] = []
        sign = 1
        while self.at(OP, "+") or self.at(OP, "-"):
            sign *= -1 if self.advance().value == "-" else 1
        if self.starts_primary() is False:
            raise self.error(f"expected an expression, got {self.peek().describe()}")
        terms.append(self.parse_hadamard())
        signs.append(sign)
        while (self.at(OP, "+") or self.at(OP, "-")) and not self._update_ahead():
            sign = -1 if self.advance().value == "-" else 1
            while self.at(OP, "+") or self.at(OP, "-"):
                sign *= -1 if self.advance().value == "-" else 1
            terms.append(self.parse_hadamard())
            signs.append(sign)
        if len(terms) == 1 and signs[0] == 1:
            return terms[0]
        if len(terms) == 1:
            return Node("neg", (start, terms[0].span[1]), (terms[0],))
        return Node("add", (start, terms[-1].span[1]), tuple(terms), tuple(signs))

    def _update_ahead(self) -> bool:
        nxt = self.peek(1)
        return nxt.kind == OP and nxt.value == "=" and not nxt.space_before

    def parse_hadamard(self) -> Node:
        first = self.parse_product()
        factors, ops = [first], []
        while self.at(CMD) and self.peek().value in HADAMARD_OPS:
            ops.append(HADAMARD_OPS[self.advance().value])
            factors.append(self.parse_product())
        if len(factors) == 1:
            return first
        return Node("had", (first.span[0], factors[-1].span[1]), tuple(factors), tuple(ops))

    def parse_product(self) -> Node:
        first = self.parse_factor()
        factors, ops = [first], []
        while True:
            tok = self.peek()
            if tok.kind == CMD and tok.value in PRODUCT_OPS:
                self.advance()
                ops.append(PRODUCT_OPS[tok.value])
                factors.append(self.parse_factor())
            elif tok.kind == OP and tok.value in "*/":
                self.advance()
                ops.append("ast" if tok.value == "*" else "div")
                factors.append(self.parse_factor())
            elif self.starts_primary():
                ops.append("juxt")
                factors.append(self.parse_factor())
            else:
                break
        if len(factors) == 1:
            return first
        return Node("mul", (first.span[0], factors[-1].span[1]), tuple(factors), tuple(ops))

    def parse_factor(self) -> Node:
        """[-] postfix: a run of signs (- - + -a) is read in a loop, never by recursion."""
        first = self.peek()
        negative = False
        while self.at(OP, "-") or self.at(OP, "+"):
            negative ^= self.advance().value == "-"
        inner = self.parse_postfix()
        return Node("neg", (first.pos, inner.span[1]), (inner,)) if negative else inner

    def starts_primary(self) -> bool:
        tok = self.peek()
        if tok.kind in (NUMBER, LETTER, LBRACE):
            return True
        if tok.kind == OP:
            if tok.value == "|":
                return self.abs_depth == 0
            return tok.value in "(["
        if tok.kind == CMD:
            v = tok.value
            if v in RELATIONS or v in HADAMARD_OPS or v in PRODUCT_OPS:
                return False
            if v in ("|", "vert", "Vert") and self.abs_depth > 0:
                return False
            return v not in ("right", "end", "\\", "cr", "overset", "stackrel", "underset", "rvert", "rVert",
                             "rangle", "}", "pm", "mp", "quad", "qquad")
        return False

    # -- postfix: scripts on groups, primes --------------------------------------------------------------
    def parse_postfix(self) -> Node:
        node = self.parse_primary()
        while self.at(OP, "[") and not self.peek().space_before and node.kind in ("sym", "group"):
            indexed = self.bracket_index(node)  # X[i,p], W_2[m,n]: array indexing
            if indexed is None:
                break
            node = indexed
        while self.at(SUB) or self.at(SUP):
            if node.kind == "sym":
                break
            tok = self.advance()
            script = self.parse_script()
            end = self.tokens[self.i - 1].end
            if tok.kind == SUP:
                if script.transpose and script.expr is None and not script.primes:
                    node = Node("transpose", (node.span[0], end), (node,))
                elif script.expr is not None and not script.transpose and not script.primes:
                    node = Node("pow", (node.span[0], end), (node, script.expr))
                else:
                    raise self.error(f"cannot read the superscript {{{script.text}}}", tok)
            else:
                if script.expr is None:
                    raise self.error("empty subscript", tok)
                if node.kind == "group" and node.value == "‖" and script.expr.kind == "sym" \
                        and script.expr.value.name == "F" and script.expr.value.sub is None:
                    continue  # ‖W‖_F: the Frobenius norm, the square root of the sum of squared entries
                dims = _shape_script(script.expr)
                if dims is not None:  # (W^T · (A − Y))_{n_1 × m}, (∂a_i/∂z_i)_{n × 1}: a shape written below
                    node = Node("shaped", (node.span[0], end), (node, *dims))
                elif script.expr.kind == "limit" and script.expr.value == "=" and self.at(SUP):
                    self.advance()  # diag(…)_{i=1}^{n}: a family indexed by i
                    upper = self.parse_script()
                    if upper.expr is None:
                        raise self.error("a family without its upper limit", tok)
                    var, lower = script.expr.children
                    node = Node("family", (node.span[0], self.tokens[self.i - 1].end), (node, var, lower, upper.expr))
                else:
                    node = Node("entry", (node.span[0], end), (node, script.expr))
        return node

    def bracket_index(self, node: Node) -> Node | None:
        """X[i, p]: the entry of an array, written the programming way (CS231n posts); None when the
        bracket holds something else (then it is a factor in brackets)."""
        save = self.i
        self.advance()
        depth, k = 1, self.i
        while depth:
            tok = self.tokens[k]
            if tok.kind == EOF:
                self.i = save
                return None
            if tok.kind == OP and tok.value == "[":
                depth += 1
            elif tok.kind == OP and tok.value == "]":
                depth -= 1
            k += 1
        inner = self.tokens[self.i:k - 1]
        simple = all(t.kind in (LETTER, NUMBER, SUB, LBRACE, RBRACE) or (t.kind == OP and t.value in ",+-")
                     for t in inner)
        if not inner or not simple:
            self.i = save
            return None
        try:
            index = self.sub_parser(inner).parse_script_list()
        except ParseError:
            self.i = save
            return None
        self.i = k
        return Node("entry", (node.span[0], self.tokens[k - 1].end), (node, index), "bracket")

    # -- primaries ---------------------------------------------------------------------------------
    def parse_primary(self) -> Node:
        self.enter()
        try:
            return self._primary()
        finally:
            self.depth -= 1

    def _primary(self) -> Node:
        tok = self.peek()
        if tok.kind == NUMBER:
            self.advance()
            return Node("num", (tok.pos, tok.end), (), tok.value)
        if tok.kind == LETTER:
            word = self.glued_word()
            if word in self.functions and len(word) > 1 and self._call_after(len(word), word):
                for _ in range(len(word)):
                    self.advance()
                return self.parse_call(word, tok)
            if len(word) > 1 and word in self.words:  # out_{h1}: one symbol, not o·u·t
                for _ in range(len(word)):
                    self.advance()
                return self._finish_symbol(Sym(word), tok)
            return self.parse_symbol()
        if tok.kind == LBRACE:
            self.advance()
            inner = self.parse_side()
            close = self.expect(RBRACE, what="'}'")
            if self.at(SUP) and inner.kind == "sym":  # {\mathbf{W}^{(2)}}^\top: a script on the braced symbol
                return Node("group", (tok.pos, close.end), (inner,), "(")  # read as (W^{(2)})^T
            return inner
        if tok.kind == OP:
            if tok.value in "([":
                return self.parse_delimited(tok.value, self.advance(), plain=True)
            if tok.value == "|":
                nxt = self.peek(1)
                if nxt.kind == OP and nxt.value == "|" and not nxt.space_before:
                    return self.parse_double_bar()
                return self.parse_delimited("|", self.advance(), plain=True)
            raise self.error(f"expected an expression, got {tok.describe()}")
        if tok.kind == CMD:
            return self.parse_command()
        raise self.error(f"expected an expression, got {tok.describe()}")

    def _call_after(self, k: int, word: str) -> bool:
        """Whether the word of k letters is applied: log(x), diag(v); log x with a space."""
        nxt, after = self.peek(k), self.peek(k + 1)
        if nxt.kind == OP and nxt.value == "(":
            return True
        if nxt.kind == CMD and nxt.value == "left" and after.kind == OP and after.value in "([":
            return True
        return word in OPERATOR_FUNCTIONS and nxt.space_before and nxt.kind in (LETTER, CMD, NUMBER, LBRACE)

    def glued_word(self) -> str:
        """The letters starting here that touch each other (log, diag, softmax)."""
        letters = [self.peek().value]
        k = 1
        while self.peek(k).kind == LETTER and not self.peek(k).space_before:
            letters.append(self.peek(k).value)
            k += 1
        return "".join(letters)

    def parse_double_bar(self) -> Node:
        """||x|| typed with two bars: a norm, like \\| x \\|."""
        tok = self.advance()
        self.advance()
        self.abs_depth += 1
        try:
            inner = self.parse_side()
        finally:
            self.abs_depth -= 1
        for _ in range(2):
            if not self.at(OP, "|"):
                raise self.error(f"expected '||' to close '||' from col {tok.pos + 1}, got {self.peek().describe()}")
            self.advance()
        return Node("group", (tok.pos, self.tokens[self.i - 1].end), (inner,), "‖")

    def parse_delimited(self, opener: str, tok: Token, plain: bool) -> Node:
        closer = OPENERS.get(opener)
        if opener == "|" or opener == "‖":
            self.abs_depth += 1
        try:
            inner = self.parse_side()
        finally:
            if opener == "|" or opener == "‖":
                self.abs_depth -= 1
        if plain and opener in "([" and self.at(OP, ">"):  # Iverson's [z > 0], NumPy's (Z > 0): the indicator
            self._indicator_condition(tok)
            self.expect(OP, OPENERS[opener], what=f"{OPENERS[opener]!r} to close {opener!r} from col {tok.pos + 1}")
            return Node("call", (tok.pos, self.tokens[self.i - 1].end), (inner,), Call("step"))
        if plain:
            end = self.peek()
            if not (end.kind == OP and end.value == closer) and not (end.kind == CMD and closer == "‖" and end.value == "|"):
                raise self.error(f"expected {closer!r} to close {opener!r} from col {tok.pos + 1}, got {end.describe()}")
            self.advance()
        else:
            self.expect(CMD, "right", what=f"\\right to close \\left from col {tok.pos + 1}")
            self.delimiter()
        end_pos = self.tokens[self.i - 1].end
        if opener == "[" and inner.kind == "matrix":
            return replace(inner, span=(tok.pos, end_pos))
        if opener == "(" and inner.kind == "matrix":
            return replace(inner, span=(tok.pos, end_pos))
        return Node("group", (tok.pos, end_pos), (inner,), opener)

    def delimiter(self) -> str:
        tok = self.advance()
        if tok.kind == OP and tok.value in "()[]|.<>":
            return tok.value
        if tok.kind == CMD and tok.value in ("{", "}", "lbrace", "rbrace"):
            return "{"
        if tok.kind == CMD and tok.value in ("|", "Vert", "lVert", "rVert", "Arrowvert"):
            return "‖"
        if tok.kind == CMD and tok.value in ("vert", "lvert", "rvert"):
            return "|"
        if tok.kind == CMD and tok.value in ("langle", "rangle", "lfloor", "rfloor", "lceil", "rceil"):
            return "<"
        raise self.error(f"expected a delimiter after \\left or \\right, got {tok.describe()}", tok)

    def parse_command(self) -> Node:
        tok = self.peek()
        name = tok.value
        if name in GREEK:
            return self.parse_symbol()
        if name == "left":
            self.advance()
            opener = self.delimiter()
            return self.parse_delimited(opener, tok, plain=False)
        if name in ("vert", "lvert", "|", "lVert", "Vert"):
            self.advance()
            opener = "‖" if name in ("|", "lVert", "Vert") else "|"
            self.abs_depth += 1
            try:
                inner = self.parse_side()
            finally:
                self.abs_depth -= 1
            if not self.at_cmd("vert", "rvert", "|", "rVert", "Vert") and not (opener == "|" and self.at(OP, "|")):
                raise self.error("expected a closing bar")
            self.advance()
            return Node("group", (tok.pos, self.tokens[self.i - 1].end), (inner,), opener)
        if name in ("frac", "dfrac", "tfrac", "cfrac"):
            return self.parse_frac()
        if name == "partial":
            return self.parse_slash_partial()
        if name == "nabla":
            return self.parse_nabla()
        if name == "sum":
            return self.parse_sum_sign()
        if name in BOLD or name in PLAIN_FONTS:
            return self.parse_font(bold=name in BOLD)
        if name in DECORATIONS:
            return self.parse_decoration(DECORATIONS[name])
        if name in WORD_FONTS:
            return self.parse_word()
        if name in FUNCTION_COMMANDS:
            self.advance()
            return self.parse_call(name, tok)
        if name == "sqrt":
            self.advance()
            arg = self.group_node()
            return Node("call", (tok.pos, arg.span[1]), (arg,), Call("sqrt"))
        if name == "begin":
            return self.parse_environment()
        if name in ("pmatrix", "bmatrix", "matrix"):
            self.advance()
            tokens = self.group_tokens()
            return self.matrix_from_tokens(tokens, tok, name)
        if name in DOTS:
            self.advance()
            return Node("dots", (tok.pos, tok.end))
        if name == "mathbb":
            self.advance()
            inner = self.group_tokens()
            letter = "".join(t.value for t in inner)
            if letter in ("R", "1", "I"):
                return self.parse_space(tok) if letter == "R" else self._one(tok, indicator_only=letter == "I")
            raise self.error(f"\\mathbb{{{letter}}} is not a quantity derive knows", tok)
        if name == "mathcal":
            self.advance()
            inner = self.group_tokens()
            return self._finish_symbol(Sym("cal" + "".join(t.value for t in inner)), tok)
        if name in ("underbrace", "overbrace", "boxed", "cancel"):
            self.advance()
            node = self.group_node()
            if self.at(SUB) or self.at(SUP):  # the brace's label
                self.advance()
                self.group_tokens()
            return node
        if name in ("{",):
            self.advance()
            inner = self.parse_side()
            self.expect(CMD, "}", what="\\}")
            return Node("group", (tok.pos, self.tokens[self.i - 1].end), (inner,), "{")
        if name == "prime":
            raise self.error("a prime needs a function before it", tok)
        raise self.error(f"unknown command \\{name}", tok)

    # -- symbols ---------------------------------------------------------------------------------------
    def parse_symbol(self) -> Node:
        tok = self.advance()
        return self._finish_symbol(Sym(tok.value), tok)

    def _finish_symbol(self, sym: Sym, tok: Token) -> Node:
        """Read the scripts and primes after a symbol (in either order) and a glued index."""
        sub, sup, primes, glued, name = sym.sub, sym.sup, sym.primes, sym.glued, sym.name
        while True:
            nxt = self.peek()
            plus = self._plus_mark()
            if plus and sup is None and not name.endswith("plus"):
                for _ in range(plus):
                    self.advance()
                name += "plus"  # w_5^+, Mazur's updated weight: the symbol wplus, as \hat{y} is yhat
            elif nxt.kind == PRIME:
                self.advance()
                primes += 1
            elif nxt.kind == CMD and nxt.value == "prime" and not nxt.space_before:
                self.advance()
                primes += 1
            elif nxt.kind == SUB and sub is None:
                self.advance()
                sub = self.parse_script()
            elif nxt.kind == SUP and sup is None:
                self.advance()
                script = self.parse_script()
                if script.expr is None and not script.transpose:
                    primes += script.primes
                else:
                    sup = script
            elif (nxt.kind == NUMBER and not nxt.space_before and sub is None and tok.kind == LETTER
                  and "." not in nxt.value):
                self.advance()  # W0, z1: a name with its index glued on
                sub = Script(Node("num", (nxt.pos, nxt.end), (), nxt.value), text=nxt.value)
                glued = True
            else:
                break
        node = Node("sym", (tok.pos, self.tokens[self.i - 1].end), (),
                    Sym(name, sym.bold, sub, sup, primes, glued, sym.font))
        if (name in self.functions or (name == "Sigma" and primes)) and self.call_follows():
            return self.parse_call(name, tok, node)  # \Sigma'(z^l): Nielsen's diagonal matrix of σ′
        return node

    def _plus_mark(self) -> int:
        """How many tokens a superscript that is only a plus takes here (^+: 2, ^{+}: 4), else 0."""
        if not self.at(SUP):
            return 0
        if self.at(OP, "+", 1):
            return 2
        if self.at(LBRACE, k=1) and self.at(OP, "+", 2) and self.at(RBRACE, k=3):
            return 4
        return 0

    def call_follows(self) -> bool:
        return self.at(OP, "(") or (self.at_cmd("left") and self.peek(1).kind == OP and self.peek(1).value in "([")

    def parse_call(self, name: str, tok: Token, head: Node | None = None) -> Node:
        """f(x), σ'(z), \\log(x), \\log \\hat y_j; the head may carry primes and scripts."""
        primes = 0
        sub = sup = None
        if head is not None:
            sym: Sym = head.value
            primes = sym.primes
            sub = sym.sub
            if sym.sup is not None:
                primes += sym.sup.primes
                # g^{[l]}: the layer's function; J^T_x(f): a transposed Jacobian
                sup = sym.sup if sym.sup.expr is not None or sym.sup.transpose else None
        while self.at(PRIME) or (self.at_cmd("prime")):
            self.advance()
            primes += 1
        power = None
        if self.at(SUP):
            save = self.i
            self.advance()
            script = self.parse_script()
            if script.expr is None and not script.transpose and script.primes:
                primes += script.primes
            elif head is None and script.expr is not None and script.expr.kind == "num" and not script.transpose \
                    and not script.primes:
                power = script.expr  # \tanh^2(z), \operatorname{sech}^2 z: the function's value squared
            else:
                self.i = save
        if self.call_follows():
            arg = self.parse_arguments()
        elif name in OPERATOR_FUNCTIONS and self.starts_primary():
            arg = self.parse_postfix()
        else:
            raise self.error(f"the function {name} needs an argument in parentheses")
        end = self.tokens[self.i - 1].end
        call = Node("call", (tok.pos, end), (arg,), Call(name, primes, sub, sup))
        return call if power is None else Node("pow", (tok.pos, end), (call, power))

    def parse_arguments(self) -> Node:
        """(x) or \\left( x \\right); (a, y) for a function of several arguments (a list node)."""
        left = self.at_cmd("left")
        tok = self.advance()
        if left:
            self.delimiter()
        parts = [self.parse_side()]
        while self.at(OP, ","):
            self.advance()
            parts.append(self.parse_side())
        if left:
            self.expect(CMD, "right", what=f"\\right to close \\left from col {tok.pos + 1}")
            self.delimiter()
        else:
            end = self.peek()
            if not (end.kind == OP and end.value in ")]"):
                raise self.error(f"expected ')' to close '(' from col {tok.pos + 1}, got {end.describe()}")
            self.advance()
        if len(parts) == 1:
            return parts[0]
        return Node("list", (parts[0].span[0], parts[-1].span[1]), tuple(parts))

    def _one(self, tok: Token, indicator_only: bool = False) -> Node:
        """𝟏: a vector of ones, or the indicator 𝟏[x > 0] (the step in a ReLU's derivative), also written
        𝟏(x > 0), 𝟏\\{x > 0\\}, 𝟏_{x > 0}, 𝟏_{\\{x > 0\\}} and 𝕀[x > 0] (indicator_only: \\mathbb{I})."""
        if self.at(SUB):  # 𝟏_{x > 0}: the condition below
            save = self.i
            self.advance()
            tokens = self.group_tokens()
            if tokens and tokens[0].kind == CMD and tokens[0].value == "{" and tokens[-1].kind == CMD \
                    and tokens[-1].value == "}":
                tokens = tokens[1:-1]
            if any(t.kind == OP and t.value == ">" for t in tokens):
                sub = self.sub_parser(tokens)
                inner = sub.parse_side()
                sub._indicator_condition(tok)
                if not sub.at(EOF):
                    raise sub.error(f"unexpected {sub.peek().describe()} in the indicator")
                return Node("call", (tok.pos, self.tokens[self.i - 1].end), (inner,), Call("step"))
            self.i = save
        left = self.at_cmd("left")
        opener = self.peek(1) if left else self.peek()
        closers = {"[": (OP, "]"), "(": (OP, ")"), "{": (CMD, "}")}
        key = opener.value if (opener.kind == OP and opener.value in "([") or (opener.kind == CMD and opener.value == "{") \
            else None
        if key is None:
            if indicator_only:
                raise self.error("\\mathbb{I} without its condition in brackets", tok)
            return self._finish_symbol(Sym("one", True), tok)
        if key == "(" and not self._compares(self.i + (2 if left else 1)):
            if indicator_only:
                raise self.error("\\mathbb{I} without a condition x > 0", tok)
            return self._finish_symbol(Sym("one", True), tok)  # 𝟏 (x): the ones vector times a group
        if left:
            self.advance()
        self.advance()
        inner = self.parse_side()
        self._indicator_condition(tok)
        if left:
            self.expect(CMD, "right", what=f"\\right to close \\left from col {opener.pos + 1}")
            self.advance()
        else:
            kind, value = closers[key]
            self.expect(kind, value, what=f"{value!r} to close {key!r} from col {opener.pos + 1}")
        return Node("call", (tok.pos, self.tokens[self.i - 1].end), (inner,), Call("step"))

    def _indicator_condition(self, tok: Token) -> None:
        """The `> 0` of an indicator 𝟏[x > 0]."""
        self.expect(OP, ">", what=f"'>' in the indicator from col {tok.pos + 1}")
        zero = self.expect(NUMBER, what="0 (the indicator 𝟏[x > 0])")
        if zero.value != "0":
            raise self.error(f"the indicator 𝟏[x > {zero.value}] (only 𝟏[x > 0] is read)", zero)

    def _compares(self, start: int) -> bool:
        """Whether a '>' comes before the bracket opened just before token `start` closes."""
        depth = 1
        for t in self.tokens[start:]:
            if t.kind == EOF:
                return False
            if (t.kind == OP and t.value in "([") or t.kind == LBRACE:
                depth += 1
            elif (t.kind == OP and t.value in ")]") or t.kind == RBRACE:
                depth -= 1
                if depth == 0:
                    return False
            elif depth == 1 and t.kind == OP and t.value == ">":
                return True
        return False

    def parse_font(self, bold: bool) -> Node:
        tok = self.advance()
        if tok.value == "bf" and not self.at(LBRACE):  # {\bf x}: the font for the next symbol
            inner = self.parse_primary()
        else:
            inner = self.group_node()
        if inner.kind == "num" and inner.value == "1":
            return self._one(tok)
        if inner.kind == "sym":
            sym: Sym = inner.value
            font = (sym.font or tok.value) if bold else sym.font
            end = max(inner.span[1], self.tokens[self.i - 1].end)
            node = replace(inner, value=replace(sym, bold=sym.bold or bold, font=font), span=(tok.pos, end))
            if sym.sub is None or sym.sup is None:
                return self._continue_symbol(node, tok)
            return node
        return inner

    def _continue_symbol(self, node: Node, tok: Token) -> Node:
        """Scripts written after a font command: \\boldsymbol{W}^{l}."""
        sym: Sym = node.value
        if not (self.at(SUB) or self.at(SUP) or self.at(PRIME)):
            if sym.name in self.functions and self.call_follows():
                return self.parse_call(sym.name, tok, node)
            return node
        return self._finish_symbol(sym, tok)

    def parse_decoration(self, decoration: str) -> Node:
        tok = self.advance()
        inner = self.group_node()
        if inner.kind != "sym":
            raise self.error(f"\\{tok.value} over something that is not a symbol", tok)
        sym: Sym = inner.value
        if sym.name == "one":
            raise self.error(f"\\{tok.value} over 1", tok)
        end = max(inner.span[1], self.tokens[self.i - 1].end)
        node = replace(inner, value=replace(sym, name=sym.name + decoration), span=(tok.pos, end))
        return self._continue_symbol(node, tok)

    def parse_word(self) -> Node:
        tok = self.advance()
        if tok.value == "rm" and not self.at(LBRACE):
            return self.parse_primary()
        inner = self.group_tokens()
        word = "".join(t.value for t in inner if t.kind in (LETTER, NUMBER))
        if all(t.kind == LETTER for t in inner) and word in FUNCTION_WORDS:
            return self.parse_call(word, tok)
        if len(inner) == 1 and inner[0].kind == LETTER:
            return self._finish_symbol(Sym(inner[0].value), tok)
        if len(inner) == 1 and inner[0].kind == NUMBER:
            return Node("num", (tok.pos, inner[0].end), (), inner[0].value)
        if word and all(t.kind == LETTER for t in inner) and word in self.functions:
            return self.parse_call(word, tok)
        text = self.text[inner[0].pos:inner[-1].end] if inner else ""
        raise self.error(f"prose {text!r} inside the formula", tok)

    # -- scripts -----------------------------------------------------------------------------------------
    def parse_side_only(self) -> Node:
        node = self.parse_side()
        if not self.at(EOF):
            raise self.error(f"unexpected {self.peek().describe()}")
        return node

    # -- derivatives -------------------------------------------------------------------------------------
    def parse_frac(self) -> Node:
        tok = self.advance()
        if self.at(NUMBER) and len(self.peek().value) == 2 and self.peek().value.isdigit():
            digits = self.advance()  # \frac12: TeX reads one digit per argument
            half = Token(NUMBER, digits.value[0], digits.pos, digits.pos + 1)
            two = Token(NUMBER, digits.value[1], digits.pos + 1, digits.end)
            num_tokens, den_tokens = [half], [two]
        else:
            num_tokens = self.group_tokens()
            den_tokens = self.group_tokens()
        end = self.tokens[self.i - 1].end
        kind = _derivative_kind(num_tokens, den_tokens)
        if kind is not None:
            den = self.sub_parser(den_tokens[kind:]).parse_side_only() if len(den_tokens) > kind else None
            if den is None:
                raise self.error("\\partial without a variable below the fraction bar", tok)
            rest = num_tokens[kind:]
            if not rest:  # operator form: ∂/∂w (…)
                if not self.starts_primary():
                    raise self.error("the derivative operator needs something to differentiate", tok)
                body = self.parse_postfix()
                return Node("pdop", (tok.pos, body.span[1]), (den, body))
            if rest[0].kind == SUP:
                raise self.error("higher derivatives are not supported", tok)
            num = self.sub_parser(rest).parse_side_only()
            return Node("pd", (tok.pos, end), (num, den), "frac")
        if not num_tokens or not den_tokens:
            raise self.error("empty fraction", tok)
        num = self.sub_parser(num_tokens).parse_side_only()
        den = self.sub_parser(den_tokens).parse_side_only()
        return Node("frac", (tok.pos, end), (num, den))

    def parse_slash_partial(self) -> Node:
        tok = self.advance()
        num = self.parse_postfix()
        if not (self.at(OP, "/")):
            raise self.error("\\partial outside a fraction: expected / \\partial …")
        self.advance()
        self.expect(CMD, "partial", what="\\partial after /")
        den = self.parse_postfix()
        return Node("pd", (tok.pos, den.span[1]), (num, den), "slash")

    def parse_nabla(self) -> Node:
        tok = self.advance()
        wrt = None
        if self.at(SUB):
            self.advance()
            wrt = self.group_node()
        if not self.starts_primary():
            raise self.error("\\nabla needs the function it differentiates", tok)
        of = self.parse_postfix()
        return Node("nabla", (tok.pos, of.span[1]), (wrt or Node("none", (tok.pos, tok.end)), of))

    # -- sums --------------------------------------------------------------------------------------------
    def parse_sum_sign(self) -> Node:
        tok = self.advance()
        lower = upper = None
        for _ in range(2):
            if self.at(SUB) and lower is None:
                self.advance()
                lower = self.group_node_list()
            elif self.at(SUP) and upper is None:
                self.advance()
                upper = self.group_node()
        if not self.starts_primary():
            raise self.error("a sum needs a body", tok)
        body = self.parse_product()
        children = (lower or Node("none", (tok.pos, tok.pos)), upper or Node("none", (tok.pos, tok.pos)), body)
        return Node("sum", (tok.pos, body.span[1]), children)

    def group_node_list(self) -> Node:
        tokens = self.group_tokens()
        if not tokens:
            raise self.error("empty sum limit")
        return self.sub_parser(tokens).parse_script_list()

    # -- matrices and spaces --------------------------------------------------------------------------
def parse_condition(text: str) -> tuple[Node, str, Node] | None:
    """A case's or a block's condition on indices, as written: "\\text{if k = y_i}", "k \\ne n",
    "\\text{if } k = n": (left, "=" or "neq", right); None for anything else (z > 0)."""
    try:
        tokens = tokenize(text)
    except LexError:
        return None
    flat = [t for t in tokens if not (t.kind == CMD and t.value in ("text", "mbox", "textrm", "mathrm"))
            and t.kind not in (LBRACE, RBRACE)]
    words = ("if", "when", "for", "where", "otherwise")
    k = 0
    while k < len(flat) and flat[k].kind == LETTER:  # leading words: if, when
        j = k
        while j < len(flat) and flat[j].kind == LETTER and (j == k or not flat[j].space_before):
            j += 1
        if "".join(t.value for t in flat[k:j]) not in words:
            break
        k = j
    flat = flat[k:]
    cut = [n for n, t in enumerate(flat) if (t.kind == OP and t.value == "=") or
           (t.kind == CMD and t.value in ("ne", "neq"))]
    if len(cut) != 1 or flat[-1].kind == EOF and len(flat) < 4:
        return None
    n = cut[0]
    op = "=" if flat[n].kind == OP else "neq"
    left, right = flat[:n], [t for t in flat[n + 1:] if t.kind != EOF]
    if not left or not right:
        return None
    end = right[-1].end
    try:
        lnode = Parser(left + [Token(EOF, "", left[-1].end, left[-1].end)], text, frozenset()).parse_side_only()
        rnode = Parser(right + [Token(EOF, "", end, end)], text, frozenset()).parse_side_only()
    except ParseError:
        return None
    return lnode, op, rnode


def _derivative_kind(num: list[Token], den: list[Token]) -> int | None:
    """How many tokens open a derivative fraction: 1 for \\partial, 1 for a d (dC/dw), or None."""
    if num and num[0].kind == CMD and num[0].value == "partial" and den and den[0].kind == CMD and den[0].value == "partial":
        return 1
    if (num and den and num[0].kind == LETTER and num[0].value == "d" and den[0].kind == LETTER and den[0].value == "d"
            and len(num) >= 1 and len(den) >= 2):
        return 1
    return None
