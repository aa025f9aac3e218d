"""derive check --suggest-notation: a starting notation map read from a post's descriptions and
forward pass, never from the derivative claims it checks.

The real posts of the development set (tests/realposts/devset) each get a test naming the roles
their suggestion must find and the roles their notation has (from NAME.notation.txt): a suggestion
that binds a symbol to another role fails. Small synthetic posts, in English and Chinese, test each
kind of reading on its own.
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from derive.api import resolve_network
from derive.check.api import read_text, suggest_file
from derive.check.notation import default_map, parse_toml
from derive.check.suggest import suggest_notation
from derive.cli import main

ROOT = Path(__file__).resolve().parent.parent
DEVSET = ROOT / "tests" / "realposts" / "devset"


def suggestion(tmp_path: Path, text: str, net: str = "l-layer", name: str = "post.md") -> str:
    post = tmp_path / name
    post.write_text(text, encoding="utf-8")
    return suggest_file(post, net)


def symbols(text: str) -> dict[str, Any]:
    return parse_toml(text, "suggestion").get("symbols", {})


def role(value: Any) -> str:
    return value if isinstance(value, str) else value["role"]


def questions(text: str) -> dict[str, str]:
    """The questions of a suggestion: name -> the rest of its line."""
    return {m.group(1): m.group(0) for m in re.finditer(r"^# \? ([A-Za-z_]+)\b.*$", text, re.M)}


def devset_suggestion(name: str) -> str:
    nets = json.loads((DEVSET / "nets.json").read_text(encoding="utf-8"))
    net = nets[f"{name}.md"][1]
    return suggest_file(DEVSET / f"{name}.md", str(DEVSET / net) if net.endswith(".toml") else net)


# ----------------------------------------------------------------------------------------------
# The real posts: what each suggestion must find, and the notation each post has
# ----------------------------------------------------------------------------------------------

#: post -> (symbols it must bind: name -> role or a table's keys, top-level keys it must set,
#:          every role each symbol may have in that post (from NAME.notation.txt), keys it may set)
REAL = {
    "ahammad_ng_backward": (
        {"calL": {"role": "cost", "reduction": "mean"}, "A": "activation", "W": "weight", "z": "preactivation",
         "b": "bias", "Y": "target", "m": "batch", "n": "width", "Softmax": "softmax", "ReLU": "relu"},
        {"gradient_prefix": "d"},
        {"W": {"weight"}, "b": {"bias"}, "z": {"preactivation"}, "A": {"activation"}, "X": {"input"},
         "Y": {"target"}, "calL": {"cost"}, "m": {"batch"}, "n": {"width"}, "ReLU": {"relu"},
         "Softmax": {"softmax"}},
        {"gradient_prefix", "layer_index"}),
    "notes_version1": (
        {"yhat": "target", "C": "cost", "W": "weight", "a": "activation", "z": "preactivation", "b": "bias",
         "sigma": "sigmoid", "g": "activation-function"},
        {},
        {"W": {"weight"}, "w": {"weight"}, "b": {"bias"}, "z": {"preactivation"}, "a": {"activation"},
         "delta": {"error"}, "sigma": {"sigmoid"}, "g": {"activation-function"}, "C": {"cost"}, "L": {"cost"},
         "y": {"target"}, "yhat": {"target"}, "alpha": {"learning-rate"}, "n": {"width"}},
        {"layer_index"}),
    "obsidian_vec_kronecker": (
        {"L": "cost", "calL": "cost", "f": "activation-function", "W": "weight", "z": "preactivation",
         "a": "activation", "b": "bias", "y": "target", "n": "width"},
        {},
        {"W": {"weight"}, "b": {"bias"}, "z": {"preactivation"}, "a": {"activation"}, "delta": {"error"},
         "f": {"activation-function"}, "L": {"cost"}, "calL": {"cost"}, "y": {"target"}, "J": {"jacobian"},
         "I": {"identity-matrix"}, "n": {"width"}},
        {"layer_index"}),
    "talwar_softmax_cs231n": (
        {"X": "input", "W": "weight", "b": "bias", "Z": "preactivation", "O": "activation",
         "S": {"role": "preactivation", "layer": 2}, "f": "activation-function", "L": "cost", "y": "label"},
        {"layer_index": "sub"},
        {"X": {"input"}, "W": {"weight"}, "b": {"bias"}, "Z": {"preactivation"}, "O": {"activation"},
         "S": {"preactivation"}, "f": {"relu", "activation-function"}, "L": {"cost"}, "y": {"label"}},
        {"layer_index"}),
    "wzx_shallow_nn_jekyll": (
        {"J": {"role": "cost", "reduction": "mean"}, "m": "batch", "n": "width", "X": "input", "W": "weight",
         "Z": "preactivation", "A": "activation", "y": {"role": "target", "one_sample": True}, "L": "cost",
         "yhat": {"role": "output", "one_sample": True}},
        {},
        {"X": {"input"}, "x": {"input"}, "Y": {"target"}, "y": {"target"}, "W": {"weight"}, "w": {"weight"},
         "b": {"bias"}, "Z": {"preactivation"}, "A": {"activation"}, "z": {"preactivation"},
         "a": {"activation", "output"}, "yhat": {"activation", "output"}, "L": {"cost"}, "J": {"cost"},
         "m": {"batch"}, "n": {"width"}},
        {"layer_index"}),
    "yinhangfeng_bp_proof": (
        {"w": "weight", "z": "preactivation", "a": "activation", "b": "bias", "C": "cost", "y": "target",
         "sigma": "sigmoid", "delta": "error"},
        {"layer_offset": 1},
        {"w": {"weight"}, "b": {"bias"}, "z": {"preactivation"}, "a": {"activation"}, "delta": {"error"},
         "sigma": {"sigmoid"}, "C": {"cost"}, "y": {"target"}},
        {"layer_offset", "layer_index"}),
    "zxrobot_lenet_fc": (
        {"W": "weight", "z": "preactivation", "a": "activation", "b": "bias", "C": "cost", "y": "target",
         "sigma": "sigmoid", "delta": "error"},
        {},
        {"W": {"weight"}, "w": {"weight"}, "b": {"bias"}, "z": {"preactivation"}, "a": {"activation"},
         "delta": {"error"}, "sigma": {"sigmoid"}, "C": {"cost"}, "y": {"target"}, "eta": {"learning-rate"}},
        {"layer_index"}),
}


@pytest.fixture(scope="module", params=sorted(REAL))
def real(request: pytest.FixtureRequest) -> tuple[str, str]:
    return request.param, devset_suggestion(request.param)


def test_real_post_roles_found(real: tuple[str, str]) -> None:
    name, text = real
    must, keys, _, _ = REAL[name]
    data = parse_toml(text, name)
    found = data.get("symbols", {})
    for symbol, wanted in must.items():
        assert symbol in found, f"{name}: {symbol} not bound\n{text}"
        if isinstance(wanted, str):
            assert role(found[symbol]) == wanted, f"{name}: {symbol} = {found[symbol]}\n{text}"
        else:
            got = found[symbol] if isinstance(found[symbol], dict) else {"role": found[symbol]}
            assert {k: got.get(k) for k in wanted} == wanted, f"{name}: {symbol} = {found[symbol]}\n{text}"
    for key, value in keys.items():
        assert data.get(key) == value, f"{name}: {key} = {data.get(key)!r}\n{text}"


def test_real_post_nothing_bound_to_a_wrong_role(real: tuple[str, str]) -> None:
    name, text = real
    _, _, truth, allowed_keys = REAL[name]
    data = parse_toml(text, name)
    for symbol, value in data.get("symbols", {}).items():
        assert symbol in truth and role(value) in truth[symbol], f"{name}: {symbol} = {value}\n{text}"
    assert set(data) - {"symbols"} <= allowed_keys, f"{name}: {sorted(data)}\n{text}"


def test_real_post_map_merges(real: tuple[str, str]) -> None:
    name, text = real
    nets = json.loads((DEVSET / "nets.json").read_text(encoding="utf-8"))
    net = nets[f"{name}.md"][1]
    spec = resolve_network(str(DEVSET / net) if net.endswith(".toml") else net)
    merged = default_map(spec).merged(parse_toml(text, name), name)
    assert merged.sources[-1] == name


def test_real_post_every_line_says_where(real: tuple[str, str]) -> None:
    name, text = real
    for line in text.splitlines():
        if line.strip() and not line.startswith("#") and line != "[symbols]":
            assert re.search(r' # line \d+: "', line), f"{name}: {line}"


def test_real_post_questions_instead_of_guesses() -> None:
    """w beside W in zxrobot's claims only, Y beside y in wzx's: asked, never bound."""
    zx = devset_suggestion("zxrobot_lenet_fc")
    assert "w" not in symbols(zx) and 'w = "weight"' in questions(zx)["w"]
    wzx = devset_suggestion("wzx_shallow_nn_jekyll")
    assert "Y" not in symbols(wzx) and 'Y = "target"' in questions(wzx)["Y"]
    notes = devset_suggestion("notes_version1")  # ∂L/∂w in the Summary; L is the depth by default
    assert "L" not in symbols(notes) and 'L = "cost"' in questions(notes)["L"]
    obsidian = devset_suggestion("obsidian_vec_kronecker")
    assert 'I = "identity-matrix"' in questions(obsidian)["I"] and 'J = "jacobian"' in questions(obsidian)["J"]
    assert "I" not in symbols(obsidian) and "J" not in symbols(obsidian) and "A" not in symbols(obsidian)


OWN_POSTS = sorted(p for p in (ROOT / "output").glob("*/*") if p.name.endswith((".hugo.en.md", ".latex.zh.tex")))


@pytest.mark.parametrize("post", OWN_POSTS, ids=lambda p: p.name)
def test_own_posts_stay_correct_with_their_suggestion(post: Path, tmp_path: Path) -> None:
    """derive's own posts (its notation, scalar and matrix views, x̂, ŷ, the sum) read with their
    suggested map: every formula still correct, nothing left unchecked."""
    from derive.check import check_file

    net = post.parent.name
    map_file = tmp_path / "map.toml"
    map_file.write_text(suggest_file(post, net), encoding="utf-8")
    report = check_file(post, net, notation=map_file)
    assert report.counts["wrong"] == 0 and report.counts["not checked"] == 0, report.counts
    assert report.counts["correct"] >= 20


def test_own_notation_keeps_its_keys(tmp_path: Path) -> None:
    """The 2-2-2 post's a_3 is neuron 3 (derive's scalar view): the suggestion keeps index = "neuron"
    and reads no layer from the number; x̂ stays the standardised input."""
    two = symbols(suggest_file(ROOT / "output" / "two-two-two" / "two-two-two.hugo.en.md", "two-two-two"))
    assert two["a"] == {"role": "activation", "index": "neuron"} and two["yhat"] == "output"
    soft = symbols(suggest_file(ROOT / "output" / "softmax-classifier" / "softmax-classifier.hugo.en.md",
                                "softmax-classifier"))
    assert soft["xhat"] == "normalized-input"


# ----------------------------------------------------------------------------------------------
# Descriptions: tables, lists, sentences (English and Chinese)
# ----------------------------------------------------------------------------------------------

TABLE_EN = r"""| symbol | meaning |
|---|---|
| $W^{[l]}$ | weight matrix of layer l |
| $b^{[l]}$ | bias vector of layer l |
| $h^{[l]}$ | activation of layer l |
| $u^{[l]}$ | weighted input of layer l |
| $E$ | the cost |
| $t$ | the target |
| $\eta$ | learning rate |
"""


def test_table_en(tmp_path: Path) -> None:
    text = suggestion(tmp_path, TABLE_EN)
    assert symbols(text) == {"W": "weight", "b": "bias", "h": "activation", "u": "preactivation", "E": "cost",
                             "t": "target", "eta": "learning-rate"}
    assert re.search(r'^W = "weight" +# line 3: "W\^\{\[l\]\} \| weight matrix of layer l"', text, re.M), text


LIST_EN = r"""Notation:

