"""Network specs: the three ways in, and every way to get them wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

import derive
from derive.api import resolve_network
from derive.errors import DeriveError
from derive.spec import MAX_PARAMETERS, Layer, NetworkSpec, build, load_toml, parse_shorthand


def test_reference_networks_match_the_shared_definitions() -> None:
    two = derive.example("two-two-two")
    assert two.widths == (2, 2, 2) and two.convention == "column" and two.cost == "quadratic"
    assert all(l.activation == "sigmoid" and not l.bias for l in two.layers)
    batched = derive.example("batched-mlp")
    assert batched.widths == (4, 5, 3) and batched.convention == "row" and batched.batch is not None
    assert all(l.activation == "sigmoid" and l.bias for l in batched.layers)
    soft = derive.example("softmax-classifier")
    assert soft.normalize_input and soft.convention == "row" and soft.batch is None
    assert [l.activation for l in soft.layers] == ["sigmoid", "softmax"] and soft.cost == "cross-entropy"
    general = derive.example("l-layer")
    assert general.general and general.convention == "column" and (784, 30, 10) in general.instances


def test_shorthand() -> None:
    assert parse_shorthand("mlp:3-4-2") == [3, 4, 2]
    spec = resolve_network("mlp:3-4-2", activation="tanh", cost="mse", convention="row", bias=False)
    assert spec.widths == (3, 4, 2) and spec.cost == "quadratic" and spec.convention == "row"
    assert all(l.activation == "tanh" and not l.bias for l in spec.layers)
    per_layer = resolve_network("mlp:3-4-2", activation=["relu", "sigmoid"])
    assert [l.activation for l in per_layer.layers] == ["relu", "sigmoid"]


def test_toml(tmp_path: Path) -> None:
    path = tmp_path / "tiny.toml"
    path.write_text(
        'input = 3\ncost = "cross-entropy"\nconvention = "row"\nbatch = 2\n'
        '[[layers]]\nwidth = 4\nactivation = "tanh"\n'
        '[[layers]]\nwidth = 2\nactivation = "softmax"\nbias = false\n',
        encoding="utf-8",
    )
    spec = load_toml(path)
    assert spec.name == "tiny" and spec.widths == (3, 4, 2) and spec.batch == 2
    assert [l.bias for l in spec.layers] == [True, False]
    assert derive.derive(str(path)).verified
    assert spec.reduction == "sum"
    path.write_text(path.read_text(encoding="utf-8").replace("batch = 2\n", 'batch = 2\nreduction = "mean"\n'),
                    encoding="utf-8")
    assert load_toml(path).reduction == "mean"


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: build([3, 0, 2]), "width must be >= 1, not 0"),
        (lambda: build([3, -2, 2]), "width must be >= 1, not -2"),
        (lambda: build([3, 2.5, 2]), "width must be a whole number >= 1, not 2.5"),
        (lambda: build([3]), "need an input width and at least one layer width"),
        (lambda: build([3, 4, 2], activation="mish"), "unknown activation 'mish'; valid choices: sigmoid, tanh"),
        (lambda: build([3, 4, 2], cost="hinge"), "unknown cost 'hinge'; valid choices: quadratic"),
        (lambda: build([3, 4, 2], convention="diagonal"), "unknown convention 'diagonal'; valid choices: column, row"),
        (lambda: build([3, 4, 2], activation=["softmax", "softmax"], cost="cross-entropy"),
         "softmax is only allowed on the output layer"),
        (lambda: build([3, 4, 2], activation="tanh", cost="cross-entropy"),
         "cost 'cross-entropy' needs outputs in"),
        (lambda: build([3, 4, 2], batch=0), "batch must be a whole number of samples >= 1"),
        (lambda: build([3, 1], activation="softmax", cost="cross-entropy"), "softmax needs at least 2 outputs"),
        (lambda: build([3, 4, 2], activation=["tanh"]), "1 values for activation but the network has 2"),
        (lambda: build([100_000, 1000, 10]), f"more than the limit of {MAX_PARAMETERS:,}"),
    ],
)
def test_invalid_specs_name_the_problem(make, message: str) -> None:
    with pytest.raises(DeriveError, match=message.replace("(", r"\(").replace(")", r"\)")) as info:
        make()
    assert "\n" not in str(info.value)


def test_invalid_toml_reports_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("input = 3\n[[layers]\nwidth = 2\n", encoding="utf-8")
    with pytest.raises(DeriveError, match=r"invalid TOML in .*bad.toml.*line 2"):
        load_toml(path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("input = 3\n", "needs at least one [[layers]] table"),
        ("[[layers]]\nwidth = 2\n", "has no 'input'"),
        ("input = 3\nlayer = 2\n[[layers]]\nwidth = 2\n", "unknown key 'layer'"),
        ("input = 3\n[[layers]]\nwidth = 2\nact = 'tanh'\n", "unknown key 'act' in layer 1"),
        ("input = 3\n[[layers]]\nactivation = 'tanh'\n", "layer 1 in .* has no width"),
        ("input = 3\n[notation]\ninput = 'q'\n[[layers]]\nwidth = 2\n", "unknown notation name for input 'q'"),
        ("input = 3\nreduction = 1\n[[layers]]\nwidth = 2\n", "reduction must be one of sum, mean, not 1"),
        ("input = 3\nbatch = 2\nreduction = 'max'\n[[layers]]\nwidth = 2\n",
         "unknown reduction 'max'; valid choices: sum, mean"),
    ],
)
def test_invalid_toml_content(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "spec.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DeriveError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load_toml(path)


def test_missing_and_non_utf8_files(tmp_path: Path) -> None:
    with pytest.raises(DeriveError, match="does not exist"):
        load_toml(tmp_path / "nope.toml")
    path = tmp_path / "latin1.toml"
    path.write_bytes("input = 3 # caf\xe9\n".encode("latin-1"))
    with pytest.raises(DeriveError, match="is not UTF-8 text"):
        load_toml(path)


def test_unknown_network_lists_the_ways_to_name_one() -> None:
    with pytest.raises(DeriveError, match="unknown network 'resnet'; valid choices: two-two-two, l-layer, "
                                          "batched-mlp, softmax-classifier, mlp:WIDTHS"):
        resolve_network("resnet")


def test_shorthand_options_only_apply_to_shorthand() -> None:
    with pytest.raises(DeriveError, match="--activation only apply to an mlp: shorthand"):
        resolve_network("two-two-two", activation="tanh")


def test_specs_are_frozen() -> None:
    spec = derive.example("two-two-two")
    with pytest.raises(AttributeError):
        spec.cost = "cross-entropy"  # type: ignore[misc]
    with pytest.raises(DeriveError, match="network name"):
        NetworkSpec(name="bad name", input_width=2, layers=(Layer(2),))
