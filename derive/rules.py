"""The rule registry: every activation and every cost derive knows, one entry each.

Contract of an entry. The module symbols are `Z` (a pre-activation entry), `A` (an activation
entry, A = f(Z)) and `Y` (a target entry).

Activation (elementwise unless stated):
- `f`: f(Z), explicit. It is what the entry is *about*; the derivatives are checked against it.
- `df_dz`: f'(Z). `df_da`: the same derivative written in A = f(Z) (what backprop stores and
  the exported code uses), or None where no such form exists.
- `numpy`: the numerically stable form of f(Z) as a SymPy expression (NumPy nodes allowed),
  printed by the exporter and lambdified for numeric checks.
- `numpy_prime`: the numerically stable form of f'(Z) where `df_dz` is not (σ' written
  e^-z/(1 + e^-z)^2 is inf/inf = NaN below z = -355); None where `df_dz` is stable. Exported code
  computes f'(z) with `stable_prime`, and the entry is refused if that is not finite at z = +-1000.
- `numpy_fast`: optionally, a faster form of f(Z) for whole arrays whose one floating-point
  exception is an overflow to inf that gives f's exact limit (1/(1 + e^-z) with e^-z = inf is 0).
  Exported NumPy array code computes with it and ignores that overflow (np.errstate); scalar code
  (math.exp raises on overflow) and the other backends keep `numpy`.
- `latex` / `text`: how the function is written in posts and in the terminal.
- `output_range`: the open or closed interval f maps into; costs use it to refuse impossible pairs.
- `kinks`: points where f' jumps; numeric checks keep away from them.
- softmax is the one vector-valued entry (`elementwise=False`): its derivative is the full
  Jacobian diag(s) - s s^T, supplied by `softmax_jacobian`, never reduced to its diagonal.

Cost (C is the sum of `c` over every output entry and every sample):
- `c`: the cost of one output entry in A, Y; `dc_da`: dc/dA.
- `fused`: activation name -> dC/dZ of the output layer when the pair simplifies (softmax +
  cross-entropy gives A - Y, sigmoid + binary cross-entropy gives A - Y), with the assumption it
  needs (the target of softmax + cross-entropy sums to 1 over the classes).

An entry written with a constant (LeakyReLU's slope α, ELU's α, Huber's δ) declares it as a
`Parameter`: the entry's formulas use its symbol, the registered entry takes the default (PyTorch's),
and `NAME:VALUE` (`leaky-relu:0.2`, `huber:0.5`) names the same entry with another value, made and
verified like any entry the first time it is looked up.

Adding an activation or a cost is one `register_activation(...)`/`register_cost(...)` call below.
Each entry is verified (symbolically, with a numeric cross-check) the first time it is looked up,
so a wrong derivative can never reach a derivation.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, fields, replace
from fractions import Fraction
from functools import cache
from typing import Any, Callable

import numpy as np
import sympy as sp
from sympy.codegen.numpy_nodes import logaddexp, maximum, minimum

from . import exact
from .calculus import scalar_derivative
from .errors import DeriveError, UnknownName

Z, A, Y = sp.symbols("z a y", real=True)
IDENTIFIER_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789_-"


@dataclass(frozen=True)
class Parameter:
    """A constant an entry is written with, which NAME:VALUE sets (the value a decimal number)."""

    symbol: sp.Symbol  # what the entry's formulas are written in
    default: sp.Rational  # the registered entry's value (PyTorch's default)
    low: float  # valid values lie in the open interval (low, high)
    high: float
    meaning: str  # "the slope below 0", for messages
    #: the entry's float fields that follow the value (ELU's output range, Huber's kinks)
    derived: Callable[[float], dict[str, Any]] = lambda value: {}


@dataclass(frozen=True)
class Activation:
    name: str
    latex: str
    text: str
    f: sp.Expr
    df_dz: sp.Expr
    df_da: sp.Expr | None
    numpy: sp.Expr
    output_range: tuple[float, float]
    numpy_prime: sp.Expr | None = None
    numpy_fast: sp.Expr | None = None
    elementwise: bool = True
    attains_lower_bound: bool = False  # relu outputs exactly 0, which log-based costs cannot take
    kinks: tuple[float, ...] = ()
    domain: tuple[float, float] = (-4.0, 4.0)
    summary: str = ""  # {value}: the parameter's value, for an entry with one
    parameter: Parameter | None = None
    family: str = ""  # the registered entry this one sets a parameter of (leaky-relu for leaky-relu:0.2)

    @property
    def stable_prime(self) -> sp.Expr:
        """f'(Z) as exported code computes it."""
        return self.df_dz if self.numpy_prime is None else self.numpy_prime


@dataclass(frozen=True)
class FusedRule:
    """dC/dZ of the output layer for one (cost, activation) pair, in A and Y."""

    delta: sp.Expr
    assumption: str = ""


