"""Stage 5, judge: the data of a verdict. A written form as built (`Form`), its explicit values
(`Evaluated`), and what the judge says of each link (`LinkResult`, with a `Counterexample` and a
`Diagnosis` when it is wrong)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .parser import Node
from .usage import ShapeMismatch

# ----------------------------------------------------------------------------------------------
# Results
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Counterexample:
    where: str  # the layer and index values, e.g. "l = 1, j = 2"; "" when none
    entry: str  # "(1, 2)" for a matrix, "" for a scalar
    left: float
    right: float
    point: tuple[tuple[Any, Any], ...]  # (quantity, values) of the instance at this point


@dataclass(frozen=True)
class Diagnosis:
    name: str
    message: str


@dataclass(frozen=True)
class LinkResult:
    line: int
    col: int
    relation: str
    left: str  # the form this one is compared with
    text: str  # this form
    verdict: str  # correct | wrong | not checked
    reason: str = ""
    method: str = ""  # exact | random points | shapes
    shapes: tuple[str, str] | None = None
    counterexample: Counterexample | None = None
    diagnosis: Diagnosis | None = None
    correct: str | None = None
    before: str = ""  # the chain as written up to this link's relation (left of its '=')


@dataclass(frozen=True)
class StatementResult:
    line: int
    text: str
    links: tuple[LinkResult, ...]


# ----------------------------------------------------------------------------------------------
# Built forms
# ----------------------------------------------------------------------------------------------


@dataclass
class Form:
    node: Node | None
    text: str  # the form's own text
    start: int  # offset in the statement text
    relation: str | None
    error: str = ""  # parse error or Unchecked reason
    rel_pos: int | None = None  # where this form's relation sign is written (None for the first form)
    condition: str = ""  # the condition of a case, as written ("\\text{if k = y_i}")
    error_pos: int | None = None
    mismatch: ShapeMismatch | None = None
    value: Any = None  # symbolic-mode value
    usage: Any = None
    space: tuple | None = None  # dims of \mathbb{R}^{a × b}

    @property
    def built(self) -> bool:
        return self.node is not None and not self.error and self.mismatch is None and self.space is None


@dataclass
class Evaluated:
    """Explicit values of some forms at every assignment of layer and index letters."""

    assignments: list[tuple[dict, dict]] = field(default_factory=list)  # (layer values, index values)
    values: list[list[Any]] = field(default_factory=list)  # per assignment, per form


