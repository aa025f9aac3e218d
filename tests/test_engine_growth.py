"""How the work of `derive show` grows: linearly with depth, not at all with the batch.

Not a timed test (machines are noisy): the work is counted, as the evaluations of statement
nodes that verification makes (each one a NumPy operation or an exact SymPy one) and the size
of the largest array any of them produces. The counts are deterministic.
"""

from __future__ import annotations

import numpy as np
import pytest

from derive.algebra import Evaluator
from derive.cli import main


def work(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture, *argv: str) -> tuple[int, int]:
    """(statement nodes evaluated, entries of the largest array evaluated) by `derive show`."""
    evaluations, largest = 0, 0
    evaluate = Evaluator.__call__

    def counting(self: Evaluator, expr: object) -> object:
        nonlocal evaluations, largest
        evaluations += 1
        value = evaluate(self, expr)
        if isinstance(value, np.ndarray):
            largest = max(largest, value.size)
        return value

    with monkeypatch.context() as patch:
        patch.setattr(Evaluator, "__call__", counting)
        assert main(["show", *argv]) == 0
    capsys.readouterr()
    return evaluations, largest


def mlp(depth: int, width: int = 5) -> str:
    return "mlp:" + "-".join([str(width)] * (depth + 1))


def test_work_is_linear_in_depth(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    # Width 5 is past the symbolic proof, so the numeric checks are all the verification there is;
    # checking each layer's gradients through the whole rest of the network would be quadratic.
    counts = [work(monkeypatch, capsys, mlp(depth)) for depth in (4, 8, 12)]
    evaluations = [c[0] for c in counts]
    assert evaluations[2] - evaluations[1] == evaluations[1] - evaluations[0] > 0, evaluations
    assert len({c[1] for c in counts}) == 1, "arrays grow with depth"


def test_work_with_skips_is_linear_in_depth(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    # A skip into every layer from the one before the last: each layer's output has two readers,
    # and its gradient is still checked against those two steps only, not the rest of the network.
    def skips(depth: int) -> str:
        return ",".join(f"{l}:{l - 2}" for l in range(2, depth + 1))

    counts = [work(monkeypatch, capsys, mlp(depth), "--residual", skips(depth)) for depth in (4, 8, 12)]
    evaluations = [c[0] for c in counts]
    assert evaluations[2] - evaluations[1] == evaluations[1] - evaluations[0] > 0, evaluations
    assert len({c[1] for c in counts}) == 1, "arrays grow with depth"


def test_work_does_not_grow_with_the_batch(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    options = ["--output-activation", "softmax", "--cost", "ce", "--batch"]
    counts = [work(monkeypatch, capsys, "mlp:5-5-5", *options, str(batch)) for batch in (8, 64, 4096)]
    assert counts[0] == counts[1] == counts[2], counts


def test_normalisation_layers_keep_the_growth(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    """Every hidden layer batch-normalised: still linear in depth and flat in the batch (a batch
    is checked on at most 8 samples, and the statistics are taken over those)."""
    counts = [work(monkeypatch, capsys, mlp(depth), "--batch", "4", "--norm", "batch") for depth in (4, 8, 12)]
    evaluations = [c[0] for c in counts]
    assert evaluations[2] - evaluations[1] == evaluations[1] - evaluations[0] > 0, evaluations
    counts = [work(monkeypatch, capsys, "mlp:5-5-5", "--norm", "layer", "--batch", str(batch)) for batch in (8, 64, 4096)]
    assert counts[0] == counts[1] == counts[2], counts
