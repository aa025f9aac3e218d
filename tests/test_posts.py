"""`derive post`: the committed output is current, the command behaves, files are written safely,
the renderer follows each platform's settings, and each example's post says what it must."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import sympy as sp

import platform_math as pm
from posts_support import OUTPUT, ROOT, generated, post_files

from derive.errors import DeriveError, UnknownName, VerificationError
from derive.latex import FLAVORS
from derive import files as post_files_module
from derive.posts.command import derivation_for_post
from derive.posts.model import Equation, Join, Math, Words
from derive.posts.printing import PostLatexPrinter
from derive.posts.render import PLATFORMS, MathWriter, PostSource, notebook, render_post, template_dir
from derive.files import Marker, untouched, write_atomic, write_files

REGENERATE = "PYTHONPATH=. python -m derive post --all"


def run(*args: str, cwd: Path, hash_seed: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("DERIVE_DEBUG", None)
    if hash_seed is not None:
        env["PYTHONHASHSEED"] = hash_seed
    return subprocess.run([sys.executable, "-m", "derive", *args], capture_output=True, text=True, cwd=cwd, env=env,
                          timeout=300)


# ----------------------------------------------------------------------------------------------
# The committed output/
# ----------------------------------------------------------------------------------------------


def test_committed_output_is_current() -> None:
    fresh = generated()
    expected = {p.relative_to(fresh): p.read_bytes() for p in sorted(fresh.glob("*/*"))}
    committed = {p.relative_to(OUTPUT): p.read_bytes() for p in sorted(OUTPUT.glob("*/*"))}
    missing = sorted(str(p) for p in set(expected) - set(committed))
    extra = sorted(str(p) for p in set(committed) - set(expected))
    stale = sorted(str(p) for p in set(expected) & set(committed) if expected[p] != committed[p])
    assert not (missing or extra or stale), (
        f"output/ is stale; regenerate it with `{REGENERATE}` (delete extra files by hand): "
        f"missing {missing}, extra {extra}, differing {stale}"
    )


def test_every_committed_file_is_untouched_generated_output() -> None:
    for path in sorted(OUTPUT.glob("*/*")):
        assert untouched(path.read_text(encoding="utf-8")), path


# ----------------------------------------------------------------------------------------------
# The command
# ----------------------------------------------------------------------------------------------


def test_post_writes_into_output_net_by_default(tmp_path: Path) -> None:
    result = run("post", "two-two-two", "--platform", "hugo", "--lang", "zh", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    post = tmp_path / "output" / "two-two-two" / "two-two-two.hugo.zh.md"
    assert result.stdout.splitlines() == [str(Path("output/two-two-two/two-two-two.hugo.zh.md")),
                                          str(Path("output/two-two-two/two-two-two.svg"))]
    assert post.read_bytes() == (OUTPUT / "two-two-two" / post.name).read_bytes()


def test_post_of_a_shorthand_network(tmp_path: Path) -> None:
    result = run("post", "mlp:3-4-2", "--activation", "tanh", "--batch", "2", "--platform", "latex",
                 "-o", str(tmp_path / "posts"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    text = (tmp_path / "posts" / "mlp-3-4-2.latex.en.tex").read_text(encoding="utf-8")
    assert r"\tanh" in text and r"\sum_{i=1}^{n}" in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["post", "two-two-two", "--platform", "wordpress"],
         "derive: error: unknown platform 'wordpress'; valid choices: jekyll, hugo, hexo, github, mkdocs, jupyter, latex"),
        (["post", "two-two-two", "--platform", "hugo", "--lang", "fr"],
         "derive: error: unknown language 'fr'; valid choices: en, zh"),
        (["post", "two-two-two"], "derive: error: missing --platform; valid choices: jekyll, hugo, hexo"),
        (["post", "--platform", "hugo"], "derive: error: missing NET"),
        (["post", "two-two-two", "--all"], "derive: error: --all writes every example and platform"),
        (["post", "resnet", "--platform", "hugo"], "derive: error: unknown network 'resnet'; valid choices:"),
        (["post", "--all", "--site", "blog"], "derive: error: --site writes one post into a site: give NET and "
                                              "--platform, and no --all or -o with it"),
        (["post", "two-two-two", "--platform", "hugo", "--site", "blog", "-o", "x"], "derive: error: --site writes"),
        (["post", "two-two-two", "--platform", "hugo", "--date", "2024-05-17"],
         "derive: error: --date is the date of a post in a site: use it with --site DIR"),
        (["post", "two-two-two", "--platform", "hugo", "--site", "blog", "--date", "17/05/2024"],
         "derive: error: bad --date '17/05/2024': give a date as YYYY-MM-DD, e.g. 2024-05-17"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args: list[str], message: str, tmp_path: Path) -> None:
    result = run(*args, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith(message), result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert not (tmp_path / "output").exists() and not (tmp_path / "blog").exists()


def test_unwritable_output_directory_is_one_line_and_exit_2(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory\n")
    result = run("post", "two-two-two", "--platform", "hugo", "-o", str(blocker / "posts"), cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr == f"derive: error: the output path {blocker} is not a directory\n"
    assert result.stderr.count("\n") == 1


def test_same_command_gives_the_same_bytes_whatever_the_hash_seed(tmp_path: Path) -> None:
    outputs = set()
    for seed in ("0", "1", "4242"):
        target = tmp_path / seed
        result = run("post", "softmax-classifier", "--platform", "hexo", "--lang", "zh", "-o", str(target),
                     cwd=tmp_path, hash_seed=seed)
        assert result.returncode == 0, result.stderr
        outputs.add(tuple(p.read_bytes() for p in sorted(target.iterdir())))
    assert len(outputs) == 1


def test_second_run_rewrites_nothing(tmp_path: Path) -> None:
    source = PostSource(derivation_for_post("two-two-two", 0))
    files = render_post(source, "jupyter", "en")
    write_files(tmp_path, files)
    before = {p: p.stat().st_mtime_ns for p in tmp_path.iterdir()}
    assert write_atomic(tmp_path / "two-two-two.jupyter.en.ipynb", files["two-two-two.jupyter.en.ipynb"]) is False
    write_files(tmp_path, render_post(PostSource(derivation_for_post("two-two-two", 0)), "jupyter", "en"))
    assert {p: p.stat().st_mtime_ns for p in tmp_path.iterdir()} == before


# ----------------------------------------------------------------------------------------------
# Safe writes
# ----------------------------------------------------------------------------------------------


def test_hand_edited_post_outside_output_is_refused_unless_forced(tmp_path: Path) -> None:
    target = tmp_path / "blog"
    assert run("post", "two-two-two", "--platform", "jekyll", "-o", str(target), cwd=tmp_path).returncode == 0
    post = target / "two-two-two.jekyll.en.md"
    assert untouched(post.read_text(encoding="utf-8"))
    # Untouched output may be replaced (here by a post drawn with another seed).
    assert run("post", "two-two-two", "--platform", "jekyll", "-o", str(target), "--seed", "1",
               cwd=tmp_path).returncode == 0
    edited = post.read_text(encoding="utf-8").replace("The network:", "My network:")
    post.write_text(edited, encoding="utf-8")
    assert not untouched(edited)
    refused = run("post", "two-two-two", "--platform", "jekyll", "-o", str(target), cwd=tmp_path)
    assert refused.returncode == 2
    assert refused.stderr == (f"derive: error: refusing to overwrite {post}: it was edited by hand or not written "
                              "by derive (pass --force to overwrite it)\n")
    assert post.read_text(encoding="utf-8") == edited
    forced = run("post", "two-two-two", "--platform", "jekyll", "-o", str(target), "--force", cwd=tmp_path)
    assert forced.returncode == 0
    assert untouched(post.read_text(encoding="utf-8"))


def test_foreign_file_is_refused_and_nothing_is_written(tmp_path: Path) -> None:
    (tmp_path / "two-two-two.svg").write_text("<svg>my own drawing</svg>\n")
    source = PostSource(derivation_for_post("two-two-two", 0))
    with pytest.raises(DeriveError, match="refusing to overwrite"):
        write_files(tmp_path, render_post(source, "hugo", "en"), free_root=None)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["two-two-two.svg"]


def test_inside_output_tree_posts_are_always_regenerated(tmp_path: Path) -> None:
    assert run("post", "two-two-two", "--platform", "github", cwd=tmp_path).returncode == 0
    post = tmp_path / "output" / "two-two-two" / "two-two-two.github.en.md"
    post.write_text("edited\n")
    assert run("post", "two-two-two", "--platform", "github", cwd=tmp_path).returncode == 0
    assert untouched(post.read_text(encoding="utf-8"))


def test_write_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "post.md"
    target.write_text("old\n")

    def failing_replace(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(post_files_module.os, "replace", failing_replace)
    with pytest.raises(DeriveError, match="No space left on device"):
        write_atomic(target, "new\n" * 1000)
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["post.md"]


def test_written_files_are_ordinary_files(tmp_path: Path) -> None:
    write_atomic(tmp_path / "post.md", "text\n")
    umask = os.umask(0)
    os.umask(umask)
    assert (tmp_path / "post.md").stat().st_mode & 0o777 == 0o666 & ~umask


def test_marker_hash_covers_the_content() -> None:
    marker = Marker.for_command("0.1.0", "derive post x (platform hugo, language en)")
    stamped = marker.stamp(f"# {marker.text}\nbody\n")
    assert untouched(stamped)
    assert not untouched(stamped.replace("body", "bodY"))
    assert not untouched("no marker at all\n")
    with pytest.raises(ValueError):
        Marker.for_command("0.1.0", "derive post x --platform hugo")


# ----------------------------------------------------------------------------------------------
# Rendering settings, one platform at a time (hand-built maths: no engine involved)
# ----------------------------------------------------------------------------------------------

x, y = sp.symbols("x y")
CHAIN = Equation(((x, x + y, -y + 2 * x),))


def writer(platform: str) -> MathWriter:
    return MathWriter(FLAVORS[platform], PostLatexPrinter(FLAVORS[platform].printer_settings()))


def test_inline_maths_per_platform() -> None:
    assert writer("jekyll").inline(x) == "$$x$$"
    assert writer("hugo").inline(x) == r"\(x\)"
    assert writer("hexo").inline(x) == "{% raw %}$x${% endraw %}"
    assert writer("github").inline(x) == "$`x`$"
    assert writer("jupyter").inline(x) == "$x$"
    assert writer("latex").inline(x) == r"\(x\)"


def test_display_maths_per_platform() -> None:
    single = Equation(((x, y),))
    assert writer("hugo").display(single) == "$$\nx = y\n$$"
    assert writer("hexo").display(single) == "{% raw %}\n$$\nx = y\n$$\n{% endraw %}"
    assert writer("github").display(single) == "```math\nx = y\n```"
    assert writer("latex").display(single) == "\\[\nx = y\n\\]"
    assert writer("jupyter").display(CHAIN) == "$$\n\\begin{aligned}\nx &= x + y \\\\\n&= 2 x - y\n\\end{aligned}\n$$"
    assert writer("latex").display(CHAIN) == "\\begin{align*}\nx &= x + y \\\\\n&= 2 x - y\n\\end{align*}"


def test_jekyll_wraps_only_formulas_liquid_would_read() -> None:
    braces = sp.Symbol("{{a}}")
    assert writer("jekyll").inline(braces).startswith("{% raw %}$$")
    assert writer("jekyll").inline(x) == "$$x$$"


def test_jekyll_writes_bars_without_a_pipe() -> None:
    assert writer("jekyll").inline(sp.Abs(x)) == r"$$\left\lvert{x}\right\rvert$$"
    assert writer("hugo").inline(sp.Abs(x)) == r"\(\left|{x}\right|\)"


def test_hugo_joins_a_line_that_would_become_a_list_item() -> None:
    w = writer("hugo")
    assert w._guard(["$$", "a", "- b", "$$"]) == ["$$", "a - b", "$$"]
    assert writer("latex")._guard(["a", "- b"]) == ["a", "- b"]


def test_words_are_escaped_and_maths_placed() -> None:
    words = Words("a_b *c* {v} [d]", (("v", Math(x)),))
    assert writer("hugo").prose(words) == r"a\_b \*c\* \(x\) \[d\]"
    assert writer("latex").prose(Words("50% of a_b & {v}", (("v", Math(x)),))) == r"50\% of a\_b \& \(x\)"
    assert writer("jupyter").prose(Join(("one", Math(y)), ", ")) == "one, $y$"


# ----------------------------------------------------------------------------------------------
# Files of each platform
# ----------------------------------------------------------------------------------------------


def _generated(name: str) -> str:
    net = name.split(".")[0]
    return (generated() / net / name).read_text(encoding="utf-8")


def test_front_matter_per_platform() -> None:
    hugo = _generated("two-two-two.hugo.zh.md")
    front = tomllib.loads(hugo.split("+++\n")[1])
    assert front == {"title": "反向传播逐步推导：two-two-two", "math": True, "draft": False,
                     "tags": ["backpropagation", "derive"]}
    for name, keys in (("two-two-two.jekyll.en.md", {"layout", "title", "lang", "math", "tags"}),
                       ("two-two-two.hexo.en.md", {"title", "lang", "mathjax", "katex", "tags"})):
        text = _generated(name)
        assert text.startswith("---\n# generated by derive ")
        lines = text.split("---\n")[1].splitlines()
        found = {line.split(":", 1)[0] for line in lines if re.match(r"[a-z]+:", line)}
        assert found == keys
        title = next(line for line in lines if line.startswith("title:"))
        assert json.loads(title.split(":", 1)[1]) == "Backpropagation, step by step: two-two-two"
    assert _generated("two-two-two.github.en.md").startswith("<!-- generated by derive ")
    mkdocs = _generated("two-two-two.mkdocs.zh.md")
    assert mkdocs.startswith("---\n# generated by derive ")
    assert mkdocs.split("---\n")[1].splitlines()[1:] == ['title: "反向传播逐步推导：two-two-two"']
    assert "\n# 反向传播逐步推导：two-two-two\n" in mkdocs


def test_notebook_is_valid_nbformat_4() -> None:
    notebook_text = _generated("batched-mlp.jupyter.zh.ipynb")
    document = json.loads(notebook_text)
    assert document["nbformat"] == 4 and document["nbformat_minor"] == 5
    assert set(document) == {"cells", "metadata", "nbformat", "nbformat_minor"}
    ids = [cell["id"] for cell in document["cells"]]
    assert len(ids) == len(set(ids)) > 20
    for cell in document["cells"]:
        assert cell["metadata"] == {}
        assert all(isinstance(line, str) for line in cell["source"])
        assert re.fullmatch(r"[A-Za-z0-9_-]{1,64}", cell["id"])
    code = [cell for cell in document["cells"] if cell["cell_type"] == "code"]
    assert len(code) == 3 and all(cell["outputs"] == [] and cell["execution_count"] is None for cell in code)
    assert {cell["cell_type"] for cell in document["cells"]} == {"markdown", "code"}
    with_diagram = [cell for cell in document["cells"] if "attachments" in cell]
    assert len(with_diagram) == 1
    svg = "".join(with_diagram[0]["attachments"]["batched-mlp.svg"]["image/svg+xml"])
    assert svg.startswith("<svg ") and "attachment:batched-mlp.svg" in "".join(with_diagram[0]["source"])
    nbformat = pytest.importorskip("nbformat")
    nbformat.validate(nbformat.reads(notebook_text, as_version=4))


def test_notebook_splits_cells_at_breaks() -> None:
    marker = Marker.for_command("0", "test")
    text = notebook("# A\n\nx\n<!-- derive:cell -->\n## B\n\ny\n<!-- derive:cell -->\n```python\na = 1\n\nb = 2\n```\n"
                    "<!-- derive:cell -->\n```python\nc = 3\n```\nnot code\n", marker, {})
    cells = json.loads(text)["cells"]
    assert [cell["source"] for cell in cells] == [["# A\n", "\n", "x"], ["## B\n", "\n", "y"],
                                                  ["a = 1\n", "\n", "b = 2"], ["```python\n", "c = 3\n", "```\n", "not code"]]
    assert [cell["cell_type"] for cell in cells] == ["markdown", "markdown", "code", "markdown"]


def test_templates_come_from_the_checkout_here() -> None:
    assert template_dir() == ROOT / "templates"
    for platform in PLATFORMS.values():
        assert (ROOT / "templates" / platform.template).is_file()


def test_templates_type_no_maths() -> None:
    """Formulas reach a post only through the filters: no template holds a TeX command or $."""
    for path in sorted((ROOT / "templates").glob("*.j2")):
        body = path.read_text(encoding="utf-8")
        if path.suffix == ".j2" and path.name.startswith("latex"):
            body = re.sub(r"^\\(documentclass|usepackage|setlength|allowdisplaybreaks|title|date|begin|end|"
                          r"maketitle|section\*|paragraph)\b.*$", "", body, flags=re.M)
            body = re.sub(r"\\(begin|end)\{(document|center)\}|\\(section\*|paragraph|maketitle)", "", body)
        assert "$" not in body and not re.search(r"\\(frac|partial|boldsymbol|sum|odot|delta|sigma)", body), path.name


# ----------------------------------------------------------------------------------------------
# What each example's post says
# ----------------------------------------------------------------------------------------------


def _formulas(name: str) -> list[str]:
    return [f.tex for f in pm.hugo(_generated(name))]


def test_two_two_two_gives_every_scalar_weight_then_the_matrix_form_and_both_layouts() -> None:
    text = _generated("two-two-two.hugo.en.md")
    formulas = _formulas("two-two-two.hugo.en.md")
    first_matrix = text.index(r"\frac{\partial C}{\partial \boldsymbol{W}^{2}} = \boldsymbol{\delta}^{2}")
    for weight in ("13", "14", "23", "24", "35", "36", "45", "46"):
        scalar = text.index(r"\frac{\partial C}{\partial w_{" + weight + "}} &= ")
        assert scalar < first_matrix
    assert any(r"\frac{\partial C}{\partial w_{35}} &=" in f and r"\left(\hat{y}_{1} - y_{1}\right) \hat{y}_{1} "
               r"\left(1 - \hat{y}_{1}\right) a_{3}" in f for f in formulas)
    assert "rows = destination neuron" in text and "this is the layout of every matrix formula in this post" in text
    assert r"\left(\boldsymbol{W}^{2}\right)^{\top} = \begin{bmatrix}w_{35} & w_{36}\\w_{45} & w_{46}\end{bmatrix}" in text
    assert r"&= \left(\frac{\partial C}{\partial \boldsymbol{W}^{2}}\right)^{\top}" in text
    assert r"\boldsymbol{\delta}^{2} \in \mathbb{R}^{2 \times 1}" in text
    svg = (generated() / "two-two-two" / "two-two-two.svg").read_text(encoding="utf-8")
    for weight in ("₁₃", "₁₄", "₂₃", "₂₄", "₃₅", "₃₆", "₄₅", "₄₆"):
        assert f">w{weight}</text>" in svg
    tex = _generated("two-two-two.latex.en.tex")
    assert r"node[weight, pos=0.3] {\(w_{13}\)}" in tex and r"\begin{tikzpicture}" in tex


def test_l_layer_is_a_proof_for_symbolic_depth_with_components_and_instances() -> None:
    text = _generated("l-layer.hugo.en.md")
    component = text.index(r"\frac{\partial C}{\partial W^{l}_{jk}} &= ")
    matrix = text.index(r"\frac{\partial C}{\partial \boldsymbol{W}^{l}} = \boldsymbol{\delta}^{l} \left(")
    assert component < matrix
    assert r"\(j = 1, \ldots, n_{l}\), \(k = 1, \ldots, n_{l - 1}\)" in text
    assert r"\left(\left(\boldsymbol{W}^{l + 1}\right)^{\top} \boldsymbol{\delta}^{l + 1}\right) \odot" in text
    for widths in ("3-4-2", "2-3-2-2", "784-30-10"):
        assert f"Widths {widths}: " in text
    assert "The numbers below use the network with widths 3-4-2." in text


def test_batched_mlp_writes_one_entry_of_a_product_as_a_sum_over_the_batch() -> None:
    text = _generated("batched-mlp.hugo.en.md")
    assert (r"&= \sum_{i=1}^{n} \left(H_{1}\right)_{ik} \left(\frac{\partial L}{\partial \boldsymbol{Z}_{2}}"
            r"\right)_{ij}") in text
    assert r"\frac{\partial L}{\partial \boldsymbol{b}_{2}} = \boldsymbol{1}_{n}^{\top}" in text
    assert r"\boldsymbol{H}_{1} \in \mathbb{R}^{n \times 5}" in text
    assert r"n &= 3 \\" in text


def test_softmax_classifier_shows_the_full_jacobian_and_the_fusion() -> None:
    text = _generated("softmax-classifier.hugo.zh.md")
    assert (r"\frac{\partial \boldsymbol{\hat{y}}}{\partial \boldsymbol{z}_{2}} = \operatorname{diag}\left("
            r"\boldsymbol{\hat{y}}\right) - \boldsymbol{\hat{y}}^{\top} \boldsymbol{\hat{y}}") in text
    assert "只剩下 " + r"\(\boldsymbol{\hat{y}} - \boldsymbol{y}\)" in text
    assert "\n&= \\boldsymbol{\\hat{y}} - \\boldsymbol{y}\n\\end{aligned}" in text


def test_worked_example_numbers_are_the_ones_used() -> None:
    from derive.posts.worked import worked_example

    d = derivation_for_post("two-two-two", 0)
    example = worked_example(d, 0)
    for _, value in example.givens:
        assert (abs(value * 100 - (value * 100).round()) < 1e-9).all()
    text = _generated("two-two-two.github.en.md")
    assert "Formula and differences agree in all 8 checked values" in text


def test_worked_example_refuses_a_wrong_formula() -> None:
    from dataclasses import replace

    from derive.posts.worked import worked_example

    d = derivation_for_post("two-two-two", 0)
    wrong = tuple(replace(s, forms=(s.forms[0], sp.Transpose(s.rhs))) if s.key == "grad_W_2" else s for s in d.steps)
    with pytest.raises(VerificationError):
        worked_example(replace(d, steps=wrong), 0)


def test_unknown_names_list_the_choices() -> None:
    from derive.posts.render import language, platform

    with pytest.raises(UnknownName, match="valid choices: jekyll, hugo, hexo, github, mkdocs, jupyter, latex"):
        platform("medium")
    with pytest.raises(UnknownName, match="valid choices: en, zh"):
        language("de")


def test_every_post_file_is_listed() -> None:
    assert len(PLATFORMS) == 7
    assert len(post_files(generated())) == 4 * len(PLATFORMS) * 2