@dataclass(frozen=True)
class Cost:
    name: str
    latex: str
    text: str
    c: sp.Expr
    dc_da: sp.Expr
    input_range: tuple[float, float]
    fused: dict[str, FusedRule] = field(default_factory=dict)
    aliases: tuple[str, ...] = ()
    target_range: tuple[float, float] = (0.0, 1.0)
    one_hot_target: bool = False
    summary: str = ""
    # activation name -> the cost entry c(f(Z), Y) written in the logit Z so that it never takes
    # the log of a rounded 0 (exported code computes the cost from logits where it can)
    from_logits: dict[str, sp.Expr] = field(default_factory=dict)
    # residuals a − y where dc/da jumps (|a − y| at 0, Huber at ±δ): numeric checks keep away, and
    # proofs differentiate the cost through the entry's own dc_da (as they do activations)
    kinks: tuple[float, ...] = ()
    parameter: Parameter | None = None
    family: str = ""  # the registered entry this one sets a parameter of (huber for huber:0.5)


ACTIVATIONS: dict[str, Activation] = {}
COSTS: dict[str, Cost] = {}
_COST_ALIASES: dict[str, str] = {}


def _check_name(name: str) -> None:
    if not name or not name[0].isalpha() or any(ch not in IDENTIFIER_CHARS for ch in name):
        raise ValueError(f"registry names are lower-case identifiers (a-z, 0-9, -, _), not {name!r}")
    if name in ACTIVATIONS or name in COSTS or name in _COST_ALIASES:
        raise ValueError(f"registry name {name!r} is already taken")


#: Entries with a parameter as written (in its symbol), by name, and the entries made from them
#: for other values (leaky-relu:0.2), which are not registry entries: `derive list` and the
#: checker's vocabulary show the registered ones.
_TEMPLATES: dict[str, Activation | Cost] = {}
_INSTANCES: dict[str, Activation | Cost] = {}
_VALUE = re.compile(r"(0|[1-9][0-9]{0,3})(\.[0-9]{1,6})?\Z")


def register_activation(entry: Activation) -> Activation:
    _check_name(entry.name)
    entry = _with_default(entry)
    ACTIVATIONS[entry.name] = entry
    if entry.elementwise:
        _FUNCTION_CLASSES[entry.name] = _make_function_class(entry)
    return entry


def register_cost(entry: Cost) -> Cost:
    _check_name(entry.name)
    for alias in entry.aliases:
        _check_name(alias)
        _COST_ALIASES[alias] = entry.name
    entry = _with_default(entry)
    COSTS[entry.name] = entry
    if entry.kinks:
        _COST_FUNCTIONS[entry.name] = _make_cost_function_class(entry)
    return entry


def _with_default(entry: Any) -> Any:
    """An entry with a parameter is kept as written and registered with its default value."""
    if entry.parameter is None:
        return entry
    _TEMPLATES[entry.name] = entry
    return _set_parameter(entry, entry.parameter.default, entry.name)


def _set_parameter(template: Any, value: sp.Rational, name: str) -> Any:
    parameter = template.parameter
    changes = {f.name: getattr(template, f.name).xreplace({parameter.symbol: value})
               for f in fields(template) if isinstance(getattr(template, f.name), sp.Basic)}
    changes.update(parameter.derived(float(value)))
    summary = template.summary.format(value=_decimal(value))
    return replace(template, name=name, summary=summary, **changes)


def _decimal(value: sp.Rational) -> str:
    """A parameter's value as it is written: 0.2, 1, 0.01 (values are decimals of ≤ 6 places)."""
    text = f"{float(value):.6f}" if value.q != 1 else str(value.p)
    return text.rstrip("0").rstrip(".") if "." in text else text


def _instance(kind: str, name: str, registry: dict[str, Any]) -> Any:
    """The entry NAME:VALUE: the registered entry NAME with its parameter set to VALUE."""
    family, _, text = name.partition(":")
    template = _TEMPLATES.get(family)
    if family not in registry:
        raise UnknownName(kind, family, registry)
    if template is None:
        takes = [f"{n}:VALUE ({t.parameter.meaning})" for n, t in _TEMPLATES.items() if n in registry]
        raise DeriveError(f"{kind} {family!r} takes no parameter; {kind}s that do: {', '.join(takes)}")
    parameter = template.parameter
    if not _VALUE.match(text):
        raise DeriveError(f"{kind} {name!r}: the value of {parameter.meaning} must be a decimal number "
                          f"such as {_decimal(parameter.default)}")
    fraction = Fraction(text)
    value = sp.Rational(fraction.numerator, fraction.denominator)
    if not parameter.low < float(value) < parameter.high:
        high = "" if parameter.high == math.inf else f" and below {parameter.high:g}"
        raise DeriveError(f"{kind} {name!r}: {parameter.meaning} must be above {parameter.low:g}{high}")
    if value == parameter.default:
        return registry[family]
    canonical = f"{family}:{_decimal(value)}"
    if canonical not in _INSTANCES:
        entry = replace(_set_parameter(template, value, canonical), family=family)
        _INSTANCES[canonical] = entry
        if kind == "activation" and entry.elementwise:
            _FUNCTION_CLASSES[canonical] = _make_function_class(entry)
        if kind == "cost" and entry.kinks:
            _COST_FUNCTIONS[canonical] = _make_cost_function_class(entry)
    return _INSTANCES[canonical]


def lookup_activation(name: str) -> Activation:
    """The entry of a name (or NAME:VALUE), unverified (for validating specs); unknown names list
    the choices."""
    if name in ACTIVATIONS:
        return ACTIVATIONS[name]
    if isinstance(name, str) and ":" in name:
        return _instance("activation", name, ACTIVATIONS)
    raise UnknownName("activation", name, ACTIVATIONS)


