"""Helpers shared by the export tests: import a generated module from its file, random data of
the shapes a module takes, parameters near its initial ones, arrays of another backend."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

from derive.export import export_source


def load(path: Path):
    """Import a generated module from its file (as users do), never from a string."""
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def write_module(tmp_path: Path, net, name: str = "grad", **options) -> object:
    path = tmp_path / f"{name}.py"
    path.write_text(export_source(net, **options), encoding="utf-8")
    sys.modules.pop(name, None)
    return load(path)


def labels_to_targets(module, labels: np.ndarray) -> np.ndarray:
    """One-hot targets in the module's layout for integer class labels."""
    one_hot = np.eye(module.N_OUTPUTS)[labels]
    return one_hot.T if module.SAMPLE_AXIS == 1 else one_hot


def data(module, rng: np.random.Generator, batch: int = 3):
    """x and y of the shapes the module takes: real targets, one-hot targets or class labels."""
    n_in, n_out = module.N_INPUTS, module.N_OUTPUTS
    column = module.SAMPLE_AXIS == 1
    x = rng.uniform(-1, 1, (n_in, batch) if column else (batch, n_in))
    if module.TARGETS in ("one-hot", "index"):
        labels = rng.integers(0, n_out, batch)
        return x, (labels if module.TARGETS == "index" else labels_to_targets(module, labels))
    return x, rng.uniform(0.05, 0.95, (n_out, batch) if column else (batch, n_out))


def assert_matches_autograd(module, params: dict, tensors: dict, cost, *inputs) -> None:
    """The module's cost and gradients at `inputs` (x, y and any masks) are torch's: `cost`
    computed from `tensors` (leaves that require gradients, one per parameter), not yet run back."""
    cost.backward()
    ours = module.gradients(params, *inputs)
    expected = float(cost.detach())
    assert abs(module.cost(params, *inputs) - expected) <= 1e-10 * abs(expected), (module.cost(params, *inputs), expected)
    for k in params:
        np.testing.assert_allclose(ours[k], tensors[k].grad.numpy(), rtol=1e-10, atol=1e-12)


def self_test(path: Path) -> str:
    """Run a module's self-test (`python path`) and return what it printed; it must pass."""
    completed = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return completed.stdout


def perturbed_params(module, rng):
    return {k: np.asarray(v) + rng.uniform(-0.2, 0.2, v.shape) for k, v in module.init_params(1).items()}


def backend_array(backend: str, value: np.ndarray):
    if backend == "torch":
        import torch

        return torch.as_tensor(value)
    if backend == "jax":
        import jax
        import jax.numpy as jnp

        with jax.enable_x64(True):  # float64 data stays float64 (JAX would round it to float32)
            return jnp.asarray(value)
    return value


GIB = 1 << 30
#: Runs a module as a script under an address-space limit (set by the child itself, so that the
#: parent forks no hook into a process JAX or PyTorch may have made multithreaded) and reports
#: its peak resident memory (kB) after it exits.
PEAK_MEMORY = """
import resource, runpy, sys
limit = int(sys.argv[2])
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
code = 0
try:
    runpy.run_path(sys.argv[1], run_name="__main__")
except SystemExit as stop:
    code = stop.code
print("peak kB", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
sys.exit(code)
"""


def run_limited(path: Path, address_space: int = GIB, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run a module's self-test (`python path`) with its address space limited and one BLAS
    thread, killed after `timeout` seconds (subprocess.TimeoutExpired); its stdout ends with
    "peak kB N", the peak resident memory."""
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "JAX_PLATFORMS": "cpu"}
    return subprocess.run([sys.executable, "-W", "ignore", "-c", PEAK_MEMORY, str(path), str(address_space)],
                          capture_output=True, text=True, timeout=timeout, env=env)


def peak_memory(result: subprocess.CompletedProcess) -> int:
    """The peak resident memory, in bytes, that run_limited reported."""
    return int(result.stdout.split("peak kB")[1]) * 1024


def sample_data(spec, rng: np.random.Generator, batch: int = 3):
    """Inputs x and targets y (one-hot for cross-entropy) of `batch` samples in the spec's layout."""
    column = spec.convention == "column"
    n_in, n_out = spec.widths[0], spec.widths[-1]
    x = rng.uniform(-1, 1, (n_in, batch) if column else (batch, n_in))
    if spec.cost == "cross-entropy":
        hot = np.eye(n_out)[rng.integers(0, n_out, batch)]
        return x, (hot.T if column else hot)
    return x, rng.uniform(0.05, 0.95, (n_out, batch) if column else (batch, n_out))
