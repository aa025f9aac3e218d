r"""The correct formula, written in the post's own notation.

`PostLatexPrinter` is the engine's `DeriveLatexPrinter` with the names taken from the notation
map instead of the network's `Notation`: `h` for activations, `\hat{y}` for a target, `W_0` for
the first weight matrix, weight matrices in the post's layout, `f` for the activation function,
neuron-numbered scalars (`w_{53}` when the post writes weights into-from). Names the post used
are preferred over other names of the same role.
"""

from __future__ import annotations

from typing import Any

import sympy as sp

from .. import rules
from ..algebra import Entry, Grad, NetQuantity
from ..latex import DeriveLatexPrinter
from ..notation import Notation
from ..quantities import COST, DEPTH, WIDTH
from ..safe import as_expr
from .bind import LAYERED
from .nodes import SampleOf
from .notation import NotationMap, native_layout
from .parser import GREEK
from .world import World

#: The cost the post writes, where it is not the network's own C (its mean L = C/N).
POST_COST = sp.Symbol("C_post")

KIND_ROLES = {**{kind: role for role, kind in LAYERED.items()}, "x": "input", "xhat": "normalized-input",
              "y": "target"}
DECORATIONS = ("hat", "tilde", "bar", "dot")


def name_latex(name: str) -> str:
    """The LaTeX of a symbol name: yhat -> \\hat{y}, delta -> \\delta, calD -> \\mathcal{D}."""
    for deco in DECORATIONS:
        if name.endswith(deco) and len(name) > len(deco):
            return rf"\{deco}{{{name_latex(name[:-len(deco)])}}}"
    if name.startswith("cal") and len(name) > 3:
        return rf"\mathcal{{{name[3:]}}}"
    if name in GREEK:
        return "\\" + name
    return name