- $z^l$: the weighted input of layer $l$
- $\phi$: the activation function, applied as $a^l = \phi(z^l)$
- $E$ denotes the loss

where $a^l$ is the activation and the learning rate $\alpha$ scales each step.
$W$ and $b$ are the weights and biases.
"""


def test_list_and_sentences_en(tmp_path: Path) -> None:
    text = suggestion(tmp_path, LIST_EN)
    found = symbols(text)
    assert {k: found[k] for k in ("z", "phi", "E", "a", "alpha")} == {
        "z": "preactivation", "phi": "activation-function", "E": "cost", "a": "activation", "alpha": "learning-rate"}
    # "W and b are the weights and biases": which word is b's? Asked, not guessed.
    assert "b" not in found and "W" not in found and '"weight" or "bias"' in questions(text)["b"]


ZH = r"""其中 $W^l$ 为权重矩阵，$b^l$ 为偏置，$h^l$ 表示激活值，$E$ 是损失函数，$\eta$ 为学习率，$t$ 为真实值（标签）。

| 符号 | 含义 |
|---|---|
| $u^l$ | 第 l 层的加权输入 |

第$l$层第$j$个神经元的误差记为 $\delta_j^l$，$\hat y$ 表示预测值。m 个样本按列排成矩阵。
"""


def test_sentences_and_table_zh(tmp_path: Path) -> None:
    found = symbols(suggestion(tmp_path, ZH))
    assert found == {"W": "weight", "b": "bias", "h": "activation", "E": "cost", "eta": "learning-rate",
                     "t": "target", "u": "preactivation", "delta": "error", "yhat": "output", "m": "batch"}


def test_words_that_need_a_layer_are_asked(tmp_path: Path) -> None:
    """"the output of the hidden layer" is an activation; "the input of layer l" is asked about;
    "the error e" (no layer anywhere) may be a − y rather than δ^l: asked."""
    text = suggestion(tmp_path, "Let $o$ be the output of the hidden layer, $v$ the input of layer $l$ and "
                                "$e$ the error.\n")
    assert symbols(text) == {"o": "activation"}
    assert {"v", "e"} <= set(questions(text))


def test_words_and_formula_disagree(tmp_path: Path) -> None:
    """The words call h the weighted input, the forward pass applies σ to get it: asked, not bound."""
    text = suggestion(tmp_path, "- $h^l$: the weighted input\n\n$$h^l = \\sigma(u^l)$$\n")
    assert "h" not in symbols(text) and '"preactivation"' in questions(text)["h"] and '"activation"' in \
        questions(text)["h"]


def test_the_posts_own_block_is_not_repeated(tmp_path: Path) -> None:
    text = suggestion(tmp_path, "```derive-notation\n[symbols]\nh = \"activation\"\n```\n"
                                "- $h^l$: the activation\n- $u^l$: the weighted input\n")
    assert symbols(text) == {"u": "preactivation"} and "h" not in questions(text)


def test_ordinal_is_no_count(tmp_path: Path) -> None:
    """第 $j$ 个神经元 is neuron j, not a number of neurons; "$n_1$ 个节点" is one."""
    found = symbols(suggestion(tmp_path, "第$j$个神经元的输出；隐藏层有 $n_1$ 个节点。\n"))
    assert found == {"n": "width"}


def test_words_before_a_display_do_not_describe_its_left_side(tmp_path: Path) -> None:
    """"…flows back through the weights:" describes the formula that follows, not its q; "The
    error is $$r = …$$" defines r."""
    text = suggestion(tmp_path, "and it flows back through the weights:\n$$q^l = (W^{l+1})^T q^{l+1}$$\n"
                                "The error is $$r^l = 2 s^l$$\n")
    assert symbols(text) == {"r": "error"}


