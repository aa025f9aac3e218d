"""Every generated post (every example, platform and language) has the six parts of a post a writer
publishes as it is: an opening with a notation table, verification stated once and a closing
table of checks, a varied explanation per step, a summary of the key equations, a worked example
with every number and a gradient-descent step, and the code `derive export` writes."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from posts_support import generated, language_of, platform_of, post_files, section, source

from derive import phrases
from derive.export import export_source
from derive.posts import code as codes
from derive.posts import wording
from derive.posts.model import Post
from derive.posts.render import PLATFORMS, MathWriter, code_latex, render_post

POSTS = post_files(generated())
#: English words a Chinese post keeps as they are: names of functions, methods and tools.
#: Maths in a sentence, on any platform.
MATHS = re.compile(r"\\\(.*?\\\)|\$`.*?`\$|\$\$.*?\$\$|\$.*?\$|\{% raw %\}.*?\{% endraw %\}")
KEPT_IN_CHINESE = {"softmax", "sigmoid", "Hadamard", "SymPy", "Richardson", "derive", "NumPy", "one-hot", "grad"}


def _text(path: Path) -> str:
    """A post as its reader meets it: a notebook's cells one after the other."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".ipynb":
        return "\n\n".join("".join(cell["source"]) for cell in json.loads(text)["cells"])
    return text


def _post(path: Path) -> tuple[Post, MathWriter]:
    s = source(path.parent.name)
    flavor = PLATFORMS[platform_of(path)].flavor
    return s.post(language_of(path)), MathWriter(flavor, s.printer(flavor))


def _heading(path: Path, writer: MathWriter, words: object) -> str:
    """A section heading as the platform writes it."""
    title = writer.prose(words)
    return f"\\section*{{{title}}}" if path.suffix == ".tex" else f"## {title}"


def _steps(post: Post) -> list:
    return [step for part in post.sections for step in part.steps]


