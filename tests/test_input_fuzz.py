"""Fuzz (issue 16): adversarial posts, notation maps, spec files and paths, each fed to the CLI.

Whatever the input, derive answers within the guard (tests/cli_support.py: 10 s of CPU), exits
0, 1 or 2 only (never a verification failure or an internal error), says a usage error in exactly
one stderr line, and leaves nothing behind: a failed command writes nothing, a successful one
writes only its outputs, and no temporary file ever survives.

CI runs a small, fixed (derandomised) profile; DERIVE_SLOW=1 runs a larger one that draws new
examples every run.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cli_support import ROOT, assert_clean, run_derive, temporaries, tree

SLOW = os.environ.get("DERIVE_SLOW") == "1"


def profile(ci: int, slow: int):
    return settings(max_examples=slow if SLOW else ci, deadline=None, derandomize=not SLOW, database=None,
                    suppress_health_check=list(HealthCheck))


def run_in_fresh_directory(files: dict[str, str | bytes], args: list[str], outputs: tuple[str, ...] = ()) -> None:
    """Run derive ARGS in a directory holding `files` (those the file system can hold); check the
    outcome, and that nothing but the outputs is left."""
    with tempfile.TemporaryDirectory() as name:
        work = Path(name)
        for relative, content in files.items():
            data = content if isinstance(content, bytes) else content.encode("utf-8", "surrogatepass")
            try:
                (work / relative).parent.mkdir(parents=True, exist_ok=True)
                (work / relative).write_bytes(data)
            except OSError:
                pass  # an odd name (".", "a/", "blocker/x") is then simply not there
        before = tree(work)
        outcome = run_derive(args, work)
        assert_clean(outcome)
        after = tree(work)
        assert temporaries(work) == [], outcome.describe()
        new = sorted(set(after) - set(before))
        if outcome.returncode != 0 or not outputs:
            assert new == [], (new, outcome.describe())
        else:
            assert all(any(_within(p, o) for o in outputs) for p in new), (new, outcome.describe())


def _within(path: str, output: str) -> bool:
    """Whether a new path is an output (a file or directory written) or a directory on its way
    (`-o g/../g.py` makes g, as `mkdir -p g/..` does)."""
    parts = output.split("/")
    on_the_way = {os.path.normpath("/".join(parts[:k])) for k in range(1, len(parts) + 1)}
    target = os.path.normpath(output)
    return target == "." or path == target or path.startswith(target + "/") or path in on_the_way


# ----------------------------------------------------------------------------------------------
# Posts: real posts, cut and mutated, as Markdown, LaTeX or notebooks
# ----------------------------------------------------------------------------------------------

BASES = {
    "two-two-two": (ROOT / "output/two-two-two/two-two-two.hugo.en.md").read_text(encoding="utf-8"),
    "l-layer": (ROOT / "output/l-layer/l-layer.latex.en.tex").read_text(encoding="utf-8"),
    "batched-mlp": (ROOT / "output/batched-mlp/batched-mlp.github.zh.md").read_text(encoding="utf-8"),
    "softmax-classifier": (ROOT / "output/softmax-classifier/softmax-classifier.jekyll.en.md").read_text(
        encoding="utf-8"),
}
#: What the issue's adversarial run used: delimiters left open, signs, digits, nesting, exponents.
FRAGMENTS = ["$", "$$", "\\(", "\\)", "\\[", "\\]", "`", "```", "```math\n", "{", "}", "(", ")", "-", "+", "=",
             "9", "0.5", "^{", "_{", "\\frac{", "\\left(", "\\right)", "\\begin{equation}", "\\end{equation}",
             "\\begin{aligned}", "&=", "\\\\", "<!--", "-->", "{% raw %}", "\n", "\n\n", "σ", "δ", "€", "\x00",
             "\ufeff", "\\", "%", "W^1 ", "a^L \\odot ", "10^{100000000}", "\\sum_{j=1}^{n}", "\\partial", "$1",
             "---\n", "+++\n", "derive-notation:\n  1: a\n  foo: b\n", "\\mathbb{R}^{2 \\times 2}", "|", "\\|",
             "\\delta^{l+1}", "(W^{l+1})^T", "\\sigma'(z^l)", "\\dots", "\\text{where}", "\\tag{1}", "'",
             "\\hat{y}", "\\boldsymbol{", "\\cdot", "*", "/", ",", "\\exp(", "\\log", "\\operatorname{diag}"]


@st.composite
def mutated_text(draw: st.DrawFn, base: str) -> str:
    start = draw(st.integers(0, max(0, len(base) - 1)))
    text = base[start:start + draw(st.integers(0, 4000))]
    for _ in range(draw(st.integers(0, 5))):
        i = draw(st.integers(0, len(text)))
        op = draw(st.sampled_from(["insert", "amplify", "delete", "duplicate"]))
        if op == "insert":
            text = text[:i] + draw(st.sampled_from(FRAGMENTS)) + text[i:]
        elif op == "amplify":  # one fragment many times: where quadratic or recursive code shows
            times = draw(st.sampled_from([10, 100, 1000, 5000]))
            text = text[:i] + draw(st.sampled_from(FRAGMENTS)) * times + text[i:]
        elif op == "delete":
            text = text[:i] + text[i + draw(st.integers(1, 200)):]
        else:
            text = text[:i] + text[i:i + draw(st.integers(1, 300))] * draw(st.integers(2, 20)) + text[i:]
    return text


@st.composite
def posts(draw: st.DrawFn) -> tuple[str, str, str | bytes]:
    """(network, file name, content)."""
    net = draw(st.sampled_from(sorted(BASES)))
    text = draw(mutated_text(BASES[net]))
    kind = draw(st.sampled_from(["md", "tex", "ipynb", "ipynb-odd"]))
    if kind == "tex":
        return net, "post.tex", "\\begin{document}\n" + text + "\n\\end{document}\n"
    if kind == "ipynb":
        cells = [{"cell_type": "markdown", "metadata": {}, "source": text.splitlines(keepends=True)}]
        return net, "post.ipynb", json.dumps({"cells": cells, "nbformat": 4, "nbformat_minor": 5})
    if kind == "ipynb-odd":  # sources that are not text, JSON nested deep, a file cut short
        source = json.dumps(draw(st.sampled_from([text, [text, 3], None, {"a": text}, [[text]]])))
        nesting = draw(st.sampled_from([1, 100, 100_000]))
        raw = f'{{"cells": [{{"cell_type": "markdown", "source": {source}}}], "x": {"[" * nesting}{"]" * nesting}}}'
        if draw(st.booleans()):
            raw = raw[:draw(st.integers(0, len(raw)))]
        return net, "post.ipynb", raw
    return net, "post.md", text


@profile(ci=10, slow=150)
@given(posts())
def test_fuzz_posts(case: tuple[str, str, str | bytes]) -> None:
    net, name, content = case
    run_in_fresh_directory({name: content}, ["check", name, "--net", net])


# ----------------------------------------------------------------------------------------------
# Notation maps: TOML files, front matter, blocks
# ----------------------------------------------------------------------------------------------

MAP_KEYS = ["layout", "layer_index", "layer_offset", "weight_index", "products", "symbols", "1", "", "derive-notation",
            "notation"]
WORDS = ["source", "destination", "super", "sub", "elementwise", "matrix", "activation", "weight", "error", "cost",
         "target", "sigmoid", "W", "yhat", "", "ä", "a\nb", "entry", "layer-neuron", "destination-source"]


def toml_value(depth: int = 0) -> st.SearchStrategy[str]:
    scalars = st.one_of(st.sampled_from(WORDS).map(json.dumps), st.integers(-10**20, 10**20).map(str),
                        st.sampled_from(["9" * 5000, "0b" + "1" * 100]),
                        st.sampled_from(["true", "false", "1.5", "inf", "nan", "1979-05-27"]))
    if depth >= 2:
        return scalars
    inner = toml_value(depth + 1)
    return st.one_of(scalars, st.lists(inner, max_size=3).map(lambda xs: "[" + ", ".join(xs) + "]"),
                     st.dictionaries(st.sampled_from(MAP_KEYS[:6] + ["W", "h", "f", "y"]), inner, max_size=3)
                     .map(lambda d: "{" + ", ".join(f"{json.dumps(k)} = {v}" for k, v in d.items()) + "}"),
                     st.sampled_from([1, 10, 1000]).map(lambda n: "[" * n + "]" * n))


@st.composite
def notation_maps(draw: st.DrawFn) -> str:
    entries = draw(st.dictionaries(st.sampled_from(MAP_KEYS), toml_value(), max_size=5))
    text = "".join(f"{json.dumps(k)} = {v}\n" for k, v in entries.items())
    if draw(st.booleans()):
        i = draw(st.integers(0, len(text)))
        text = text[:i] + draw(st.sampled_from(["[", "]", "=", "\n", '"', "[[symbols]]\n", "\x00"])) + text[i:]
    return text


POST = "$$\\delta^2 = (a^2 - y) \\odot a^2 \\odot (1 - a^2)$$\n\n$$\\frac{\\partial C}{\\partial W^2} = \\delta^2 (a^1)^T$$\n"


@profile(ci=6, slow=100)
@given(notation_maps(), st.sampled_from(["file", "toml-front", "yaml-front", "block", "comment"]))
def test_fuzz_notation_maps(text: str, where: str) -> None:
    if where == "file":
        run_in_fresh_directory({"post.md": POST, "map.toml": text},
                               ["check", "post.md", "--net", "two-two-two", "--notation", "map.toml"])
        return
    yaml = "".join(f"  {line.replace(' = ', ': ', 1)}\n" for line in text.splitlines())
    post = {"toml-front": f"+++\n[derive-notation]\n{text}+++\n{POST}",
            "yaml-front": f"---\nderive-notation:\n{yaml}---\n{POST}",
            "block": f"```derive-notation\n{text}```\n{POST}",
            "comment": f"<!-- derive-notation\n{text}-->\n{POST}"}[where]
    run_in_fresh_directory({"post.md": post}, ["check", "post.md", "--net", "two-two-two"])


# ----------------------------------------------------------------------------------------------
# Spec files
# ----------------------------------------------------------------------------------------------

ODD_NUMBERS = ["0", "-1", "2.5", "1e3", "\"3\"", "true", "4096", "4097", "100000", "99999999999999999999999", "[]",
               "{}", "inf", "9" * 5000, "0x" + "f" * 2000, "1e999999", "-0", "+3"]


@st.composite
def layer_tables(draw: st.DrawFn) -> str:
    width = draw(st.one_of(st.integers(1, 4).map(str), st.sampled_from(ODD_NUMBERS)))
    lines = [f"width = {width}"] if draw(st.integers(0, 9)) else []
    if draw(st.booleans()):
        act = draw(st.sampled_from(["sigmoid", "tanh", "relu", "identity", "softplus", "softmax", "gelu", "", "SIGMOID"]))
        lines.append(f"activation = {json.dumps(act)}")
    if draw(st.booleans()):
        lines.append(f"bias = {draw(st.sampled_from(['true', 'false', '1', json.dumps('no')]))}")
    if not draw(st.integers(0, 9)):
        lines.append(f"{draw(st.sampled_from(['widht', 'units', '']))!r} = 1".replace("'", '"'))
    return "[[layers]]\n" + "".join(line + "\n" for line in lines)


@st.composite
def spec_files(draw: st.DrawFn) -> str:
    lines = []
    if draw(st.integers(0, 9)):
        lines.append(f"input = {draw(st.one_of(st.integers(1, 4).map(str), st.sampled_from(ODD_NUMBERS)))}")
    for key, values in (("cost", ["quadratic", "ce", "bce", "mse", "hinge", ""]), ("convention", ["column", "row", "x"]),
                        ("name", ["net", "", "a b", "é", "-x", "n" * 300])):
        if draw(st.booleans()):
            lines.append(f"{key} = {json.dumps(draw(st.sampled_from(values)))}")
    if draw(st.booleans()):
        lines.append(f"batch = {draw(st.one_of(st.integers(1, 4).map(str), st.sampled_from(ODD_NUMBERS)))}")
    if draw(st.booleans()):
        lines.append(f"normalize_input = {draw(st.sampled_from(['true', 'false', '0']))}")
    if draw(st.integers(0, 4)) == 0:
        lines.append(f"junk = {draw(toml_value())}")
    text = "".join(line + "\n" for line in lines)
    text += "".join(draw(st.lists(layer_tables(), max_size=4)))
    if draw(st.booleans()):
        keys = ["input", "target", "preact", "act", "output", "weight", "bias", "delta", "cost", "batch", "layer_index",
                "nonsense"]
        table = draw(st.dictionaries(st.sampled_from(keys), st.one_of(st.sampled_from(WORDS + ["x", "H", "Z"])
                                                                      .map(json.dumps), toml_value(1)), max_size=4))
        text += "[notation]\n" + "".join(f"{k} = {v}\n" for k, v in table.items())
    if draw(st.integers(0, 5)) == 0:
        i = draw(st.integers(0, len(text)))
        text = text[:i] + draw(st.sampled_from(["[", "]]", "=", "\"", "\n[[layers]]\n", "\udcff"])) + text[i:]
    return text


@profile(ci=8, slow=150)
@given(spec_files(), st.sampled_from(["show", "export", "post"]))
def test_fuzz_spec_files(text: str, command: str) -> None:
    args = {"show": ["show", "net.toml"], "export": ["export", "net.toml", "-o", "g.py"],
            "post": ["post", "net.toml", "--platform", "github", "-o", "out"]}[command]
    run_in_fresh_directory({"net.toml": text}, args, outputs=("g.py", "out"))


# ----------------------------------------------------------------------------------------------
# Paths: where outputs go and where inputs are read from
# ----------------------------------------------------------------------------------------------

NAME_PARTS = ["g", "post", "a b", "é", "q\nr", "x" * 120, "%d", "$HOME", "*", "-", ".", "..", "", "blocker",
              "blocker/inner", "dir/", "\t", "~"]


@st.composite
def paths(draw: st.DrawFn) -> str:
    parts = draw(st.lists(st.sampled_from(NAME_PARTS), min_size=1, max_size=3))
    return "/".join(parts) + draw(st.sampled_from(["", ".py", ".md", ".toml", ".tmp", "/"]))


@profile(ci=8, slow=150)
@given(paths(), st.sampled_from(["export", "post", "check", "show", "notation"]))
def test_fuzz_paths(path: str, command: str) -> None:
    files: dict[str, str | bytes] = {"blocker": "a file where a directory may be asked for\n", "ok.md": POST}
    if command == "export":
        args = ["export", "two-two-two", "-o", path]
    elif command == "post":
        args = ["post", "two-two-two", "--platform", "hugo", "-o", path]
    elif command == "check":
        files.setdefault(path, POST)
        args = ["check", path, "--net", "two-two-two"]
    elif command == "show":
        args = ["show", path]
    else:
        args = ["check", "ok.md", "--net", "two-two-two", "--notation", path]
    run_in_fresh_directory(files, args, outputs=(path.rstrip("/"),) if command in ("export", "post") else ())
