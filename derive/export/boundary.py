"""The exported module's public functions and the checks at their boundary.

Every public function (forward, cost, gradients, cost_and_gradients) takes `check=True`: the
parameters' keys and shapes, x of shape (B, n0) (row convention) or (n0, B) (column), with a
1-D x read as one sample, and y of the output's shape (one-hot rows summing to 1 for softmax with
cross-entropy) or integer class labels of shape (B,) (`--labels index`). Anything else raises one
ValueError naming the expected shape. The inputs are converted to the module's DTYPE on the way
in, so a float32 module computes in float32 whatever it is given. `check=False` skips all of
this (for a loop whose arrays are already right).

The checks are fixed text, written once here with the backend's conversions filled in
(`string.Template`, whose `$name` never clashes with the braces of the generated f-strings);
the private functions they guard come from the matrix or scalar form.
"""

from __future__ import annotations

from contextlib import nullcontext
from string import Template

from .emitter import Emitter
from .options import Options
from .plan import Plan

PARAMETERS = Template('''
_SHAPES = [tuple(shape) for shape in PARAMS.values()]


def _converted(value, name):
    """value as an array of DTYPE, or a ValueError saying that it is not an array of numbers."""
    try:
        return $convert
    except (TypeError, ValueError, RuntimeError) as error:
        raise ValueError(f"{name} must be an array of numbers: {error}") from None


def _converted_parameters(params):
    """The parameters converted to DTYPE and checked, or a ValueError naming what is wrong."""
    try:
        arrays = {name: _converted(params[name], f"params[{name!r}]") for name in PARAMS}
        fits = len(params) == len(PARAMS) and [tuple(a.shape) for a in arrays.values()] == _SHAPES
    except (KeyError, TypeError):
        fits = False
    if not fits:
        raise ValueError(_parameters_problem(params))
    return arrays


def _parameters_problem(params):
    names = ", ".join(PARAMS)
    if not hasattr(params, "keys"):
        return f"params must be a dict of arrays with the keys {names} (see PARAMS), not a {type(params).__name__}"
    missing = [name for name in PARAMS if name not in params]
    if missing:
        return f"params lacks {', '.join(missing)}: this network takes {names} (see PARAMS)"
    extra = [str(name) for name in params if name not in PARAMS]
    if extra:
        return f"params has keys this network does not take: {', '.join(extra)}; it takes {names} (see PARAMS)"
    for name, shape in PARAMS.items():
        found = tuple(_converted(params[name], f"params[{name!r}]").shape)
        if found != tuple(shape):
            turned = " (transposed?)" if found == tuple(shape)[::-1] else ""
            return (f"params[{name!r}] has shape {found} but this network takes {name} of shape {tuple(shape)}"
                    f"{turned}; {WEIGHT_LAYOUT}")
    return "params could not be read as arrays of DTYPE"
''')

SAMPLES = Template('''
def _batch_shape(n):
    """The shape of a batch of samples of n entries, as text."""
    return f"(B, {n})" if SAMPLE_AXIS == 0 else f"({n}, B)"


def _samples(x):
    """x as an array of DTYPE with N_INPUTS entries per sample and B >= 1 samples, and whether it
    was one sample given as a 1-D array."""
    if not isinstance(x, _ARRAY) or x.dtype is not _DTYPE:
        x = _converted(x, "x")
    if x.ndim == 2 and x.shape[FEATURE_AXIS] == N_INPUTS and x.shape[SAMPLE_AXIS]:
        return x, False
    if x.ndim == 1 and x.shape[0] == N_INPUTS:
        return $one_sample, True
    raise ValueError(_samples_problem(x))


def _samples_problem(x):
    shape, per_sample = tuple(x.shape), f"one sample per {SAMPLE_WORD}"
    if x.ndim == 1:
        return (f"x has shape {shape}: a 1-D x is one sample of {N_INPUTS} inputs; a batch is "
                f"{_batch_shape(N_INPUTS)}, {per_sample}")
    if x.ndim == 2 and shape[FEATURE_AXIS] == N_INPUTS:
        return f"x holds no samples (shape {shape}): pass at least one sample"
    turned = " (transposed? pass x.T)" if x.ndim == 2 and shape[SAMPLE_AXIS] == N_INPUTS else ""
    return f"x has shape {shape} but this network takes x of shape {_batch_shape(N_INPUTS)}, {per_sample}{turned}"
''')