def test_mean_squared_error_is_no_mean(tmp_path: Path) -> None:
    text = suggestion(tmp_path, "The cost is the mean squared error:\n$$E = \\frac{1}{2}\\|a^L - t\\|^2$$\n",
                      net="batched-mlp")
    assert symbols(text)["E"] == "cost" and "reduction" not in text


# ----------------------------------------------------------------------------------------------
# Forward-pass definitions
# ----------------------------------------------------------------------------------------------

ONE_LETTER = r"""$$t = W_1 x + b_1$$
$$h = \sigma(t)$$
$$\theta = W_2 h + b_2$$
$$\hat y = \operatorname{softmax}(\theta)$$
$$L = -\sum_k y_k \log \hat y_k$$
The gradient is $\frac{\partial L}{\partial \theta} = \hat y - y$.
"""


def test_one_letter_per_layer(tmp_path: Path) -> None:
    post = tmp_path / "post.md"
    post.write_text(ONE_LETTER, encoding="utf-8")
    spec = resolve_network("mlp:3-4-2", activation="sigmoid", output_activation="softmax", cost="cross-entropy")
    text = suggest_file(post, spec)
    data = parse_toml(text, "post")
    assert data["layer_index"] == "sub"
    assert data["symbols"] == {
        "W": "weight", "b": "bias", "x": "input", "t": {"role": "preactivation", "layer": 1},
        "h": {"role": "activation", "layer": 1}, "sigma": "sigmoid", "theta": {"role": "preactivation", "layer": 2},
        "softmax": "softmax", "yhat": "output", "L": "cost", "y": "target"}