def lookup_cost(name: str) -> Cost:
    """The entry of a cost name, alias ('mse') or NAME:VALUE, unverified (for validating specs)."""
    key = _COST_ALIASES.get(name, name)
    if key in COSTS:
        return COSTS[key]
    if isinstance(name, str) and ":" in name:
        family, _, value = name.partition(":")
        return _instance("cost", f"{_COST_ALIASES.get(family, family)}:{value}", COSTS)
    raise UnknownName("cost", name, [*COSTS, *sorted(_COST_ALIASES)])


def activation(name: str) -> Activation:
    """A verified activation: the entry is checked the first time a derivation uses it."""
    entry = lookup_activation(name)
    verify_activation(name)
    return entry


def cost(name: str) -> Cost:
    """A verified cost (aliases such as 'mse' resolve to their entry)."""
    entry = lookup_cost(name)
    verify_cost(entry.name)
    return entry


def operator_words() -> dict[str, str]:
    """The word of each activation written \\operatorname{WORD} in posts (GELU -> gelu), for the
    checker's reader: a new entry is read with no change to the checker."""
    words = {}
    for name, entry in ACTIVATIONS.items():
        prefix, suffix = "\\operatorname{", "}"
        word = entry.latex[len(prefix):-len(suffix)] if entry.latex.startswith(prefix) else ""
        if word.isalpha() and entry.latex.endswith(suffix):
            words[word] = name
    return words


def cost_names() -> list[str]:
    return [*COSTS, *sorted(_COST_ALIASES)]


# ----------------------------------------------------------------------------------------------
# Scalar SymPy functions standing for each activation. Proofs differentiate the fully expanded
# scalar cost with sp.diff; these classes make sp.diff use the entry's own derivative, so that
# proofs stay polynomial in the function values instead of exploding into exponentials.
# ----------------------------------------------------------------------------------------------

_FUNCTION_CLASSES: dict[str, type[sp.Function]] = {}


class ActivationBase(sp.Function):
    """Base of the per-activation scalar functions (sigmoid(z), tanh(z), ...)."""

    nargs = 1
    activation_name: str = ""

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        if argindex != 1:
            raise sp.ArgumentIndexError(self, argindex)
        entry = lookup_activation(self.activation_name)
        if entry.df_da is not None:
            return entry.df_da.xreplace({A: self})
        return entry.df_dz.xreplace({Z: self.args[0]})

    def _eval_evalf(self, prec: int) -> sp.Expr:
        arg = self.args[0]._eval_evalf(prec)
        if arg is None or not arg.is_number:
            return None
        return lookup_activation(self.activation_name).f.xreplace({Z: arg})._eval_evalf(prec)


def _class_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", name)  # leaky-relu:0.2 -> leaky_relu_0_2


def _make_function_class(entry: Activation) -> type[sp.Function]:
    # A real subclass (not sp.Function("sigmoid")) so printers dispatch on it by name.
    return type(_class_name(entry.name), (ActivationBase,), {"activation_name": entry.name})


def _make_cost_function_class(entry: Cost) -> type[sp.Function]:
    return type(_class_name(entry.name), (CostEntryBase,), {"cost_name": entry.name})


def scalar_function(name: str) -> type[sp.Function]:
    """The SymPy function class of an elementwise activation, e.g. sigmoid."""
    name = activation(name).name
    if name not in _FUNCTION_CLASSES:
        raise DeriveError(f"activation {name!r} is not elementwise; it has no scalar function")
    return _FUNCTION_CLASSES[name]


class CostEntryBase(sp.Function):
    """c(a, y) of a cost with kinks, whose derivative in a is the entry's dc_da: a proof through
    it stays in the entry's own terms (a step 1[a − y > 0], not SymPy's sign and DiracDelta)."""

    nargs = 2
    cost_name: str = ""

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        derivative = lookup_cost(self.cost_name).dc_da.xreplace({A: self.args[0], Y: self.args[1]})
        # A cost with kinks is a function of the residual a − y (verify_cost checks it), so its
        # derivative in the target is minus its derivative in the output.
        return derivative if argindex == 1 else -derivative

    def _eval_evalf(self, prec: int) -> sp.Expr:
        if not all(arg.is_number for arg in self.args):
            return None
        return lookup_cost(self.cost_name).c.xreplace({A: self.args[0], Y: self.args[1]})._eval_evalf(prec)

    def explicit(self) -> sp.Expr:
        return lookup_cost(self.cost_name).c.xreplace({A: self.args[0], Y: self.args[1]})


_COST_FUNCTIONS: dict[str, type[sp.Function]] = {}


def cost_entry(name: str, output: sp.Expr, target: sp.Expr) -> sp.Expr:
    """c(output, target) for proofs: explicit, or through the entry's function for a cost with kinks."""
    entry = cost(name)
    if entry.name in _COST_FUNCTIONS:
        return _COST_FUNCTIONS[entry.name](output, target)
    return entry.c.xreplace({A: output, Y: target})


