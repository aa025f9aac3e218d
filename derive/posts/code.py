"""The code of a post: the gradient module `derive export` writes for the network, and the few
lines that run it on the worked example and check it against central differences.

Nothing here prints code from maths: the module comes from the export API (`compile_network`,
matrix form), and this file only chooses which of its top-level statements a post shows, read
with `ast` (never executed from text). A post shows the functions that implement verified steps
(those quoting a step key in a comment) and the helpers they call; a notebook runs the whole
module but its self-test.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import numpy as np

from ..spec import NetworkSpec

#: What the exported module offers its users (README: "Export a gradient function").
PUBLIC = ("init_params", "forward", "cost", "gradients", "cost_and_gradients")
#: The comment above an exported statement ends with the key of the step it implements (then
#: perhaps a note in brackets: "[cost]  (computed from the logits: stable)").
STEP_QUOTE = re.compile(r"#.*\[([A-Za-z0-9_+]+)\](?:\s+\([^()]*\))?\s*$", re.M)
#: The module name a reader saves the export as.
MODULE_FILE = "grad.py"

#: Three lines that check every entry of every gradient against central differences.
CHECK = "\n".join([
    "grads, h, unit = gradients(params, x, y), 1e-6, lambda p, i: np.eye(1, p.size, i).reshape(p.shape)",
    "slope = lambda n, e: (cost({**params, n: params[n] + e}, x, y) - cost({**params, n: params[n] - e}, x, y)) "
    "/ (2 * h)",
    "print(max(abs(slope(n, h * unit(p, i)) - grads[n].flat[i]) for n, p in params.items() for i in range(p.size)))",
])


@dataclass(frozen=True)
class ExportedCode:
    command: str  # the export command a reader runs: derive export two-two-two --form matrix
    source: str  # the module's text, as derive export writes it
    module: ModuleType  # the same module, imported


def shorthand(spec: NetworkSpec) -> str:
    """A concrete network (an instance of the general derivation) as `derive` arguments."""
    args = ["mlp:" + "-".join(map(str, spec.widths))]
    activations = [layer.activation for layer in spec.layers]
    if set(activations) != {"sigmoid"}:
        args += ["--activation", ",".join(activations) if len(set(activations)) > 1 else activations[0]]
    if spec.cost != "quadratic":
        args += ["--cost", spec.cost]
    if spec.convention != "column":
        args += ["--convention", spec.convention]
    if not any(layer.bias for layer in spec.layers):
        args.append("--no-bias")
    if spec.batch is not None:
        args += ["--batch", str(spec.batch)]
    if spec.normalize_input:
        args.append("--normalize")
    return " ".join(args)


def export(spec: NetworkSpec, name: str) -> ExportedCode:
    """The network's gradient module in matrix form; `name` is how the reader names the network
    (a built-in example, or the shorthand of a general derivation's instance)."""
    from ..export import compile_network

    module = compile_network(spec, form="matrix")
    source = Path(module.__file__).read_text(encoding="utf-8")
    return ExportedCode(f"derive export {name} --form matrix", source, module)


def _functions(tree: ast.Module) -> dict[str, ast.FunctionDef]:
    return {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}


def _called(functions: dict[str, ast.FunctionDef], roots: list[str]) -> set[str]:
    """The roots and every top-level function they refer to, transitively."""
    found: set[str] = set()
    pending = list(roots)
    while pending:
        name = pending.pop()
        if name in found:
            continue
        found.add(name)
        pending += [node.id for node in ast.walk(functions[name])
                    if isinstance(node, ast.Name) and node.id in functions and node.id not in found]
    return found


def _segment(source: str, node: ast.stmt) -> str:
    """The statement's source, a function's decorators included (@np.errstate(…) is part of it)."""
    lines = source.splitlines()
    first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
    return "\n".join(lines[first - 1:node.end_lineno])


def excerpt(source: str) -> str:
    """The heart of the module, in its order: the fewest functions that together implement every
    verified step (each quotes its step keys; in the matrix form `_cost_and_gradients` alone),
    the helpers they call, and the public functions that call them directly, whose input checks
    (`_checked`, the module's boundary) stay in the file."""
    tree = ast.parse(source)
    functions = _functions(tree)
    keys = {name: set(STEP_QUOTE.findall(_segment(source, node))) for name, node in functions.items()}
    keys = {name: found for name, found in keys.items() if found}
    if not keys or "gradients" not in functions:
        raise ValueError("the exported module has no gradients() or quotes no verified step")
    chosen: list[str] = []
    missing = set().union(*keys.values())
    while missing:  # greedy cover; ties go to the function first in the module
        best = max(keys, key=lambda name: len(keys[name] & missing))
        chosen.append(best)
        missing -= keys[best]
    shown = _called(functions, chosen)
    shown |= {name for name in PUBLIC if name in functions and set(chosen) & _refers(functions[name], functions)}
    return "\n\n\n".join(_segment(source, node) for name, node in functions.items() if name in shown)


def _refers(function: ast.FunctionDef, functions: dict[str, ast.FunctionDef]) -> set[str]:
    """The top-level functions a function names in its body."""
    return {node.id for node in ast.walk(function) if isinstance(node, ast.Name) and node.id in functions}


def runnable(source: str) -> str:
    """The module for a notebook cell: every statement the public functions need, without the
    module docstring (it holds the file's own generated-file marker) and without the self-test."""
    tree = ast.parse(source)
    functions = _functions(tree)
    needed = _called(functions, [name for name in PUBLIC if name in functions])
    kept = []
    for node in tree.body:
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            continue  # the docstring
        if isinstance(node, ast.If):
            continue  # if __name__ == "__main__": the self-test
        if isinstance(node, ast.FunctionDef) and node.name not in needed:
            continue
        kept.append(_segment(source, node))
    return "\n\n\n".join(kept)


def _literal(value: np.ndarray) -> str:
    rows = ", ".join("[" + ", ".join(repr(float(v)) for v in row) + "]" for row in np.atleast_2d(value))
    return f"np.array([{rows}])"


def with_masks(text: str, masks: dict[str, np.ndarray]) -> str:
    """Calls of the module given the dropout masks too, when the network has them."""
    return text.replace("x, y)", "x, y, masks)") if masks else text


def setup(params: dict[str, np.ndarray], x: np.ndarray, y: np.ndarray, *, imports: bool,
          masks: dict[str, np.ndarray] | None = None) -> str:
    """The worked example's values as Python; `imports`: first import the module saved as
    MODULE_FILE (a notebook defines its functions in a cell instead)."""
    lines = ["import numpy as np", f"from {Path(MODULE_FILE).stem} import cost, gradients", ""] if imports else []
    lines.append("params = {")
    lines += [f'    "{name}": {_literal(value)},' for name, value in params.items()]
    lines.append("}")
    lines.append(f"x = {_literal(x)}")
    lines.append(f"y = {_literal(y)}")
    if masks:
        lines.append("masks = {")
        lines += [f'    "{name}": {_literal(value)},' for name, value in masks.items()]
        lines.append("}")
    return "\n".join(lines)


def compute(rate: float) -> str:
    """The worked example computed by the module and printed as the post prints it (six
    decimals): the cost, the gradients, one step of gradient descent and the new cost."""
    return "\n".join([
        "def show(value):",
        '    return np.array2string(np.asarray(value), formatter={"float_kind": lambda v: f"{v:.6f}"})',
        "",
        "",
        "C, grads = cost_and_gradients(params, x, y)",
        'print("C =", show(C))',
        "for name, gradient in grads.items():",
        '    print(f"dC/d{name} =", show(gradient))',
        f"rate = {rate!r}",
        "stepped = {name: params[name] - rate * grads[name] for name in params}",
        "for name, value in stepped.items():",
        '    print(f"{name} - {rate} dC/d{name} =", show(value))',
        'print("C after the step =", show(cost(stepped, x, y)))',
    ])
