"""Training with an exported module (issue 13): a few epochs of mini-batch SGD with the module's
cost_and_gradients follow PyTorch autograd step for step from the same initial weights and the
same batches, and the README's training loop runs as printed."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import derive
from export_support import labels_to_targets, write_module

ROOT = Path(__file__).resolve().parent.parent
EPOCHS, SAMPLES, BATCH, RATE = 5, 96, 16, 0.5

CASES = {
    "softmax-row-mean": (derive.build([8, 6, 3], activation=["tanh", "softmax"], cost="cross-entropy",
                                      convention="row"), {"reduction": "mean"}),
    "softmax-column-labels": (derive.build([8, 6, 3], activation=["sigmoid", "softmax"], cost="cross-entropy",
                                           convention="column"), {"labels": "index"}),
    "regression-row-mean": (derive.build([4, 5, 2], activation=["softplus", "identity"], cost="quadratic",
                                         convention="row", normalize_input=True), {"reduction": "mean"}),
    "bce-column-mean": (derive.build([4, 5, 1], activation=["relu", "sigmoid"], cost="binary-cross-entropy"),
                        {"reduction": "mean"}),
}


def dataset(spec, module, rng: np.random.Generator):
    """Samples in the module's layout, with targets a random teacher network assigns."""
    n_in, n_out = spec.widths[0], spec.widths[-1]
    x = rng.normal(size=(SAMPLES, n_in))
    scores = np.tanh(x @ rng.normal(size=(n_in, n_out)))
    if spec.cost == "cross-entropy":
        labels = scores.argmax(axis=1)
        y = labels if module.TARGETS == "index" else labels_to_targets(module, labels)
    elif spec.cost == "binary-cross-entropy":
        y = (scores > 0).astype(float)
    else:
        y = scores
    if module.SAMPLE_AXIS == 1:
        return x.T, (y if y.ndim == 1 else y.T)
    return x, y


def batches(module, x, y, rng: np.random.Generator):
    for rows in np.array_split(rng.permutation(SAMPLES), SAMPLES // BATCH):
        if module.SAMPLE_AXIS == 1:
            yield x[:, rows], (y[rows] if y.ndim == 1 else y[:, rows])
        else:
            yield x[rows], y[rows]


def torch_loss(torch, spec, module, params, x, y):
    """The same network and cost written directly in PyTorch, for autograd."""
    functional = torch.nn.functional
    row, class_dim = module.SAMPLE_AXIS == 0, 1 - module.SAMPLE_AXIS
    a = x
    if spec.normalize_input:
        a = (a - a.mean(dim=class_dim, keepdim=True)) / a.std(dim=class_dim, keepdim=True, correction=0)
    z = a
    for l, layer in enumerate(spec.layers, start=1):
        z = a @ params[f"W{l}"] if row else params[f"W{l}"] @ a
        if layer.bias:
            z = z + params[f"b{l}"]
        a = {"tanh": torch.tanh, "sigmoid": torch.sigmoid, "relu": torch.relu, "softplus": functional.softplus,
             "identity": lambda v: v, "softmax": lambda v: torch.softmax(v, dim=class_dim)}[layer.activation](z)
    if spec.cost == "cross-entropy":
        log_p = torch.log_softmax(z, dim=class_dim)
        total = -log_p.gather(class_dim, y.unsqueeze(class_dim)).sum() if y.ndim == 1 else -(y * log_p).sum()
    elif spec.cost == "binary-cross-entropy":
        total = functional.binary_cross_entropy_with_logits(z, y, reduction="sum")
    else:
        total = 0.5 * ((a - y) ** 2).sum()
    return total / x.shape[module.SAMPLE_AXIS] if module.REDUCTION == "mean" else total


@pytest.mark.parametrize("backend", ["numpy", "torch"])
@pytest.mark.parametrize("case", list(CASES))
def test_training_follows_torch_autograd(tmp_path: Path, case: str, backend: str) -> None:
    torch = pytest.importorskip("torch")
    spec, options = CASES[case]
    module = write_module(tmp_path, spec, name=f"train_{backend}", form="matrix", backend=backend, **options)
    rng = np.random.default_rng(0)
    x, y = dataset(spec, module, rng)
    params = {k: np.asarray(v, dtype=np.float64) for k, v in module.init_params(seed=0).items()}
    reference = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    if backend == "torch":
        params = {k: torch.tensor(v) for k, v in params.items()}
    ours, theirs = [], []
    for _ in range(EPOCHS):
        for xb, yb in batches(module, x, y, rng):
            if backend == "torch":
                xb, yb = torch.as_tensor(xb), torch.as_tensor(yb)
            loss, grads = module.cost_and_gradients(params, xb, yb)
            for name in params:
                params[name] = params[name] - RATE * grads[name]
            ours.append(float(loss))

            total = torch_loss(torch, spec, module, reference, torch.as_tensor(xb), torch.as_tensor(yb))
            total.backward()
            with torch.no_grad():
                for p in reference.values():
                    p -= RATE * p.grad
                    p.grad = None
            theirs.append(total.item())
    assert len(ours) == EPOCHS * (SAMPLES // BATCH)
    np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=0)
    first, last = np.mean(ours[: SAMPLES // BATCH]), np.mean(ours[-(SAMPLES // BATCH):])
    assert last < 0.9 * first, (first, last)  # it trains: the curves compared are not flat


def _readme_training_loop() -> tuple[list[str], str]:
    """The export command and the Python loop of the README's training example."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("### Training with the exported module"):]
    command = re.search(r"```sh\n(.*?)```", section, re.S).group(1).replace("\\\n", " ")
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    return command.split(), code


def test_readme_training_loop_runs_and_learns(tmp_path: Path) -> None:
    command, code = _readme_training_loop()
    assert command[:2] == ["derive", "export"]
    assert len([line for line in code.splitlines() if line.strip()]) <= 14
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    made = subprocess.run([sys.executable, "-m", "derive", *command[1:]], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)
    assert made.returncode == 0, made.stderr
    (tmp_path / "train.py").write_text(code, encoding="utf-8")
    run = subprocess.run([sys.executable, "train.py"], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    losses = [float(v) for v in re.findall(r"loss (\d+\.\d+)", run.stdout)]
    assert len(losses) >= 10 and losses[-1] < 0.5 * losses[0], run.stdout
