r"""Tokens of the restricted LaTeX math grammar `derive check` reads.

The tokenizer never interprets: it cuts a formula into tokens of explicit kinds, each with its
position (an offset into the formula's text) and whether white space came before it (`W0` is a
name with its index glued on; `W 0` is not). Everything that only spaces or decorates (`\,`,
`\displaystyle`, `\limits`, `\label{…}`, `\tag{…}`) is dropped here, so the parser never sees it.

A few Unicode characters that hand-written posts type directly (σ, δ, ∂, ⊙, ·, ×, −, ’) become the
command they stand for; any other character outside ASCII is an error with its position.
"""

from __future__ import annotations

import re

from dataclasses import dataclass

#: Token kinds.
CMD = "command"  # \frac, \partial, \\ (value "\\"), \{ (value "{")
LETTER = "letter"  # one ASCII letter: TeX reads `ab` as a times b
NUMBER = "number"  # 12, 0.5
LBRACE, RBRACE = "{", "}"
SUB, SUP = "_", "^"
PRIME = "prime"  # ' ’ ′
AMP = "&"
OP = "operator"  # + - * / = < > , ; : ! . | ( ) [ ]
EOF = "end of formula"

#: Digits in one number: a worked example prints 17 at most; Python refuses to read integers of
#: more than 4,300 digits, and exact arithmetic on long ones is slow.
MAX_NUMBER_DIGITS = 40

#: Commands that only space, size or decorate: dropped by the tokenizer.
IGNORED = frozenset({
    ",", ";", ":", "!", " ", ">", "thinspace", "medspace", "thickspace", "enspace", "negthinspace",
    "displaystyle", "textstyle", "scriptstyle", "limits", "nolimits", "nonumber", "notag",
    "big", "Big", "bigg", "Bigg", "bigl", "bigr", "Bigl", "Bigr", "biggl", "biggr", "Biggl", "Biggr",
    "middle", "mathop", "mathrel", "mathbin", "mathord", "hfill", "allowbreak", "relax", "quad", "qquad",
    "tiny", "scriptsize", "footnotesize", "small", "normalsize", "large", "Large", "LARGE", "huge", "Huge",
})
#: Commands whose one braced argument is dropped with them.
IGNORED_WITH_ARGUMENT = frozenset({"label", "tag", "tag*", "hspace", "vspace", "hphantom", "vphantom", "phantom",
                                   "color", "eqref"})

UNICODE = {
    "σ": "sigma", "δ": "delta", "∂": "partial", "⊙": "odot", "∘": "circ", "⊗": "otimes", "⊘": "oslash",
    "·": "cdot", "⋅": "cdot", "×": "times", "∇": "nabla", "Σ": "sum", "∑": "sum", "η": "eta", "φ": "phi",
    "ϕ": "phi", "μ": "mu", "λ": "lambda", "α": "alpha", "β": "beta", "θ": "theta", "ε": "epsilon",
    "≡": "equiv", "≈": "approx", "≠": "neq", "≤": "leq", "≥": "geq", "∈": "in", "←": "leftarrow",
    "→": "rightarrow", "⇒": "Rightarrow", "⊤": "top", "…": "dots", "⋯": "cdots", "⋮": "vdots", "ℓ": "ell",
}
PRIMES = "'’′"
MINUS_SIGNS = "−–"  # typographic minus and en dash
#: Full-width punctuation of Chinese posts: a separator like its ASCII twin.
FULLWIDTH = {"，": ",", "。": ".", "；": ";", "：": ":", "（": "(", "）": ")"}

#: Relation commands and what each is to a checker.
RELATIONS = {
    "=": "=", "equiv": "equiv", "coloneqq": "def", "triangleq": "def", "doteq": "def", "approx": "approx",
    "simeq": "approx", "cong": "approx", "sim": "approx", "propto": "approx", "neq": "neq", "ne": "neq",
    "leq": "lt", "le": "lt", "geq": "lt", "ge": "lt", "lt": "lt", "gt": "lt", "in": "in",
    "leftarrow": "update", "gets": "update", "to": "implies", "rightarrow": "implies", "Rightarrow": "implies",
    "implies": "implies", "iff": "implies", "Leftrightarrow": "implies", "mapsto": "implies", "longrightarrow": "implies",
}


@dataclass(frozen=True)
class Token:
    kind: str
    value: str
    pos: int
    end: int
    space_before: bool = False

    def describe(self) -> str:
        if self.kind == EOF:
            return "the end of the formula"
        if self.kind == CMD:
            return f"\\{self.value}"
        return repr(self.value)


