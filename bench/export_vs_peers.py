"""Exported gradients against a careful hand-written NumPy backprop, PyTorch autograd and
jax.jit(jax.grad), all measured in this run (issue: export). Prints times and ratios.

    python bench/export_vs_peers.py            # every size; torch/jax where installed
    python bench/export_vs_peers.py --quick    # fewer repeats

Sigmoid + quadratic cost, column convention, biases, float64 unless stated. Sizes are
(width, weight layers, batch). Ratios below 1 mean the exported code is faster. The exported
`gradients` runs with its input checks on (the default `check=True`); the `unchecked` column is
`check=False` against the checked call. `hand/hand` times the hand-written function against a second
copy of itself in the same rotation: how far apart two identical functions measure in this run,
the noise floor any other ratio is read against. Machines are noisy: the functions compared are timed in
turns and each keeps its fastest round, in CPU time of the calling thread (torch/exp and jax/exp:
wall time, since JAX computes on threads of its own; timing.py).

BLAS runs on one thread (OPENBLAS_NUM_THREADS=1 unless set; torch.set_num_threads(1)), so that
the ratios compare code rather than thread scheduling on a busy machine. On some processors this
workplace sets OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE, which slow a current NumPy; for a fair kernel
you may unset both in the benchmark's command (never in tests).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before NumPy loads its BLAS

import numpy as np  # noqa: E402
from timing import WALL, per_call  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SIZES = [(2, 2, 1), (16, 4, 32), (128, 4, 256), (512, 4, 256), (64, 16, 64)]


def hand_numpy(L: int):
    """What a careful person writes: one forward pass kept, then the δ recursion."""

    def gradients(params, x, y):
        acts = [x]
        for l in range(1, L + 1):
            z = params[f"W{l}"] @ acts[-1] + params[f"b{l}"]
            acts.append(1.0 / (1.0 + np.exp(-z)))
        out = acts[-1]
        delta = (out - y) * out * (1.0 - out)
        grads = {}
        for l in range(L, 0, -1):
            grads[f"W{l}"] = delta @ acts[l - 1].T
            grads[f"b{l}"] = delta.sum(axis=1, keepdims=True)
            if l > 1:
                a = acts[l - 1]
                delta = (params[f"W{l}"].T @ delta) * a * (1.0 - a)
        return grads

    return gradients


def torch_grad(L: int, params, x, y, dtype):
    import torch

    t = {k: torch.tensor(v, dtype=dtype, requires_grad=True) for k, v in params.items()}
    tx, ty = torch.tensor(x, dtype=dtype), torch.tensor(y, dtype=dtype)

    def run():
        a = tx
        for l in range(1, L + 1):
            a = torch.sigmoid(t[f"W{l}"] @ a + t[f"b{l}"])
        loss = 0.5 * ((a - ty) ** 2).sum()
        return torch.autograd.grad(loss, list(t.values()))

    return run


def jax_grad(L: int, params, x, y):
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)

    def loss(p, x, y):
        a = x
        for l in range(1, L + 1):
            a = jax.nn.sigmoid(p[f"W{l}"] @ a + p[f"b{l}"])
        return 0.5 * jnp.sum((a - y) ** 2)

    grad = jax.jit(jax.grad(loss))
    jp = {k: jnp.asarray(v) for k, v in params.items()}
    jx, jy = jnp.asarray(x), jnp.asarray(y)
    jax.block_until_ready(grad(jp, jx, jy))
    return lambda: jax.block_until_ready(grad(jp, jx, jy))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    rounds = 3 if args.quick else 11

    from derive.export import compile_network

    try:
        import torch

        torch.set_num_threads(1)
        have_torch = True
    except ImportError:
        have_torch = False
    try:
        import jax  # noqa: F401

        have_jax = True
    except ImportError:
        have_jax = False

    print(f"{'size (w, L, B)':16s} {'form':7s} {'hand µs':>9s} {'export/hand':>12s} {'hand/hand':>10s}"
          f" {'unchecked':>10s}"
          f" {'f32/hand':>9s} {'torch/exp':>10s} {'jax/exp':>9s}")
    rng = np.random.default_rng(0)
    for width, L, batch in SIZES:
        net = "mlp:" + "-".join([str(width)] * (L + 1))
        form = "scalar" if (width, L, batch) == (2, 2, 1) else "matrix"
        exported = compile_network(net, form=form)
        params = exported.init_params(0)
        params = {k: v + rng.uniform(-0.1, 0.1, v.shape) for k, v in params.items()}
        x = rng.uniform(-1, 1, (width, batch))
        y = rng.uniform(0, 1, (width, batch))
        hand = hand_numpy(L)
        ref = hand(params, x, y)
        ours = exported.gradients(params, x, y)
        assert all(np.allclose(ours[k], ref[k], rtol=1e-10, atol=1e-12) for k in ref), "exported disagrees with hand"
        hand_again = hand_numpy(L)  # the control: the same code as `hand`
        timed = {"hand": lambda: hand(params, x, y), "export": lambda: exported.gradients(params, x, y),
                 "hand again": lambda: hand_again(params, x, y),
                 "unchecked": lambda: exported.gradients(params, x, y, check=False)}
        if width >= 128:
            f32 = compile_network(net, form="matrix", dtype="float32")
            p32 = {k: v.astype(np.float32) for k, v in params.items()}
            x32, y32 = x.astype(np.float32), y.astype(np.float32)
            timed["f32"] = lambda: f32.gradients(p32, x32, y32)
        t = per_call(timed, rounds)
        # JAX computes on threads of its own: the peers are timed against the export by the wall clock.
        peers = {"export": timed["export"]}
        if have_torch:
            peers["torch"] = torch_grad(L, params, x, y, torch.float64)
        if have_jax:
            peers["jax"] = jax_grad(L, params, x, y)
        wall = per_call(peers, rounds, clock=WALL) if len(peers) > 1 else {}
        row = (f"{str((width, L, batch)):16s} {form:7s} {t['hand'] * 1e6:9.1f} {t['export'] / t['hand']:12.2f}"
               f" {t['hand again'] / t['hand']:10.2f} {t['unchecked'] / t['export']:10.2f}")
        row += f" {t['f32'] / t['hand']:9.2f}" if "f32" in t else f" {'-':>9s}"
        row += f" {wall['torch'] / wall['export']:10.2f}" if "torch" in wall else f" {'n/a':>10s}"
        row += f" {wall['jax'] / wall['export']:9.2f}" if "jax" in wall else f" {'n/a':>9s}"
        print(row, flush=True)
    print("unchecked = gradients(check=False) / gradients(); torch/exp and jax/exp above 1 mean the exported "
          "code is faster.")

    # Export time for a wide network, and the naive alternative on a small one.
    from derive.export import export_source

    start = time.perf_counter()
    export_source("mlp:784-128-64-10", form="matrix")
    t_export = time.perf_counter() - start
    print(f"export of 784-128-64-10 (derivation, verification, code): {t_export:.2f} s (target < 2 s)")

    import sympy as sp

    start = time.perf_counter()
    widths = [4, 4, 4]
    xs = sp.symbols("x0:4")
    ys = sp.symbols("y0:4")
    weights = [sp.Matrix(widths[l + 1], widths[l], lambda i, j, l=l: sp.Symbol(f"w{l}_{i}_{j}")) for l in range(2)]
    a = sp.Matrix(xs)
    for W in weights:
        a = (W * a).applyfunc(lambda v: 1 / (1 + sp.exp(-v)))
    cost = sum((a[i] - ys[i]) ** 2 for i in range(4)) / 2
    flat = [w for W in weights for w in W]
    grads = [sp.diff(cost, w) for w in flat]
    sp.lambdify([*xs, *ys, *flat], grads, "numpy")
    t_naive = time.perf_counter() - start
    start = time.perf_counter()
    export_source("mlp:4-4-4", form="matrix")
    t_small = time.perf_counter() - start
    print(f"4-4-4 network: naive sympy.diff + lambdify on unrolled scalars {t_naive:.2f} s; "
          f"derive export {t_small:.2f} s; ratio {t_small / t_naive:.2f}")


if __name__ == "__main__":
    main()
