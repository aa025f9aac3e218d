"""What the user chose for an exported module (form, dtype, reduction, backend), validated.

The lowest layer of the export package besides the plan and the backends: the forms, the
skeleton and the API read these choices and never validate them again.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import DeriveError, UnknownName
from .backends import BACKEND_TABLE, Backend
from .plan import Plan

FORMS = ("auto", "matrix", "scalar")
DTYPES = ("float64", "float32")
REDUCTIONS = ("sum", "mean")
#: What y holds: the output's shape (targets or one-hot rows), or integer class labels of shape (B,).
LABELS = ("dense", "index")
BACKENDS = tuple(BACKEND_TABLE)
#: Each choice's default (what `derive export` takes when the option is not given).
DEFAULTS = {"form": "auto", "dtype": "float64", "reduction": "sum", "backend": "numpy", "labels": "dense", "seed": 0}
#: `--form auto` writes the scalar form up to this many parameters (NumPy's per-call overhead
#: dominates tiny networks; beyond this the matrix form wins).
SCALAR_MAX_PARAMETERS = 32
#: `--form scalar` is refused beyond this many parameters: it takes seconds per thousand.
SCALAR_FORM_MAX_PARAMETERS = 1_000


@dataclass(frozen=True)
class Options:
    form: str = "auto"
    dtype: str = "float64"
    reduction: str = "sum"
    backend: str = "numpy"
    labels: str = "dense"
    command: str = ""  # the command line that made the file, recorded in its header

    @property
    def array_backend(self) -> Backend:
        return BACKEND_TABLE[self.backend]


def make_options(form: str, dtype: str, reduction: str, backend: str, labels: str = "dense",
                 command: str = "") -> Options:
    """Options from user text: an unknown value names the valid choices."""
    for kind, value, choices in (("form", form, FORMS), ("dtype", dtype, DTYPES), ("reduction", reduction, REDUCTIONS),
                                 ("backend", backend, BACKENDS), ("labels", labels, LABELS)):
        if value not in choices:
            raise UnknownName(kind, value, choices)
    return Options(form=form, dtype=dtype, reduction=reduction, backend=backend, labels=labels, command=command)


def check_labels(plan: Plan, options: Options) -> None:
    """Integer class labels stand for one-hot targets: only a softmax classifier takes them."""
    if options.labels == "index" and not plan.softmax_cross_entropy:
        raise DeriveError(
            f"--labels index takes class labels for a softmax output with cross-entropy; this network has "
            f"{plan.output_activation.name} with {plan.cost.name} cost (its y has the output's shape: --labels dense)")


def chosen_form(plan: Plan, options: Options) -> str:
    if plan.spec.norm:  # its statistics couple the samples: no per-sample loop to write out
        if options.form == "scalar":
            raise DeriveError("the scalar form runs one sample at a time, and a normalisation layer's mean and "
                              "variance need them all: use --form matrix")
        return "matrix"
    if options.form != "auto":
        if options.form == "scalar" and options.backend != "numpy":
            raise DeriveError(f"the scalar form is plain Python; the {options.backend} backend writes --form matrix")
        if options.form == "scalar" and options.dtype != "float64":
            raise DeriveError("the scalar form computes in Python floats (float64); --dtype float32 writes --form matrix")
        count = plan.spec.parameter_count()
        if options.form == "scalar" and count > SCALAR_FORM_MAX_PARAMETERS:
            raise DeriveError(f"the scalar form writes a line per weight: at most {SCALAR_FORM_MAX_PARAMETERS:,} "
                              f"parameters, and this network has {count:,} (use --form matrix)")
        return options.form
    small = plan.spec.parameter_count() <= SCALAR_MAX_PARAMETERS
    return "scalar" if small and options.dtype == "float64" and options.backend == "numpy" else "matrix"
