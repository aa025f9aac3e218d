r"""Stage 6, diagnose: which usual mistake turns the correct step into the one written.

The table `MISTAKES` reads like the rule registry: one entry per mistake, each a name, a
mutation (mutations.py says how one relates the correct step and the written one) and a message.

A comparison is the judge's: the same small instance, every layer and index value, the same
seeded random points. The first entry that matches is the diagnosis; its repaired formula, when
it has one, is the "correct formula" of the report, printed in the post's own notation.
"""

from __future__ import annotations

from typing import Any

import sympy as sp

from .. import rules
from ..algebra import Entry, Grad, NetQuantity, Partial
from ..verify import gradient_subject
from .build import Unchecked
from .case import Case, Finding, Mistake, printable
from .judge import Judge
from .mutations import (
    batch_factor,
    contradicted_convention,
    cost_without_square,
    f_prime_for_f,
    factor_half_or_two,
    input_for_activation,
    missing_activation_derivative,
    missing_batch_sum,
    missing_prime,
    missing_dropout_mask,
    missing_norm_count,
    missing_residual_path,
    residual_prime_in_a,
    missing_weight_decay,
    other_activation,
    other_cost,
    output_layer_error,
    previous_activation,
    norm_prime_of_z,
    prime_argument,
    product_order,
    sign_error,
    softmax_diagonal,
    sum_of_squares,
    swapped_formulas,
    swapped_indices,
    term_sign,
    transposed_factor,
    wrong_layer,
    z_for_a,
)
from .results import Counterexample, Diagnosis, Evaluated, Form
from .usage import OutOfRange, ShapeMismatch

# ----------------------------------------------------------------------------------------------
# The table
# ----------------------------------------------------------------------------------------------

MISTAKES: tuple[Mistake, ...] = (
    Mistake("swapped-formulas", swapped_formulas,
            "this is the formula of {other}: the formulas of two parameters are swapped"),
    Mistake("missing-weight-decay", missing_weight_decay,
            "the L2 penalty's term is missing: the cost holds λ/2 Σ‖W^l‖², so ∂C/∂W^l = δ^l (a^(l-1))ᵀ + λW^l "
            "(λ/n W^l when the cost is averaged over the batch)"),
    Mistake("missing-dropout-mask", missing_dropout_mask,
            "the dropout mask m^{layer} is missing: a^{layer} = f(z^{layer}) ⊙ m^{layer}, so the error carries the mask "
            "too, δ^l = ((W^(l+1))ᵀ δ^(l+1)) ⊙ m^l ⊙ f′(z^l)"),
    Mistake("missing-residual-path", missing_residual_path,
            "the residual connection's path is missing: a^{later} = f(z^{later}) + a^{layer} adds a^{layer} to a later "
            "output, so ∂C/∂a^{layer} gains ∂C/∂a^{later} and δ^{layer} = ((W^{next})ᵀ δ^{next} + ∂C/∂a^{later}) ⊙ f′(z^{layer})"),
    Mistake("residual-prime-in-a", residual_prime_in_a,
            "f′ written in terms of a^{layer}, but a^{layer} = f(z^{layer}) + a^{from} carries the skip: an identity such "
            "as σ′(z) = a(1 − a) holds only for a = σ(z); keep f′(z^{layer})"),
    Mistake("norm-prime-of-z", norm_prime_of_z,
            "f′ taken at z^{layer}, before the normalisation: a^{layer} = f(u^{layer}) with u^{layer} = γ^{layer} ⊙ "
            "ẑ^{layer} + β^{layer}, so ∂C/∂u^{layer} = ∂C/∂a^{layer} ⊙ f′(u^{layer})"),
    Mistake("missing-norm-count", missing_norm_count,
            "the 1/N of the normalisation is missing: μ^{layer} and (σ^{layer})² average over N = {count} values, "
            "so they carry it, and so does δ^{layer} (2/N and 1/N on the variance's and the mean's paths, 1/N in "
            "front of the compact form)"),
    Mistake("wrong-cost", other_cost,
            "wrong cost function: this is {other_article}, but the network's cost is the {own} cost"),
    Mistake("cost-missing-square", cost_without_square,
            "the cost is missing its square: it is ½ Σ (ŷ − y)², not ½ Σ (ŷ − y)"),
    Mistake("convention-contradicted", contradicted_convention,
            "contradicts the index convention the post states ({stated}): the formula is right for {used}"),
    Mistake("prime-argument", prime_argument,
            "{what}: σ′(z) takes the pre-activation z, and σ′(z) = a(1 − a) with a = σ(z)"),
    Mistake("z-for-a", z_for_a,
            "a(1 − a) written with z in place of a: σ′(z) = σ(z)(1 − σ(z)) = a(1 − a), not z(1 − z)"),
    Mistake("f-prime-for-f", f_prime_for_f,
            "f′ written where f is meant: σ′(z) = σ(z)(1 − σ(z)), not σ′(z)(1 − σ′(z))"),
    Mistake("other-activation", other_activation,
            "the derivative of {other} where the layer's activation is {own}: use {own}′ (the registry's "
            "derivative of the layer's own activation)"),
    Mistake("wrong-layer", wrong_layer, "{layer_message}"),
    Mistake("output-layer-error", output_layer_error,
            "the output layer's quantities (L) in a formula for a general layer l: {fixed} belongs (δ^L is the "
            "error of the last layer only)"),
    Mistake("softmax-diagonal", softmax_diagonal,
            "softmax Jacobian reduced to its diagonal: ∂ŷ_k/∂z_j = ŷ_k(δ_kj − ŷ_j) also has the off-diagonal "
            "terms −ŷ_k ŷ_j (the full Jacobian is diag(ŷ) − ŷᵀŷ)"),
    Mistake("missing-batch-sum", missing_batch_sum,
            "missing sum over the batch: a parameter shared by all samples adds up their contributions "
            "(𝟏ᵀ ∂L/∂Z, or Σ_i)"),
    Mistake("input-for-activation", input_for_activation,
            "the input {input} where the activation {activation} of layer {layer} belongs: the weights of layer "
            "{next} multiply {activation}, so ∂z/∂W of that layer is {activation}, not the network's input"),
    Mistake("missing-prime", missing_prime,
            "the activation {found} where its derivative σ′ belongs (δ = ∂C/∂a ⊙ σ′(z)){layer}"),
    Mistake("previous-activation", previous_activation,
            "the activation one layer off: {found} where {fixed}, the input of the layer, belongs"),
    Mistake("missing-activation-derivative", missing_activation_derivative,
            "the factor {sigma} is missing: through a = σ(z), ∂C/∂z = ∂C/∂a ⊙ σ′(z)"),
    Mistake("sum-of-squares", sum_of_squares,
            "{found} where {fixed} belongs: {written} (the softmax denominator is (Σ_p e^{{s_p}})², the square "
            "of the sum)"),
    Mistake("batch-factor", batch_factor, "{batch_message}"),
    Mistake("sign", sign_error, "sign error: {found_fixed}"),
    Mistake("term-sign", term_sign, "sign flipped inside one term of a sum: {sign}{term} has the wrong sign"),
    Mistake("factor", factor_half_or_two, "{factor_message}"),
    Mistake("transposed-factor", transposed_factor, "{transpose_message}"),
    Mistake("product-order", product_order, "wrong product order: {found} should be {fixed}"),
    Mistake("swapped-indices", swapped_indices, "swapped indices: {found} are exchanged"),
)