NG = r"""Forward pass for $m$ examples stacked as columns:
$$Z^{[l]} = W^{[l]} A^{[l-1]} + b^{[l]}$$
$$A^{[l]} = g^{[l]}(Z^{[l]})$$
$$A^{[0]} = X$$
The cost:
$$J = -\frac{1}{m} \sum_{i=1}^{m} \sum_k Y_k^{(i)} \log A_k^{[L](i)}$$
Backward:
$$dZ^{[L]} = A^{[L]} - Y$$
$$dW^{[l]} = \frac{1}{m} dZ^{[l]} A^{[l-1]T}$$
"""


def test_andrew_ng(tmp_path: Path) -> None:
    post = tmp_path / "ng.md"
    post.write_text(NG, encoding="utf-8")
    text = suggest_file(post, resolve_network("mlp:3-4-2", activation="relu", batch=4))
    data = parse_toml(text, "ng")
    assert data["gradient_prefix"] == "d" and data["layer_index"] == "super"
    assert data["symbols"] == {"m": "batch", "A": "activation", "W": "weight", "Z": "preactivation", "b": "bias",
                               "g": "activation-function", "X": "input", "Y": "target",
                               "J": {"role": "cost", "reduction": "mean"}}
    assert "# Layers are written in brackets, [l]" in text and "# The input is layer 0" in text