def _code_blocks(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".ipynb":
        return ["".join(cell["source"]) for cell in json.loads(text)["cells"] if cell["cell_type"] == "code"]
    if path.suffix == ".tex":
        return re.findall(r"\\begin\{Verbatim\}\[[^\]]*\]\n(.*?)\n\\end\{Verbatim\}", text, re.S)
    return re.findall(r"^```python\n(.*?)\n```$", text, re.S | re.M)


@pytest.fixture(params=POSTS, ids=lambda p: p.name)
def post_file(request: pytest.FixtureRequest) -> Path:
    return request.param


def test_every_example_platform_and_language_is_checked() -> None:
    assert len(POSTS) == 4 * len(PLATFORMS) * 2


# -- 1. the opening and the notation table ---------------------------------------------------------------


def test_opening_then_notation_table_with_every_symbol(post_file: Path) -> None:
    post, writer = _post(post_file)
    text = _text(post_file)
    opening = writer.prose(post.opening)
    notation = _heading(post_file, writer, post.notation_heading)
    first_step = _heading(post_file, writer, post.sections[0].heading)
    assert text.index(opening) < text.index(notation) < text.index(first_step)
    assert (post.net in opening) != bool(source(post_file.parent.name).derivation.general)
    table = section(text, notation, first_step)
    assert writer.prose(post.notation.header[1]) in table
    d = source(post_file.parent.name).derivation
    generic = d.step("z_l").layer if d.general else None
    for step in d.steps:
        for q in step.quantities():
            if generic is None or q.kind in ("x", "xhat", "y") or q.layer == generic:
                assert writer.inline(q) in table, (post_file.name, q)
    for binding in d.scalar_bindings:
        assert writer.inline(binding.symbol) in table


def test_scalar_names_say_how_they_are_numbered() -> None:
    """z₃, a₄ carry the diagram's neuron numbers; ŷ₁, y₁ are numbered by output (the output
    neurons are 5 and 6 in the diagram of the 2-2-2 network)."""
    text = (Path(__file__).resolve().parent.parent / "output" / "two-two-two" / "two-two-two.github.en.md").read_text(
        encoding="utf-8")
    rows = {row.split("|")[1].strip(): row.split("|")[3].strip() for row in text.splitlines()
            if row.startswith("| $`") and "scalars" in row}
    assert rows["$`z_{3}`$, $`z_{4}`$"].endswith("numbered like the neurons in the diagram")
    assert rows["$`x_{1}`$, $`x_{2}`$"].endswith("numbered like the neurons in the diagram")
    for outputs in ("$`y_{1}`$, $`y_{2}`$", "$`\\hat{y}_{1}`$, $`\\hat{y}_{2}`$"):
        assert rows[outputs].endswith("in the order of the output neurons"), rows[outputs]


def test_steps_carry_no_shape_or_verification_lines(post_file: Path) -> None:
    text = _text(post_file)
    for line in ("Verified:", "Shapes:", "Rule:", "验证：", "形状：", "依据："):
        assert not re.search(r"(^|[.。] ?)" + line, text, re.M), (post_file.name, line)


# -- 2. verification stated once, checked step by step at the end ----------------------------------------


def test_verification_stated_once_and_checks_table_closes_the_post(post_file: Path) -> None:
    post, writer = _post(post_file)
    text = _text(post_file)
    sentence = writer.prose(post.verification)
    assert text.count(sentence) == 1
    assert text.index(sentence) < text.index(_heading(post_file, writer, post.notation_heading))
    closing = _heading(post_file, writer, post.checks_heading)
    last = section(text, closing, None)
    headings = [_heading(post_file, writer, h) for h in [s.heading for s in post.sections] + [post.summary_heading,
                                                                                               post.example_heading]]
    assert all(text.index(heading) < text.index(closing) for heading in headings)
    steps = _steps(post)
    assert len(post.checks.rows) == len(steps)
    for step, row in zip(steps, post.checks.rows):
        assert writer.prose(row[0]) in last and row[0].value("number") == str(step.number)
    if post_file.suffix != ".tex":
        assert len([line for line in last.splitlines() if line.startswith("| ")]) == len(steps) + 2


def test_checks_table_says_how_each_step_was_checked() -> None:
    post, _ = _post(generated() / "two-two-two" / "two-two-two.hugo.en.md")
    rows = {row[0].value("number"): row for row in post.checks.rows}
    steps = {str(s.number): s for s in _steps(post)}
    d = source("two-two-two").derivation
    for number, row in rows.items():
        step = d.step(steps[number].key)
        if step.kind == "definition":
            assert row[1].text == wording.text(wording.POST, "checks-definition", "en")
        else:
            methods = [part.text for part in row[1].items]
            assert methods[0].startswith("exact proof") and methods[1].startswith("central differences")
            worst = max(c.max_error for c in d.checks_for(step.key) if c.method == "numeric")
            assert row[2].expr.args[0].name == f"{worst:.1e}"


# -- 3. why each step holds, in varied words ---------------------------------------------------------------


def test_every_step_says_why_without_repeating_itself(post_file: Path) -> None:
    post, writer = _post(post_file)
    whys = [writer.prose(step.why) for step in _steps(post)]
    assert all(whys)
    assert all(a != b for a, b in zip(whys, whys[1:])), post_file.name
    full = {wording.EXPLAIN[key][post.lang] for key in wording.EXPLAIN}
    for why, step in zip(whys, _steps(post)):
        assert whys.count(why) <= 3, (post_file.name, why)
        if step.why.text in full:
            assert whys.count(why) == 1


def test_chinese_steps_are_written_in_chinese() -> None:
    for path in POSTS:
        if language_of(path) != "zh":
            continue
        post, writer = _post(path)
        for step in _steps(post):
            words = MATHS.sub("", writer.prose(step.why))
            assert re.search(r"[\u4e00-\u9fff]", words), words
            english = set(re.findall(r"[A-Za-z][A-Za-z-]{3,}", words)) - KEPT_IN_CHINESE
            assert not english, (path.name, english)


def test_every_rule_and_phrase_has_both_languages_and_no_maths() -> None:
    for rule in phrases.RULE:
        assert wording.explanation_key(rule, "") in wording.EXPLAIN
    tables = [wording.SECTION, wording.EXPLAIN, wording.STEP_NOTE, wording.COST_NAMES, wording.MEANING, wording.POST]
    for table in tables:
        for key, entry in table.items():
            assert set(entry) == set(wording.LANGUAGES), key
            assert not re.search(r"[\\$]", "".join(entry.values())), key
    for key, entry in wording.AGAIN.items():
        assert set(entry) == set(wording.LANGUAGES) and all(entry.values()), key


# -- 4. summary ---------------------------------------------------------------------------------------------------


def test_summary_of_the_key_equations_comes_before_the_example(post_file: Path) -> None:
    post, writer = _post(post_file)
    text = _text(post_file)
    summary = _heading(post_file, writer, post.summary_heading)
    example = _heading(post_file, writer, post.example_heading)
    assert text.index(summary) < text.index(example)
    shown = section(text, summary, example)
    assert writer.display(post.summary) in shown
    d = source(post_file.parent.name).derivation
    errors = [s for s in d.steps if s.what in ("output-error", "hidden-error") and s.is_matrix and not s.indices
              and s.section != "specialise"]
    assert [row[0] for row in post.summary.rows[:len(errors)]] == [s.lhs for s in errors]


def test_general_summary_is_the_four_equations_of_backpropagation() -> None:
    post, writer = _post(generated() / "l-layer" / "l-layer.hugo.en.md")
    assert writer.display(post.summary).splitlines()[2:6] == [
        r"\boldsymbol{\delta}^{L} &= \frac{\partial C}{\partial \boldsymbol{a}^{L}} \odot "
        r"\sigma'\left(\boldsymbol{z}^{L}\right) \\",
        r"\boldsymbol{\delta}^{l} &= \left(\left(\boldsymbol{W}^{l + 1}\right)^{\top} \boldsymbol{\delta}^{l + 1}"
        r"\right) \odot \sigma'\left(\boldsymbol{z}^{l}\right) \\",
        r"\frac{\partial C}{\partial \boldsymbol{b}^{l}} &= \boldsymbol{\delta}^{l} \\",
        r"\frac{\partial C}{\partial \boldsymbol{W}^{l}} &= \boldsymbol{\delta}^{l} \left(\boldsymbol{a}^{l - 1}"
        r"\right)^{\top}",
    ]


# -- 5. the worked example ----------------------------------------------------------------------------------------


def test_worked_example_gives_every_layer_every_gradient_and_a_descent_step(post_file: Path) -> None:
    post, writer = _post(post_file)
    text = _text(post_file)
    after = _heading(post_file, writer, post.code.heading if post.code else post.checks_heading)
    example = section(text, _heading(post_file, writer, post.example_heading), after)
    s = source(post_file.parent.name)
    concrete = s.concrete
    printer = s.printer(PLATFORMS[platform_of(post_file)].flavor, concrete=True).doprint
    layers = range(1, concrete.spec.depth + 1)
    for kind in ("z", "a", "delta"):
        for layer in layers:
            q = next(q for step in concrete.steps for q in step.quantities() if q.kind == kind and q.layer == layer)
            assert re.search(re.escape(printer(q)) + r" &= .*\\end\{bmatrix\}", example), (post_file.name, kind, layer)
    for name, q, _ in concrete.parameters:
        assert re.search(re.escape(printer(q)) + r" - 0\.5 \\frac\{\\partial [CL]\}\{\\partial "
                         + re.escape(printer(q)) + r"\} &= ", example), (post_file.name, name)
    rate = f"{s.example.descent.rate!r}"
    lower = writer.prose(post.example[-1].words)
    assert lower in example and s.example.descent.cost < s.example.cost
    numbers = re.findall(r"\d+\.\d{6}", lower)
    assert float(numbers[0]) < float(numbers[1]) and rate in writer.prose(post.example[-2].words)


def test_worked_example_numbers_come_from_the_exported_code() -> None:
    """The engine's numbers and the exported module's agree at the example's values."""
    s = source("softmax-classifier")
    example, module = s.example, s.exported.module
    givens = dict(example.givens)
    params = {g.name: givens[g.quantity] for g in example.gradients}
    cost, grads = module.cost_and_gradients(params, example.givens[0][1], example.givens[-1][1])
    assert abs(cost - example.cost) < 1e-12
    for g in example.gradients:
        assert abs(grads[g.name] - g.value).max() < 1e-12


# -- 6. the code --------------------------------------------------------------------------------------------------


def test_code_section_shows_the_exported_gradients_and_three_check_lines(post_file: Path) -> None:
    blocks = _code_blocks(post_file)
    check = codes.CHECK if post_file.suffix != ".tex" else code_latex(codes.CHECK)
    assert len(codes.CHECK.splitlines()) == 3
    assert any("def cost_and_gradients(params, x, y, check=True):" in block for block in blocks), post_file.name
    assert any(block.endswith(check) for block in blocks), post_file.name
    if post_file.suffix == ".ipynb":
        assert [block for block in blocks if block == codes.CHECK]


def test_code_is_the_export_verbatim() -> None:
    """The listing is derive export's own text (a selection of its functions), not a reprint."""
    exported = export_source("batched-mlp", form="matrix").splitlines()
    s = source("batched-mlp")
    excerpt = codes.excerpt(s.exported.source)
    assert "def _cost_and_gradients(" in excerpt and "def cost_and_gradients(" in excerpt
    assert "def _self_test" not in excerpt and "def _checked" not in excerpt
    assert all(line in exported for line in excerpt.splitlines())
    module = codes.runnable(s.exported.source)
    assert "sha256:" not in module and "_self_test" not in module and "__main__" not in module
    assert all(line in exported for line in module.splitlines())
    # A function keeps its decorator: @np.errstate(over="ignore") is what makes the fast σ's overflow harmless.
    decorated = 0
    for text in (excerpt, module):
        lines = text.splitlines()
        for i, line in enumerate(lines):
            j = exported.index(line) if line.startswith("def ") else 0
            if j and exported[j - 1].startswith("@"):
                decorated += 1
                assert lines[i - 1] == exported[j - 1], line
    assert decorated


@pytest.mark.parametrize("platform", sorted(PLATFORMS))
def test_no_code_leaves_the_code_section_out(platform: str) -> None:
    without = source("two-two-two", code=False)
    for lang in ("en", "zh"):
        files = render_post(without, platform, lang)
        post_name = next(name for name in files if not name.endswith(".svg"))
        text = files[post_name]
        assert "```python" not in text and "Verbatim" not in text and '"cell_type": "code"' not in text
        heading = wording.text(wording.SECTION, "code", lang)
        assert f"## {heading}" not in text and f"section*{{{heading}}}" not in text
        assert wording.text(wording.POST, "opening-code", lang) not in text
        assert wording.text(wording.SECTION, "checks", lang) in text
    assert without.exported is None and not without.example.reproduced
    assert source("two-two-two").example.reproduced


def test_code_listing_in_latex_is_typeset_character_by_character() -> None:
    assert code_latex('d = {"W1": 1}  # ∂C/∂W¹ = δ¹ xᵀ ⊙ ŷ') == (
        r'd = \{"W1": 1\}  # \(\partial\)C/\(\partial\)W\textsuperscript{1} = \(\delta\)\textsuperscript{1} '
        r"x\textsuperscript{T} \(\odot\) \^{y}")
    assert code_latex("x̂ = ½ 𝟏ₙ") == r"\^{x} = \(\frac{1}{2}\) \textbf{1}\textsubscript{n}"
    with pytest.raises(ValueError, match="no LaTeX for the character"):
        code_latex("☃")


def test_a_standardised_batch_is_not_claimed_to_be_reproduced_by_the_code() -> None:
    """The exported module standardises each sample with its own statistics, the derivation with
    the data's: the post computes its example with the engine alone and says so."""
    from derive.posts.command import derivation_for_post
    from derive.posts.render import PostSource

    d = derivation_for_post("mlp:3-4-2", 0, normalize_input=True, batch=4)
    s = PostSource(d, 0)
    assert s.exported is not None and not s.example.reproduced
    text = render_post(s, "hugo", "en")["mlp-3-4-2.hugo.en.md"]
    assert "its numbers differ from the example's" in text and "it reproduces the worked example" not in text