def diagnose_link(judge: Judge, chain: list[Form], ref_index: int, k: int, text: str,
                  evaluated: Evaluated | None) -> tuple[Diagnosis | None, str | None, Counterexample | None]:
    """The diagnose stage for one wrong link: (diagnosis, correct formula, counterexample)."""
    case = Case(judge, chain, ref_index, k, text, evaluated)
    diagnosis, correct = diagnose(case)
    return diagnosis, correct, case.counterexample() if case.ref_values is not None else None


def diagnose(case: Case) -> tuple[Diagnosis | None, str | None]:
    for mistake in MISTAKES:
        try:
            finding = next(mistake.mutation(case), None)
        except (Unchecked, ShapeMismatch, OutOfRange, sp.ShapeError, ValueError, TypeError, KeyError,
                AttributeError, IndexError, ZeroDivisionError, RecursionError):
            finding = None
        if finding is None:
            continue
        message = mistake.message.format(**_details(case, mistake.name, finding.details))
        return Diagnosis(mistake.name, message), correct_formula(case, finding)
    return None, correct_formula(case, None)


def _details(case: Case, name: str, details: dict[str, str]) -> dict[str, str]:
    d = dict(details)
    if name == "wrong-cost":
        other = d["other"]
        d["other_article"] = other if other.startswith("the derivative") else f"the {other} cost"
    if name == "sign":
        if case.about_cost():
            own = rules.cost(case.world.instance_spec.cost)
            d["found_fixed"] = ("the cost is missing its minus sign (−Σ y log ŷ)" if own.name != "quadratic"
                                else "the cost has the wrong sign")
        elif d.get("fixed"):
            d["found_fixed"] = f"{d['found']} where {d['fixed']} belongs"
        else:
            d["found_fixed"] = "the right-hand side is the negative of the correct one"
    if name == "wrong-layer":
        found, fixed = d["found"], d["fixed"]
        if "L" in found and "L" not in fixed:
            d["layer_message"] = (f"the output layer's {found} in a formula for a general layer: {fixed} belongs "
                                  "(only the last layer has δ^L = ∂C/∂a^L ⊙ σ′(z^L))")
        else:
            d["layer_message"] = f"wrong layer: {found} where {fixed} belongs"
    if name == "input-for-activation":
        d["next"] = str(int(d["layer"]) + 1)
    if name == "batch-factor":
        d["batch_message"] = ("1/m counted twice: the mean's 1/m is already inside the derivatives of the mean "
                              "cost (dZ = ∂J/∂Z), so dW = dZ Aᵀ has no further 1/m" if d["kind"] == "twice" else
                              "the mean's 1/m is missing: the derivative of a cost averaged over the batch "
                              "carries the factor 1/m")
    if name == "factor":
        ratio = d["ratio"]
        quadratic = rules.cost(case.world.instance_spec.cost).name == "quadratic"
        if case.about_cost():
            d["factor_message"] = ("the cost is missing its factor ½" if ratio == "2"
                                   else f"a factor {ratio} too many in the cost")
        elif ratio == "1/2":
            d["factor_message"] = ("a factor ½ too many: the ½ of the cost was kept after the 2 from differentiating "
                                   "the square cancelled it" if quadratic else "a factor ½ too many")
        elif ratio == "2":
            d["factor_message"] = ("a factor 2 too many: the 2 from differentiating the square cancels the ½ of the "
                                   "cost" if quadratic else "a factor 2 too many")
        else:
            d["factor_message"] = f"off by a factor {ratio}"
    if name == "transposed-factor":
        found, fixed = d.get("found", ""), d.get("fixed", "")
        if found == "the whole right-hand side":
            d["transpose_message"] = ("the result is transposed: the right-hand side is the transpose of the correct "
                                      "one (rows = source where rows = destination belongs, or the reverse)")
        elif found == "every weight matrix":
            d["transpose_message"] = ("wrong weight-matrix layout: every weight matrix is used transposed "
                                      "(rows = source where the post's layout is rows = destination, or the reverse)")
        elif d.get("layout"):
            d["transpose_message"] = (f"transposed factor: {found} where {fixed} belongs "
                                      "(the weight matrix read in the other layout: rows = source vs rows = destination)")
        else:
            d["transpose_message"] = f"transposed factor: {found} where {fixed} belongs"
    return d