def test_mean_read_from_words_only_with_a_batch(tmp_path: Path) -> None:
    post = "The cost averages the losses over the batch:\n$$E = -\\sum_k t_k \\log a^L_k$$\n"
    assert symbols(suggestion(tmp_path, post, net="batched-mlp"))["E"] == {"role": "cost", "reduction": "mean"}
    assert symbols(suggestion(tmp_path, post, net="l-layer"))["E"] == "cost"


def test_nielsen_input_is_layer_one(tmp_path: Path) -> None:
    text = suggestion(tmp_path, "The input layer is layer 1: $a^1 = x$. For $l = 2, \\dots, L$:\n"
                                "$$z^l = w^l a^{l-1} + b^l, \\qquad a^l = \\sigma(z^l)$$\n")
    data = parse_toml(text, "post")
    assert data["layer_offset"] == 1 and data["symbols"]["x"] == "input" and data["symbols"]["w"] == "weight"


def test_input_layer_words_zh(tmp_path: Path) -> None:
    data = parse_toml(suggestion(tmp_path, "输入层的激活记为 $a^1$，$$z^l = w^l a^{l-1} + b^l$$\n"), "post")
    assert data["layer_offset"] == 1


def test_entries_give_the_layout(tmp_path: Path) -> None:
    """z_j = Σ_k w_{kj} a_k + b_j: w_{kj} goes from k to j, rows = source, against l-layer's own."""
    data = parse_toml(suggestion(tmp_path, "$$z_j^l = \\sum_k w_{kj}^l a_k^{l-1} + b_j^l$$\n"), "post")
    assert data["layout"] == "source"
    same = suggestion(tmp_path, "$$z_j^l = \\sum_k w_{jk}^l a_k^{l-1} + b_j^l$$\n")
    assert "layout" not in parse_toml(same, "post") and "rows = destination" in same


