"""The self-test every exported module carries: `python FILE.py` checks gradients() against
Richardson central differences of cost() on random data, and exits non-zero on a mismatch."""

from __future__ import annotations

from .emitter import Emitter
from .options import Options


def emit_self_test(e: Emitter, options: Options) -> None:
    e.blank(2)
    e.line("def _to_numpy(value):")
    with e.indented():
        e.line(f"return {options.array_backend.to_numpy.format(x='value')}")
    e.blank(2)
    e.line("def _allow_float64():")
    with e.indented():
        if options.array_backend.name == "jax":
            e.line('jax.config.update("jax_enable_x64", True)  # the check runs in float64')
        else:
            e.line("pass")
    e.blank(2)
    e.lines(SELF_TEST)
    e.blank(2)
    e.line('if __name__ == "__main__":')
    with e.indented():
        e.line("sys.exit(_self_test())")


SELF_TEST = '''
def _random_data(rng, batch):
    """Inputs and targets of the right shapes (targets valid for the cost)."""
    n_in, n_out = N_INPUTS, N_OUTPUTS
    x_shape = (n_in, batch) if SAMPLE_AXIS == 1 else (batch, n_in)
    y_shape = (n_out, batch) if SAMPLE_AXIS == 1 else (batch, n_out)
    x = rng.uniform(-1.0, 1.0, x_shape)
    if TARGETS == "one-hot":
        labels = rng.integers(0, n_out, batch)
        y = np.zeros(y_shape)
        if SAMPLE_AXIS == 1:
            y[labels, np.arange(batch)] = 1.0
        else:
            y[np.arange(batch), labels] = 1.0
    else:
        y = rng.uniform(0.05, 0.95, y_shape)
    return x, y


def _self_test(seed=0, rtol=1e-6):
    """Check gradients() against Richardson central differences of cost() in float64 (NumPy data)."""
    global DTYPE
    _allow_float64()
    chosen, DTYPE = DTYPE, FLOAT64
    try:
        rng = np.random.default_rng(seed)
        params = {k: _to_numpy(v).astype(np.float64) + rng.uniform(-0.1, 0.1, v.shape)
                  for k, v in init_params(seed).items()}
        x, y = _random_data(rng, 3)
        analytic = {k: _to_numpy(v) for k, v in gradients(params, x, y).items()}
        worst = 0.0
        for name, value in params.items():
            def f(v, name=name):
                return cost({**params, name: v}, x, y)
            directions = [np.eye(value.size)[i].reshape(value.shape) for i in range(value.size)]
            if value.size > 64:
                directions = [d / np.linalg.norm(d) for d in rng.standard_normal((3,) + value.shape)]
            for d in directions:
                def central(h):
                    return (f(value + h * d) - f(value - h * d)) / (2 * h)
                numeric = (4 * central(5e-4) - central(1e-3)) / 3
                exact = float(np.sum(analytic[name] * d))
                scale = max(np.linalg.norm(analytic[name]), abs(numeric), 1e-6)
                worst = max(worst, abs(exact - numeric) / scale)
        ok = worst < rtol
        if chosen != FLOAT64:
            DTYPE = chosen
            low = {k: _to_numpy(v) for k, v in gradients(params, x, y).items()}
            drift = max(float(np.max(np.abs(low[k] - analytic[k]))) / max(float(np.max(np.abs(analytic[k]))), 1e-6)
                        for k in params)
            ok = ok and drift < 1e-3
            print(f"float32 agrees with float64 to {drift:.1e}")
        print(f"gradients vs central differences: worst relative error {worst:.1e} ({'ok' if ok else 'MISMATCH'})")
        return 0 if ok else 1
    finally:
        DTYPE = chosen
'''
