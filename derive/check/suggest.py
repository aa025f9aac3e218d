r"""Stage 3, bind: a starting notation map read from a post (`derive check POST --suggest-notation`).

It reads only what a post says about its notation, never the derivative claims the checker judges:

- descriptions: a table row, a list item or a sentence that pairs a symbol with words
  ("$W^{[l]}$ | weight matrix of layer l", "- $z^l$: the weighted input", "where $a^l$ is the
  activation", "学习率 $\eta$", "m 个样本");
- forward-pass definitions: z = W a + b, Z = X W + b, a = σ(z), A = g(Z), ŷ = softmax(z), a^1 = x,
  and the cost's own definition (C = ½‖a − y‖², L = −Σ y log ŷ, J = (1/m) Σ L^{(i)}).

A formula with ∂, ∇, a d-fraction, a prime, δ, an update rule or Ng's glued dW is a claim: it is
skipped (only the glued d itself is noted, as Ng's `gradient_prefix`). What the post states becomes
a line of the map with a comment giving where; what it leaves open (two readings, a symbol nothing
describes, a network that disagrees with the post) is written commented out, as a question.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterator

from .. import rules
from ..spec import NetworkSpec
from .extract import Document, statements
from .lexer import CMD, LBRACE, LETTER, OP, RBRACE, RELATIONS, LexError, tokenize
from .notation import NAME, NotationMap
from .parser import FUNCTION_WORDS, Call, Node, ParseError, Sym, parse_chain

# ----------------------------------------------------------------------------------------------
# Words
# ----------------------------------------------------------------------------------------------

#: Words that describe a symbol, English then Chinese. None: words that name no role of a symbol
#: ("input layer", "隐藏层") and keep a shorter word inside them ("input") from matching.
ROLE_WORDS: tuple[tuple[str, str | None], ...] = (
    (r"weighted (?:inputs?|sums?)|pre-?activations?|pre activations?|net inputs?|logits?", "preactivation"),
    (r"activation functions?|non-?linearit(?:y|ies)", "activation-function"),
    (r"activations?", "activation"),
    (r"weights?|weight matri(?:x|ces)", "weight"),
    (r"bias(?:es)?|bias vectors?", "bias"),
    (r"(?:mean )?squared errors?|mean square errors?|cross[- ]entropy|costs?|loss(?:es)?|objective|"
     r"error functions?", "cost"),
    (r"errors?", "error"),
    (r"learning rates?|step sizes?", "learning-rate"),
    (r"number of (?:training )?(?:examples|samples)|batch size", "batch"),
    (r"number of (?:neurons|units|nodes|features)|widths?", "width"),
    (r"number of layers|depth", "depth"),
    (r"(?:input|output|hidden) (?:layers?|units?|neurons?|nodes?)|layers?", None),
    (r"inputs?|input vectors?", "input"),
    (r"correct class(?:es)?|class (?:index|indices|labels?)|true class(?:es)?", "label"),
    (r"targets?|labels?|ground truth|true values?|desired outputs?|expected outputs?", "target"),
    (r"predictions?|predicted (?:values?|outputs?|probabilit(?:y|ies))|outputs?", "output"),
    (r"jacobians?", "jacobian"),
    (r"identity matri(?:x|ces)", "identity-matrix"),
    (r"kronecker deltas?", "kronecker"),
    ("加权输入|带权输入|净输入", "preactivation"),
    ("激活函数|非线性函数", "activation-function"),
    ("激活值|激活输出|激活", "activation"),
    ("权重|权值", "weight"),
    ("偏置项?|偏差项", "bias"),
    ("均方误差|平方误差|交叉熵|损失|代价|成本|目标函数", "cost"),
    ("误差", "error"),
    ("学习率|步长", "learning-rate"),
    ("样本数量?|样本个数|批大小|批量大小", "batch"),
    ("神经元个?数|节点数|单元数|特征数", "width"),
    ("层数", "depth"),
    ("输入层|输出层|隐藏层|隐含层|隐层", None),
    ("输入", "input"),
    ("标签|真实值|目标值|真值|期望输出", "target"),
    ("预测值|预测|输出值|输出", "output"),
    ("雅可比", "jacobian"),
    ("单位矩阵", "identity-matrix"),
)
#: Other names of the registry's activations (the registry's own names match as they are).
ACTIVATION_ALIASES = {"logistic": "sigmoid", "rectified linear": "relu", "hyperbolic tangent": "tanh"}


def _word_patterns() -> list[tuple[re.Pattern[str], str | None]]:
    words = list(ROLE_WORDS)
    words += [(re.escape(name), name) for name in rules.ACTIVATIONS]
    words += [(re.escape(alias), name) for alias, name in ACTIVATION_ALIASES.items()]
    out = []
    for phrase, role in words:
        ascii_only = phrase.isascii()
        out.append((re.compile(rf"\b(?:{phrase})\b" if ascii_only else phrase, re.IGNORECASE), role))
    return out


WORDS = _word_patterns()
FUNCTION_ROLES = frozenset({"activation-function", *rules.ACTIVATIONS})
#: Roles of quantities one sample has (x beside the batch X is one sample's).
SAMPLE_ROLES = ("input", "target", "output", "activation", "preactivation", "error")

#: After a symbol: a separator or a copula, then its description ("$z$: the weighted input").
APPOSITION = re.compile(r"\s*(?:[:：|—–]+|-(?=\s)|,|，)?\s*(?:(?:is|are|be|denotes?|stands for|means|represents|its)\b|"
                        r"为|是|表示|代表|指|即)?\s*(?:(?:the|a|an|its|our|this|each)\b)?\s*", re.IGNORECASE)
#: After a count: "$m$ examples", "$n_1$ 个节点".
COUNT_AFTER = re.compile(r"\s*(?:(?:training\s+)?(?:examples|samples)\b|个(?:训练)?样本)|"
                         r"\s*(?:(?:hidden\s+)?(?:neurons|units|nodes|features)\b|个(?:神经元|节点|单元|特征))",
                         re.IGNORECASE)
#: Between a describing word and its symbol: "the weight matrix $W$", "学习率为 $\eta$".
BEFORE_GAP = re.compile(r"(?:\s*(?:matri(?:x|ces)|vectors?|values?|terms?|parameters?|functions?|scalars?|"
                        r"值|矩阵|向量|项|函数|参数))*\s*(?:[,:：，]|is|are|=|为|是|记为|记作|用|定义为|"
                        r"(?:is )?denoted(?: by| as)?|(?:is )?called|(?:is )?written(?: as)?|(?:is )?defined as)?\s*"
                        r"(?:(?:the|a|an)\b)?\s*", re.IGNORECASE)
#: A word that defines the formula after it (a display's left side is described only so).
DEFINING = re.compile(r"(?:is|are|为|是|记为|记作|定义为|denoted(?: by| as)?|called|defined as)\s*$", re.IGNORECASE)
LAYER_WORD = re.compile(r"\blayers?\b|层", re.IGNORECASE)
LIST_WORDS = re.compile(r"\band\b|\bor\b|和|与|及|、")
CLAUSE_END = re.compile(r"[.!?](?=\s|$)|[;。；！？]|\n\s*\n|\n(?=\s*(?:[-*+]\s|\d+[.)]\s|\||#))|\|")
#: The sentence before a cost's definition says it averages ("averaged over the m examples", "平均").
AVERAGE_WORDS = re.compile(r"\baverag(?:e|ed|es|ing)\b|\bmean (?:over|of)\b|平均", re.IGNORECASE)
#: A bare letter counted in prose: "the m examples", "m 个样本".
BARE_COUNT = re.compile(r"(?<![A-Za-z\\$_{])([B-HJ-Zb-z])\s*(?:个(?:训练)?样本|(?:training\s+)?(?:examples|samples)\b)")
#: The post says where its layers start: "the input is layer 1", "输入层 … a^1".
INPUT_LAYER_WORDS = re.compile(r"input layer|输入层", re.IGNORECASE)
GLUED_LOG = re.compile(r"(?<![A-Za-z\\])(ln|log)(?=\\|[A-Za-z])")
CJK = re.compile(r"[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef\u3000-\u303f]+")
#: Text that makes a formula a claim about derivatives (or an update), never a definition.
CLAIM = re.compile(r"\\partial|∂|\\nabla|∇|\\[dtc]?frac\s*\{\s*d|\\delta\b|δ|\\Delta\b|'|’|′|\\prime|\\leftarrow|"
                   r"\\gets|:=|[-+]=|\\text\{d\}|\\mathrm\{d\}")
LAYER_LETTERS = frozenset({"l", "L", "ell"})
#: Letters whose usual reading a question proposes (never binds): role, as written, applied or not.
CONVENTIONAL = {"I": ("identity-matrix", "I_n", False), "J": ("jacobian", "J_x(f)", True)}


# ----------------------------------------------------------------------------------------------
# What was found
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Evidence:
    line: int
    quote: str  # the post's own text (a formula, or the words beside a symbol)
    why: str = ""  # what was read there


@dataclass(frozen=True)
class Clue:
    """One reading of a symbol: its role, and the layer a one-letter-per-layer name always has."""

    name: str
    role: str
    evidence: Evidence
    layer: int | str | None = None


@dataclass(frozen=True)
class Line:
    """One line of the suggested map: a key and its TOML value, or a question (commented out)."""

    key: str
    value: str  # TOML text of the value; "" for a question with no proposal
    evidence: Evidence
    question: str = ""


@dataclass(frozen=True)
class Ref:
    """A symbol as a forward-pass formula writes it: its layer (("l", -1) for l−1, (None, 2) for 2),
    where the layer is written, the brackets around it, a transpose, its entry indices."""

    sym: Sym
    layer: tuple[str | None, int] | None
    where: str | None  # "super" or "sub"
    brackets: str  # "[l]", "(l)" or ""
    transposed: bool
    index: tuple[str, ...]
    labels: tuple[str, ...] = ()  # indices that are symbols of their own: y_i in O[i, y_i]

    @property
    def name(self) -> str:
        return self.sym.name

    @property
    def numbered(self) -> bool:
        """W_1, a_3: a number written below, a layer or a neuron (neurons numbered across layers)."""
        return self.where == "sub" and self.layer is not None and self.layer[0] is None


# ----------------------------------------------------------------------------------------------
# Entry point
# ----------------------------------------------------------------------------------------------


def suggest_notation(doc: Document, spec: NetworkSpec, base: NotationMap, *, source: str, net: str) -> str:
    """The TOML text of a starting notation map for the post in `doc`, checked against `spec`
    (whose defaults, with the post's own notation blocks, are `base`)."""
    reader = _Reader(doc, spec, base)
    reader.read()
    return reader.render(source, net)


class _Reader:
    def __init__(self, doc: Document, spec: NetworkSpec, base: NotationMap) -> None:
        self.doc, self.spec, self.base = doc, spec, base
        self.clues: list[Clue] = []
        self.settings: list[Line] = []
        self.notes: list[str] = []
        self.questions: list[Line] = []
        self.layouts: list[tuple[str, str, Evidence]] = []  # (what was found, layout, where)
        self.layer_places: list[tuple[str, Evidence]] = []  # ("super" | "sub", where)
        self.brackets: dict[str, Evidence] = {}
        self.pairs: list[tuple[Ref, Ref, Evidence]] = []  # ‖u − v‖²: one is the target
        self.reductions: dict[str, tuple[str, Evidence]] = {}
        self.written: dict[str, Evidence] = {}  # every symbol written anywhere, where first
        self.layered: set[str] = set()  # symbols written with a layer somewhere
        self.applied: set[str] = set()  # symbols applied to an argument: σ(z), f_l(z)
        self.defined: set[str] = set()  # symbols a formula that is no claim defines
        self.subscripted: set[str] = set()  # symbols written with a subscript somewhere (I_n, J_x)
        self.differentiated: dict[str, Evidence] = {}  # symbols some derivative is taken of (∂L/∂w)
        self.prefix: Evidence | None = None
        self.offset: tuple[int, Evidence] | None = None

    # -- reading ---------------------------------------------------------------------------------
    def read(self) -> None:
        self._survey()
        self._descriptions()
        self._bare_counts()
        for text, line in self._definitions():
            self._definition(text, line)
        self._gradient_prefix()

    def line_of(self, offset: int) -> int:
        return self.doc.line_col(offset)[0]

    def _parse(self, text: str) -> list[tuple[str | None, Node | None]]:
        """The sides of a formula and the relation before each; a side that does not parse is None."""
        functions = self.base.functions() | _applied_names(text)
        text = _logs_spelled(text)
        try:
            return list(parse_chain(text, functions))
        except ParseError:
            pass
        out: list[tuple[str | None, Node | None]] = []
        for relation, side in _split_sides(text):
            try:
                chain = parse_chain(side, functions)
                out.append((relation, chain[0][1] if len(chain) == 1 else None))
            except ParseError:
                out.append((relation, None))
        return out

    def _survey(self) -> None:
        """Which symbols the post writes (and where first), with a layer or not, applied as
        functions or not: in every formula, claims included (this is how it writes, not what it claims)."""
        found, _ = statements(self.doc)
        sources = [st.src for st in found] + [math.src for math in self.doc.maths]
        for src in sources:
            for piece, line in self._pieces_of(src):
                for _, node in self._parse(piece):
                    if node is None:
                        continue
                    for name in _differentiated(node):
                        self.differentiated.setdefault(name, Evidence(line, _quote(piece)))
                    for sym, applied, (start, end) in _symbols(node):
                        if sym.name in FUNCTION_WORDS or _in_word(_logs_spelled(piece), start, end, sym):
                            continue
                        if sym.name not in self.written or self.written[sym.name].line > line:
                            self.written[sym.name] = Evidence(line, _quote(piece))
                        if applied:
                            self.applied.add(sym.name)
                        if sym.sub is not None:
                            self.subscripted.add(sym.name)
                        layer, where, _ = _layer_of(sym)
                        if layer is not None and not (where == "sub" and layer[0] is None):
                            self.layered.add(sym.name)  # a_3 may be neuron 3: not a layer for sure

    def _pieces_of(self, src: Any) -> Iterator[tuple[str, int]]:
        """The pieces of a formula (see _pieces), each with the line it starts on."""
        at = 0
        for piece in _pieces(src.text):
            found = src.text.find(piece.lstrip()[:12], at)
            start = found if found >= 0 else at
            at = start
            yield piece, self.line_of(src.offset(start))

    # -- descriptions ----------------------------------------------------------------------------
    def _descriptions(self) -> None:
        maths, text = self.doc.maths, _masked(self.doc.text)
        for k, math in enumerate(maths):
            sides = self._parse(math.src.text)
            if not sides or sides[0][1] is None:
                continue
            ref = _ref(sides[0][1])
            if ref is None:
                continue
            relation = sides[1][0] if len(sides) > 1 else None
            previous_end = maths[k - 1].end if k else 0
            next_start = maths[k + 1].start if k + 1 < len(maths) else len(text)
            before = _last_clause(text[previous_end:math.start])
            after = _first_clause(text[math.end:next_start])
            text_start = len(math.src.text) - len(math.src.text.lstrip())
            line = self.line_of(math.src.offset(text_start))
            quote = _line_quote(self.doc.text, math.src.offset(text_start), math.end)
            if text[text.rfind("\n", 0, math.start) + 1:math.start].lstrip().startswith("|"):
                found = _table_role(text, math)
            elif relation is None or relation == "in":
                ordinal = re.search(r"第\s*$", before) is not None  # 第 $j$ 个神经元: neuron j, not a count
                found = (None if ordinal else _count_role(after)) or _after_role(after) or \
                    _before_role(before, definition=False)
            elif relation in ("=", "def", "equiv"):
                found = _before_role(before, definition=True, display=math.display)
            else:
                found = None
            if found is not None:
                self._described(ref, found, Evidence(line, quote, "described"), before + " " + after)
            self._input_layer(ref, before + " " + after, Evidence(line, quote))

    def _described(self, ref: Ref, found: tuple[str, ...], evidence: Evidence, words: str) -> None:
        """A symbol and the role(s) its words give: one role is a clue, several a question."""
        roles = [r for r in found if self._fits(ref.name, r)]
        if not roles:
            return
        if len(set(roles)) > 1:
            self.questions.append(Line(ref.name, "", evidence, "the words name " + " or ".join(
                f'"{r}"' for r in dict.fromkeys(roles)) + ": which?"))
            return
        role = roles[0]
        if role == "activation" and ref.name in self.applied:
            role = "activation-function"  # "f: the activation of layer l"
        if role in ("output", "input") and LAYER_WORD.search(words):
            if role == "input":  # "the input of layer l" is the activation below it, not x
                self.questions.append(Line(ref.name, "", evidence, "the input of a layer: which layer's activation?"))
                return
            role = "activation"  # "the output of the hidden layer"
        if role == "error" and ref.name not in ("delta", "Delta") and ref.name not in self.layered:
            self.questions.append(Line(ref.name, '"error"', evidence, "an error δ^l = ∂C/∂z^l, or the difference "
                                       "of the prediction and the target (then bind nothing)?"))
            return
        self.clues.append(Clue(ref.name, role, evidence))
        if role == "cost" and _says_average(words):
            self.reductions.setdefault(ref.name, ("mean", evidence))

    def _fits(self, name: str, role: str) -> bool:
        """A function's role (an activation's name) only for a symbol the post applies to something."""
        return name in self.applied if role in FUNCTION_ROLES else True

    def _input_layer(self, ref: Ref, words: str, evidence: Evidence) -> None:
        """"The input layer is $a^1$": the post numbers its input layer 1 (or 0)."""
        if ref.layer is None or ref.layer[0] is not None or not INPUT_LAYER_WORDS.search(words):
            return
        if ref.layer[1] in (0, 1) and self.offset is None:
            self.offset = (ref.layer[1], Evidence(evidence.line, evidence.quote, "the input layer's activation"))

    def _bare_counts(self) -> None:
        """A letter counted in prose without math: "the m examples", "m 个样本"."""
        text = _masked(self.doc.text)
        for math in self.doc.maths:  # prose only
            text = text[:math.start] + " " * (math.end - math.start) + text[math.end:]
        for m in BARE_COUNT.finditer(text):
            line = self.line_of(m.start())
            evidence = Evidence(line, _line_quote(self.doc.text, m.start(), m.end()), "a count of examples")
            self.clues.append(Clue(m.group(1), "batch", evidence))

    # -- forward-pass definitions ----------------------------------------------------------------
    def _definitions(self) -> Iterator[tuple[str, int]]:
        """The formulas that can define notation (not claims), one row or prose-free piece at a time."""
        found, _ = statements(self.doc)
        for st in found:
            for piece, line in self._pieces_of(st.src):
                if not CLAIM.search(piece) and not _glued_d(piece):
                    yield piece, line

    def _definition(self, text: str, line: int) -> None:
        sides = self._parse(text)
        evidence = Evidence(line, _quote(text))
        self._sizes(sides, text, evidence)
        if len(sides) < 2 or sides[0][1] is None:
            return
        lhs = sides[0][1]
        defined = _ref(lhs)
        if defined is not None:
            self.defined.add(defined.name)  # U[i,k] = e^{S[i,k]}: the checker reads such a definition itself
        for relation, rhs in sides[1:]:
            if rhs is None or relation not in ("=", "def", "equiv"):
                continue
            if self._cost(lhs, rhs, evidence):
                break
            self._forward(lhs, rhs, evidence)

    def _forward(self, lhs: Node, rhs: Node, evidence: Evidence) -> None:
        target = _ref(lhs)
        if target is None:
            return
        applied = _application(rhs)
        if applied is not None:
            head, argument = applied
            affine = _affine(argument)
            if affine is not None:
                layer = self._affine(None, affine, evidence)
            else:
                inner = _ref(argument)
                if inner is None:
                    return
                layer = inner.layer
                self._clue(inner, "preactivation", evidence, "the argument of the activation", layer)
            self._activation_function(head, evidence)
            unlayered = target.layer is None or target.numbered
            role = "output" if unlayered and (head.lower() == "softmax" or target.name.endswith("hat")) else "activation"
            self._clue(target, role, evidence, f"{head} of the pre-activation", layer)
            return
        affine = _affine(rhs)
        if affine is not None:
            self._affine(target, affine, evidence)
            return
        source = _ref(rhs)
        if source is not None and target.layer is not None and target.layer[0] is None and source.layer is None:
            self._input_identity(target, source, evidence)

    def _base_role(self, name: str) -> str | None:
        binding = self.base.binding(name)
        return binding.role if binding is not None else None

    def _clue(self, ref: Ref, role: str, evidence: Evidence, why: str,
              layer: tuple[str | None, int] | None = None, matrices: bool = False) -> None:
        """A reading of `ref`; `matrices`: read from a product of matrices (W_1 x), where a number
        written below is a layer for sure, not a neuron."""
        one_layer = None
        if ref.layer is None and ref.name not in self.layered and layer is not None and layer[0] is None \
                and role not in ("output", "input"):
            one_layer = layer[1]  # h = σ(W_1 x + b_1): h is always layer 1
        self.clues.append(Clue(ref.name, role, Evidence(evidence.line, evidence.quote, why), one_layer))
        if ref.where is not None and role in ("weight", "bias", "preactivation", "activation") and \
                (matrices or not ref.numbered):
            self.layer_places.append((ref.where, evidence))
            if ref.brackets:
                self.brackets.setdefault(ref.brackets, evidence)

    def _affine(self, target: Ref | None, affine: tuple[Ref, Ref, Ref], evidence: Evidence
                ) -> tuple[str | None, int] | None:
        """W a + b (or X W + b, or Σ_j w_kj a_j + b_k): the weight, the activation or input it
        multiplies, the bias; the layout it shows. Returns the formula's layer."""
        first, second, bias = affine
        layer = (target.layer if target is not None and target.layer is not None else None) or bias.layer
        weight = _weight_position(first, second, layer, self.base)
        if weight is None:
            return layer
        w, other = (first, second) if weight == 0 else (second, first)
        layer = layer or w.layer
        matrices = not w.index  # W_1 x rather than Σ_k w_{jk} x_k
        self._clue(w, "weight", evidence, "multiplies the previous layer", layer, matrices)
        self._clue(bias, "bias", evidence, "added to the product", layer, matrices)
        if target is not None:
            self._clue(target, "preactivation", evidence, "weights times activations plus bias", layer, matrices)
        below = _below(layer)
        inputs = ("input", "normalized-input")
        if other.layer is not None:
            self._clue(other, "activation", evidence, "multiplied by the weight", other.layer, matrices)
        elif self._base_role(other.name) in inputs:
            self._clue(other, self._base_role(other.name), evidence, "multiplied by the first weight")
        elif self._base_role(_twin(other.name)) in inputs:
            self._clue(other, self._base_role(_twin(other.name)), evidence, "multiplied by the first weight")
        elif below is not None and below[1] == 0:
            self._clue(other, "input", evidence, "multiplied by the first layer's weight")
        elif below is not None and below[0] is None:
            self._clue(other, "activation", evidence, f"multiplied by layer {layer[1]}'s weight", below)
        self._layout(w, other, weight, target, evidence)
        return layer

    def _layout(self, w: Ref, other: Ref, position: int, target: Ref | None, evidence: Evidence) -> None:
        """Which way the post lays out W: by the entries' indices, else by where it stands."""
        if len(w.index) == 2 and target is not None and target.index:
            neuron = target.index[-1]
            if neuron in w.index and w.index[0] != w.index[1]:
                layout = "destination" if w.index[0] == neuron else "source"
                self.layouts.append(("entries", layout, Evidence(evidence.line, evidence.quote,
                                                                 f"{w.name}'s first index is the "
                                                                 + ("destination" if layout == "destination"
                                                                    else "source") + " neuron")))
                return
        column = position == 0  # W a: vectors are columns
        layout = "destination" if column != w.transposed else "source"
        weight = w.name + ("ᵀ" if w.transposed else "")
        form = f"{weight} {other.name}" if column else f"{other.name} {weight}"
        self.layouts.append(("column" if column else "row", layout, Evidence(evidence.line, evidence.quote, form)))

    def _activation_function(self, head: str, evidence: Evidence) -> None:
        name = head if NAME.match(head) else None
        if name is None:
            return
        role = _activation_named(head, self.base)
        evidence = Evidence(evidence.line, evidence.quote, "applied to the pre-activation")
        if role is None:
            self.clues.append(Clue(name, "activation-function", evidence))
            return
        used = {layer.activation for layer in self.spec.layers}
        if role not in used:
            self.questions.append(Line(name, f'"{role}"', evidence, f"the network has no {role} layer "
                                       f"({', '.join(sorted(used))}): is {name} its activation "
                                       "(\"activation-function\") or another network?"))
            return
        self.clues.append(Clue(name, role, evidence))

    def _input_identity(self, target: Ref, source: Ref, evidence: Evidence) -> None:
        """a^1 = x, A^{[0]} = X: the input, and the number of the input layer."""
        number = target.layer[1]
        if number not in (0, 1) or self._base_role(target.name) not in (None, "activation"):
            return
        self.clues.append(Clue(source.name, "input", Evidence(evidence.line, evidence.quote, "the input layer")))
        self.clues.append(Clue(target.name, "activation", Evidence(evidence.line, evidence.quote,
                                                                   "the input layer's activation")))
        if self.offset is None:
            self.offset = (number, Evidence(evidence.line, evidence.quote, "the input layer's activation"))

    # -- the cost --------------------------------------------------------------------------------
    def _cost(self, lhs: Node, rhs: Node, evidence: Evidence) -> bool:
        """C = ½‖a − y‖², L = −Σ y log ŷ, L = Σ_i L_i, J = (1/m)(L^{(1)} + …), L = 𝓛(a, y)."""
        name = _cost_name(lhs)
        if name is None:
            return False
        logs = list(_log_terms(rhs))
        squares = list(_squared_differences(rhs))
        losses = [s for s, _, _ in _symbols(rhs) if s.name == name and (s.sub or s.sup)]
        call = rhs if rhs.kind == "call" and rhs.children and rhs.children[0].kind == "list" else None
        if not (logs or squares or losses or call):
            return False
        self.clues.append(Clue(name, "cost", Evidence(evidence.line, evidence.quote, "the cost's definition")))
        for predicted, targets in logs:
            for ref in predicted:
                self._prediction(ref, evidence)
            for ref in targets:
                self._target(ref, evidence)
        for first, second in squares:
            self.pairs.append((first, second, evidence))
        if call is not None:
            cost = call.value
            args = [_ref(a) for a in call.children[0].children]
            self.clues.append(Clue(cost.name, "cost", Evidence(evidence.line, evidence.quote, "the loss function")))
            if len(args) == 2 and args[0] is not None and args[1] is not None:
                self.pairs.append((args[0], args[1], evidence))
        batch = _averaged_over(rhs)
        before = " ".join(self.doc.text.split("\n")[max(0, evidence.line - 3):evidence.line - 1])
        if batch is not None:
            self.reductions[name] = ("mean", Evidence(evidence.line, evidence.quote, f"1/{batch} times a sum"))
            self.clues.append(Clue(batch, "batch", Evidence(evidence.line, evidence.quote,
                                                            f"the cost's 1/{batch} and sum up to {batch}")))
        elif _says_average(before):
            self.reductions.setdefault(name, ("mean", Evidence(evidence.line, evidence.quote,
                                                               "the sentence before says it averages")))
        return True

    def _prediction(self, ref: Ref, evidence: Evidence) -> None:
        if ref.layer is not None:
            self._clue(ref, "activation", evidence, "inside the log: the prediction")
        elif ref.name in self.layered:
            self.clues.append(Clue(ref.name, "activation", Evidence(evidence.line, evidence.quote,
                                                                     "inside the log: the last layer's activation"),
                                   "L"))
        else:
            self.clues.append(Clue(ref.name, "output", Evidence(evidence.line, evidence.quote,
                                                                 "inside the log: the prediction")))
        for label in ref.labels:
            self.clues.append(Clue(label, "label", Evidence(evidence.line, evidence.quote,
                                                            "picks the class of example i")))

    def _target(self, ref: Ref, evidence: Evidence) -> None:
        if ref.layer is None:
            self.clues.append(Clue(ref.name, "target", Evidence(evidence.line, evidence.quote,
                                                                 "beside the prediction in the cost")))

    def _sizes(self, sides: list[tuple[str | None, Node | None]], text: str, evidence: Evidence) -> None:
        """n_l as a sum's upper limit, a dimension of a shape written below a group or a shape
        (n_l, n_{l−1}) on its own: a layer's width."""
        sizes = [size for _, node in sides if node is not None for size in _size_nodes(node)]
        shape = re.fullmatch(r"\s*\(\s*([^(),]+),\s*([^(),]+)\)\s*", text)
        for part in shape.groups() if shape else ():
            for _, node in self._parse(part):
                if node is not None:
                    sizes += node.children if node.kind == "mul" else [node]
        for size in sizes:
            ref = _ref(size)
            if ref is not None and ref.layer is not None and ref.where == "sub" and not ref.index:
                self.clues.append(Clue(ref.name, "width", Evidence(evidence.line, evidence.quote, "a layer's size")))

    # -- conventions -----------------------------------------------------------------------------
    def _gradient_prefix(self) -> None:
        """Ng's dW, dz^{[l]}: a d glued to a symbol the map binds, outside any d-fraction."""
        for math in self.doc.maths:
            for piece, line in self._pieces_of(math.src):
                glued = _glued_d(piece)
                if glued and self.prefix is None:
                    self.prefix = Evidence(line, _quote(piece), "d glued to " + ", ".join(sorted(glued)))

    # -- resolving -------------------------------------------------------------------------------
    def _bindings(self) -> tuple[list[Line], list[Line]]:
        """Each symbol's line: one reading, or a question when the readings disagree."""
        by_name: dict[str, list[Clue]] = {}
        for clue in self.clues:
            if NAME.match(clue.name):
                by_name.setdefault(clue.name, []).append(clue)
        self._resolve_pairs(by_name)
        lines, questions = [], []
        uppers = {name for name in self.written if name[:1].isupper()}
        for name, clues in by_name.items():
            if f"symbols.{name}" in self.base.stated:
                continue  # the post's own notation block binds it already
            roles = list(dict.fromkeys(_merged_roles((c.role for c in clues), name in self.layered)))
            first = clues[0].evidence
            if len(roles) > 1:
                where = "; ".join(f'"{c.role}" (line {c.evidence.line}: {c.evidence.why or "described"})'
                                  for c in _one_per_role(clues))
                questions.append(Line(name, f'"{roles[0]}"', first, f"read as {where}: which?"))
                continue
            role = roles[0]
            table: dict[str, Any] = {}
            layers = {c.layer for c in clues if c.layer is not None}
            if len(layers) == 1 and (name not in self.layered or layers == {"L"}):
                table["layer"] = layers.pop()  # h: layer 1 always; a without a layer: the last one
            if role in SAMPLE_ROLES and self.spec.batch is not None and _is_lower(name) and \
                    _twin(name) in uppers:
                table["one_sample"] = True
            if role == "cost" and name in self.reductions and self.spec.batch is not None:
                table["reduction"] = self.reductions[name][0]
            own = self._own_keys(name, role)
            table = {**own, **table}
            why = "; ".join(list(dict.fromkeys(c.evidence.why for c in clues if c.evidence.why))[:2])
            notes = [f"{', '.join(own)} as derive's own notation for this network"] if own else []
            if "one_sample" in table:
                notes.append(f"lower case beside the batch {_twin(name)}: one example's")
            if "reduction" in table:
                notes.append(f"averaged (line {self.reductions[name][1].line})")
            evidence = Evidence(first.line, first.quote, "; ".join([why] + notes) if why else "; ".join(notes))
            lines.append(Line(name, _toml_binding(role, table), evidence))
        return lines, questions

    def _own_keys(self, name: str, role: str) -> dict[str, Any]:
        """The keys derive's own notation gives a symbol beside its role (a_3: index = "neuron" in
        the 2-2-2 network's scalar view), kept when the post reads it in the same role."""
        binding = self.base.binding(name)
        if binding is None or binding.role != role:
            return {}
        own = {"index": binding.index} if binding.index != "entry" else {}
        for key in ("layout", "layer_index", "layer_offset", "layer", "reduction"):
            if getattr(binding, key) is not None:
                own[key] = getattr(binding, key)
        if binding.one_sample:
            own["one_sample"] = True
        return own

    def _resolve_pairs(self, by_name: dict[str, list[Clue]]) -> None:
        """‖u − v‖², 𝓛(u, v): the layered one is the activation and the other the target; else the
        one already read as the prediction tells; else a question."""
        for first, second, evidence in self.pairs:
            pair = [first, second]
            layered = [r for r in pair if r.layer is not None and not r.numbered]
            if len(layered) == 1:
                predicted = layered[0]
            else:
                known = [r for r in pair if any(c.role in ("output", "activation") for c in by_name.get(r.name, []))]
                if len(known) != 1:
                    names = " and ".join(r.name for r in pair)
                    self.questions.append(Line(first.name, "", evidence,
                                               f"the cost compares {names}: which is the target?"))
                    continue
                predicted = known[0]
            other = second if predicted is first else first
            why = Evidence(evidence.line, evidence.quote, "compared with the prediction in the cost")
            by_name.setdefault(other.name, []).append(Clue(other.name, "target", why))
            if predicted in layered:
                by_name.setdefault(predicted.name, []).append(
                    Clue(predicted.name, "activation", Evidence(evidence.line, evidence.quote, "the prediction")))

    def _top_lines(self) -> None:
        if self.prefix is not None:
            self.settings.append(Line("gradient_prefix", '"d"', self.prefix))
        if self.offset is not None:
            number, evidence = self.offset
            if number == 1:
                self.settings.append(Line("layer_offset", "1", Evidence(evidence.line, evidence.quote,
                                                                         "the input is layer 1")))
            else:
                self.notes.append(f"The input is layer 0 (line {evidence.line}): nothing to set.")
        places = {where for where, _ in self.layer_places}
        if len(places) == 1:
            where = places.pop()
            evidence = self.layer_places[0][1]
            self.settings.append(Line("layer_index", f'"{where}"', Evidence(
                evidence.line, evidence.quote, "layers written as " + ("superscripts" if where == "super"
                                                                          else "subscripts"))))
        elif len(places) > 1:
            evidence = self.layer_places[0][1]
            self.questions.append(Line("layer_index", "", evidence, "layers are written both as superscripts and "
                                       "as subscripts: give each symbol its own layer_index"))
        for brackets, evidence in sorted(self.brackets.items()):
            self.notes.append(f"Layers are written in brackets, {brackets} (line {evidence.line}): read without a "
                              "key.")
        self._layout_lines()

    def _layout_lines(self) -> None:
        if not self.layouts:
            return
        found = {layout for _, layout, _ in self.layouts}
        kinds = {kind for kind, _, _ in self.layouts}
        first = self.layouts[0][2]
        if len(found) > 1 or {"row", "column"} <= kinds:
            where = "; ".join(f"line {e.line}: {e.why}" for _, _, e in self.layouts)
            self.questions.append(Line("layout", "", first, f"the post lays W out two ways ({where}): which?"))
            return
        layout = found.pop()
        convention = "row" if "row" in kinds else "column" if "column" in kinds else None
        if convention is not None and convention != self.spec.convention:
            self.questions.append(Line("layout", "", first, f"the post writes {first.why} (the {convention} "
                                       f"convention) but the network is {self.spec.convention}: check it with "
                                       f"--convention {convention}"))
            return
        if layout == self.base.layout:
            rows = "rows = destination" if layout == "destination" else "rows = source"
            self.notes.append(f"W is laid out {rows} (line {first.line}: {first.why}), as this network's own: "
                              "nothing to set.")
            return
        self.settings.append(Line("layout", f'"{layout}"', first))

    def _unbound(self, bound: set[str], roles: dict[str, str]) -> list[Line]:
        """Symbols the post writes that nothing binds: a question each (their formulas stay "not
        checked"), proposing the role of the same letter in the other case when that one is bound, or
        the usual reading of I_n and J_x(f); and a letter that is differentiated although the
        network's notation makes it the number of layers (∂L/∂w: the cost here?)."""
        out = []
        for name, evidence in self.written.items():
            if name in bound and roles.get(name) != "depth" or name in self.defined or \
                    name in ("one", "e", "d", "l", "ell") or (len(name) == 1 and name.islower() and name in "ijkpqrst"):
                continue
            base = self._base_role(name)
            if base == "depth" or roles.get(name) == "depth":
                if name in self.differentiated:
                    out.append(Line(name, '"cost"', self.differentiated[name], f"{name} is differentiated here, "
                                    "but names the number of layers by default: is it the cost?"))
                continue
            if base is not None or name in bound:
                continue
            twin = _twin(name)
            twin_role = self._role_of(twin, roles)
            layered_role = name in self.layered and twin_role in ("weight", "bias", "preactivation", "activation")
            sample_role = self.spec.batch is not None and twin_role in SAMPLE_ROLES
            usual = CONVENTIONAL.get(name)
            if layered_role or sample_role:
                out.append(Line(name, f'"{twin_role}"', evidence,
                                f"{name} beside {twin} ({twin_role}): the same quantity?"))
            elif usual is not None and name in self.subscripted and (name in self.applied) == usual[2]:
                out.append(Line(name, f'"{usual[0]}"', evidence, f"written as {usual[1]}: is it {usual[0]}?"))
            else:
                out.append(Line(name, "", evidence, "nothing in the post says what it names"))
        return out

    def _role_of(self, name: str, lines: dict[str, str]) -> str | None:
        if name in lines:
            return lines[name]
        binding = self.base.binding(name)
        return binding.role if binding is not None else None

    # -- writing ---------------------------------------------------------------------------------
    def render(self, source: str, net: str) -> str:
        symbols, disputed = self._bindings()
        self._top_lines()
        roles = {line.key: re.search(r'"([^"]+)"', line.value).group(1) for line in symbols}
        answered = {line.key for line in symbols} | {line.key for line in disputed}
        questions = disputed + [q for q in self.questions if q.key not in roles] + self._unbound(answered, roles)
        out = [f"# Notation map suggested for {source} (network {net}) by derive check --suggest-notation,",
               "# read from the post's symbol descriptions and forward-pass definitions only, never from the",
               "# derivative claims it checks. Confirm each line; a line starting \"# ?\" is a question: answer",
               "# it by editing the line and removing the \"# ? \" (or leave it: what it names stays unchecked).",
               f"# Then: derive check {source} --net {net} --notation MAP.toml",
               *(f"# {note}" for note in self.notes)]
        top = [q for q in questions if q.key in ("layout", "layer_index")]
        out += [_write(line) for line in self.settings] + [_write(q) for q in top]
        out.append("[symbols]")
        out += [_write(line) for line in sorted(symbols, key=lambda l: (l.evidence.line, l.key))]
        rest = [q for q in questions if q not in top]
        out += [_write(q) for q in sorted(dict.fromkeys(rest), key=lambda l: (l.evidence.line, l.key))]
        return "\n".join(out) + "\n"


# ----------------------------------------------------------------------------------------------
# Reading words
# ----------------------------------------------------------------------------------------------


def _roles_in(text: str) -> list[tuple[int, int, str | None]]:
    """Every describing word in `text`: (start, end, role), leftmost first, the longest at a place."""
    found = []
    for pattern, role in WORDS:
        for m in pattern.finditer(text):
            found.append((m.start(), m.end(), role))
    found.sort(key=lambda f: (f[0], -f[1]))
    out: list[tuple[int, int, str | None]] = []
    for start, end, role in found:
        if out and start < out[-1][1]:
            continue  # inside a longer word already found ("weighted input" holds "input")
        out.append((start, end, role))
    return out


def _after_role(after: str) -> tuple[str, ...] | None:
    """"$z$: the weighted input", "$\\eta$ is the learning rate", "$y_i$ its correct class"."""
    m = APPOSITION.match(after)
    if not m or not m.group(0).strip():
        return None
    clause = after[m.end():]
    words = _roles_in(clause)
    if not words or words[0][2] is None:
        return None
    roles = [r for _, _, r in words if r is not None]
    if words[0][0] == 0 and not (len(set(roles)) > 1 and LIST_WORDS.search(clause)):
        return (roles[0],)
    return tuple(dict.fromkeys(roles))


def _before_role(before: str, *, definition: bool, display: bool = False) -> tuple[str, ...] | None:
    """"the learning rate $\\eta$", "学习率为 $\\eta$"; for a definition, only with a defining word
    ("the error is $\\delta = …$", "误差定义为"), never "…through the weights:" before a display."""
    words = _roles_in(before)
    if not words:
        return None
    start, end, role = words[-1]
    gap = before[end:]
    if role is None or not BEFORE_GAP.fullmatch(gap):
        return None
    if definition and (":" in gap or "：" in gap or (display and not DEFINING.search(gap.strip()))):
        return None
    return (role,)


def _says_average(words: str) -> bool:
    """"averaged over the m examples", "平均"; "mean squared error" names a cost, not a mean."""
    return AVERAGE_WORDS.search(words) is not None and not re.search(r"mean squared?|均方", words, re.I)


def _count_role(after: str) -> tuple[str, ...] | None:
    m = COUNT_AFTER.match(after)
    if not m:
        return None
    return ("batch",) if re.search(r"examples|samples|样本", m.group(0), re.I) else ("width",)


def _table_role(text: str, math: Any) -> tuple[str, ...] | None:
    """| $W^{[l]}$ | weight matrix of layer l |: the cell of the symbol holds only it; the other
    cells that hold words describe it."""
    start = text.rfind("\n", 0, math.start) + 1
    end = text.find("\n", math.end)
    row = text[start:len(text) if end < 0 else end]
    at = math.start - start
    cells, position = [], 0
    for cell in row.split("|"):
        cells.append((position, cell))
        position += len(cell) + 1
    mine = next((c for p, c in cells if p <= at < p + len(c)), None)
    if mine is None or re.sub(r"\$[^$]*\$|`", "", mine).strip():
        return None
    words = " ".join(re.sub(r"\$[^$]*\$", " ", c) for _, c in cells if c is not mine)
    return _after_role(": " + words)


def _last_clause(text: str) -> str:
    cuts = list(CLAUSE_END.finditer(text))
    return text[cuts[-1].end():] if cuts else text


def _first_clause(text: str) -> str:
    lead = APPOSITION.match(text)
    skip = lead.end() if lead else 0
    rest = text[skip:]
    m = re.search(CLAUSE_END.pattern + r"|[,，]", rest)
    return text[:skip + (m.start() if m else len(rest))]


def _masked(text: str) -> str:
    """The text with HTML comments and fenced code blanked (offsets kept)."""
    def blank(m: re.Match[str]) -> str:
        return re.sub(r"[^\n]", " ", m.group(0))
    text = re.sub(r"<!--.*?-->", blank, text, flags=re.S)
    return re.sub(r"^```.*?^```", blank, text, flags=re.S | re.M)


def _line_quote(text: str, start: int, end: int) -> str:
    """The line of the post around text[start:end], without its Markdown marks; a long line from
    a little before `start`."""
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line = text[line_start:len(text) if line_end < 0 else line_end]
    lead = ""
    if len(line) > 72 and start - line_start > 16:
        line, lead = line[start - line_start - 12:], "…"
    line = re.sub(r"^\s*(?:[-*+]\s|\d+[.)]\s|\|)", "", line)
    line = line.replace("$", "").replace("\u200b", "").replace("|", " | ").strip(" |")
    return _short(lead + " ".join(line.split()))


def _quote(text: str) -> str:
    return _short(" ".join(text.replace("\u200b", "").split()))


def _short(text: str, limit: int = 72) -> str:
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


# ----------------------------------------------------------------------------------------------
# Reading formulas
# ----------------------------------------------------------------------------------------------


def _pieces(text: str) -> list[str]:
    """A formula cut at prose written inside it (令, 则, …): each piece is a formula of its own."""
    return [p for p in CJK.split(text) if p.strip()]


def _logs_spelled(text: str) -> str:
    """ln\\hat{y}, lna: a post's log written without a backslash, as \\ln (the text the parser reads)."""
    return GLUED_LOG.sub(r"\\\1 ", text)


def _applied_names(text: str) -> frozenset[str]:
    """Names applied to a list of arguments (C(W, b), \\mathcal{L}(a, y)) or written as a word
    (\\text{Softmax}(z)): read as functions while parsing."""
    names = set()
    for m in re.finditer(r"(?:\\mathcal\{([A-Za-z])\}|\\([A-Za-z]+)|(?<![A-Za-z\\])([A-Za-z]))\s*"
                         r"(?:[_^](?:\{[^{}]*\}|\\?[A-Za-z0-9]))*\s*\(((?:[^()]|\([^()]*\))*)\)", text):
        if "," in m.group(4):
            names.add("cal" + m.group(1) if m.group(1) else m.group(2) or m.group(3))
    for m in re.finditer(r"\\(?:text|operatorname|mathrm)\s*\{([A-Za-z]+)\}\s*(?:\(|\\left)", text):
        names.add(m.group(1))
    return frozenset(names)


def _split_sides(text: str) -> list[tuple[str | None, str]]:
    """The sides of a chain cut at its top-level relations, for a chain that does not parse whole."""
    try:
        tokens = tokenize(text)
    except LexError:
        return []
    out, depth, start, relation = [], 0, 0, None
    for tok in tokens:
        opens = tok.kind == LBRACE or (tok.kind == OP and tok.value in "([") or (tok.kind == CMD and tok.value == "left")
        closes = tok.kind == RBRACE or (tok.kind == OP and tok.value in ")]") or (tok.kind == CMD and tok.value == "right")
        depth += opens - closes
        is_relation = (tok.kind == OP and tok.value == "=") or (tok.kind == CMD and tok.value in RELATIONS)
        if depth == 0 and is_relation:
            out.append((relation, text[start:tok.pos]))
            relation = "=" if tok.kind == OP else RELATIONS[tok.value]
            start = tok.end
    out.append((relation, text[start:]))
    return out


def _glued_d(text: str) -> set[str]:
    """The letters Ng's d is glued to (dW, dz^{[l]}), outside d-fractions and dC/dW."""
    try:
        tokens = tokenize(text)
    except LexError:
        return set()
    found = set()
    for k, tok in enumerate(tokens[:-1]):
        nxt = tokens[k + 1]
        if tok.kind != LETTER or tok.value != "d" or nxt.kind != LETTER or nxt.space_before:
            continue
        before = tokens[k - 1] if k else None
        if before is not None and (before.kind == LETTER and not tok.space_before or before.kind == LBRACE or
                                   (before.kind == OP and before.value == "/")):
            continue  # a word (\text{and}), a d-fraction's numerator or denominator, dC/dW
        after = tokens[k + 2] if k + 2 < len(tokens) else None
        if after is not None and (after.kind == OP and after.value == "/" or
                                  after.kind == LETTER and not after.space_before):
            continue
        found.add(nxt.value)
    return found if found & set("WwbZzAa") else set()


def _unwrap(node: Node) -> Node:
    while node.kind == "group" and node.value in ("(", "{") and len(node.children) == 1:
        node = node.children[0]
    return node


def _layer_key(node: Node | None) -> tuple[str | None, int] | None:
    """2 -> (None, 2); l -> ("l", 0); l-1 -> ("l", -1); anything else -> None."""
    if node is None:
        return None
    if node.kind == "num" and node.value.isdigit():
        return (None, int(node.value))
    if node.kind == "sym":
        sym: Sym = node.value
        if sym.name in LAYER_LETTERS and sym.sub is None and sym.sup is None:
            return (sym.name, 0)
        return None
    if node.kind == "add" and len(node.children) == 2:
        letter, number = (_layer_key(c) for c in node.children)
        if letter and letter[0] and number and number[0] is None:
            return (letter[0], node.value[1] * number[1])
    return None


def _layer_of(sym: Sym) -> tuple[tuple[str | None, int] | None, str | None, str]:
    """The layer a symbol writes, where (super or sub), and its brackets."""
    for where, script in (("super", sym.sup), ("sub", sym.sub)):
        if script is None or script.expr is None:
            continue
        key = _layer_key(script.expr)
        if key is not None:
            brackets = ("[l]" if script.bracket else "(l)") if script.paren else ""
            return key, where, brackets
    return None, None, ""


def _letters(node: Node | None) -> tuple[str, ...]:
    if node is None:
        return ()
    if node.kind == "sym":
        return (node.value.name,)
    if node.kind in ("mul", "list"):
        return tuple(letter for c in node.children for letter in _letters(c))
    return ()


def _ref(node: Node) -> Ref | None:
    node = _unwrap(node)
    transposed = False
    if node.kind == "transpose":
        transposed, node = True, _unwrap(node.children[0])
    index: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()
    if node.kind == "entry":
        indices = node.children[1]
        index, node = _letters(indices), node.children[0]
        labels = tuple(c.value.name for c in _walk(indices) if c.kind == "sym" and c.value.sub is not None)
    if node.kind != "sym":
        return None
    sym: Sym = node.value
    layer, where, brackets = _layer_of(sym)
    if not index:
        scripts = [s for s in (sym.sub, sym.sup) if s is not None and s.expr is not None and _layer_key(s.expr) is None]
        if scripts and scripts[0] is sym.sub:
            index = _letters(sym.sub.expr)
    transposed = transposed or any(s is not None and s.transpose for s in (sym.sup, sym.sub))
    return Ref(sym, layer, where, brackets, transposed, index, labels)


def _symbols(node: Node) -> Iterator[tuple[Sym, bool, tuple[int, int]]]:
    """Every symbol of a tree outside indices and limits, whether it is applied to an argument
    (σ(z), f_l(z)), and its span."""
    if node.kind == "sym":
        yield node.value, False, node.span
    if node.kind == "call" and isinstance(node.value, Call):
        yield Sym(node.value.name, sub=node.value.sub, sup=node.value.sup), True, node.span
    if node.kind == "mul":
        for left, right in zip(node.children, node.children[1:]):
            if left.kind == "sym" and right.kind == "group" and right.value == "(":
                yield left.value, True, left.span
    children = node.children
    if node.kind == "entry":
        children = children[:1]  # X[i, p]: i and p index
    elif node.kind == "sum":
        children = children[2:]  # the limits index
    for child in children:
        if isinstance(child, Node):
            yield from _symbols(child)


def _in_word(text: str, start: int, end: int, sym: Sym) -> bool:
    """A letter of a word written without a command (sum(…), ln a): not a symbol of its own."""
    if sym.sub is not None or sym.sup is not None or len(sym.name) != 1 or not text[start:end].isalpha():
        return False
    return (start > 0 and text[start - 1].isalpha()) or (end < len(text) and text[end].isalpha())


def _differentiated(node: Node) -> Iterator[str]:
    """The symbols a formula takes a derivative of: ∂L/∂w, ∇_w L."""
    for sub in _walk(node):
        body = sub.children[0] if sub.kind == "pd" else sub.children[1] if sub.kind == "nabla" else None
        if body is not None:
            ref = _ref(body)
            if ref is not None:
                yield ref.name


def _application(node: Node) -> tuple[str, Node] | None:
    """F(x): a call, or a symbol juxtaposed with a bracket (f_l(z), g^{[l]}(z)): its name and argument."""
    node = _unwrap(node)
    if node.kind == "call" and len(node.children) == 1 and node.children[0].kind != "list":
        return node.value.name, node.children[0]
    if node.kind == "mul" and len(node.children) == 2 and node.value == ("juxt",):
        head, argument = node.children
        if head.kind == "sym" and argument.kind == "group" and argument.value == "(":
            return head.value.name, argument.children[0]
    return None


def _affine(node: Node) -> tuple[Ref, Ref, Ref] | None:
    """W a + b, X W + b, Σ_j w_{kj} a_j + b_k: (first factor, second factor, bias)."""
    node = _unwrap(node)
    if node.kind != "add" or len(node.children) != 2 or tuple(node.value) != (1, 1):
        return None
    for product, bias in (node.children, node.children[::-1]):
        product = _unwrap(product)
        if product.kind == "sum":
            product = _unwrap(product.children[2])
        if product.kind != "mul" or len(product.children) != 2 or not set(product.value) <= {"juxt", "cdot", "times"}:
            continue
        refs = [_ref(c) for c in product.children]
        b = _ref(bias)
        if refs[0] is not None and refs[1] is not None and b is not None:
            return refs[0], refs[1], b
    return None


def _below(layer: tuple[str | None, int] | None) -> tuple[str | None, int] | None:
    return None if layer is None else (layer[0], layer[1] - 1)


def _weight_position(first: Ref, second: Ref, layer: tuple[str | None, int] | None,
                     base: NotationMap) -> int | None:
    """Which factor of a product is the weight: the one of the formula's own layer (the other is
    the layer below, or the input); else the one the network's notation calls the weight."""
    if layer is not None:
        same = [k for k, f in enumerate((first, second)) if f.layer == layer]
        if len(same) == 1:
            return same[0]
    if first.layer is not None and second.layer is not None:
        if _below(first.layer) == second.layer:
            return 0
        if _below(second.layer) == first.layer:
            return 1
    roles = [base.binding(f.name).role if base.binding(f.name) is not None else None for f in (first, second)]
    if roles.count("weight") == 1:
        return roles.index("weight")
    return None


def _activation_named(head: str, base: NotationMap) -> str | None:
    """The registry activation a function's name is (σ, Softmax, ReLU, tanh), None for f, g, φ."""
    if head.lower() in rules.ACTIVATIONS:
        return head.lower()
    binding = base.binding(head)
    if binding is not None and binding.role in rules.ACTIVATIONS:
        return binding.role
    return None


def _cost_name(lhs: Node) -> str | None:
    """The left side of a cost's definition: C, L_i, J(w, b), 𝓛; never a layered quantity."""
    lhs = _unwrap(lhs)
    if lhs.kind == "call":
        return lhs.value.name if NAME.match(lhs.value.name) else None
    ref = _ref(lhs)
    if ref is None or ref.layer is not None or ref.transposed:
        return None
    return ref.name


def _log_terms(node: Node) -> Iterator[tuple[list[Ref], list[Ref]]]:
    """y log ŷ, (1 − y) ln(1 − a), −log O[i, y_i]: (what the log is of, what multiplies it)."""
    factors = node.children if node.kind == "mul" else (node,) if node.kind == "call" else ()
    logs = [f for f in factors if f.kind == "call" and f.value.name in ("log", "ln")]
    if logs:
        inside = [r for f in logs for r in _plain_refs(f.children[0])]
        outside = [r for f in factors if f not in logs for r in _plain_refs(f)]
        yield inside, outside
    for child in node.children:
        if isinstance(child, Node) and child not in logs:
            yield from _log_terms(child)


def _plain_refs(node: Node) -> list[Ref]:
    """x, (1 − x): the symbol a factor is of."""
    node = _unwrap(node)
    if node.kind == "add" and len(node.children) == 2 and node.children[0].kind == "num":
        node = node.children[1]
    ref = _ref(node)
    return [ref] if ref is not None else []


def _squared_differences(node: Node) -> Iterator[tuple[Ref, Ref]]:
    """‖u − v‖², (u − v)²: the two compared."""
    if node.kind == "pow" and node.children[1].kind == "num" and node.children[1].value == "2":
        inner = node.children[0]
        while inner.kind == "group" and len(inner.children) == 1:
            inner = inner.children[0]
        if inner.kind == "add" and len(inner.children) == 2 and tuple(inner.value) == (1, -1):
            refs = [_ref(c) for c in inner.children]
            if refs[0] is not None and refs[1] is not None:
                yield refs[0], refs[1]
    for child in node.children:
        if isinstance(child, Node):
            yield from _squared_differences(child)


def _averaged_over(node: Node) -> str | None:
    """−(1/m) Σ_{i=1}^{m} …, (1/m)(L^{(1)} + … + L^{(m)}): m, when the 1/m divides a sum up to m."""
    node = _unwrap(node.children[0]) if node.kind == "neg" else _unwrap(node)
    if node.kind != "mul":
        return None
    head = node.children[0]
    if head.kind != "frac" or head.children[0].kind != "num" or head.children[0].value != "1":
        return None
    den = head.children[1]
    letters = [c for c in (den.children if den.kind == "mul" else (den,)) if c.kind == "sym"]
    if len(letters) != 1:
        return None
    batch = letters[0].value.name
    for rest in node.children[1:]:
        for sub in _walk(rest):
            if sub.kind == "sum" and _letters(sub.children[1]) == (batch,):
                return batch
            if sub.kind == "sym" and sub.value.sup is not None and sub.value.sup.paren and \
                    _letters(sub.value.sup.expr) == (batch,):
                return batch
    return None


def _size_nodes(node: Node) -> Iterator[Node]:
    """Sizes a formula writes: a sum's upper limit, the dimensions of ℝ^{…} and of a shape."""
    for sub in _walk(node):
        if sub.kind == "sum" and sub.children[1].kind != "none":
            yield sub.children[1]
        if sub.kind == "shaped":
            yield from sub.children[1:]


def _walk(node: Node) -> Iterator[Node]:
    yield node
    for child in node.children:
        if isinstance(child, Node):
            yield from _walk(child)


# ----------------------------------------------------------------------------------------------
# Resolving and writing
# ----------------------------------------------------------------------------------------------


def _merged_roles(roles: Iterator[str], layered: bool) -> list[str]:
    """Readings that agree: "output" and "activation" of the same symbol are the last activation,
    bound as the output when the post never writes it with a layer (ŷ, whose subscript is an entry)."""
    found = list(dict.fromkeys(roles))
    if set(found) == {"output", "activation"}:
        return ["activation" if layered else "output"]
    return found


def _one_per_role(clues: list[Clue]) -> list[Clue]:
    seen: dict[str, Clue] = {}
    for clue in clues:
        seen.setdefault(clue.role, clue)
    return list(seen.values())


def _is_lower(name: str) -> bool:
    return name[:1].islower() and not name.startswith("cal")


def _twin(name: str) -> str:
    """The same letter in the other case: x -> X, X -> x, yhat -> Y."""
    letter = name[0]
    twin = letter.upper() if letter.islower() else letter.lower()
    return twin if name.endswith("hat") or len(name) == 1 else twin + name[1:]


def _toml_binding(role: str, table: dict[str, Any]) -> str:
    if not table:
        return f'"{role}"'
    parts = [f'role = "{role}"'] + [f"{k} = {_toml_value(v)}" for k, v in table.items()]
    return "{ " + ", ".join(parts) + " }"


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return f'"{value}"'


def _write(line: Line) -> str:
    where = f'line {line.evidence.line}: "{line.evidence.quote}"'
    if line.evidence.why:
        where += f" ({line.evidence.why})"
    if line.question:
        assignment = f"{line.key} = {line.value}" if line.value else line.key
        return f"# ? {assignment:<30} # {where}: {line.question}"
    return f"{line.key} = {line.value:<{max(1, 26 - len(line.key))}} # {where}"