class SoftmaxEntry(sp.Function):
    """s_k(z_1, ..., z_K) = exp(z_k) / sum_j exp(z_j), the k-th output of softmax (k 1-based).

    Its derivative is the full Jacobian row: ds_k/dz_j = s_k (delta_kj - s_j).
    """

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        k = int(self.args[0])
        logits = self.args[1:]
        j = argindex - 1  # argument 1 is k itself; argument j+1 is z_j
        if j < 1 or j > len(logits):
            raise sp.ArgumentIndexError(self, argindex)
        s_k = self
        s_j = SoftmaxEntry(j, *logits)
        return s_k * ((1 if j == k else 0) - s_j)

    @staticmethod
    def explicit(k: int, logits: tuple[sp.Expr, ...]) -> sp.Expr:
        return sp.exp(logits[k - 1]) / sum(sp.exp(z) for z in logits)


def softmax_vector(logits: list[sp.Expr]) -> list[sp.Expr]:
    return [SoftmaxEntry(k, *logits) for k in range(1, len(logits) + 1)]


def softmax_numpy(z: np.ndarray, axis: int) -> np.ndarray:
    """Stable softmax along `axis` (the class axis): shift by the max before exponentiating."""
    shifted = z - z.max(axis=axis, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=axis, keepdims=True)


def softmax_jacobian(s: sp.Matrix) -> sp.Matrix:
    """The full softmax Jacobian diag(s) - s s^T for one sample's output column s."""
    return sp.diag(*s) - s * s.T


# ----------------------------------------------------------------------------------------------
# Verification of entries (run once per entry, on first lookup).
# ----------------------------------------------------------------------------------------------

_SAMPLE_POINTS = (-2.7, -1.3, -0.4, 0.35, 1.1, 2.9)


def _is_identically_zero(expr: sp.Expr) -> bool:
    return _cheaply_zero(expr) or sp.simplify(expr) == 0


def _cheaply_zero(expr: sp.Expr) -> bool:
    """Exactly, as proofs decide (exp(z) and the like taken as variables), or by expanding and
    cancelling; simplify, which can take a tenth of a second, is left to the caller."""
    if expr == 0:
        return True
    try:
        if exact.is_identically_zero(expr):
            return True
    except ValueError:
        pass  # not a rational function of its atoms (a square root): expand and cancel instead
    for attempt in (sp.expand, lambda e: sp.cancel(sp.together(e))):
        expr = attempt(expr)
        if expr == 0:
            return True
    return False


def _equal(left: sp.Expr, right: sp.Expr, entry: Activation) -> bool:
    """left = right as functions of Z: exactly where cheap algebra decides it, else at the sample
    points (away from kinks, where a step function's convention at 0 does not matter), and only
    when both fail by simplify."""
    return (_cheaply_zero(left - right) or _agrees_numerically(left, right, entry)
            or sp.simplify(left - right) == 0)


def numpy_function(expr: sp.Expr, *symbols: sp.Symbol) -> Callable[..., np.ndarray]:
    """A registry formula as a function of arrays for the given symbols (z, a, y)."""
    return lambda *values: evaluate_numpy(expr, dict(zip(symbols, values)))


# Registry formulas are evaluated on arrays by walking them: no lambdify, so no generated code
# and no `from numpy import *` (which alone costs 0.1 s of start-up with NumPy 2).
_NUMPY_FUNCTIONS: dict[type, Callable[..., np.ndarray]] = {
    sp.exp: np.exp,
    sp.log: np.log,
    sp.tanh: np.tanh,
    logaddexp: np.logaddexp,
    maximum: np.maximum,
    minimum: np.minimum,
    sp.Max: lambda *xs: np.maximum.reduce(np.broadcast_arrays(*xs)),
    sp.Min: lambda *xs: np.minimum.reduce(np.broadcast_arrays(*xs)),
    sp.Heaviside: lambda x, h0=0.5: np.heaviside(x, h0),
    sp.erf: np.vectorize(math.erf, otypes=[float]),  # NumPy has no erf; math.erf is exact to an ulp
    sp.Abs: np.abs,
    sp.sign: np.sign,
}


def evaluate_numpy(expr: sp.Basic, values: dict[sp.Symbol, Any]) -> Any:
    """Evaluate a registry formula (in Z, A, Y) on NumPy arrays, elementwise."""
    return numpy_closure(expr)(values)


@cache
def numpy_closure(expr: sp.Basic) -> Callable[[dict], Any]:
    """The formula as a tree of Python closures over NumPy, built once per formula."""
    if expr.is_Symbol:
        return lambda values: values[expr]
    if expr.is_number:  # 3, ½, √(2/π)
        constant = float(expr)
        return lambda values: constant
    parts = [numpy_closure(a) for a in expr.args]
    if expr.is_Add:
        return lambda values: sum((p(values) for p in parts[1:]), parts[0](values))
    if expr.is_Mul:

        def product(values: dict) -> Any:
            result = parts[0](values)
            for p in parts[1:]:
                result = result * p(values)
            return result

        return product
    if expr.is_Pow:

        def power(values: dict) -> Any:
            with np.errstate(divide="ignore", over="ignore"):
                return np.power(np.asarray(parts[0](values), dtype=float), parts[1](values))

        return power
    func = _NUMPY_FUNCTIONS.get(type(expr))
    if func is None:
        raise ValueError(f"no NumPy form for {type(expr).__name__} in {expr}")

    def apply(values: dict) -> Any:
        with np.errstate(over="ignore"):
            return func(*(p(values) for p in parts))

    return apply