class LexError(Exception):
    def __init__(self, message: str, pos: int, end: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.pos = pos
        self.end = pos + 1 if end is None else end  # where reading can resume


def tokenize(text: str, start: int = 0, stop: int | None = None) -> list[Token]:
    """The tokens of text[start:stop], positions counted in text."""
    tokens: list[Token] = []
    i, n = start, len(text) if stop is None else stop
    space = False
    while i < n:
        ch = text[i]
        if ch.isspace() or ch == "~" or ch == "$":  # a $ inside maths only opens maths nested in \text{…}
            space = True
            i += 1
            continue
        if ch == "%":  # a comment runs to the end of the line
            while i < n and text[i] != "\n":
                i += 1
            continue
        start = i
        if ch == "\\":
            if i + 1 >= n:
                raise LexError("a backslash ends the formula", i)
            nxt = text[i + 1]
            if nxt.isascii() and nxt.isalpha():
                j = i + 1
                while j < n and text[j].isascii() and text[j].isalpha():
                    j += 1
                if j < n and text[j] == "*" and text[i + 1:j] in ("tag",):
                    j += 1
                name = text[i + 1:j]
                i = j
            else:
                name = nxt
                i += 2
            sign = BRACED_SIGN.match(text, i, n) if name in ("mathrel", "mathbin") else None
            if sign:  # W \mathrel{-}= …: an update rule's -= (or +=), spaced as a relation
                tokens.append(Token(OP, sign.group(1), sign.start(1), sign.end(1), True))
                i = sign.end()
                space = False
                continue
            if name in IGNORED:
                space = True
                continue
            if name in IGNORED_WITH_ARGUMENT:
                i = _skip_group(text, i, n)
                space = True
                continue
            tokens.append(Token(CMD, name, start, i, space))
        elif ch.isascii() and ch.isalpha():
            tokens.append(Token(LETTER, ch, start, i + 1, space))
            i += 1
        elif ch.isdigit() or (ch == "." and i + 1 < n and text[i + 1].isdigit()):
            j = i
            while j < n and text[j].isdigit():
                j += 1
            comma = text.startswith("{,}", j) and j + 3 < n and text[j + 3].isdigit()  # 0{,}5: a decimal comma
            if comma or (j + 1 < n and text[j] == "." and text[j + 1].isdigit()):
                j += 3 if comma else 1
                while j < n and text[j].isdigit():
                    j += 1
            if j - i > MAX_NUMBER_DIGITS:
                raise LexError(f"a number of more than {MAX_NUMBER_DIGITS} digits", i, j)
            tokens.append(Token(NUMBER, text[i:j].replace("{,}", "."), start, j, space))
            i = j
        elif ch == "{":
            tokens.append(Token(LBRACE, ch, start, i + 1, space))
            i += 1
        elif ch == "}":
            tokens.append(Token(RBRACE, ch, start, i + 1, space))
            i += 1
        elif ch == "_":
            tokens.append(Token(SUB, ch, start, i + 1, space))
            i += 1
        elif ch == "^":
            tokens.append(Token(SUP, ch, start, i + 1, space))
            i += 1
        elif ch in PRIMES:
            tokens.append(Token(PRIME, "'", start, i + 1, space))
            i += 1
        elif ch == "&":
            tokens.append(Token(AMP, ch, start, i + 1, space))
            i += 1
        elif ch in "+-*/=<>,;:!.|()[]":
            tokens.append(Token(OP, ch, start, i + 1, space))
            i += 1
        elif ch in MINUS_SIGNS:
            tokens.append(Token(OP, "-", start, i + 1, space))
            i += 1
        elif ch in FULLWIDTH:
            tokens.append(Token(OP, FULLWIDTH[ch], start, i + 1, space))
            i += 1
        elif ch in UNICODE:
            tokens.append(Token(CMD, UNICODE[ch], start, i + 1, space))
            i += 1
        else:
            raise LexError(f"unexpected character {ch!r}", i)
        space = False
    tokens.append(Token(EOF, "", n, n, space))
    return tokens


#: \mathrel{-}=, \mathrel{+}=: the sign of an update rule written as a relation, before its =.
BRACED_SIGN = re.compile(r"\s*\{\s*([-+])\s*\}(?=\s*=)")


def tokenize_leniently(text: str) -> list[Token]:
    """The tokens of a formula, skipping what cannot be read (an unknown character, an overlong
    number) instead of failing: enough to find the formula's relations, so that a formula with
    one bad character is still reported as a claim (not checked), not mistaken for a mention."""
    tokens: list[Token] = []
    start = 0
    while True:
        try:
            return tokens + tokenize(text, start)
        except LexError as exc:
            try:
                tokens += tokenize(text, start, exc.pos)[:-1]
            except LexError:
                pass
            start = max(exc.end, exc.pos + 1)


def _skip_group(text: str, i: int, n: int) -> int:
    """Skip white space and one {…} group (or one character) starting at i, reading up to n."""
    while i < n and text[i].isspace():
        i += 1
    if i < n and text[i] == "{":
        depth = 0
        while i < n:
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
        raise LexError("unclosed {", n)
    return min(i + 1, n)