def test_transposed_weight_gives_the_layout(tmp_path: Path) -> None:
    text = suggestion(tmp_path, "$$z^l = (W^l)^T a^{l-1} + b^l$$\n")
    assert parse_toml(text, "post")["layout"] == "source" and "(Wᵀ a)" in text
    both = suggestion(tmp_path, "$$z^l = (W^l)^T a^{l-1} + b^l$$\n$$z^l = W^l a^{l-1} + b^l$$\n")
    assert "layout" not in parse_toml(both, "post") and "two ways" in questions(both)["layout"]


def test_row_post_on_a_column_network_is_a_question(tmp_path: Path) -> None:
    text = suggestion(tmp_path, "$$Z = X W + b$$\n$$H = \\sigma(Z)$$\n")
    assert "layout" not in parse_toml(text, "post") and "--convention row" in questions(text)["layout"]


def test_one_sample_beside_the_batch(tmp_path: Path) -> None:
    post = tmp_path / "post.md"
    post.write_text("For the batch, $$H = \\sigma(X W_1 + b_1)$$ and for one sample $$h = \\sigma(x W_1 + b_1)$$.\n",
                    encoding="utf-8")
    found = symbols(suggest_file(post, resolve_network("mlp:3-4-2", convention="row", batch=3)))
    assert found["x"] == {"role": "input", "one_sample": True}
    assert found["h"] == {"role": "activation", "layer": 1, "one_sample": True}
    assert found["H"] == {"role": "activation", "layer": 1} and found["X"] == "input"


def test_hat_compared_with_the_activation_is_the_target(tmp_path: Path) -> None:
    """C = ½‖a^L − ŷ‖²: the layered a is the prediction, so ŷ is the target here."""
    found = symbols(suggestion(tmp_path, "$$C = \\frac{1}{2}\\|a^L - \\hat{y}\\|^2$$\n"))
    assert found["yhat"] == "target" and found["a"] == "activation"


def test_two_unlayered_compared_is_a_question(tmp_path: Path) -> None:
    text = suggestion(tmp_path, "$$C = \\frac{1}{2}(\\hat{y} - t)^2$$\n")
    assert "yhat" not in symbols(text) and "t" not in symbols(text) and "which is the target" in text


def test_activation_the_network_lacks_is_a_question(tmp_path: Path) -> None:
    text = suggestion(tmp_path, "$$a^l = \\tanh(z^l)$$\n")
    assert "tanh" not in symbols(text) and "no tanh layer" in questions(text)["tanh"]


def test_claims_are_never_read(tmp_path: Path) -> None:
    """Roles only a derivative claim, an error recursion or an update rule would give are not bound:
    the symbols are asked about instead."""
    text = suggestion(tmp_path, r"""$$\frac{\partial E}{\partial G^l} = \rho^l (h^{l-1})^T$$
$$\rho^l = (V^{l+1})^T \rho^{l+1} \odot \sigma'(u^l)$$
$$G^l \leftarrow G^l - \kappa \frac{\partial E}{\partial G^l}$$
$$\nabla_{P} E = \rho^L$$
""")
    assert symbols(text) == {}
    assert {"E", "G", "rho", "h", "V", "u", "kappa", "P"} <= set(questions(text)), text


def test_d_fractions_are_no_gradient_prefix(tmp_path: Path) -> None:
    text = suggestion(tmp_path, "$$\\frac{dL}{dW_2[m,n]} = \\sum_i \\frac{dL_i}{dW_2[m,n]}$$\n$$dC/dW = 0$$\n")
    assert "gradient_prefix" not in parse_toml(text, "post")


# ----------------------------------------------------------------------------------------------
# The command
# ----------------------------------------------------------------------------------------------


def test_command_prints_the_map_and_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    post = tmp_path / "post.md"
    post.write_text(TABLE_EN + "$$\\frac{\\partial E}{\\partial W^{[l]}} = 0$$\n", encoding="utf-8")
    code = main(["check", str(post), "--net", "l-layer", "--suggest-notation"])
    out, err = capsys.readouterr()
    assert code == 0 and err == ""
    assert symbols(out)["W"] == "weight" and "correct" not in out and "WRONG" not in out
    map_file = tmp_path / "map.toml"
    map_file.write_text(out, encoding="utf-8")
    assert main(["check", str(post), "--net", "l-layer", "--notation", str(map_file)]) in (0, 1)
    capsys.readouterr()