@cache
def verify_activation(name: str) -> bool:
    entry = lookup_activation(name)
    if not entry.elementwise:
        return _verify_softmax()
    problems = []
    if not _equal(scalar_derivative(entry.f, Z), entry.df_dz, entry):
        problems.append("df_dz is not the derivative of f")
    if entry.df_da is not None and not _equal(entry.df_da.xreplace({A: entry.f}), entry.df_dz, entry):
        problems.append("df_da does not equal df_dz once A = f(Z)")
    if not _agrees_numerically(entry.numpy, entry.f, entry):
        problems.append("the NumPy form does not compute f")
    if not _agrees_numerically(entry.stable_prime, entry.df_dz, entry):
        problems.append("the NumPy form of f' does not compute df_dz")
    if entry.numpy_fast is not None and not _agrees_numerically(entry.numpy_fast, entry.f, entry):
        problems.append("the fast NumPy form does not compute f")
    extremes = np.array([-1000.0, 1000.0])
    with np.errstate(all="ignore"):
        for form, what in ((entry.numpy, "the NumPy form"), (entry.stable_prime, "the NumPy form of f'")):
            if not _finite_throughout(form, extremes):
                problems.append(f"{what} overflows at z = +-1000 (a value on the way is not finite)")
        if entry.numpy_fast is not None and not np.allclose(_broadcast_value(entry.numpy_fast, extremes),
                                                            _broadcast_value(entry.numpy, extremes)):
            problems.append("the fast NumPy form does not reach f's limits at z = +-1000")
    if problems:
        raise AssertionError(f"activation {name!r} is wrong: {'; '.join(problems)}")
    return True


def _finite_throughout(form: sp.Expr, points: np.ndarray) -> bool:
    """Whether every subexpression of the form is finite at the points: then neither NumPy (which
    warns on overflow) nor the scalar export's math.exp (which raises) meets an overflow."""
    return all(np.all(np.isfinite(_broadcast_value(node, points)))
               for node in sp.preorder_traversal(form) if isinstance(node, sp.Expr) and node.has(Z))


def _broadcast_value(form: sp.Expr, points: np.ndarray) -> np.ndarray:
    return np.broadcast_to(np.asarray(numpy_function(form, Z)(points), dtype=float), points.shape)


def _agrees_numerically(left: sp.Expr, right: sp.Expr, entry: Activation) -> bool:
    points = np.array([p for p in _SAMPLE_POINTS if all(abs(p - k) > 1e-3 for k in entry.kinks)])
    lv, rv = _broadcast_value(left, points), _broadcast_value(right, points)
    return bool(np.allclose(lv, rv, rtol=1e-12, atol=1e-12))


@cache
def _verify_softmax() -> bool:
    logits = sp.symbols("z1:4", real=True)
    explicit = [SoftmaxEntry.explicit(k, logits) for k in (1, 2, 3)]
    s = sp.Matrix(explicit)
    jac = softmax_jacobian(s)
    written_out = {SoftmaxEntry(k, *logits): explicit[k - 1] for k in (1, 2, 3)}
    for k in range(3):
        for j in range(3):
            # The entry's own derivative (what proofs differentiate with), written out in z.
            by_rule = SoftmaxEntry(k + 1, *logits).fdiff(j + 2).xreplace(written_out)
            true = scalar_derivative(explicit[k], logits[j])
            if not _is_identically_zero(true - jac[k, j]) or not _is_identically_zero(true - by_rule):
                raise AssertionError("softmax Jacobian rule is wrong")
    return True


@cache
def verify_cost(name: str) -> bool:
    entry = lookup_cost(name)
    problems = []
    if not _is_identically_zero(scalar_derivative(entry.c, A) - entry.dc_da) and not _cost_derivative_agrees(entry):
        problems.append("dc_da is not the derivative of c")
    if entry.kinks and not _depends_on_residual(entry):
        problems.append("a cost with kinks must be a function of the residual a - y")
    for act_name, rule in entry.fused.items():
        act = ACTIVATIONS[act_name]
        if act.elementwise:
            chain = entry.dc_da * act.df_dz
            if not _is_identically_zero(chain.xreplace({A: act.f}) - rule.delta.xreplace({A: act.f})):
                problems.append(f"the fused rule with {act_name} is not dc/da * f'(z)")
        else:
            _verify_fused_softmax(entry, rule, problems)
    for act_name, stable in entry.from_logits.items():
        act = ACTIVATIONS[act_name]
        points = np.array(_SAMPLE_POINTS)
        for target in (0.0, 0.3, 1.0):
            expected = numpy_function(entry.c.xreplace({A: act.f, Y: target}), Z)(points)
            got = numpy_function(stable.xreplace({Y: target}), Z)(points)
            if not np.allclose(got, expected, rtol=1e-12, atol=1e-12):
                problems.append(f"the logit form with {act_name} does not compute c(f(z), y)")
        with np.errstate(over="ignore"):
            extreme = numpy_function(stable, Z, Y)(np.array([-1000.0, 1000.0]), np.array([1.0, 0.0]))
        if not np.all(np.isfinite(extreme)):
            problems.append(f"the logit form with {act_name} is not finite at z = +-1000")
    if problems:
        raise AssertionError(f"cost {name!r} is wrong: {'; '.join(problems)}")
    return True


def _depends_on_residual(entry: Cost) -> bool:
    """c(a + t, y + t) = c(a, y): the cost is a function of the residual a − y alone."""
    c = numpy_function(entry.c, A, Y)
    a = np.linspace(-3.0, 3.0, 13)
    y = np.linspace(2.0, -1.0, 13)
    return all(np.allclose(c(a + t, y + t), c(a, y), rtol=1e-12, atol=1e-12) for t in (-1.3, 0.7, 2.9))


