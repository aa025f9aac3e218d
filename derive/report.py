"""`derive show`: a derivation as readable Unicode text, or as JSON for tools."""

from __future__ import annotations

import json
from typing import Any

import sympy as sp

from .safe import as_expr
from . import phrases
from .derivation import Check, Derivation, Step
from .latex import DeriveLatexPrinter, latex_shape
from .textprint import DeriveTextPrinter, text_shape
from .verify import SymbolicVerifier, symbolic_possible

SECTIONS = {
    "forward": "Forward pass",
    "output": "Output layer",
    "hidden": "Hidden layers",
    "gradients": "Parameter gradients",
    "specialise": "Specialised to the cost and activation",
    "scalar": "Neuron by neuron (scalar view)",
    "layout": "Matrix form under both weight layouts",
}


def _layer_text(step: Step, printer: Any) -> str:
    return "" if step.layer is None else printer.doprint(step.layer)


def summarize_checks(checks: tuple[Check, ...] | list[Check]) -> str:
    by_method: dict[str, int] = {}
    worst = 0.0
    for c in checks:
        by_method[c.method] = by_method.get(c.method, 0) + c.entries
        if c.max_error is not None and c.method == "numeric":
            worst = max(worst, c.max_error)
    parts = []
    if "symbolic" in by_method:
        parts.append(f"{by_method['symbolic']} entries proved equal to the derivative of the expanded scalar cost")
    if "numeric" in by_method:
        parts.append(f"{by_method['numeric']} values checked by central differences (worst relative error {worst:.1e})")
    if "instance" in by_method:
        parts.append("every step checked on concrete instances")
    return "; ".join(parts) if parts else "not verified"


def text_report(d: Derivation) -> str:
    printer = DeriveTextPrinter(d.printer_settings("text"))
    lines = [f"{d.spec.name}: {d.spec.describe()}"]
    if d.general:
        lines[0] = f"{d.spec.name}: general L-layer derivation ({d.spec.describe().split(',', 1)[1].strip()})"
    lines.append(f"verified: {summarize_checks(d.checks)}")
    for inst in d.instances:
        lines.append(f"  instance {'-'.join(map(str, inst.spec.widths))}: {summarize_checks(inst.checks)}")
    for assumption in d.assumptions:
        lines.append(f"assumes: {phrases.phrase(phrases.ASSUMPTIONS, assumption)}")
    section = None
    for number, step in enumerate(d.steps, start=1):
        if step.section != section:
            section = step.section
            lines += ["", SECTIONS.get(section, section)]
        title = phrases.what(step.what, layer=_layer_text(step, printer))
        lines.append(f"{number:3d}. {title}  [{phrases.rule(step.rule, layer=_layer_text(step, printer))}]")
        lines.append("     " + " = ".join(step.printed(printer.doprint)))
        if step.indices:
            ranges = ", ".join(f"{printer.doprint(s)} = {printer.doprint(lo)}..{printer.doprint(hi)}"
                               for s, lo, hi in step.indices)
            lines.append(f"     for {ranges}")
        shapes = step.shapes()
        if shapes and step.is_matrix:
            lines.append("     " + ", ".join(f"{printer.doprint(q)} ∈ {text_shape(shape)}" for q, shape in shapes))
        methods = sorted({c.method for c in d.checks_for(step.key)})
        if step.kind == "definition":
            lines.append("     (definition)")
        elif methods:
            lines.append("     ✓ " + ", ".join(methods))
    return "\n".join(lines) + "\n"


def _shape_json(shape: tuple) -> list[str]:
    return [str(as_expr(d)) for d in shape]


def step_json(d: Derivation, step: Step, printer: DeriveLatexPrinter) -> dict[str, Any]:
    return {
        "key": step.key,
        "section": step.section,
        "what": phrases.what(step.what, layer="" if step.layer is None else printer.doprint(step.layer)),
        "rule": step.rule,
        "kind": step.kind,
        "layer": None if step.layer is None else str(step.layer),
        "latex": " = ".join(step.printed(printer.doprint)),
        "forms": [printer.doprint(f) for f in step.forms],
        "indices": [[str(s), str(lo), str(hi)] for s, lo, hi in step.indices],
        "shapes": [{"quantity": printer.doprint(q), "shape": _shape_json(shape), "latex": latex_shape(shape)}
                   for q, shape in step.shapes()],
        "checks": [{"method": c.method, "detail": c.detail, "entries": c.entries, "max_error": c.max_error}
                   for c in d.checks_for(step.key)],
    }


def json_report(d: Derivation) -> str:
    printer = DeriveLatexPrinter(d.printer_settings("latex"))
    data: dict[str, Any] = {
        "network": d.spec.to_dict(),
        "general": d.general,
        "assumptions": list(d.assumptions),
        "verification": summarize_checks(d.checks),
        "steps": [step_json(d, s, printer) for s in d.steps],
        "gradients": gradients_json(d, printer) if not d.general else {},
    }
    if d.instances:
        data["instances"] = [
            {"widths": list(inst.spec.widths), "verification": summarize_checks(inst.checks)} for inst in d.instances
        ]
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def gradients_json(d: Derivation, printer: DeriveLatexPrinter) -> dict[str, Any]:
    explicit = SymbolicVerifier(d) if symbolic_possible(d.spec) else None
    out: dict[str, Any] = {}
    for name, quantity, key in d.parameters:
        step = d.step(key)
        entry: dict[str, Any] = {
            "latex": printer.doprint(step.rhs),
            "shape": _shape_json(quantity.shape),
            "entries": None,
        }
        if explicit is not None:
            matrix = explicit.explicit(step.rhs)
            entry["entries"] = [[sp.srepr(matrix[r, c]) for c in range(matrix.cols)] for r in range(matrix.rows)]
            for symbol, size in explicit.dims.items():  # a batch is expanded at a small size
                entry["entries_expanded_at"] = {str(symbol): int(size)}
        out[name] = entry
    return out