def test_command_is_deterministic(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    post = tmp_path / "post.md"
    post.write_text(ZH + NG, encoding="utf-8")
    outputs = []
    for _ in range(2):
        main(["check", str(post), "--net", "batched-mlp", "--suggest-notation"])
        outputs.append(capsys.readouterr().out)
    assert outputs[0] == outputs[1] and tomllib.loads(outputs[0])


@pytest.mark.parametrize("extra", [["--json"], ["--format", "github"], ["--notation", "map.toml"]])
def test_command_takes_no_report_options(tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str]) -> None:
    post = tmp_path / "post.md"
    post.write_text(TABLE_EN, encoding="utf-8")
    code = main(["check", str(post), "--net", "l-layer", "--suggest-notation", *extra])
    out, err = capsys.readouterr()
    assert code == 2 and out == "" and err.count("\n") == 1 and "--suggest-notation" in err


def test_command_reads_one_post(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "a.md").write_text(TABLE_EN, encoding="utf-8")
    code = main(["check", str(tmp_path), "--net", "l-layer", "--suggest-notation"])
    out, err = capsys.readouterr()
    assert code == 2 and out == "" and "one post" in err and "Traceback" not in err


# ----------------------------------------------------------------------------------------------
# Scored: the suggested maps, unedited, on the development set
# ----------------------------------------------------------------------------------------------


def test_suggested_maps_give_no_false_verdict(tmp_path: Path) -> None:
    """The scorer with every post's suggested map as it is printed: a suggestion may leave formulas
    unchecked, never make a verdict false (the figures are in the README)."""
    import os
    import subprocess
    import sys

    for name in REAL:
        (tmp_path / f"{name}.toml").write_text(devset_suggestion(name), encoding="utf-8")
    run = subprocess.run([sys.executable, str(DEVSET / "score.py"), "--maps", str(tmp_path), "--show"],
                         capture_output=True, text=True, cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)),
                         timeout=600)
    output = run.stdout + run.stderr
    total = re.search(r"total: (\d+) false verdicts", output)
    assert total and int(total.group(1)) == 0 and run.returncode == 0, output
    assert output.count("(map)") == len(REAL), output


# ----------------------------------------------------------------------------------------------
# Fuzz: any post gives a map that parses, never an exception
# ----------------------------------------------------------------------------------------------

PIECES = [
    "$", "$$", "\n", "\n\n", " ", "| ", " |", "- ", ": ", "is the ", "where ", "weight", "bias", "activation",
    "weighted input", "cost", "loss", "error", "learning rate", "target", "label", "output", "input", "of layer ",
    "examples", "m 个样本", "权重", "偏置", "激活值", "误差", "损失", "学习率", "样本", "输入层", "为", "第", "个节点",
    "W", "w", "b", "z", "a", "x", "X", "y", "Y", "h", "t", "\\theta", "\\hat{y}", "\\mathcal{L}", "C", "J", "L",
    "^{[l]}", "^{(l)}", "^l", "^{l-1}", "_1", "_2", "_{jk}", "[i,j]", "^T", "^{(i)}", " = ", "+", "-", "\\sigma(",
    "f(", "g^{[l]}(", "\\text{ReLU}(", "\\operatorname{softmax}(", ")", "(", "{", "}", "\\frac{1}{m}", "\\frac{1}{2}",
    "\\sum_{i=1}^{m}", "\\log", "\\ln", "||", "^2", "\\partial", "\\frac{dL}{dW}", "d", "\\delta", "'", ",", "(a, y)",
    "\\in \\mathbb{R}^{n_l}", "\\begin{aligned}", "\\end{aligned}", "\\\\", "&=", "令", "则",
]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(PIECES), max_size=50), st.sampled_from(["l-layer", "two-two-two", "batched-mlp"]))
def test_any_post_gives_a_map_that_parses(pieces: list[str], net: str) -> None:
    post = read_text("".join(pieces), net)
    text = suggest_notation(post.doc, post.spec, post.nmap, source="post.md", net=net)
    default_map(post.spec).merged(parse_toml(text, "post"), "post")