DENSE_TARGETS = Template('''
def _targets(y, batch, one_sample):
    """y as an array of DTYPE of the output's shape for this batch$sums_doc."""
    if not isinstance(y, _ARRAY) or y.dtype is not _DTYPE:
        y = _converted(y, "y")
    if y.shape != $shape:
        if y.ndim == 1 and y.shape[0] == batch * N_OUTPUTS and (one_sample or N_OUTPUTS == 1):
            y = y.reshape($shape)  # one sample's targets, or one output per sample
        else:
            raise ValueError(_targets_problem(y, batch))
$sums_check    return y


def _targets_problem(y, batch):
    expected = $shape
    if TARGETS == "one-hot":
        return (f"y has shape {tuple(y.shape)} but this network takes one-hot targets y of shape {expected}, "
                f"one sample per {SAMPLE_WORD} (cross-entropy){_LABELS_HINT}")
    return (f"y has shape {tuple(y.shape)} but this network takes y of shape {expected}, one sample per "
            f"{SAMPLE_WORD} (the output's shape)")
''')

# δ = ŷ − y for softmax with cross-entropy holds for targets that sum to 1: others would give a
# gradient of some other function than cost().
SUMS_CHECK = '''    off = y.sum(axis=FEATURE_AXIS) - 1.0  # each sample's distance from a sum of 1
    if float(off @ off) > TARGET_SUM_TOLERANCE ** 2:
        raise ValueError(_sums_problem(off))
'''

SUMS_PROBLEM = '''
def _sums_problem(off):
    worst = int(abs(off).argmax())
    return (f"y must hold one-hot targets: {SAMPLE_WORD} {worst} sums to {1.0 + float(off[worst]):.6g}; softmax "
            f"with cross-entropy takes targets that sum to 1 over the classes{_LABELS_HINT}")
'''

INDEX_LABELS = Template('''
def _targets(y, batch, one_sample):
    """y as integer class labels of shape (B,), each in 0 .. N_OUTPUTS - 1."""
    try:
        y = $as_labels
    except (TypeError, ValueError, RuntimeError) as error:
        raise ValueError(f"y must be an array of class labels: {error}") from None
    if y.shape != (batch,):
        if one_sample and y.ndim == 0:
            y = y.reshape(1)  # the label of the one sample
        else:
            raise ValueError(_targets_problem(y, batch))
    if not ($is_integer):
        raise ValueError(f"y holds {y.dtype} but this module takes integer class labels 0..{N_OUTPUTS - 1} "
                         "(it was exported with --labels index)")
    low, high = int(y.min()), int(y.max())
    if low < 0 or high >= N_OUTPUTS:
        raise ValueError(f"y holds class label {low if low < 0 else high} but this network has {N_OUTPUTS} classes: "
                         f"labels are 0..{N_OUTPUTS - 1}")
    return y


def _targets_problem(y, batch):
    return (f"y has shape {tuple(y.shape)} but this module takes integer class labels of shape ({batch},) "
            f"(it was exported with --labels index); for one-hot targets use y.argmax(axis={FEATURE_AXIS})")
''')

CHECKED_IN_FULL = '''
def _inputs_in_full(params, x):
    """(params, x, one_sample) converted to DTYPE and checked; a 1-D x is one sample."""
    x, one_sample = _samples(x)
    return _converted_parameters(params), x, one_sample


def _checked_in_full(params, x, y):
    """(params, x, y) converted to DTYPE and checked; a 1-D x is one sample, y its target."""
    params, x, one_sample = _inputs_in_full(params, x)
    return params, x, _targets(y, x.shape[SAMPLE_AXIS], one_sample)
'''

