"""Array libraries the matrix form can target: NumPy (the default), PyTorch and JAX.

A backend is data: how its module is imported and named, how to convert an input, sum along an
axis, take a population standard deviation, and whether arrays may be updated in place. The code
printer and the module skeleton read these fields; nothing else differs between backends.
PyTorch and JAX are never dependencies of derive: only the generated module imports them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Backend:
    name: str
    imports: tuple[str, ...]
    prefix: str  # how functions are written: np.tanh, torch.tanh, jnp.tanh
    inplace: bool  # NumPy and PyTorch arrays may be updated in place; JAX arrays may not
    convert: str  # an input (NumPy array, list or native array) as an array of DTYPE
    reduce_sum: str  # sum along `axis`, keeping it
    population_std: str
    softmax: str
    log_softmax: str
    to_numpy: str  # for the self-test, which works in NumPy
    erf: str  # the error function (GELU) applied to {x}
    erf_helper: str  # what `erf` needs defined first, if anything
    step: str  # 1[x > 0] as numbers of the array's type

    def sum(self, expr: str, axis: int) -> str:
        return self.reduce_sum.format(x=expr, axis=axis)


NUMPY = Backend(
    name="numpy",
    imports=("import numpy as np",),
    prefix="np",
    inplace=True,
    convert="np.asarray({x}, dtype=DTYPE)",
    reduce_sum="{x}.sum(axis={axis}, keepdims=True)",
    population_std="{x}.std(axis={axis}, keepdims=True)",
    softmax="""
def _softmax(z, axis):
    # softmax along the class axis, shifted by the max so exp never overflows
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)
""",
    log_softmax="""
def _log_softmax(z, axis):
    # log-softmax: z − max − log Σ exp(z − max), finite for any logits
    shifted = z - z.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
""",
    to_numpy="np.asarray({x})",
    erf="_erf({x})",
    step="({x} > 0).astype(DTYPE)",  # numbers, not booleans: b1 - b2 must subtract
    erf_helper="""
def _erf(x):
    # NumPy has no erf: math.erf entry by entry (exact to an ulp), in the array's dtype
    return np.frompyfunc(math.erf, 1, 1)(x).astype(x.dtype)
""",
)

TORCH = Backend(
    name="torch",
    imports=("import numpy as np", "import torch"),
    prefix="torch",
    inplace=True,
    convert="torch.as_tensor({x}, dtype=DTYPE)",
    reduce_sum="{x}.sum(dim={axis}, keepdim=True)",
    population_std="{x}.std(dim={axis}, keepdim=True, correction=0)",
    softmax="""
def _softmax(z, axis):
    return torch.softmax(z, dim=axis)  # stable: PyTorch shifts by the max
""",
    log_softmax="""
def _log_softmax(z, axis):
    return torch.log_softmax(z, dim=axis)  # stable: log-sum-exp inside
""",
    to_numpy="{x}.detach().cpu().numpy()",
    erf="torch.erf({x})",
    erf_helper="",
    step="({x} > 0).to(DTYPE)",  # PyTorch refuses arithmetic such as 1 - b on a bool tensor
)

JAX = Backend(
    name="jax",
    imports=("import numpy as np", "import jax", "import jax.numpy as jnp", "import jax.scipy.special"),
    prefix="jnp",
    inplace=False,
    convert="jnp.asarray({x}, dtype=DTYPE)",
    reduce_sum="{x}.sum(axis={axis}, keepdims=True)",
    population_std="{x}.std(axis={axis}, keepdims=True)",
    softmax="""
def _softmax(z, axis):
    return jax.nn.softmax(z, axis=axis)  # stable: JAX shifts by the max
""",
    log_softmax="""
def _log_softmax(z, axis):
    return jax.nn.log_softmax(z, axis=axis)  # stable: log-sum-exp inside
""",
    to_numpy="np.asarray({x})",
    erf="jax.scipy.special.erf({x})",
    erf_helper="",
    step="({x} > 0).astype(DTYPE)",
)

BACKEND_TABLE: dict[str, Backend] = {b.name: b for b in (NUMPY, TORCH, JAX)}
