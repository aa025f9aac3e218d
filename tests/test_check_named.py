r"""derive check on Mazur-style names: neurons named in the map (`[neurons]`), one neuron's quantity
written `out_{h1}` (`index = "named"`), numbered weights (`[weights] w1 = "i1 -> h1"`), a layer's shared
bias (`index = "shared"`), a cost named with its subscript (`E_total`) and one output's term `E_{o1}`.

Each key is read on small posts whose verdicts follow from the network (every correct instance is
true mathematics on the 2-2-2 sigmoid network, every wrong one differs from it; the red-team posts'
verify_mazur.py checks the same formulas with NumPy), and each bad map is refused with one line
naming the problem and the valid choices, exit 2.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from derive.api import resolve_network
from derive.check import check_text
from derive.check.notation import NotationMap, parse_toml
from derive.cli import main
from derive.errors import DeriveError

NEURONS = '[neurons]\ni = 0\nh = 1\no = 2\n'
WEIGHTS = """[weights]
w1 = "i1 -> h1"
w2 = "i2 -> h1"
w3 = "i1 -> h2"
w4 = "i2 -> h2"
w5 = "h1 -> o1"
w6 = "h2 -> o1"
w7 = "h1 -> o2"
w8 = "h2 -> o2"
"""
SYMBOLS = """[symbols]
E_total = "cost"
E = { role = "cost", index = "named" }
net = { role = "preactivation", index = "named" }
out = { role = "activation", index = "named" }
target = { role = "target", index = "named" }
delta = { role = "error", index = "named" }
b = { role = "bias", index = "shared" }
eta = "learning-rate"
wplus = "updated"
i = "input"
"""
MAZUR_MAP = NEURONS + WEIGHTS + SYMBOLS
NET = resolve_network("mlp:2-2-2")  # sigmoid, quadratic cost, biases
NO_BIAS = resolve_network("two-two-two")


def verdicts(post: str, net=NET, notation: str = MAZUR_MAP) -> list[tuple[str, str]]:
    text = f"```derive-notation\n{notation}```\n\n{post}"
    report = check_text(text, net)
    return [(link.verdict, "".join(link.text.split())) for st in report.statements for link in st.links]


def verdict(formula: str, net=NET, notation: str = MAZUR_MAP) -> str:
    found = verdicts(f"$${formula}$$\n", net, notation)
    assert len(found) == 1, found
    return found[0][0]


# ----------------------------------------------------------------------------------------------
# The keys, read
# ----------------------------------------------------------------------------------------------

def test_neurons_by_layer_letter_and_one_by_one() -> None:
    nmap = NotationMap().merged(parse_toml('[neurons]\nh = 1\ntop = { layer = 2, neuron = 2 }\n', "m"), "m")
    assert nmap.neuron("h2") == (1, 2) and nmap.neuron("top") == (2, 2)
    assert nmap.neuron("x1") is None and nmap.neuron("top1") is None


def test_neuron_layers_follow_the_post_numbering() -> None:
    nmap = NotationMap().merged({"layer_offset": 1, "neurons": {"h": 2}}, "m")
    assert nmap.neuron("h1") == (1, 1)  # the post's layer 2 is derive's layer 1 when its input is layer 1


def test_weights_name_their_pair() -> None:
    nmap = NotationMap().merged(parse_toml(NEURONS + '[weights]\nw1 = "i1 -> h1"\nw9 = "h2→o1"\n', "m"), "m")
    assert nmap.weights == {"w1": ("i1", "h1"), "w9": ("h2", "o1")}


def test_multi_letter_names_are_words_only_where_the_map_binds_them() -> None:
    nmap = NotationMap().merged(parse_toml(SYMBOLS, "m"), "m")
    assert nmap.words() == {"net", "out", "target", "wplus"}  # not E_total, nor \delta and \eta (written as commands)
    decorated = NotationMap().merged({"symbols": {"yhat": "output", "calL": "cost", "tanh": "tanh"}}, "m")
    assert decorated.words() == frozenset()


@pytest.mark.parametrize("formula", [
    r"net_{h1} = w_1 * i_1 + w_2 * i_2",                       # numbered weights, * a scalar product
    r"out_{h1} = \frac{1}{1+e^{-net_{h1}}}",
    r"\frac{\partial E_{total}}{\partial w_{5}} = \frac{\partial E_{total}}{\partial out_{o1}} * "
    r"\frac{\partial out_{o1}}{\partial net_{o1}} * \frac{\partial net_{o1}}{\partial w_{5}}",
    r"\frac{\partial E_{total}}{\partial out_{o1}} = -(target_{o1} - out_{o1})",
    r"\delta_{o1} = -(target_{o1} - out_{o1}) * out_{o1}(1 - out_{o1})",
    r"\frac{\partial E_{total}}{\partial out_{h1}} = \delta_{o1} * w_5 + \delta_{o2} * w_7",
    r"E_{total} = E_{o1} + E_{o2}",
    r"E_{o2} = \frac{1}{2}(target_{o2} - out_{o2})^2",
    r"\frac{\partial E_{o1}}{\partial out_{h1}} = \delta_{o1} * w_5",
    r"\frac{\partial E_{o1}}{\partial out_{o2}} = 0",
    r"\frac{\partial net_{h2}}{\partial w4} = i_2",                # a weight glued to its number
    r"\frac{\partial E_{total}}{\partial net_{h1}} = \delta_{h1}",
    r"out_{h_1} = \frac{1}{1+e^{-net_{h_1}}}",                    # h_1 in the subscript
], ids=lambda f: f[:40])
def test_mazur_formulas_correct(formula: str) -> None:
    assert verdict(formula, NO_BIAS) == "correct"


@pytest.mark.parametrize("formula", [
    r"\frac{\partial E_{total}}{\partial w_{7}} = -(target_{o2} - out_{o2}) * out_{o2}(1 - out_{o2}) * out_{h2}",
    r"\frac{\partial net_{o1}}{\partial out_{h1}} = w_6",
    r"net_{h2} = w_2 * i_1 + w_4 * i_2",
    r"E_{total} = E_{o1}",
    r"\frac{\partial E_{o1}}{\partial out_{h1}} = \delta_{o2} * w_7",
    r"\frac{\partial out_{h1}}{\partial net_{h1}} = net_{h1}(1 - net_{h1})",
    r"\frac{\partial E_{total}}{\partial out_{o1}} = target_{o1} - out_{o1}",
], ids=lambda f: f[:40])
def test_mazur_mistakes_wrong(formula: str) -> None:
    assert verdict(formula, NO_BIAS) == "wrong"


@pytest.mark.parametrize("formula", [
    r"b_1 = b_2",                                                # a shared bias alone is only a given
    r"w_5^{+} = w_5 + \eta * \frac{\partial E_{total}}{\partial w_5}",  # symbolic η: judged only exactly
    r"b_1^{+} = b_1",                                            # bplus is not bound
    r"target_{h1} = 1",                                          # h1 is not an output
    r"net_{i1} = 1",                                             # an input has no net input
    r"out_{x1} = 1",                                             # a neuron the map does not name
    r"E_{h1} = 1",                                               # the cost of a hidden neuron
], ids=lambda f: f[:40])
def test_mazur_unreadable_not_checked(formula: str) -> None:
    assert verdict(formula) == "not checked"


@pytest.mark.parametrize("formula, expected", [
    (r"net_{h1} = w_1 * i_1 + w_2 * i_2 + b_1 * 1", "correct"),     # b_1 is both hidden neurons' bias
    (r"net_{h2} = w_3 * i_1 + w_4 * i_2 + b_1", "correct"),
    (r"net_{o2} = w_7 * out_{h1} + w_8 * out_{h2} + b_2", "correct"),
    (r"\frac{\partial E_{total}}{\partial b_1} = \delta_{h1} + \delta_{h2}", "correct"),  # a sum over its neurons
    (r"\frac{\partial E_{total}}{\partial b_2} = \delta_{o1} + \delta_{o2}", "correct"),
    (r"\frac{\partial net_{h2}}{\partial b_1} = 1", "correct"),
    (r"net_{h1} = w_1 * i_1 + w_2 * i_2", "wrong"),                 # the bias left out
    (r"net_{h2} = w_3 * i_1 + w_4 * i_2 + b_2", "wrong"),           # the other layer's bias
    (r"\frac{\partial E_{total}}{\partial b_1} = \delta_{h1}", "wrong"),   # one neuron's share only
    (r"\frac{\partial E_{total}}{\partial b_2} = \delta_{h1} + \delta_{h2}", "wrong"),
], ids=lambda f: f[:40] if isinstance(f, str) and len(f) > 8 else None)
def test_shared_bias_judged_on_the_network_with_tied_biases(formula: str, expected: str) -> None:
    # every bias of a layer equal (Mazur's network), so ∂E/∂b_1 is the sum of the layer's ∂E/∂b_k
    assert verdict(formula) == expected


def test_shared_bias_ties_only_posts_that_say_so() -> None:
    own = MAZUR_MAP.replace('b = { role = "bias", index = "shared" }', 'b = { role = "bias", index = "named" }')
    assert verdict(r"net_{h2} = w_3 * i_1 + w_4 * i_2 + b_{h2}", notation=own) == "correct"
    assert verdict(r"net_{h2} = w_3 * i_1 + w_4 * i_2 + b_{h1}", notation=own) == "wrong"


def test_shared_bias_is_a_worked_examples_given() -> None:
    givens = r"""$i_1 = 0.05$, $i_2 = 0.10$, $target_{o1} = 0.01$, $target_{o2} = 0.99$