MASKS_CHECK = '''
def _checked_masks(masks, batch):
    """The dropout masks as arrays of DTYPE, each shaped like its layer's activations for this
    batch (a 1-D mask of a layer's width is one sample's), or a ValueError naming what is wrong."""
    if not hasattr(masks, "keys") or len(masks) != len(MASKS) or any(name not in masks for name in MASKS):
        raise ValueError(_masks_problem(masks))
    checked = {}
    for name, width in MASKS.items():
        mask = masks[name]
        if not isinstance(mask, _ARRAY) or mask.dtype is not _DTYPE:
            mask = _converted(mask, f"masks[{name!r}]")
        expected = (batch, width) if SAMPLE_AXIS == 0 else (width, batch)
        if tuple(mask.shape) != expected:
            if mask.ndim == 1 and batch == 1 and mask.shape[0] == width:
                mask = mask.reshape(expected)  # one sample's mask
            else:
                raise ValueError(f"masks[{name!r}] has shape {tuple(mask.shape)} but this batch takes a mask of shape "
                                 f"{expected}, shaped like the activations of layer {name[1:]}, one sample per "
                                 f"{SAMPLE_WORD}")
        checked[name] = mask
    return checked


def _masks_problem(masks):
    names = ", ".join(MASKS)
    if not hasattr(masks, "keys"):
        return f"masks must be a dict of arrays with the keys {names} (see MASKS), not a {type(masks).__name__}"
    missing = [name for name in MASKS if name not in masks]
    if missing:
        return f"masks lacks {', '.join(missing)}: this network takes the dropout masks {names} (see MASKS)"
    extra = [str(name) for name in masks if name not in MASKS]
    return f"masks has keys this network does not take: {', '.join(extra)}; it takes {names} (see MASKS)"
'''


def _fast_path(e: Emitter, plan: Plan, options: Options, takes_y: bool, unpacked: bool) -> None:
    """The check of the common case, everything right already, in straight-line code: every
    parameter's shape and dtype, x and y, one comparison each, no loop, no copy, the caller's
    arrays handed on as they are. Anything else (another dtype, a 1-D x, a mistake) goes the full
    way, which converts, reshapes or names the problem. Per-argument overhead is most of what a
    check costs at small sizes, hence text specialised to the network.

    `unpacked`: the scalar form reads every parameter entry by entry into exactly its shape
    (`((W1_0_0, W1_0_1), …) = params["W1"].tolist()`), which checks the shapes completely and
    reads any dtype as Python floats; its public functions name the problem when that fails, so
    here only the number of parameters is checked."""
    names = [] if unpacked else [name for name, _ in plan.parameters]
    if takes_y:
        e.line("def _checked(params, x, y):")
        e.line('    """(params, x, y) as given when keys, shapes, dtypes and values are right; else checked in full."""')
    else:
        e.line("def _checked_inputs(params, x):")
        e.line('    """(params, x, one_sample) as given when keys, shapes and dtypes are right; else checked in full."""')
    with e.indented():
        e.line("try:")
        with e.indented():
            if names:
                comma = "," if len(names) == 1 else ""
                e.line(f"{', '.join(names)}{comma} = {', '.join(f'params[{chr(34)}{n}{chr(34)}]' for n in names)}{comma}")
            e.line(f"if (len(params) == {len(plan.parameters)}")
            for name, shape in plan.parameters if names else ():
                e.line(f"        and {name}.shape == {shape} and {name}.dtype is _DTYPE")
            e.line("        and isinstance(x, _ARRAY) and x.dtype is _DTYPE and x.ndim == 2")
            e.line("        and x.shape[FEATURE_AXIS] == N_INPUTS and x.shape[SAMPLE_AXIS]" + ("" if takes_y else "):"))
            if takes_y:
                for text in _fast_target_conditions(plan, options):
                    e.line(f"        {text}")
            with e.indented():
                if takes_y and options.labels == "dense" and plan.softmax_cross_entropy:
                    e.line("off = y.sum(axis=FEATURE_AXIS) - 1.0  # each sample's distance from a sum of 1")
                    e.line("if float(off @ off) <= TARGET_SUM_TOLERANCE ** 2:")
                    e.line("    return params, x, y")
                else:
                    e.line("return params, x, y" if takes_y else "return params, x, False")
        e.line("except (KeyError, TypeError, AttributeError):")
        e.line("    pass")
        e.line("return _checked_in_full(params, x, y)" if takes_y else "return _inputs_in_full(params, x)")
    e.blank(2)