def _cost_derivative_agrees(entry: Cost) -> bool:
    """dc_da against central differences of c, at residuals on both sides of every kink."""
    if not entry.kinks:
        return False
    targets = np.array([0.1, 0.5, 0.9])
    residuals = np.array([r for r in np.linspace(-3.1, 3.1, 15) if all(abs(r - k) > 0.05 for k in entry.kinks)])
    a = (residuals[:, None] + targets[None, :]).ravel()
    y = np.broadcast_to(targets, (len(residuals), 3)).ravel()
    c = numpy_function(entry.c, A, Y)
    h = 1e-4
    numeric = (8 * (c(a + h, y) - c(a - h, y)) - (c(a + 2 * h, y) - c(a - 2 * h, y))) / (12 * h)
    analytic = np.broadcast_to(numpy_function(entry.dc_da, A, Y)(a, y), a.shape)
    return bool(np.allclose(analytic, numeric, rtol=1e-8, atol=1e-8))


def _verify_fused_softmax(entry: Cost, rule: FusedRule, problems: list[str]) -> None:
    logits = sp.symbols("z1:4", real=True)
    targets = list(sp.symbols("y1:4", real=True))
    targets[-1] = 1 - targets[0] - targets[1]  # the assumption: the target sums to 1
    probs = softmax_vector(list(logits))
    total = sum(entry.c.xreplace({A: p, Y: t}) for p, t in zip(probs, targets))
    for j in range(3):
        by_diff = scalar_derivative(total, logits[j])
        fused = rule.delta.xreplace({A: probs[j], Y: targets[j]})
        if sp.expand(by_diff - fused) != 0:
            problems.append("the fused softmax rule is not the derivative of the summed cost")
            return


# ----------------------------------------------------------------------------------------------
# Activations
# ----------------------------------------------------------------------------------------------

#: The parameters of LeakyReLU and ELU (leaky-relu:0.2, elu:0.5), PyTorch's defaults unless set.
LEAKY_SLOPE = sp.Symbol("alpha", positive=True)
ELU_ALPHA = sp.Symbol("alpha", positive=True)
#: Constants of GELU's tanh approximation.
GELU_TANH_SCALE = sp.sqrt(2 / sp.pi)
GELU_TANH_CUBIC = sp.Rational(44715, 1_000_000)

register_activation(Activation(
    name="sigmoid", latex=r"\sigma", text="σ",
    f=1 / (1 + sp.exp(-Z)),
    df_dz=sp.exp(-Z) / (1 + sp.exp(-Z)) ** 2,
    df_da=A * (1 - A),
    # (1 + tanh(z/2))/2 is σ(z) exactly, never overflows, and costs one tanh (the cheapest
    # stable form: exp(−logaddexp(0, −z)) is exact too but twice as slow).
    numpy=(1 + sp.tanh(Z / 2)) / 2,
    # σ(1 − σ) with the stable σ: e^{−z}/(1 + e^{−z})² is inf/inf below z = −355
    numpy_prime=(1 - sp.tanh(Z / 2) ** 2) / 4,
    # One exp instead of one tanh (twice as fast in NumPy), and more accurate far below 0, where
    # (1 + tanh(z/2))/2 cancels; e^{−z} = inf below z = −709 gives 1/(1 + inf) = 0, σ's limit.
    numpy_fast=1 / (1 + sp.exp(-Z)),
    output_range=(0.0, 1.0),
    summary="logistic function 1/(1+e^-z); derivative a(1-a)",
))

register_activation(Activation(
    name="tanh", latex=r"\tanh", text="tanh",
    f=sp.tanh(Z),
    df_dz=1 - sp.tanh(Z) ** 2,
    df_da=1 - A**2,
    numpy=sp.tanh(Z),
    output_range=(-1.0, 1.0),
    summary="hyperbolic tangent; derivative 1-a^2",
))

register_activation(Activation(
    name="relu", latex=r"\operatorname{ReLU}", text="ReLU",
    f=sp.Max(0, Z),
    df_dz=sp.Heaviside(Z, 0),
    # a > 0 exactly where z > 0, so the step of a is the step of z (both 0 at the kink).
    df_da=sp.Heaviside(A, 0),
    numpy=maximum(Z, 0),
    output_range=(0.0, math.inf),
    attains_lower_bound=True,
    kinks=(0.0,),
    summary="max(0, z); derivative 1 where z > 0, else 0",
))

register_activation(Activation(
    name="identity", latex=r"\operatorname{id}", text="id",
    f=Z,
    df_dz=sp.Integer(1),
    df_da=sp.Integer(1),
    numpy=Z,
    output_range=(-math.inf, math.inf),
    summary="a = z (linear output); derivative 1",
))

register_activation(Activation(
    name="softplus", latex=r"\operatorname{softplus}", text="softplus",
    f=sp.log(1 + sp.exp(Z)),
    df_dz=1 / (1 + sp.exp(-Z)),
    df_da=1 - sp.exp(-A),
    numpy=logaddexp(0, Z),
    numpy_prime=(1 + sp.tanh(Z / 2)) / 2,  # σ(z), stable (with dropout f′ is taken in z)
    output_range=(0.0, math.inf),
    summary="log(1+e^z); derivative sigmoid(z) = 1-e^-a",
))

