"""Array libraries the matrix form can target: NumPy (the default), PyTorch and JAX.

A backend is data: how its module is imported and named, how to convert an input, sum along an
axis, take a population standard deviation, whether arrays may be updated in place, how the
public functions are scoped (PyTorch: no autograd graph for the analytic gradients; JAX: float64
inside the module's own calls only) and how the cost is handed back. The code printer, the
module skeleton and the boundary checks read these fields; nothing else differs between backends.
PyTorch and JAX are never dependencies of derive: only the generated module imports them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Backend:
    name: str
    title: str  # as the library spells itself, for docstrings
    imports: tuple[str, ...]
    prefix: str  # how functions are written: np.tanh, torch.tanh, jnp.tanh
    # NumPy arrays may be updated in place. PyTorch tensors may not: autograd refuses `out=` and
    # in-place updates of values it saved, and cost() must stay differentiable. JAX arrays are immutable.
    inplace: bool
    convert: str  # an input (NumPy array, list or native array) as an array of DTYPE
    array_type: str  # the library's array class
    dtype_object: str  # DTYPE as the `.dtype` of the library's arrays (compared by identity)
    as_labels: str  # integer class labels as a native array, dtype kept
    is_integer: str  # whether the array {x} holds integers
    arange: str
    subtract_one_hot: tuple[str, ...]  # {out} = {a} − onehot(labels), entries at {index}
    reduce_sum: str  # sum along `axis`, keeping it
    population_std: str
    softmax: str
    log_softmax: str
    to_numpy: str  # for the self-test, which works in NumPy
    cost_result: str  # what cost() returns for the 0-d total {x}
    erf: str  # the error function (GELU) applied to {x}
    step: str  # 1[x > 0] as numbers of the array's type
    erf_helper: str = ""  # what `erf` needs defined first, if anything
    gradient_scope: str = ""  # a context for gradients() and cost_and_gradients()
    float64_scope: str = ""  # a context for every public function of a float64 module
    setup: tuple[str, ...] = ()  # module-level lines after the imports
    # Above the functions that compute a registry entry's fast form (rules.Activation.numpy_fast):
    # ignores the overflow to inf that gives the function's limit. Empty: the backend keeps the
    # stable forms (PyTorch and JAX: not measured faster there).
    overflow_guard: str = ""
    # An all-ones vector of {shape} in DTYPE: where set, δ 𝟏ₙ (a bias gradient, summed over the
    # samples) is printed as that product, as the step writes it (a BLAS product is twice as fast
    # as NumPy's .sum(axis) at these shapes); where empty, as a sum along the axis.
    ones_vector: str = ""

    def sum(self, expr: str, axis: int) -> str:
        return self.reduce_sum.format(x=expr, axis=axis)


NUMPY = Backend(
    name="numpy",
    title="NumPy",
    imports=("import numpy as np",),
    prefix="np",
    inplace=True,
    convert="np.asarray({x}, dtype=DTYPE)",
    array_type="np.ndarray",
    dtype_object="np.dtype(DTYPE)",
    as_labels="np.asarray({x})",
    is_integer="{x}.dtype.kind in 'iu'",
    arange="np.arange({n})",
    subtract_one_hot=("{out} = {a}.copy()", "{out}[{index}] -= 1.0"),
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
    cost_result="float({x})",
    erf="_erf({x})",
    step="({x} > 0).astype(DTYPE)",  # numbers, not booleans: b1 - b2 must subtract
    overflow_guard='@np.errstate(over="ignore")',
    ones_vector="np.ones({shape}, dtype=DTYPE)",
    erf_helper="""
def _erf(x):
    # NumPy has no erf: math.erf entry by entry (exact to an ulp), in the array's dtype
    return np.frompyfunc(math.erf, 1, 1)(x).astype(x.dtype)
""",
)

TORCH = Backend(
    name="torch",
    title="PyTorch",
    imports=("import numpy as np", "import torch"),
    prefix="torch",
    inplace=False,
    convert="torch.as_tensor({x}, dtype=DTYPE)",
    array_type="torch.Tensor",
    dtype_object="DTYPE",
    as_labels="torch.as_tensor({x})",
    is_integer="not ({x}.dtype.is_floating_point or {x}.dtype.is_complex or {x}.dtype == torch.bool)",
    arange="torch.arange({n})",
    subtract_one_hot=("{out} = {a}.clone()", "{out}[{index}] -= 1.0"),
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
    # A 0-d tensor: differentiable when the parameters require grad (autograd agrees with gradients()).
    cost_result="{x}",
    gradient_scope="torch.no_grad()",  # the gradients are analytic: no graph to record
    erf="torch.erf({x})",
    step="({x} > 0).to(DTYPE)",  # PyTorch refuses arithmetic such as 1 - b on a bool tensor
)

JAX = Backend(
    name="jax",
    title="JAX",
    imports=("import numpy as np", "import jax", "import jax.numpy as jnp", "import jax.scipy.special"),
    prefix="jnp",
    inplace=False,
    convert="jnp.asarray({x}, dtype=DTYPE)",
    array_type="jax.Array",
    dtype_object="np.dtype(DTYPE)",
    as_labels="jnp.asarray({x})",
    is_integer="jnp.issubdtype({x}.dtype, jnp.integer)",
    arange="jnp.arange({n})",
    subtract_one_hot=("{out} = {a}.at[{index}].add(-1.0)",),
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
    cost_result="{x}",  # a 0-d array: jax.grad can differentiate cost()
    erf="jax.scipy.special.erf({x})",
    step="({x} > 0).astype(DTYPE)",
    float64_scope="_float64(True)",
    setup=(
        "try:  # a context manager: float64 inside this module's calls, the process-wide flag left alone",
        "    _float64 = jax.enable_x64  # JAX >= 0.8",
        "except AttributeError:",
        "    from jax.experimental import enable_x64 as _float64",
    ),
)

BACKEND_TABLE: dict[str, Backend] = {b.name: b for b in (NUMPY, TORCH, JAX)}
