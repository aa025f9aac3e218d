"""What the exported modules' input checks cost, and what their self-test costs at a large size
(issue 13). Prints ratios measured in this run.

    python bench/export_checks.py            # every size
    python bench/export_checks.py --quick    # fewer rounds

For each network: the checks alone (the module's `_checked`, which every public function runs
unless called with check=False) against one `gradients(..., check=False)` call, and the
difference of the checked and unchecked calls against the unchecked one (noisier: it subtracts
two times). Then the self-test of a 784-128-64-10 module (`python grad.py`) under a 1 GiB
address-space limit: its wall time and peak resident memory. One BLAS thread, as in
export_vs_peers.py.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before NumPy loads its BLAS

import numpy as np  # noqa: E402
from timing import per_call  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

#: (label, network, export options, batch)
CASES = [
    ("(2, 2, 1) sigmoid, quadratic", "mlp:2-2-2", {"form": "scalar"}, 1),
    ("(16, 4, 32) sigmoid, quadratic", "mlp:16-16-16-16-16", {"form": "matrix"}, 32),
    ("(128, 4, 256) sigmoid, quadratic", "mlp:128-128-128-128-128", {"form": "matrix"}, 256),
    ("64-32-10 softmax, one-hot, B 32", "classifier", {"form": "matrix"}, 32),
    ("64-32-10 softmax, labels, B 32", "classifier", {"form": "matrix", "labels": "index"}, 32),
]
def network(name: str):
    import derive

    if name == "classifier":
        return derive.build([64, 32, 10], activation=["sigmoid", "softmax"], cost="cross-entropy", convention="row")
    return name


def inputs(module, batch: int, rng: np.random.Generator):
    column = module.SAMPLE_AXIS == 1
    x = rng.uniform(-1, 1, (module.N_INPUTS, batch) if column else (batch, module.N_INPUTS))
    if module.TARGETS == "real":
        return x, rng.uniform(0, 1, (module.N_OUTPUTS, batch) if column else (batch, module.N_OUTPUTS))
    labels = rng.integers(0, module.N_OUTPUTS, batch)
    if module.TARGETS == "index":
        return x, labels
    one_hot = np.eye(module.N_OUTPUTS)[labels]
    return x, (one_hot.T if column else one_hot)


def self_test_time() -> tuple[float, int, str]:
    """Wall time, peak resident memory and verdict of a 784-128-64-10 module's self-test under a
    1 GiB address-space limit (the runner the tests use)."""
    from derive.export import export_source
    from tests.export_support import peak_memory, run_limited

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "grad.py"
        path.write_text(export_source("mlp:784-128-64-10", form="matrix"), encoding="utf-8")
        start = time.perf_counter()
        result = run_limited(path)
        elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"the self-test failed:\n{result.stdout}{result.stderr}")
    return elapsed, peak_memory(result), result.stdout.splitlines()[0]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    rounds = 3 if args.quick else 9

    from derive.export import compile_network

    rng = np.random.default_rng(0)
    print(f"{'network':34s} {'unchecked µs':>13s} {'checks/call':>12s} {'(checked-unchecked)/unchecked':>30s}")
    for label, net, options, batch in CASES:
        module = compile_network(network(net), **options)
        params = {k: v + rng.uniform(-0.1, 0.1, v.shape) for k, v in module.init_params(0).items()}
        x, y = inputs(module, batch, rng)
        t = per_call({"checks": lambda: module._checked(params, x, y),
                      "checked": lambda: module.gradients(params, x, y),
                      "unchecked": lambda: module.gradients(params, x, y, check=False)}, rounds)
        print(f"{label:34s} {t['unchecked'] * 1e6:13.1f} {t['checks'] / t['unchecked']:11.1%} "
              f"{(t['checked'] - t['unchecked']) / t['unchecked']:29.1%}", flush=True)

    elapsed, peak, verdict = self_test_time()
    print(f"self-test of 784-128-64-10 under a 1 GiB address-space limit: {elapsed:.2f} s wall (interpreter "
          f"start included), peak resident memory {peak / (1 << 20):.0f} MiB; {verdict}")


if __name__ == "__main__":
    main()