class PostLatexPrinter(DeriveLatexPrinter):
    _default_settings = {**DeriveLatexPrinter._default_settings, "post_map": None, "world": None,
                         "used": {}, "plain": frozenset(), "fonts": {}, "paren_layers": "", "brackets": False}

    def __init__(self, settings: dict | None = None) -> None:
        super().__init__(settings)
        self.map: NotationMap = self._settings["post_map"]
        self.world: World = self._settings["world"]
        self.used: dict[str, list[str]] = self._settings["used"]
        self.plain: frozenset[str] = frozenset(self._settings["plain"])
        self.fonts: dict[str, str] = self._settings["fonts"]
        self.paren_layers: str = self._settings["paren_layers"] or ""
        self.brackets: bool = bool(self._settings["brackets"])  # the post indexes arrays X[i, p]

    # -- names ---------------------------------------------------------------------------------------------
    def name_for(self, role: str) -> str | None:
        if role == "error" and self.used and not self.used.get("error"):
            return None  # a post that never writes δ gets ∂C/∂z
        for name in self.used.get(role, []):
            b = self.map.binding(name)
            if b is not None and b.role == role and b.index in ("entry", "neuron", "layer-neuron") and b.layer in (None, "L"):
                return name
        if role == "batch":
            names = self.map.names_for("batch")
            return names[-1] if names else None
        names = self.map.names_for(role)
        stated = [n for n in names if f"symbols.{n}" in self.map.stated]
        for name in stated + [n for n in names if n not in stated]:  # the post's own names before derive's
            b = self.map.binding(name)
            if b is not None and b.index in ("entry", "neuron", "layer-neuron") and b.layer in (None, "L"):
                return name
        return None

    def fixed_name(self, q: NetQuantity) -> str | None:
        """The letter the post keeps for this one layer (h for the hidden layer, S for the scores)."""
        role = self._role_of(q)
        layer = as_expr(q.layer)
        for name in [*self.used.get(role, []), *self.map.names_for(role)]:
            b = self.map.binding(name)
            if b is None or b.role != role or b.layer is None:
                continue
            if b.layer == "L" and (layer.has(DEPTH) or layer == self.world.depth and not self.world.general):
                return name
            if isinstance(b.layer, int) and layer.is_Integer and int(layer) == b.layer - self.map.layer_offset_of(b):
                return name
        return None

    def _role_of(self, q: NetQuantity) -> str:
        if q.kind == "a" and q.layer == 0:
            return "normalized-input" if self.world.spec.normalize_input else "input"
        if q.kind == "a" and self.output_layer is not None and q.layer == self.output_layer and self.name_for("output"):
            return "output"
        return KIND_ROLES[q.kind]

    def _base_name(self, q: NetQuantity) -> str:
        fixed = self.fixed_name(q)
        if fixed is not None:
            return name_latex(fixed)
        role = self._role_of(q)
        name = self.name_for(role)
        if name is None:
            return super()._base_name(q)
        return name_latex(name)

    def _layer_suffix(self, q: NetQuantity) -> tuple[str, str]:
        role = self._role_of(q)
        if role not in LAYERED or self.fixed_name(q) is not None:
            return "", ""
        name = self.name_for(role)
        binding = self.map.binding(name) if name else None
        offset = self.map.layer_offset_of(binding) if binding else self.map.layer_offset
        position = self.map.layer_index_of(binding) if binding else self.map.layer_index
        written = as_expr(q.layer)
        if not written.has(DEPTH):
            written = written + offset  # the post's own numbering; L stays L whatever the offset
        layer = self._print(written)
        if position == "super" and self.paren_layers:
            layer = f"[{layer}]" if self.paren_layers == "[" else f"({layer})"
        return (layer, "") if position == "super" else ("", layer)

    def _quantity(self, q: NetQuantity, bold: bool = True, sub: str = "") -> str:
        if q.kind == "xhat" and self.name_for("normalized-input") is None:
            return super()._quantity(q, bold, sub)
        base = self._base_name(q)
        role = self._role_of(q)
        bold = bold and role not in self.plain
        body = rf"\{self.fonts.get(role, 'boldsymbol')}{{{base}}}" if bold else base
        sup, layer_sub = self._layer_suffix(q)
        if not bold and layer_sub and sub:
            return rf"\left({body}_{{{layer_sub}}}\right)_{{{sub}}}" + (f"^{{{sup}}}" if sup else "")
        subs = ",".join(s for s in (layer_sub, sub) if s)
        return body + (f"^{{{sup}}}" if sup else "") + (f"_{{{subs}}}" if subs else "")

    def _swapped(self, q: Any) -> bool:
        if not (isinstance(q, NetQuantity) and q.kind == "W"):
            return False
        name = self.name_for("weight")
        binding = self.map.binding(name) if name else None
        layout = self.map.layout_of(binding) if binding else self.map.layout
        return layout != native_layout(self.world.spec)

    def _print_NetQuantity(self, q: NetQuantity) -> str:
        if q.kind == "delta" and self.name_for("error") is None:
            return self._print(Grad(COST, NetQuantity("z", q.layer, *q.shape)))
        if self._swapped(q):
            return self._print_Transpose(sp.Transpose(q), swapped=True)
        return self._quantity(q)

    def _print_Transpose(self, expr: sp.Transpose, swapped: bool = False) -> str:
        arg = expr.arg
        if not swapped and self._swapped(arg):
            return self._quantity(arg)
        if isinstance(arg, NetQuantity):
            text = self._quantity(arg)
            sup, _ = self._layer_suffix(arg)
            return rf"\left({text}\right)^{{\top}}" if sup else f"{text}^{{\\top}}"
        return super()._print_Transpose(expr)

    def _print_Entry(self, expr: Entry) -> str:
        of = expr.of
        if isinstance(of, NetQuantity) and self._swapped(of) and len(expr.indices) == 2:
            return self._quantity(of, bold=False, sub=self._indices(expr.indices[::-1]))
        if isinstance(of, NetQuantity) and of.kind == "delta" and self.name_for("error") is None:
            return self._print(Entry(Grad(COST, NetQuantity("z", of.layer, *of.shape)), *expr.indices))
        if isinstance(of, NetQuantity) and self.brackets and of.kind != "delta" and not self._swapped(of):
            text = self._quantity(of, bold=False)
            return f"{text}[{', '.join(self._print(i) for i in expr.indices)}]"  # CS231n: S[i, k]
        if isinstance(of, NetQuantity) and len(expr.indices) == 1 and of.kind in ("a", "z") and not \
                self.fixed_name(of):
            numbered = self._layer_neuron(of, expr.indices[0])
            if numbered is not None:
                return numbered
        if isinstance(of, NetQuantity):
            return self._quantity(of, bold=False, sub=self._indices(expr.indices))
        return super()._print_Entry(expr)

    def _layer_neuron(self, q: NetQuantity, index: Any) -> str | None:
        """y_{21}: layer 2, neuron 1, where the post numbers its activations that way."""
        role = self._role_of(q)
        for name in [*self.used.get(role, []), *self.map.names_for(role)]:
            b = self.map.binding(name)
            if b is None or b.role != role or b.index != "layer-neuron" or b.layer is not None:
                continue
            layer = as_expr(q.layer) + self.map.layer_offset_of(b)
            if layer.is_Integer and as_expr(index).is_Integer and int(layer) < 10 and int(index) < 10:
                return f"{name_latex(name)}_{{{int(layer)}{int(index)}}}"
            return f"{name_latex(name)}_{{{self._print(layer)},{self._print(index)}}}"
        return None

    def _print_Indexed(self, expr: sp.Indexed) -> str:
        """n_l, the width of a layer, in the post's numbering of layers."""
        if expr.base == WIDTH and self.map.layer_offset:
            index = as_expr(expr.indices[0])
            if not index.has(DEPTH):
                return super()._print_Indexed(WIDTH[index + self.map.layer_offset])
        return super()._print_Indexed(expr)

    def _print_Symbol(self, expr: sp.Symbol, style: str = "plain") -> str:
        if expr == POST_COST:
            name = self.name_for("cost")
            return name_latex(name) if name else "C"
        if expr.name.startswith("label[") and expr.name.endswith("]"):
            names = self.map.names_for("label")  # y_i: the class of example i
            if names:
                return f"{name_latex(names[0])}_{{{expr.name[6:-1]}}}"
        if expr == COST:
            name = self.name_for("cost")
            return name_latex(name) if name else "C"
        scalar = self.world.scalar_symbols.get(expr.name)
        if scalar is not None:
            return self._scalar(expr.name, scalar)
        if self.world.batched and expr == self.world.symbolic_frame.batch:
            name = self.name_for("batch")
            return name_latex(name) if name else super()._print_Symbol(expr, style)
        return super()._print_Symbol(expr, style)

    def _print_OneMatrix(self, expr: Any) -> str:
        return "1" if "activation" in self.plain else r"\boldsymbol{1}"

    def _print_HadamardProduct(self, expr: Any) -> str:
        symbol = r" \odot "
        for op, written in (("ast", " * "), ("cdot", r" \cdot "), ("times", r" \times ")):
            if self.map.product(op) == "elementwise":
                symbol = written
                break
        from ..latex import _MATMUL

        return symbol.join(self._wrap(arg, _MATMUL) for arg in expr.args)

    # -- the nodes only posts name (nodes.py) -------------------------------------------------------------
    def _print_SampleOf(self, expr: SampleOf) -> str:
        """Example i: A^{[l](i)} in Ng's notation, else (A)^{(i)}."""
        index = self._print(expr.index)
        q = expr.of
        if isinstance(q, NetQuantity) and not self._swapped(q):
            sup, sub = self._layer_suffix(q)
            if sup:
                text = self._quantity(q)
                return text.replace(f"^{{{sup}}}", f"^{{{sup}({index})}}", 1)
            return f"{self._quantity(q)}^{{({index})}}"
        return rf"\left({self._print(q)}\right)^{{({index})}}"

    def _print_MatSum(self, expr: Any) -> str:
        body, var, lo, hi = expr.args
        return rf"\sum_{{{self._print(var)}={self._print(lo)}}}^{{{self._print(hi)}}} {self._print(body)}"

    def _print_Family(self, expr: Any) -> str:
        body, var, size = expr.args
        return rf"\left({self._print(body)}\right)_{{{self._print(var)}=1}}^{{{self._print(size)}}}"

    def _print_Vec(self, expr: Any) -> str:
        return rf"\operatorname{{vec}}\left({self._print(expr.args[0])}\right)"

    def _print_VecJacobian(self, expr: Any) -> str:
        of, wrt = expr.args
        return rf"\frac{{\partial {self._print(of)}}}{{\partial \operatorname{{vec}}\left({self._print(wrt)}\right)}}"

    def _print_KroneckerProduct(self, expr: Any) -> str:
        from ..latex import _MATMUL

        return r" \otimes ".join(self._wrap(arg, _MATMUL) for arg in expr.args)

    def _print_Identity(self, expr: Any) -> str:
        return f"I_{{{self._print(expr.shape[0])}}}"

    def _print_HadamardPower(self, expr: Any) -> str:
        if expr.exp == 2 and isinstance(expr.base, NetQuantity):  # h ⊙ h: no power reads as a layer
            text = self._print(expr.base)
            return rf"{text} \odot {text}"
        base = self._print(expr.base)
        if "^" in base or not isinstance(expr.base, (NetQuantity, sp.Symbol)):
            base = rf"\left({base}\right)"
        return f"{base}^{{{self._print(expr.exp)}}}"

    def _print_Grad(self, expr: Grad) -> str:
        """∂C/∂W, or dW where the post writes Andrew Ng's gradients (gradient_prefix = "d")."""
        prefix = self.map.gradient_prefix
        name = self.map.gradient_cost()
        binding = self.map.binding(name) if name else None
        scaled = binding is not None and (binding.reduction or self.world.reduction) != self.world.reduction \
            and self.world.batched
        if prefix and isinstance(expr.wrt, NetQuantity) and expr.cost == (POST_COST if scaled else COST):
            return f"{prefix}{self._print(expr.wrt)}"
        return super()._print_Grad(expr)

    def _print_Quotient(self, expr: Any) -> str:
        """u ⊘ v as the fraction posts write (an element-wise quotient of equally shaped arrays)."""
        num, den = expr.args
        return rf"\frac{{{self._print(num)}}}{{{self._print(den)}}}"

    def _print_SampleCost(self, expr: Any) -> str:
        name = self.name_for("cost") or "C"
        return f"{name_latex(name)}_{{{self._print(expr.index)}}}"

    def _scalar(self, name: str, binding: Any) -> str:
        if name.startswith("w"):
            pair = self.name_for_pair()
            src, dst = name[1], name[2]
            if self.map.weight_index == "destination-source":
                src, dst = dst, src
            return f"{name_latex(pair)}_{{{src}{dst}}}" if pair else binding.latex
        kind_role = {"x": "input", "y": "target", "yhat": "output", "a": "activation", "z": "preactivation",
                     "b": "bias"}
        prefix = name.rstrip("0123456789")
        number = name[len(prefix):]
        role = kind_role.get(prefix)
        post = self.name_for(role) if role else None
        if post is None:
            return binding.latex
        return f"{name_latex(post)}_{{{number}}}"

    def name_for_pair(self) -> str | None:
        for name in self.used.get("weight", []) + self.map.names_for("weight"):
            b = self.map.binding(name)
            if b is not None and b.index == "pair":
                return name
        return None

    # -- functions ----------------------------------------------------------------------------------------
    def _function(self, activation: str) -> str:
        for name in self.used.get("function", []) + sorted(self.map.symbols):
            b = self.map.binding(name)
            if b is not None and b.role == activation:
                if name in self.used.get("function", []) or name == _registry_name(activation):
                    text = name_latex(name)
                    return rf"\operatorname{{{name}}}" if text == name and len(name) > 1 else text
        return rules.lookup_activation(activation).latex

    def _print_Apply(self, expr: Any) -> str:
        return rf"{self._function(expr.name)}\left({self._print(expr.arg)}\right)"

    def _print_ApplyPrime(self, expr: Any) -> str:
        return rf"{self._function(expr.name)}'\left({self._print(expr.arg)}\right)"

    def _print_Prime(self, expr: Any) -> str:
        return rf"{self._function(expr.name)}'\left({self._print(expr.arg)}\right)"

    def _print_ActivationBase(self, expr: Any, exp: str | None = None) -> str:
        text = rf"{self._function(expr.activation_name)}\left({self._print(expr.args[0])}\right)"
        return rf"{text}^{{{exp}}}" if exp else text