register_activation(Activation(
    name="leaky-relu", latex=r"\operatorname{LeakyReLU}", text="LeakyReLU",
    f=sp.Max(Z, LEAKY_SLOPE * Z),
    df_dz=LEAKY_SLOPE + (1 - LEAKY_SLOPE) * sp.Heaviside(Z, 0),
    # a has the sign of z, so the step of a is the step of z (as for relu).
    df_da=LEAKY_SLOPE + (1 - LEAKY_SLOPE) * sp.Heaviside(A, 0),
    numpy=maximum(Z, LEAKY_SLOPE * Z),
    output_range=(-math.inf, math.inf),
    kinks=(0.0,),
    summary="max(z, α z) with the slope α = {value} below 0 (leaky-relu:ALPHA sets it); derivative 1 where "
            "a > 0, else α",
    parameter=Parameter(LEAKY_SLOPE, sp.Rational(1, 100), 0.0, 1.0, "the slope below 0"),
))

register_activation(Activation(
    name="elu", latex=r"\operatorname{ELU}", text="ELU",
    f=sp.Max(0, Z) + ELU_ALPHA * (sp.exp(sp.Min(0, Z)) - 1),
    # exp of min(0, z): the derivative is finite for any z (exp(z) alone overflows for z > 709).
    df_dz=sp.Heaviside(Z, 0) + (1 - sp.Heaviside(Z, 0)) * ELU_ALPHA * sp.exp(sp.Min(0, Z)),
    # below 0, a = α(e^z − 1), so α e^z = a + α
    df_da=sp.Heaviside(A, 0) + (1 - sp.Heaviside(A, 0)) * (A + ELU_ALPHA),
    numpy=maximum(Z, 0) + ELU_ALPHA * (sp.exp(minimum(Z, 0)) - 1),
    output_range=(-1.0, math.inf),
    kinks=(0.0,),  # f′ (α = 1) or f itself (other α) is not smooth at 0: differences keep away from it
    summary="z above 0, α(e^z − 1) below, α = {value} (elu:ALPHA sets it); derivative 1[a > 0] + "
            "(1 − 1[a > 0])(a + α)",
    parameter=Parameter(ELU_ALPHA, sp.Integer(1), 0.0, 100.0, "α",
                        derived=lambda alpha: {"output_range": (-alpha, math.inf)}),
))

register_activation(Activation(
    name="gelu", latex=r"\operatorname{GELU}", text="GELU",
    f=Z / 2 * (1 + sp.erf(Z / sp.sqrt(2))),
    # Φ(z) + z φ(z); no form in a = z Φ(z) alone
    df_dz=(1 + sp.erf(Z / sp.sqrt(2))) / 2 + Z * sp.exp(-Z**2 / 2) / sp.sqrt(2 * sp.pi),
    df_da=None,
    numpy=Z / 2 * (1 + sp.erf(Z / sp.sqrt(2))),
    output_range=(-0.17, math.inf),  # min z Φ(z) = −0.16997 at z = −0.7518
    summary="z Φ(z) = z (1 + erf(z/√2))/2 (the exact form); derivative Φ(z) + z φ(z), in z only",
))

register_activation(Activation(
    name="gelu-tanh", latex=r"\operatorname{GELUtanh}", text="GELUtanh",
    f=Z / 2 * (1 + sp.tanh(GELU_TANH_SCALE * (Z + GELU_TANH_CUBIC * Z**3))),
    df_dz=(1 + sp.tanh(GELU_TANH_SCALE * (Z + GELU_TANH_CUBIC * Z**3))) / 2
    + Z / 2 * (1 - sp.tanh(GELU_TANH_SCALE * (Z + GELU_TANH_CUBIC * Z**3)) ** 2)
    * GELU_TANH_SCALE * (1 + 3 * GELU_TANH_CUBIC * Z**2),
    df_da=None,
    numpy=Z / 2 * (1 + sp.tanh(GELU_TANH_SCALE * (Z + GELU_TANH_CUBIC * Z**3))),
    output_range=(-0.18, math.inf),
    summary="z (1 + tanh(√(2/π)(z + 0.044715 z³)))/2, GELU's tanh approximation; derivative in z only",
))

register_activation(Activation(
    name="silu", latex=r"\operatorname{SiLU}", text="SiLU",
    f=Z / (1 + sp.exp(-Z)),
    # σ(z)(1 + z(1 − σ(z))); no form in a = z σ(z) alone
    df_dz=(1 + Z * (1 - 1 / (1 + sp.exp(-Z)))) / (1 + sp.exp(-Z)),
    df_da=None,
    numpy=Z * (1 + sp.tanh(Z / 2)) / 2,  # z σ(z) with the stable σ of the sigmoid entry
    numpy_prime=(1 + sp.tanh(Z / 2)) / 2 * (1 + Z * (1 - sp.tanh(Z / 2)) / 2),  # the same σ in df_dz
    output_range=(-0.28, math.inf),  # min z σ(z) = −0.2785 at z = −1.2785
    summary="z σ(z), also called swish; derivative σ(z)(1 + z(1 − σ(z))), in z only",
))