def _fast_target_conditions(plan: Plan, options: Options) -> list[str]:
    """The fast path's conditions on y (after those on x), closing the condition."""
    if options.labels == "index":
        is_integer = options.array_backend.is_integer.format(x="y")
        return ["and isinstance(y, _ARRAY) and y.shape == (x.shape[SAMPLE_AXIS],)",
                f"and {is_integer} and int(y.min()) >= 0 and int(y.max()) < N_OUTPUTS):"]
    shape = "(x.shape[0], N_OUTPUTS)" if plan.row else "(N_OUTPUTS, x.shape[1])"
    return [f"and isinstance(y, _ARRAY) and y.dtype is _DTYPE and y.shape == {shape}):"]


def emit_constants(e: Emitter, plan: Plan, options: Options) -> None:
    """The module-level constants the checks read (after PARAMS and the axes)."""
    backend = options.array_backend
    e.line(f"_ARRAY, _DTYPE = {backend.array_type}, {backend.dtype_object}  # what needs no conversion")
    word = "row" if plan.row else "column"
    e.line(f'SAMPLE_WORD = "{word}"')
    if plan.row:
        layout = "W<l> is (n_(l-1), n_l) and b<l> is (1, n_l) in the row convention"
    else:
        layout = "W<l> is (n_l, n_(l-1)) and b<l> is (n_l, 1) in the column convention"
    e.line(f'WEIGHT_LAYOUT = "{layout}"')
    if plan.targets == "one-hot" and options.labels == "dense":
        n = plan.spec.widths[-1]
        fix = f"{backend.prefix}.eye({n})[y]" if plan.row else f"{backend.prefix}.eye({n})[:, y]"
        e.line(f'_LABELS_HINT = "; for integer class labels y use {fix}, or export with --labels index"')
    if plan.softmax_cross_entropy and options.labels == "dense":
        tolerance = "1e-6" if options.dtype == "float64" else "1e-3"
        e.line(f"TARGET_SUM_TOLERANCE = {tolerance}  # how far a sample's targets may sum from 1 (rounding)")


def emit_checks(e: Emitter, plan: Plan, options: Options, unpacked: bool) -> None:
    backend = options.array_backend
    e.comment("Checks at the boundary: every public function runs them unless called with check=False.")
    _fast_path(e, plan, options, takes_y=False, unpacked=unpacked)
    _fast_path(e, plan, options, takes_y=True, unpacked=unpacked)
    e.lines(PARAMETERS.substitute(convert=backend.convert.format(x="value")))
    e.blank(2)
    one_sample = "x[None, :]" if plan.row else "x[:, None]"
    e.lines(SAMPLES.substitute(one_sample=one_sample))
    e.blank(2)
    if options.labels == "index":
        e.lines(INDEX_LABELS.substitute(as_labels=backend.as_labels.format(x="y"),
                                        is_integer=backend.is_integer.format(x="y")))
    else:
        sums = plan.softmax_cross_entropy
        e.lines(DENSE_TARGETS.substitute(
            shape="(batch, N_OUTPUTS)" if plan.row else "(N_OUTPUTS, batch)",
            sums_doc=f" (one-hot: each {'row' if plan.row else 'column'} sums to 1)" if sums else "",
            sums_check=SUMS_CHECK if sums else ""))
        if sums:
            e.blank(2)
            e.lines(SUMS_PROBLEM)
    e.blank(2)
    e.lines(CHECKED_IN_FULL)
    e.blank(2)
    if plan.masks:
        e.lines(MASKS_CHECK)
        e.blank(2)


def accepted(plan: Plan, options: Options, takes_y: bool) -> list[str]:
    """What a public function accepts, for its docstring."""
    n0, nL = plan.spec.widths[0], plan.spec.widths[-1]
    word = "row" if plan.row else "column"

    def batch(n: int | str) -> str:
        return f"(B, {n})" if plan.row else f"({n}, B)"

    numbers = "number" if n0 == 1 else "numbers"
    lines = [
        "params: a dict with exactly the keys and shapes of PARAMS (any dtype: computed in DTYPE)",
        f"x: {batch(n0)}, one sample per {word}, B >= 1; a 1-D x of {n0} {numbers} is one sample",
    ]
    if takes_y and options.labels == "index":
        lines.append(f"y: (B,) integer class labels 0..{nL - 1}; one label with a 1-D x")
    elif takes_y and plan.targets == "one-hot":
        lines.append(f"y: {batch(nL)} one-hot targets, each {word} summing to 1 (cross-entropy); ({nL},) with a 1-D x")
    elif takes_y:
        lines.append(f"y: {batch(nL)} targets, the output's shape; ({nL},) with a 1-D x")
    if plan.masks:
        widths = ", ".join(f"{m.ident} {batch(plan.spec.widths[int(m.layer)])}" for m in plan.masks)
        lines.append(f"masks: a dict of dropout masks shaped like their layers' activations: {widths} "
                     "(entries 0 or 1/(1 - p))")
    lines += [
        "Bad input raises ValueError naming the expected shape. check=False skips the checks and",
        "conversions: then pass arrays of DTYPE with exactly these shapes.",
    ]
    return lines