def _registry_name(activation: str) -> str:
    latex = rules.lookup_activation(activation).latex
    return latex.lstrip("\\").replace("operatorname{", "").rstrip("}")


def post_printer(world: World, nmap: NotationMap, used: dict[str, list[str]] | None = None,
                 plain: frozenset[str] = frozenset(), fonts: dict[str, str] | None = None,
                 paren_layers: str = "", brackets: bool = False) -> PostLatexPrinter:
    spec = world.spec
    notation = spec.notation
    output_layer = world.symbolic_depth()
    return PostLatexPrinter({
        "notation": Notation(**{**notation.__dict__}) if isinstance(notation, Notation) else notation,
        "output_layer": output_layer,
        "post_map": nmap,
        "world": world,
        "used": used or {},
        "plain": plain,
        "fonts": fonts or {},
        "paren_layers": paren_layers,
        "brackets": brackets,
    })


def print_formula(expr: Any, world: World, nmap: NotationMap, used: dict[str, list[str]] | None = None,
                  concrete: bool = False, plain: frozenset[str] = frozenset(), fonts: dict[str, str] | None = None,
                  paren_layers: str = "", brackets: bool = False) -> str:
    printer = post_printer(world, nmap, used, plain, fonts, paren_layers, brackets)
    if concrete:
        printer.output_layer = sp.Integer(world.depth)
    return printer.doprint(expr)
