"""`derive export`: generated modules are correct (finite differences, torch where installed),
stable at extreme logits, deterministic, readable, and refuse bad input."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

import derive
from derive import rules
from derive.errors import DeriveError
from derive.export import compile_network, export_source
from derive.gradcheck import check_grads
from export_support import backend_array, data, perturbed_params, write_module

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = [name for name, spec in derive.EXAMPLES.items() if not spec.general]


def assert_gradients_match_differences(module, rng, batch: int = 3, kinks: tuple[float, ...] = ()) -> None:
    params = perturbed_params(module, rng)
    x, y = data(module, rng, batch)
    if kinks:  # residuals a − y kept 0.2 away from the cost's kinks, so differences never straddle one
        residual = rng.choice([-1.0, 1.0], y.shape) * rng.choice([0.3, 0.5, 0.7, 1.3, 1.6], y.shape)
        y = module.forward(params, x) - residual
    results = check_grads(lambda p: module.cost(p, x, y), lambda p: module.gradients(p, x, y), params)
    assert [r.name for r in results] == list(module.PARAMS)
    grads = module.gradients(params, x, y)
    assert {k: v.shape for k, v in grads.items()} == {k: tuple(s) for k, s in module.PARAMS.items()}


@pytest.mark.parametrize("form", ["matrix", "scalar"])
@pytest.mark.parametrize("net", EXAMPLES)
def test_examples_export_correct_gradients(tmp_path: Path, rng: np.random.Generator, net: str, form: str) -> None:
    module = write_module(tmp_path, net, form=form)
    for batch in (1, 3):
        assert_gradients_match_differences(module, rng, batch)
    params = perturbed_params(module, rng)
    x, y = data(module, rng)
    total, grads = module.cost_and_gradients(params, x, y)
    assert total == pytest.approx(module.cost(params, x, y), rel=1e-12)
    for k, v in module.gradients(params, x, y).items():
        np.testing.assert_allclose(grads[k], v, rtol=1e-12)


def test_two_two_two_layout_and_names(tmp_path: Path) -> None:
    module = write_module(tmp_path, "two-two-two", form="matrix")
    assert module.PARAMS == {"W1": (2, 2), "W2": (2, 2)}
    assert module.SAMPLE_AXIS == 1
    # W1[j, k] is the weight from input k to hidden neuron j: z3 = w13 x1 + w23 x2 is row 0.
    params = {"W1": np.array([[1.0, 0.0], [0.0, 0.0]]), "W2": np.eye(2)}
    out_a = module.forward(params, np.array([[2.0], [0.0]]))
    out_b = module.forward(params, np.array([[0.0], [2.0]]))
    assert out_a[0, 0] != out_b[0, 0] and out_a[1, 0] == out_b[1, 0]


def _valid_pairs() -> list[tuple[str, str]]:
    pairs = []
    for act, cst in itertools.product(rules.ACTIVATIONS, rules.COSTS):
        try:
            rules.check_pair(rules.ACTIVATIONS[act], rules.COSTS[cst])
        except DeriveError:
            continue
        pairs.append((act, cst))
    return pairs


HIDDEN = [n for n, a in rules.ACTIVATIONS.items() if a.elementwise]
SETTINGS = list(itertools.product(("column", "row"), (True, False), (None, 3)))
# Every (output, cost) pair in two settings that differ in all three (convention, bias, batch),
# moving through the settings from pair to pair; the hidden activation cycles through the registry.
GRID = [
    (HIDDEN[(2 * i + k) % len(HIDDEN)], out, cst, *SETTINGS[abs(7 * k - i % 8)])
    for i, (out, cst) in enumerate(_valid_pairs())
    for k in (0, 1)
]


@pytest.mark.parametrize(("hidden", "out", "cst", "convention", "bias", "batch"), GRID, ids=str)
def test_random_specs_export_correct_gradients(tmp_path, rng, hidden, out, cst, convention, bias, batch) -> None:
    spec = derive.build([3, 4, 3], activation=hidden, output_activation=out, cost=cst, convention=convention,
                        bias=bias, batch=batch)
    for form in ("matrix", "scalar"):
        module = write_module(tmp_path, spec, name=f"m_{form}", form=form)
        assert_gradients_match_differences(module, rng, kinks=rules.cost(cst).kinks)


# Deep networks of equal widths, where the matrix form writes products into arrays it no longer
# needs (np.matmul(…, out=)): every hidden activation (identity renames z as a, the in-place ones
# share z's array), both conventions, a mean, L2, dropout masks, softmax with class labels.
BUFFER_NETS = [
    ({"activation": act, "convention": convention, "batch": 4}, {})
    for act, convention in zip(HIDDEN, itertools.cycle(("column", "row")))
] + [
    ({"activation": "relu", "reduction": "mean", "l2": 0.1, "batch": 4}, {}),
    ({"activation": "tanh", "dropout": (1, 2), "batch": 4, "convention": "row"}, {}),
    ({"activation": "sigmoid", "output_activation": "softmax", "cost": "cross-entropy", "batch": 4},
     {"labels": "index"}),
    # ∂C/∂a² (printed dC_da2, not a network quantity) is read again by δ¹ after δ² is computed
    ({"activation": "tanh", "residual": ((2, 1), (4, 2)), "batch": 4}, {}),
]


@pytest.mark.parametrize(("spec_args", "options"), BUFFER_NETS, ids=str)
def test_reused_arrays_leave_results_and_inputs_intact(tmp_path, rng, spec_args: dict, options: dict) -> None:
    spec = derive.build([3, 3, 3, 3, 3], **spec_args)
    module = write_module(tmp_path, spec, form="matrix", **options)
    source = (tmp_path / "grad.py").read_text(encoding="utf-8")
    assert "out=" in source  # the reuse is exercised
    params = perturbed_params(module, rng)
    x, y = data(module, rng, batch=4)
    args = ()
    if spec.dropout:
        shape = (3, 4) if module.SAMPLE_AXIS == 1 else (4, 3)
        args = ({f"m{l}": rng.choice([0.0, 2.0], shape) for l in spec.dropout},)
    copies = [{k: v.copy() for k, v in params.items()}, x.copy(), y.copy()]
    # The scalar form computes the same steps entry by entry, in arrays of its own (no reuse).
    scalar = write_module(tmp_path, spec, name="scalar_form", form="scalar", **options)
    for k, v in scalar.gradients(params, x, y, *args).items():
        np.testing.assert_allclose(module.gradients(params, x, y, *args)[k], v, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(module.forward(params, x, *args), scalar.forward(params, x, *args), rtol=1e-12)
    total, grads = module.cost_and_gradients(params, x, y, *args)
    again = module.gradients(params, x, y, *args)
    assert total == pytest.approx(module.cost(params, x, y, *args), rel=1e-12)
    for k in grads:
        np.testing.assert_array_equal(grads[k], again[k])
    np.testing.assert_array_equal(module.forward(params, x, *args), module.forward(params, x, *args))
    for k, v in params.items():
        np.testing.assert_array_equal(v, copies[0][k])
    np.testing.assert_array_equal(x, copies[1])
    np.testing.assert_array_equal(y, copies[2])


@pytest.mark.parametrize("net", EXAMPLES)
def test_self_test_of_exported_files_passes(tmp_path: Path, net: str) -> None:
    for form in ("matrix", "scalar"):
        path = tmp_path / f"{net.replace('-', '_')}_{form}.py"
        path.write_text(export_source(net, form=form), encoding="utf-8")
        result = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "ok" in result.stdout


def test_self_test_fails_on_a_wrong_gradient(tmp_path: Path) -> None:
    """The self-test can fail: plant a transposed factor in the generated code."""
    source = export_source("mlp:3-4-2", form="matrix")
    assert "dW1 = delta1 @ x.T" in source
    broken = source.replace("dW1 = delta1 @ x.T", "dW1 = 1.01 * (delta1 @ x.T)")
    path = tmp_path / "broken.py"
    path.write_text(broken, encoding="utf-8")
    result = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 1 and "MISMATCH" in result.stdout


@pytest.mark.parametrize(("net", "form"), [("softmax-classifier", "matrix"), ("softmax-classifier", "scalar"),
                                           ("mlp:3-2 --bce", "matrix"), ("mlp:3-2 --bce", "scalar"),
                                           ("mlp:3-2 --ce", "matrix"), ("mlp:3-2 --ce", "scalar")])
def test_extreme_logits_stay_finite(tmp_path: Path, net: str, form: str) -> None:
    if net == "mlp:3-2 --bce":
        spec = derive.build([3, 2], activation="sigmoid", cost="binary-cross-entropy", bias=True)
    elif net == "mlp:3-2 --ce":
        spec = derive.build([3, 2], activation="sigmoid", cost="cross-entropy", bias=True)
    else:
        spec = net
    module = write_module(tmp_path, spec, form=form)
    params = {k: np.zeros(v) for k, v in module.PARAMS.items()}
    last_b = list(module.PARAMS)[-1]
    rng = np.random.default_rng(3)
    x, y = data(module, rng, batch=4)
    for scale in (1000.0, -1000.0):
        # Logits of ±1000 (with opposite signs across the classes where there are several).
        params[last_b] = scale * np.where(np.arange(np.prod(module.PARAMS[last_b])) % 2 == 0, 1.0, -1.0).reshape(
            module.PARAMS[last_b])
        with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
            total, grads = module.cost_and_gradients(params, x, y)
            out = module.forward(params, x)
        assert np.isfinite(total)
        assert all(np.all(np.isfinite(g)) for g in grads.values())
        assert np.all(np.isfinite(out))


HIDDEN_ACTIVATIONS = [a.name for a in rules.ACTIVATIONS.values() if a.elementwise]


@pytest.mark.parametrize("dropout", [False, True], ids=["plain", "dropout"])  # with dropout, f′ is taken in z
@pytest.mark.parametrize("form", ["matrix", "scalar"])
@pytest.mark.parametrize("activation", HIDDEN_ACTIVATIONS)
def test_saturated_hidden_layers_give_finite_gradients_without_warnings(
        tmp_path: Path, activation: str, form: str, dropout: bool) -> None:
    """Hidden pre-activations of ±1000, as a diverging training run makes them: σ′ written
    e^-z/(1 + e^-z)² was NaN below z = −355, and SiLU′ raised OverflowError in the scalar form."""
    spec = derive.build([3, 4, 2], activation=[activation, "sigmoid"], cost="quadratic", bias=True,
                        dropout=(1,) if dropout else ())
    module = write_module(tmp_path, spec, form=form)
    params = {k: np.asarray(v) for k, v in module.init_params(1).items()}
    params["b1"] = 1000.0 * np.where(np.arange(4) % 2 == 0, 1.0, -1.0).reshape(params["b1"].shape)
    x, y = data(module, np.random.default_rng(5), batch=3)
    args = (params, x, y, {"m1": np.full((4, 3), 2.0)}) if dropout else (params, x, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning on the way
        total, grads = module.cost_and_gradients(*args)
    assert np.isfinite(total)
    assert all(np.all(np.isfinite(g)) for g in grads.values())


@pytest.mark.parametrize("net", ["batched-mlp", "two-two-two"])
@pytest.mark.parametrize("form", ["matrix", "scalar"])
@pytest.mark.parametrize("reduction", ["sum", "mean"])
def test_reduction(tmp_path: Path, rng: np.random.Generator, reduction: str, form: str, net: str) -> None:
    summed = write_module(tmp_path, net, name="s", form=form)
    module = write_module(tmp_path, net, name=f"r_{reduction}", form=form, reduction=reduction)
    assert module.REDUCTION == reduction
    params = perturbed_params(summed, rng)
    x, y = data(summed, rng, batch=5)
    factor = 1.0 if reduction == "sum" else 1 / 5
    assert module.cost(params, x, y) == pytest.approx(factor * summed.cost(params, x, y), rel=1e-12)
    for k, v in module.gradients(params, x, y).items():
        np.testing.assert_allclose(v, factor * summed.gradients(params, x, y)[k], rtol=1e-12)


def test_mean_reduction_is_stated_by_the_derivation() -> None:
    """The 1/n of a mean comes from the verified steps, quoted above the line that applies it."""
    source = export_source("batched-mlp", form="matrix", reduction="mean")
    assert "# L = 1/(2 n) Σᵢ Σⱼ ((H₂)ᵢⱼ − Tᵢⱼ)²  [cost]" in source
    assert "# ∂L/∂Z₂ = 1/n ((H₂ − T) ⊙ H₂ ⊙ (𝟏 − H₂))  [delta_2]" in source
    assert "n = x.shape[SAMPLE_AXIS]" in source and "delta2 /= n" in source


def test_float32(tmp_path: Path, rng: np.random.Generator) -> None:
    module = write_module(tmp_path, "mlp:8-16-4", name="f32", form="matrix", dtype="float32")
    reference = write_module(tmp_path, "mlp:8-16-4", name="f64", form="matrix")
    params = perturbed_params(reference, rng)
    x, y = data(reference, rng, batch=6)
    low = module.gradients({k: v.astype(np.float32) for k, v in params.items()}, x, y)
    high = reference.gradients(params, x, y)
    for k in params:
        assert low[k].dtype == np.float32
        np.testing.assert_allclose(low[k], high[k], rtol=1e-4, atol=1e-6)


def test_forms_agree_and_auto_picks_scalar_for_tiny_networks(tmp_path: Path, rng: np.random.Generator) -> None:
    scalar = write_module(tmp_path, "two-two-two", name="s", form="scalar")
    matrix = write_module(tmp_path, "two-two-two", name="m", form="matrix")
    assert "straight-line Python" in export_source("two-two-two")
    assert "NumPy matrix code" in export_source("mlp:30-30-10")
    params = perturbed_params(matrix, rng)
    x, y = data(matrix, rng, batch=4)
    np.testing.assert_allclose(scalar.forward(params, x), matrix.forward(params, x), rtol=1e-12)
    for k, v in matrix.gradients(params, x, y).items():
        np.testing.assert_allclose(scalar.gradients(params, x, y)[k], v, rtol=1e-10)


def test_compiled_in_memory_equals_exported_file(tmp_path: Path, rng: np.random.Generator) -> None:
    in_memory = compile_network("softmax-classifier", form="matrix")
    from_file = write_module(tmp_path, "softmax-classifier", form="matrix")
    params = perturbed_params(from_file, rng)
    x, y = data(from_file, rng)
    for k, v in from_file.gradients(params, x, y).items():
        np.testing.assert_array_equal(in_memory.gradients(params, x, y)[k], v)


def test_generated_code_reads_like_the_derivation() -> None:
    source = export_source("batched-mlp", form="matrix")
    assert "# ∂L/∂W₂ = H₁ᵀ ∂L/∂Z₂  [grad_W_2]" in source
    assert "dW2 = a1.T @ delta2" in source
    assert "# ∂L/∂b₂ = 𝟏ₙᵀ ∂L/∂Z₂  [grad_b_2]" in source
    assert "db2 = ones_n_T @ delta2" in source  # the product the step writes
    assert "exec(" not in source and "eval(" not in source


@pytest.mark.parametrize("net", ["two-two-two", "softmax-classifier"])
@pytest.mark.parametrize("form", ["matrix", "scalar"])
def test_golden_export(golden, net: str, form: str) -> None:
    golden(f"export/{net}.{form}.py", export_source(net, form=form))


def test_identical_across_hash_seeds(tmp_path: Path) -> None:
    outputs = set()
    for seed in ("0", "7", "99"):
        env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONHASHSEED": seed}
        result = subprocess.run([sys.executable, "-m", "derive", "export", "softmax-classifier", "--form", "scalar"],
                                capture_output=True, env=env, timeout=300)
        assert result.returncode == 0, result.stderr
        outputs.add(result.stdout)
    assert len(outputs) == 1


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "derive", *args], capture_output=True, text=True, cwd=cwd,
                          env=env, timeout=300)


def test_cli_writes_a_module_and_refuses_to_overwrite_hand_edits(tmp_path: Path) -> None:
    target = tmp_path / "g.py"
    assert _cli("export", "two-two-two", "-o", str(target), cwd=tmp_path).returncode == 0
    first = target.read_bytes()
    assert _cli("export", "two-two-two", "-o", str(target), cwd=tmp_path).returncode == 0
    assert target.read_bytes() == first
    target.write_text(target.read_text() + "# my note\n")
    refused = _cli("export", "two-two-two", "-o", str(target), cwd=tmp_path)
    assert refused.returncode == 2 and "refusing to overwrite" in refused.stderr
    assert _cli("export", "two-two-two", "-o", str(target), "--force", cwd=tmp_path).returncode == 0
    assert target.read_bytes() == first


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["export", "two-two-two", "--form", "vector"], "unknown form 'vector'; valid choices: auto, matrix, scalar"),
        (["export", "two-two-two", "--dtype", "float16"], "unknown dtype 'float16'; valid choices: float64, float32"),
        (["export", "two-two-two", "--reduction", "max"], "unknown reduction 'max'; valid choices: sum, mean"),
        (["export", "two-two-two", "--backend", "mxnet"], "unknown backend 'mxnet'; valid choices: numpy, torch, jax"),
        (["export", "two-two-two", "--backend", "torch", "--form", "scalar"],
         "the scalar form is plain Python; the torch backend writes --form matrix"),
        (["export", "two-two-two", "--labels", "sparse"], "unknown labels 'sparse'; valid choices: dense, index"),
        (["export", "two-two-two", "--labels", "index"],
         "--labels index takes class labels for a softmax output with cross-entropy; this network has sigmoid with "
         "quadratic cost (its y has the output's shape: --labels dense)"),
        (["export", "two-two-two", "--form", "scalar", "--dtype", "float32"],
         "the scalar form computes in Python floats (float64); --dtype float32 writes --form matrix"),
        (["export", "two-two-two", "-o", "grad.txt"], "the output file 'grad.txt' must end in .py"),
        (["export", "l-layer"], "l-layer is the general L-layer derivation; export a network of concrete widths"),
        (["export", "two-two-two", "-o", "/proc/derive/x.py"], "cannot create the output directory"),
    ],
)
def test_cli_bad_input(tmp_path: Path, args: list[str], message: str) -> None:
    result = _cli(*args, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"derive: error: {message}"), result.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("net", EXAMPLES)
def test_agrees_with_torch_autograd(tmp_path: Path, rng: np.random.Generator, net: str) -> None:
    torch = pytest.importorskip("torch")
    module = write_module(tmp_path, net, form="matrix")
    params = perturbed_params(module, rng)
    x, y = data(module, rng)
    t = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    spec = derive.resolve_network(net)
    a = torch.tensor(x)
    if spec.normalize_input:
        axis = 1 if module.SAMPLE_AXIS == 0 else 0
        a = (a - a.mean(dim=axis, keepdim=True)) / a.std(dim=axis, keepdim=True, unbiased=False)
    for l, layer in enumerate(spec.layers, start=1):
        z = a @ t[f"W{l}"] if spec.convention == "row" else t[f"W{l}"] @ a
        if layer.bias:
            z = z + t[f"b{l}"]
        if layer.activation == "softmax":
            a = torch.softmax(z, dim=1 if spec.convention == "row" else 0)
        else:
            a = torch.sigmoid(z)
    ty = torch.tensor(y)
    loss = -(ty * torch.log(a)).sum() if spec.cost == "cross-entropy" else 0.5 * ((a - ty) ** 2).sum()
    loss.backward()
    grads = module.gradients(params, x, y)
    for k, v in t.items():
        np.testing.assert_allclose(grads[k], v.grad.numpy(), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("form", ["matrix", "scalar"])
@pytest.mark.parametrize(
    "spec_args",
    [
        dict(widths=[1, 1, 1], activation="sigmoid", cost="quadratic"),  # width one everywhere
        dict(widths=[1, 1, 2], activation=["tanh", "softmax"], cost="cross-entropy", normalize_input=True),
        dict(widths=[2, 1], activation="sigmoid", cost="binary-cross-entropy", convention="row"),
    ],
    ids=["width-one", "width-one-softmax-normalised", "width-one-bce-row"],
)
def test_robust_at_the_edges(tmp_path: Path, rng: np.random.Generator, spec_args: dict, form: str) -> None:
    """Width one, a batch of one, zero targets: finite values that agree with differences."""
    spec_args = dict(spec_args)
    spec = derive.build(spec_args.pop("widths"), **spec_args)
    module = write_module(tmp_path, spec, form=form)
    assert_gradients_match_differences(module, rng, batch=1)
    params = perturbed_params(module, rng)
    x, y = data(module, rng, batch=1)
    zeros = np.zeros_like(y)
    if module.TARGETS == "one-hot" and spec.layers[-1].activation == "softmax":
        # δ = ŷ − y holds for targets summing to 1 only: zero targets are refused, not trained on.
        with pytest.raises(ValueError, match="y must hold one-hot targets"):
            module.cost_and_gradients(params, x, zeros)
        return
    total, grads = module.cost_and_gradients(params, x, zeros)
    assert np.isfinite(total) and all(np.all(np.isfinite(g)) for g in grads.values())
    results = check_grads(lambda p: module.cost(p, x, zeros), lambda p: module.gradients(p, x, zeros), params)
    assert all(r.max_error < 1e-6 for r in results)


@pytest.mark.parametrize("backend", ["torch", "jax"])
@pytest.mark.parametrize("net", EXAMPLES + ["mlp:3-4-2"])
def test_other_backends_agree_with_numpy(tmp_path: Path, rng: np.random.Generator, backend: str, net: str) -> None:
    pytest.importorskip(backend)
    reference = write_module(tmp_path, net, name="numpy_module", form="matrix")
    module = write_module(tmp_path, net, name=f"{backend}_module", form="matrix", backend=backend)
    params = perturbed_params(reference, rng)
    x, y = data(reference, rng)
    native = {k: backend_array(backend, v) for k, v in params.items()}
    total, grads = module.cost_and_gradients(native, backend_array(backend, x), backend_array(backend, y))
    assert float(total) == pytest.approx(reference.cost(params, x, y), rel=1e-10)
    expected = reference.gradients(params, x, y)
    for k, v in grads.items():
        assert type(v).__module__.split(".")[0] in ("torch", "jax", "jaxlib")
        np.testing.assert_allclose(np.asarray(v), expected[k], rtol=1e-9, atol=1e-12)
    result = subprocess.run([sys.executable, "-W", "ignore", str(tmp_path / f"{backend}_module.py")],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


#: Each elementwise activation as PyTorch computes it (the registry's constants are its defaults).
TORCH_ACTIVATIONS = {
    "sigmoid": "torch.sigmoid", "tanh": "torch.tanh", "relu": "torch.relu", "identity": "",
    "softplus": "torch.nn.functional.softplus", "leaky-relu": "torch.nn.functional.leaky_relu",
    "elu": "torch.nn.functional.elu", "gelu": "torch.nn.functional.gelu", "silu": "torch.nn.functional.silu",
}


def _torch_activation(torch, name: str):
    if name == "gelu-tanh":
        return lambda z: torch.nn.functional.gelu(z, approximate="tanh")
    if name == "identity":
        return lambda z: z
    module, _, attr = TORCH_ACTIVATIONS[name].rpartition(".")
    target = torch
    for part in module.split(".")[1:]:
        target = getattr(target, part)
    return getattr(target, attr)


@pytest.mark.parametrize("act", HIDDEN)
def test_every_activation_agrees_with_torch_autograd(tmp_path: Path, rng: np.random.Generator, act: str) -> None:
    torch = pytest.importorskip("torch")
    spec = derive.build([3, 4, 2], activation=act, output_activation="identity", cost="quadratic", batch=5)
    for backend in ("numpy", "torch"):
        module = write_module(tmp_path, spec, name=f"{backend}_{act.replace('-', '_')}", form="matrix",
                              backend=backend)
        params = perturbed_params(reference := write_module(tmp_path, spec, name="ref", form="matrix"), rng)
        x, y = data(reference, rng, batch=5)
        t = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
        f = _torch_activation(torch, act)
        hidden = f(t["W1"] @ torch.tensor(x) + t["b1"])
        out = t["W2"] @ hidden + t["b2"]
        (0.5 * ((out - torch.tensor(y)) ** 2).sum()).backward()
        grads = module.gradients({k: (torch.tensor(v) if backend == "torch" else v) for k, v in params.items()},
                                 x, y)
        for k, v in t.items():
            np.testing.assert_allclose(np.asarray(grads[k]), v.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("act", HIDDEN)
def test_every_activation_in_jax_agrees_with_numpy(tmp_path: Path, rng: np.random.Generator, act: str) -> None:
    pytest.importorskip("jax")
    spec = derive.build([3, 4, 2], activation=act, output_activation="identity", cost="quadratic", batch=5)
    reference = write_module(tmp_path, spec, name="numpy_ref", form="matrix")
    module = write_module(tmp_path, spec, name=f"jax_{act.replace('-', '_')}", form="matrix", backend="jax")
    params = perturbed_params(reference, rng)
    x, y = data(reference, rng, batch=5)
    expected = reference.gradients(params, x, y)
    for k, v in module.gradients(params, x, y).items():
        np.testing.assert_allclose(np.asarray(v), expected[k], rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("cst", ["mean-absolute-error", "huber"])
def test_costs_with_kinks_agree_with_torch(tmp_path: Path, rng: np.random.Generator, cst: str) -> None:
    torch = pytest.importorskip("torch")
    spec = derive.build([3, 4, 2], activation="tanh", output_activation="identity", cost=cst, batch=6)
    module = write_module(tmp_path, spec, name=cst.replace("-", "_"), form="matrix")
    params = perturbed_params(module, rng)
    params["W2"] = 3 * params["W2"]  # residuals beyond Huber's δ = 1 as well as inside it
    x, y = data(module, rng, batch=6)
    t = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    out = t["W2"] @ torch.tanh(t["W1"] @ torch.tensor(x) + t["b1"]) + t["b2"]
    loss = (torch.nn.L1Loss(reduction="sum") if cst == "mean-absolute-error"
            else torch.nn.HuberLoss(reduction="sum", delta=1.0))(out, torch.tensor(y))
    loss.backward()
    residual = np.abs(out.detach().numpy() - y)
    assert cst != "huber" or (residual.max() > 1 > residual.min())
    assert module.cost(params, x, y) == pytest.approx(float(loss), rel=1e-12)
    for k, v in module.gradients(params, x, y).items():
        np.testing.assert_allclose(v, t[k].grad.numpy(), rtol=1e-10, atol=1e-12)