register_activation(Activation(
    name="softmax", latex=r"\operatorname{softmax}", text="softmax",
    f=sp.exp(Z),  # per-entry numerator only; the normalisation is in SoftmaxEntry
    df_dz=sp.exp(Z),
    df_da=None,
    numpy=sp.exp(Z),
    output_range=(0.0, 1.0),
    elementwise=False,
    summary="e^z_k / sum_j e^z_j (output layer only); full Jacobian diag(s) - s s^T",
))

# ----------------------------------------------------------------------------------------------
# Costs
# ----------------------------------------------------------------------------------------------

register_cost(Cost(
    name="quadratic", latex=r"\frac{1}{2}\left(a - y\right)^{2}", text="½(a−y)²",
    c=(A - Y) ** 2 / 2,
    dc_da=A - Y,
    input_range=(-math.inf, math.inf),
    aliases=("mse",),
    target_range=(0.0, 1.0),
    summary="C = ½ Σ (a − y)² summed over outputs and samples",
))

register_cost(Cost(
    name="cross-entropy", latex=r"-y \log a", text="−y log a",
    c=-Y * sp.log(A),
    dc_da=-Y / A,
    input_range=(0.0, math.inf),
    fused={
        "softmax": FusedRule(delta=A - Y, assumption="one-hot-target"),
        "sigmoid": FusedRule(delta=-Y * (1 - A)),  # (−y/a)·a(1 − a): no 0/0 when σ saturates
    },
    from_logits={"sigmoid": Y * logaddexp(0, -Z)},  # −y log σ(z) = y log(1 + e^−z)
    aliases=("ce",),
    one_hot_target=True,
    summary="C = −Σ y log a; with softmax fused to δ = a − y (targets sum to 1)",
))

register_cost(Cost(
    name="binary-cross-entropy", latex=r"-\left(y \log a + (1 - y) \log(1 - a)\right)",
    text="−(y log a + (1−y) log(1−a))",
    c=-(Y * sp.log(A) + (1 - Y) * sp.log(1 - A)),
    dc_da=(A - Y) / (A * (1 - A)),
    input_range=(0.0, 1.0),
    fused={"sigmoid": FusedRule(delta=A - Y)},
    from_logits={"sigmoid": logaddexp(0, Z) - Y * Z},  # −[y log σ(z) + (1−y) log(1−σ(z))]
    aliases=("bce",),
    summary="C = −Σ [y log a + (1−y) log(1−a)]; with sigmoid fused to δ = a − y",
))


#: Huber's δ: where the cost turns from quadratic to linear (huber:0.5; PyTorch's default 1).
HUBER_DELTA = sp.Symbol("delta", positive=True)
_RESIDUAL = A - Y

register_cost(Cost(
    name="mean-absolute-error", latex=r"\left|a - y\right|", text="|a−y|",
    c=sp.Abs(_RESIDUAL),
    # the sign of a − y, written with steps (what posts and the checker read)
    dc_da=sp.Heaviside(_RESIDUAL, 0) - sp.Heaviside(-_RESIDUAL, 0),
    input_range=(-math.inf, math.inf),
    aliases=("mae", "l1"),
    kinks=(0.0,),
    summary="C = Σ |a − y| summed over outputs and samples; derivative 1[a − y > 0] − 1[y − a > 0]",
))

register_cost(Cost(
    name="huber", latex=r"\operatorname{huber}(a - y)", text="huber(a−y)",
    # ½r² inside |r| ≤ δ, δ(|r| − ½δ) outside: the square minus the part of it beyond δ
    c=_RESIDUAL**2 / 2 - sp.Heaviside(sp.Abs(_RESIDUAL) - HUBER_DELTA, 0) * (sp.Abs(_RESIDUAL) - HUBER_DELTA) ** 2 / 2,
    # a − y clipped to [−δ, δ], written with steps
    dc_da=_RESIDUAL + sp.Heaviside(_RESIDUAL - HUBER_DELTA, 0) * (HUBER_DELTA - _RESIDUAL)
    - sp.Heaviside(-_RESIDUAL - HUBER_DELTA, 0) * (HUBER_DELTA + _RESIDUAL),
    input_range=(-math.inf, math.inf),
    kinks=(-1.0, 1.0),
    summary="C = Σ huber(a − y) with δ = {value} (huber:DELTA sets it): ½r² for |r| ≤ δ, δ(|r| − ½δ) "
            "beyond; derivative a − y clipped to [−δ, δ]",
    parameter=Parameter(HUBER_DELTA, sp.Integer(1), 0.0, 1000.0, "δ",
                        derived=lambda delta: {"kinks": (-delta, delta)}),
))


def check_pair(act: Activation, cst: Cost) -> None:
    """Refuse a cost that is undefined on the output activation's range."""
    lo, hi = act.output_range
    clo, chi = cst.input_range
    if lo < clo or hi > chi or (act.attains_lower_bound and lo == clo and clo > -math.inf):
        fits = [a for a, e in ACTIVATIONS.items() if e.output_range[0] >= clo and e.output_range[1] <= chi
                and not (e.attains_lower_bound and e.output_range[0] == clo)]
        opening = "[" if act.attains_lower_bound else "("
        raise DeriveError(
            f"cost {cst.name!r} needs outputs in ({clo:g}, {chi:g}) but {act.name!r} outputs "
            f"{opening}{lo:g}, {hi:g}); valid output activations: {', '.join(fits)}"
        )