$w_1 = 0.15$, $w_2 = 0.20$, $w_3 = 0.25$, $w_4 = 0.30$, $b_1 = 0.35$

$w_5 = 0.40$, $w_6 = 0.45$, $w_7 = 0.50$, $w_8 = 0.55$, $b_2 = 0.60$

"""
    found = verdicts(givens + "$$net_{h1} = 0.3775$$\n\n$$out_{o2} = 0.772928465$$\n\n$$E_{total} = 0.298371109$$\n\n"
                     r"$$\frac{\partial E_{o2}}{\partial out_{h1}} = -0.019049119$$" "\n\n"
                     "$$net_{h2} = 0.3925$$\n\n$$net_{o1} = 1.105905967$$\n\n$$out_{h2} = 0.59688$$\n")
    assert [v for v, _ in found[:14]] == ["correct"] * 14  # the givens
    assert found[14:] == [("correct", "0.3775"), ("correct", "0.772928465"), ("correct", "0.298371109"),
                          ("correct", "-0.019049119"), ("correct", "0.3925"), ("correct", "1.105905967"),
                          ("correct", "0.59688")]
    mistyped = verdicts(givens + "$$net_{h2} = 0.3775$$\n\n$$out_{o1} = 0.772928465$$\n")
    assert [v for v, _ in mistyped[14:]] == ["wrong", "wrong"]


def test_updated_weight_is_one_step_of_gradient_descent() -> None:
    givens = "$i_1 = 0.05$, $i_2 = 0.10$, $target_{o1} = 0.01$, $target_{o2} = 0.99$, $b_1 = 0.35$, $b_2 = 0.60$\n\n"
    givens += "".join(f"$w_{k} = {v}$\n\n" for k, v in enumerate((0.15, 0.2, 0.25, 0.3, 0.4, 0.45, 0.5, 0.55), 1))
    found = verdicts(givens + "$$w_6^{+} = 0.408666186$$\n\n$$\\eta = 0.5$$\n\n$$w_6^{+} = 0.408666186$$\n\n"
                     "$$w_7^+ = 0.48869873$$\n\n"
                     r"$$w_6^+ = w_6 - \eta * \frac{\partial E_{total}}{\partial w_6}$$")
    # before η is given its number is not checked; then Mazur's w_6^+ is correct, w_7^+ with the sign dropped wrong
    assert [v for v, _ in found[14:]] == ["not checked", "correct", "correct", "wrong", "correct"], found[14:]


def test_updated_weight_of_a_cost_without_the_half_not_checked() -> None:
    givens = "$i_1 = 0.05$, $i_2 = 0.10$, $target_{o1} = 0.01$, $target_{o2} = 0.99$, $b_1 = 0.35$, $b_2 = 0.60$\n\n"
    givens += "".join(f"$w_{k} = {v}$\n\n" for k, v in enumerate((0.15, 0.2, 0.25, 0.3, 0.4, 0.45, 0.5, 0.55), 1))
    own = r"$$E_{total} = (target_{o1} - out_{o1})^{2} + (target_{o2} - out_{o2})^{2}$$" "\n\n"
    found = verdicts(givens + own + "$$\\eta = 0.5$$\n\n$$w_6^{+} = 0.408666186$$\n\n$$w_6^{+} = 0.4173$$\n")
    assert [v for v, _ in found[-2:]] == ["not checked", "not checked"], found[-3:]


def test_plus_superscript_is_part_of_the_name() -> None:
    from derive.check.parser import parse_chain

    for text in (r"w_5^{+}", r"w_5^+"):
        sym = parse_chain(text)[0][1].value
        assert (sym.name, sym.sup) == ("wplus", None)
    assert parse_chain(r"x^{+1}")[0][1].value.name == "x"  # a signed exponent stays one


def test_updated_needs_the_plus_and_one_learning_rate() -> None:
    assert verdict(r"W^2 = W^2", notation='[symbols]\nW = "updated"\n') == "not checked"
    two = MAZUR_MAP + 'alpha = "learning-rate"\n'
    assert verdict(r"w_6^+ = w_6 - \eta * \frac{\partial E_{total}}{\partial w_6}", notation=two) == "not checked"


@pytest.mark.parametrize("definition", [r"E_{o1} = (target_{o1} - out_{o1})^{2}",
                                        r"E_{total} = (target_{o1} - out_{o1})^{2} + (target_{o2} - out_{o2})^{2}"],
                         ids=["share", "total"])
def test_cost_without_the_half_is_the_posts_own(definition: str) -> None:
    # a post whose E_{o1} or E_{total} has no ½ uses its own cost: what depends on the factor is not judged
    found = verdicts(f"$${definition}$$\n\n"
                     r"$$\frac{\partial E_{total}}{\partial out_{o1}} = -2(target_{o1} - out_{o1})$$" "\n\n"
                     r"$$\frac{\partial E_{total}}{\partial out_{o1}} = -(target_{o1} - out_{o1})$$" "\n\n"
                     r"$$\delta_{o1} = -(target_{o1} - out_{o1}) * out_{o1}(1 - out_{o1})$$" "\n\n"
                     r"$$\frac{\partial out_{o1}}{\partial net_{o1}} = out_{o1}(1 - out_{o1})$$", NO_BIAS)
    assert [v for v, _ in found] == ["not checked"] * 4 + ["correct"], found


def test_shared_bias_given_twice_differently_stops_the_numbers() -> None:
    found = verdicts("$b_1 = 0.35$\n\n$b_1 = 0.40$\n")
    assert found[0][0] == "correct" and found[1][0] == "not checked"


def test_named_neurons_on_a_general_derivation_are_not_checked() -> None:
    assert verdict(r"out_{h1} = \frac{1}{1+e^{-net_{h1}}}", "l-layer") == "not checked"


def test_cost_share_only_for_the_quadratic_cost() -> None:
    bce = resolve_network("mlp:2-2-2", cost="binary-cross-entropy")
    assert verdict(r"E_{total} = E_{o1} + E_{o2}", bce) == "not checked"


# ----------------------------------------------------------------------------------------------
# Refusals: one line naming the problem and the valid choices, exit 2
# ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("table, words", [
    ('[neurons]\ni = 0\nh = 1\n[weights]\nw1 = "i1 -> q1"\n', ["unknown neuron in weight w1", "'q1'",
                                                              "valid choices: h1, h2, …, i1, i2, …"]),
    ('[weights]\nw1 = "i1 -> h1"\n', ["unknown neuron in weight w1", "name the neurons in [neurons]"]),
    ('[neurons]\ni = 0\no = 2\n[weights]\nw1 = "i1 -> o1"\n', ["joins i1 (layer 0) to o1 (layer 2)",
                                                               "to one in the next layer"]),
    ('[neurons]\ni = 0\nh = 1\n[weights]\nw1 = "i1 to h1"\n', ["weight w1", '"FROM -> TO"', "'i1 to h1'"]),
    ('[neurons]\nh1 = 1\n', ["neuron h1", "h1 = { layer = N, neuron = K }", "a letter alone names a layer"]),
    ('[neurons]\nh = "hidden"\n', ["the layer of neuron h", "layer number", "'hidden'"]),
    ('[neurons]\ntop = { layer = 1 }\n', ["neuron top", "{ layer = N, neuron = K }"]),
    ('[neurons]\ntop = { layer = 1, neuron = 0 }\n', ["the neuron of neuron top", "a number from 1"]),
    ('[neurons]\nh = 1\ntop = { layer = 1, neuron = 3 }\n', ["neuron top", "neuron 3 of layer 1", "2 neurons"]),
    ('[neurons]\nh = 5\n', ["neuron h", "layer 5", "layers are 0 to 2"]),
    ('neurons = 3\n', ["'neurons'", "must be a table"]),
    ('[symbols]\nout = { role = "activation", index = "names" }\n', ["index of out", "'names'", "named, shared"]),
], ids=["unknown-neuron", "no-neurons", "non-adjacent", "bad-string", "numbered-name-as-layer", "layer-not-number",
        "table-missing-neuron", "neuron-zero", "neuron-past-width", "layer-past-depth", "not-a-table",
        "unknown-index"])
def test_bad_named_maps_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str], table: str,
                                words: list[str]) -> None:
    post = tmp_path / "post.md"
    post.write_text("$$net_{h1} = w_1 * i_1$$\n", encoding="utf-8")
    notation = tmp_path / "map.toml"
    notation.write_text(table, encoding="utf-8")
    code = main(["check", str(post), "--net", "mlp:2-2-2", "--notation", str(notation)])
    out, err = capsys.readouterr()
    assert code == 2 and out == "", (code, out, err)
    assert err.count("\n") == 1 and err.startswith("derive: error: ") and "Traceback" not in err, err
    for word in words:
        assert word in err, (word, err)


def test_bad_neuron_table_is_a_derive_error() -> None:
    with pytest.raises(DeriveError, match="must be a table"):
        NotationMap().merged({"weights": ["w1"]}, "m")