def correct_formula(case: Case, finding: Finding | None) -> str | None:
    """The correct formula in the post's notation: the written one repaired, else the engine's."""
    if finding is not None and finding.printed is not None:
        return finding.printed
    if finding is not None and finding.fixed_value is not None:
        return case.show(finding.fixed_value)
    if finding is not None and finding.fixed is not None:
        value = printable(case, finding.fixed)
        if value is not None:
            return case.show(value)
    engine = engine_form(case)
    return case.show(engine) if engine is not None else None


def engine_form(case: Case) -> Any:
    """The engine's own right-hand side for the left-hand side written, closest to what was written."""
    if case.ref.node is None:
        return None
    if case.world.general:
        anchor = case.ref.value
        user = case.user.value
    else:
        try:
            anchor, _ = case.judge.concrete(case.ref.node, {}, case.text)
            user = case.judge.concrete(case.user.node, {}, case.text)[0] if case.user.mismatch is None else None
        except (Unchecked, OutOfRange, ShapeMismatch, ValueError, TypeError, sp.ShapeError):
            return None
    subject = gradient_subject(anchor)
    best, best_score = None, None
    for step in case.world.engine.steps:
        lhs = step.lhs
        if not (lhs == anchor or (subject is not None and gradient_subject(lhs) == subject)):
            continue
        for form in step.forms[1:]:
            if subject is not None and gradient_subject(form) == subject:
                continue
            if isinstance(form, Entry) and isinstance(form.of, Grad):
                continue
            score = _similarity(form, user)
            if best_score is None or score > best_score:
                best, best_score = form, score
    return best


def _similarity(a: Any, b: Any) -> int:
    if b is None:
        return 0
    def atoms(e: Any) -> set:
        out = set()
        for n in sp.preorder_traversal(e):
            if isinstance(n, (NetQuantity, sp.Symbol, Partial, Grad)) or type(n).__name__ in (
                    "ApplyPrime", "Apply", "Prime", "HadamardProduct", "Sum", "Quotient", "Diag", "Jacobian"):
                out.add(n if not isinstance(n, (sp.HadamardProduct, sp.Sum)) else type(n).__name__)
        return out
    A, B = atoms(a), atoms(b)
    return 2 * len(A & B) - len(A ^ B)
