"""The four reference networks of ../shared/README.md, exactly as defined there."""

from __future__ import annotations

from .errors import UnknownName
from .notation import Notation
from .spec import Layer, NetworkSpec

EXAMPLES: dict[str, NetworkSpec] = {
    "two-two-two": NetworkSpec(
        name="two-two-two",
        input_width=2,
        layers=(Layer(2, "sigmoid", bias=False), Layer(2, "sigmoid", bias=False)),
        cost="quadratic",
        convention="column",
        notation=Notation(output="yhat"),
        scalar_view=True,
        description="2-2-2 sigmoid network without biases, neurons numbered 1-6, quadratic cost",
    ),
    "l-layer": NetworkSpec(
        name="l-layer",
        input_width=3,
        layers=(Layer(4, "sigmoid"), Layer(2, "sigmoid")),
        cost="quadratic",
        convention="column",
        general=True,
        instances=((2, 3, 2, 2), (784, 30, 10)),
        description="general L-layer fully connected sigmoid network, column convention, symbolic L",
    ),
    "batched-mlp": NetworkSpec(
        name="batched-mlp",
        input_width=4,
        layers=(Layer(5, "sigmoid"), Layer(3, "sigmoid")),
        cost="quadratic",
        convention="row",
        batch=3,
        notation=Notation(input="X", target="T", preact="Z", act="H", delta=None, cost="L", layer_index="sub"),
        description="batched two-layer sigmoid network, row convention, n samples as rows",
    ),
    "softmax-classifier": NetworkSpec(
        name="softmax-classifier",
        input_width=4,
        layers=(Layer(3, "sigmoid"), Layer(3, "softmax")),
        cost="cross-entropy",
        convention="row",
        normalize_input=True,
        notation=Notation(output="yhat", delta=None, layer_index="sub"),
        description="standardised input, sigmoid layer, softmax output, cross-entropy, row convention",
    ),
}


def example(name: str) -> NetworkSpec:
    if name not in EXAMPLES:
        raise UnknownName("example", name, EXAMPLES)
    return EXAMPLES[name]