def emit_public(e: Emitter, plan: Plan, options: Options, unpacked: bool) -> None:
    """forward, cost, gradients and cost_and_gradients: checks, then the private functions
    (`unpacked`: the private functions check the parameters' shapes, as in the scalar form)."""
    backend = options.array_backend
    nL = plan.spec.widths[-1]
    float64 = backend.float64_scope if options.dtype == "float64" else ""
    total = "summed over the batch" if options.reduction == "sum" else "averaged over the batch"
    kind = {"numpy": "a float", "torch": "a 0-d tensor (differentiable: autograd agrees with gradients())",
            "jax": "a 0-d array"}[backend.name]
    output = f"(B, {nL})" if plan.row else f"({nL}, B)"
    functions = (
        ("forward", f"The network's output: {output}, or ({nL},) for one sample given as a 1-D x.", ""),
        ("cost", f"The cost C {total}: {kind}.", ""),
        ("gradients", "dC/dparam for every parameter: a dict with the keys and shapes of PARAMS, in DTYPE.",
         backend.gradient_scope),
        ("cost_and_gradients", "(cost, gradients) from one forward pass.", backend.gradient_scope),
    )
    for name, summary, scope in functions:
        takes_y = name != "forward"
        e.line(f"def {name}(params, x{', y' if takes_y else ''}{plan.masks_arg}, check=True):")
        with e.indented():
            e.line(f'"""{summary}')
            e.line("")
            for text in accepted(plan, options, takes_y):
                e.line(text)
            e.line('"""')
            scopes = [s for s in (float64, scope) if s]
            if scopes:
                e.line(f"with {', '.join(scopes)}:")
            with e.indented() if scopes else nullcontext():
                _public_body(e, name, plan, options, unpacked)
        e.blank(2)


def _public_body(e: Emitter, name: str, plan: Plan, options: Options, unpacked: bool) -> None:
    result = options.array_backend.cost_result.format
    M = plan.masks_arg
    if name == "forward":
        e.line("if not check:")
        e.line(f"    return _output(params, x{M})")
        e.line("params, x, one_sample = _checked_inputs(params, x)")
        if M:
            e.line("masks = _checked_masks(masks, x.shape[SAMPLE_AXIS])")
        _call(e, f"output = _output(params, x{M})", unpacked, checked=True)
        e.line(f"return {'output[0]' if plan.row else 'output[:, 0]'} if one_sample else output")
        return
    call, finish = {
        "cost": (f"total = _cost(params, x, y{M})", f"return {result(x='total')}"),
        "gradients": (f"grads = _gradients(params, x, y{M})", "return grads"),
        "cost_and_gradients": (f"total, grads = _cost_and_gradients(params, x, y{M})",
                               f"return {result(x='total')}, grads"),
    }[name]
    e.line("if check:")
    e.line("    params, x, y = _checked(params, x, y)")
    if M:
        e.line("    masks = _checked_masks(masks, x.shape[SAMPLE_AXIS])")
    _call(e, call, unpacked, checked=False)
    e.line(finish)


def _call(e: Emitter, call: str, unpacked: bool, checked: bool) -> None:
    """The call of a private function after the checks. Where it unpacks the parameters itself
    (`unpacked`), a failure to unpack them is named (lists are read as arrays, and it runs again);
    `checked` says that the checks ran for certain, else `check` tells."""
    if not unpacked:
        e.line(call)
        return
    e.line("try:")
    e.line(f"    {call}")
    e.line("except (KeyError, AttributeError, TypeError, ValueError):")
    if not checked:
        e.line("    if not check:")
        e.line("        raise")
    e.line("    params = _converted_parameters(params)  # names what is wrong, or reads lists as arrays")
    e.line(f"    {call}")
