"""The self-test every exported module carries: `python FILE.py` checks gradients() against
Richardson central differences of cost() on random data, and exits non-zero on a mismatch.

It works at any size in bounded memory and time: every entry of a small parameter is checked,
a large one along three random directions and at four random entries, one direction at a time
(never an identity matrix of the parameter's size)."""

from __future__ import annotations

import re

from .emitter import Emitter
from .options import Options

SELF_TEST = '''
def _random_data(rng, batch):
    """Inputs and targets of the right shapes (targets valid for the cost)."""
    x_shape = (N_INPUTS, batch) if SAMPLE_AXIS == 1 else (batch, N_INPUTS)
    y_shape = (N_OUTPUTS, batch) if SAMPLE_AXIS == 1 else (batch, N_OUTPUTS)
    x = rng.uniform(-1.0, 1.0, x_shape)
    if TARGETS == "real":
        return x, rng.uniform(0.05, 0.95, y_shape)
    labels = rng.integers(0, N_OUTPUTS, batch)
    if TARGETS == "index":
        return x, labels
    y = np.zeros(y_shape)
    if SAMPLE_AXIS == 1:
        y[labels, np.arange(batch)] = 1.0
    else:
        y[np.arange(batch), labels] = 1.0
    return x, y


#: Parameters up to this many entries are checked entry by entry; larger ones along random
#: directions and at sampled entries, so that the check costs the same at any size.
EVERY_ENTRY_UP_TO = 64


def _directions(rng, shape):
    """Unit directions to check a parameter of this shape along, one array at a time."""
    size = math.prod(shape)
    if size <= EVERY_ENTRY_UP_TO:
        entries = range(size)
    else:
        for _ in range(3):
            d = rng.standard_normal(shape)
            yield d / np.linalg.norm(d)
        entries = rng.choice(size, 4, replace=False)
    for i in entries:
        d = np.zeros(size)
        d[i] = 1.0
        yield d.reshape(shape)


def _self_test(seed=0, rtol=1e-6):
    """Check gradients() against Richardson central differences of cost() in float64 (NumPy data)."""
    global DTYPE
    chosen, DTYPE = DTYPE, FLOAT64
    try:
        with _float64_scope():
            rng = np.random.default_rng(seed)
            params = {k: _to_numpy(v).astype(np.float64) + rng.uniform(-0.1, 0.1, v.shape)
                      for k, v in init_params(seed).items()}
            x, y = _random_data(rng, 3)
            analytic = {k: _to_numpy(v) for k, v in gradients(params, x, y).items()}
            worst = 0.0
            for name, value in params.items():
                scale = float(np.linalg.norm(analytic[name]))
                for d in _directions(rng, value.shape):
                    def central(h):
                        plus = float(cost({**params, name: value + h * d}, x, y))
                        minus = float(cost({**params, name: value - h * d}, x, y))
                        return (plus - minus) / (2 * h)
                    numeric = (4 * central(5e-4) - central(1e-3)) / 3
                    exact = float(np.sum(analytic[name] * d))
                    worst = max(worst, abs(exact - numeric) / max(scale, abs(numeric), 1e-6))
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


RANDOM_MASKS = '''

def _random_masks(rng, batch):
    """Inverted-dropout masks at p = 1/2: each unit kept (2.0) or dropped (0.0)."""
    return {k: 2.0 * rng.integers(0, 2, (n, batch) if SAMPLE_AXIS == 1 else (batch, n)) for k, n in MASKS.items()}'''


def _with_masks(text: str) -> str:
    """The self-test of a network with dropout: masks drawn with the data and passed to every call."""
    text = re.sub(r"^( *)x, y = _random_data\(rng, 3\)$", r"\g<0>\n\1masks = _random_masks(rng, 3)", text,
                  flags=re.MULTILINE)
    text = text.replace("x, y)", "x, y, masks)")
    return text.replace("\n\ndef _self_test(", RANDOM_MASKS + "\n\n\ndef _self_test(")


def emit_self_test(e: Emitter, options: Options, masks: bool = False) -> None:
    backend = options.array_backend
    e.function("_to_numpy(value)", f"return {backend.to_numpy.format(x='value')}")
    scope = [f"return {backend.float64_scope}"] if backend.float64_scope else [
        "import contextlib", "", "return contextlib.nullcontext()"]
    e.function("_float64_scope()", '"""Where the check computes in float64."""', *scope)
    e.lines(_with_masks(SELF_TEST) if masks else SELF_TEST)
    e.blank(2)
    e.line('if __name__ == "__main__":')
    with e.indented():
        e.line("sys.exit(_self_test())")
