"""Export a verified derivation as a standalone gradient module.

    source = export_source("two-two-two")                 # the module's text
    module = compile_network("mlp:3-4-2", form="matrix")  # the same module, imported

The code is printed from the verified steps (plan.py), never from a fresh differentiation, and
only whitelisted identifiers reach it. `compile_network` writes the source to a private cache
file and imports it from there (as google/tangent does), so tracebacks and `inspect` show real
lines; nothing is passed to exec or eval.
"""

from __future__ import annotations

import hashlib
import shlex
import importlib.util
import sys
import tempfile
from pathlib import Path
from types import ModuleType
from typing import Any

from ..files import write_atomic
from ..spec import NetworkSpec
from .module import build_module
from .options import BACKENDS, DEFAULTS, DTYPES, FORMS, LABELS, REDUCTIONS, make_options
from .plan import make_plan


def export_source(net: str | NetworkSpec, *, form: str = "auto", dtype: str = "float64", reduction: str | None = None,
                  backend: str = "numpy", labels: str = "dense", seed: int = 0, source: str = "") -> str:
    """The module's text. `reduction` ("sum" or "mean") overrides the network's own. `source` is
    the command line recorded in its header (default: the `derive export` command with these
    options)."""
    make_options(form, dtype, reduction or DEFAULTS["reduction"], backend, labels)  # an unknown name fails first
    plan = make_plan(net, seed=seed, reduction=reduction)
    command = source or equivalent_command(net, form=form, dtype=dtype, reduction=reduction or DEFAULTS["reduction"],
                                           backend=backend, labels=labels, seed=seed)
    return build_module(plan, make_options(form, dtype, plan.derivation.spec.reduction, backend, labels, command))


def equivalent_command(net: str | NetworkSpec, **options: Any) -> str:
    """A `derive export` command line for a network and export options (defaults left out)."""
    words = ["derive", "export", net if isinstance(net, str) else net.name]
    for name, value in options.items():
        if value != DEFAULTS[name]:
            words += [f"--{name}", str(value)]
    return shlex.join(words)


_CACHE = Path(tempfile.gettempdir()) / "derive-compiled"


def compile_network(net: str | NetworkSpec, **options: Any) -> ModuleType:
    """The exported module for a network, imported in memory (PARAMS, gradients, …)."""
    text = export_source(net, **options)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
    name = f"derive_compiled_{digest}"
    if name in sys.modules:
        return sys.modules[name]
    _CACHE.mkdir(parents=True, exist_ok=True)
    path = _CACHE / f"{name}.py"
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        write_atomic(path, text)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    sys.modules[name] = module
    return module


__all__ = ["compile_network", "export_source", "FORMS", "DTYPES", "REDUCTIONS", "BACKENDS", "LABELS"]
