"""Pieces both code forms emit: the quoted step above each statement, activation helpers, the
input standardisation and the cost expression (from the logits where the registry knows how)."""

from __future__ import annotations

from typing import Any

import sympy as sp

from .. import rules
from ..algebra import ApplyPrime
from ..quantities import MEAN, STD
from ..textprint import DeriveTextPrinter
from .backends import NUMPY, Backend
from .emitter import Emitter
from .plan import Plan
from .printers import MatrixCodePrinter, ScalarCodePrinter, helper_name, inplace_chain, print_registry


def quote(plan: Plan, step: Any) -> str:
    """The step as the comment above the line implementing it: δ² = (ŷ − y) ⊙ …  [delta_2]."""
    printer = DeriveTextPrinter(plan.derivation.printer_settings("text"))
    forms = step.printed(printer.doprint)
    return f"{forms[0]} = {forms[-1]}  [{step.key}]"


def array_form(entry: rules.Activation, backend: Backend) -> sp.Expr:
    """f(Z) as the backend's array code computes it: the registry's fast form where the backend
    can ignore its overflow, else its stable form."""
    return entry.numpy_fast if entry.numpy_fast is not None and backend.overflow_guard else entry.numpy


def overflow_guard(plan: Plan, backend: Backend) -> str:
    """The decorator of the functions that run the forward pass, if a fast form is computed there."""
    fast = any(array_form(rules.activation(layer.activation), backend) is not rules.activation(layer.activation).numpy
               for layer in plan.spec.layers)
    return f"{backend.overflow_guard}  # a fast form's e^-z = inf gives its limit: 1/(1 + inf) = 0" if fast else ""


def activation_helpers(e: Emitter, plan: Plan, scalar: bool, backend: Backend = NUMPY) -> None:
    """One helper per activation the network uses, printed from its registry NumPy form."""
    used = sorted({layer.activation for layer in plan.spec.layers})
    printer: Any = ScalarCodePrinter() if scalar else MatrixCodePrinter({"backend": backend})
    entries = [rules.activation(name) for name in used]
    # f′(z) in the gradients: where the registry has no form in a, or where a carries a dropout mask.
    primes = {node.name for a in plan.backward for node in sp.preorder_traversal(a.expr) if isinstance(node, ApplyPrime)}
    if not scalar and backend.erf_helper and any(x.numpy.has(sp.erf) or x.stable_prime.has(sp.erf) for x in entries):
        e.lines(backend.erf_helper)
        e.blank(2)
    for name in used:
        entry = rules.activation(name)
        if not entry.elementwise:
            continue
        form = entry.numpy if scalar else array_form(entry, backend)
        which = "stable form" if form is entry.numpy else "fast form (its callers ignore the overflow of e^-z)"
        e.line(f"def {helper_name(name)}(z):")
        with e.indented():
            e.line(f"# {entry.text}(z) = {print_registry(printer, form, z='z')}, the registry's {which}")
            chain = None if scalar or not backend.inplace else inplace_chain(printer, form, "z", "t")
            if chain:
                for text in chain:
                    e.line(text)
                e.line("return t")
            else:
                e.line(f"return {print_registry(printer, form, z='z')}")
        e.blank(2)
        if (entry.df_da is None or name in primes) and not scalar:
            e.line(f"def {helper_name(name)}_prime(z):")
            with e.indented():
                prime = print_registry(printer, entry.stable_prime, z="z")
                e.line(f"# {entry.text}′(z) = {prime}, the registry's derivative in its stable form")
                e.line(f"return {prime}")
            e.blank(2)
        overwrite = None if scalar or not backend.inplace else inplace_chain(printer, form, "z", "z", overwrite=True)
        if overwrite is not None:
            e.line(f"def {helper_name(name)}_inplace(z):")
            with e.indented():
                e.line(f"# {entry.text}(z), computed in z's own array (z is not needed afterwards)")
                if form is not entry.numpy:
                    e.line(f"# = {print_registry(printer, form, z='z')}: e^-z = inf gives 1/(1 + inf) = 0, the limit")
                for text in overwrite:
                    e.line(text)
                e.line("return z")
            e.blank(2)


def normalisation_lines(e: Emitter, plan: Plan, feature_axis: int, backend: Backend = NUMPY) -> None:
    """x̂ = (x − μ)/σ_x with each sample's own mean and standard deviation (constants to C)."""
    e.comment("μ and σ_x: each sample's mean and standard deviation, constants to the gradient  [normalize]")
    mean = backend.reduce_sum.replace(".sum(", ".mean(").format(x="x", axis=feature_axis)
    e.line(f"{MEAN} = {mean}")
    e.line(f"{STD} = {backend.population_std.format(x='x', axis=feature_axis)}")
    if backend.inplace:
        e.line(f"{STD}[{STD} == 0] = 1.0  # a constant sample standardises to 0, not 0/0")
    else:
        e.line(f"{STD} = {backend.prefix}.where({STD} == 0, 1.0, {STD})  # a constant sample standardises to 0")


#: The name exported code gives λ (`lambda` is a Python keyword; the printers write it so).
LAMBDA_NAME = "lambda_"


def cost_from_logits(plan: Plan) -> bool:
    """Whether the exported cost is computed from the output layer's logits (stable) rather than
    from its activations."""
    return plan.output_activation.name in plan.cost.from_logits or plan.softmax_cross_entropy


def cost_expression(plan: Plan, printer: Any, logits: str, output: str, target: str, labels: str = "dense") -> str:
    """The cost summed over entries, computed from the logits where the registry knows how. With
    integer class labels it picks each sample's log-probability instead of multiplying by y."""
    cost, act = plan.cost, plan.output_activation
    total = f"{printer.backend.prefix}.sum"
    if plan.softmax_cross_entropy:
        log_p = f"_log_softmax({logits}, axis={plan.class_axis})"
        if labels == "index":
            return f"-{total}({log_p}[{label_index(plan, printer.backend, target)}])"
        return f"-{total}({target} * {log_p})"
    if act.name in cost.from_logits:
        return f"{total}({print_registry(printer, cost.from_logits[act.name], z=logits, y=target)})"
    return f"{total}({print_registry(printer, cost.c, a=output, y=target)})"


def label_index(plan: Plan, backend: Backend, labels: str) -> str:
    """The index of each sample's labelled entry in a (B, classes) or (classes, B) array."""
    samples = backend.arange.format(n=f"{labels}.shape[0]")
    return f"{samples}, {labels}" if plan.row else f"{labels}, {samples}"
