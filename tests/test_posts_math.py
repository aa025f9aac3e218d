"""Every formula of every generated post reaches its platform intact and renders in strict KaTeX.

Formulas are taken out of each post the way its platform's engine would (platform_math.py, an
independent model of each engine), so a formula that the engine would mangle or drop fails here.
"""

from __future__ import annotations

import dataclasses
import re
from collections import defaultdict
from pathlib import Path

import pytest

import platform_math as pm
from posts_support import (
    KatexUnavailable,
    generated,
    katex_modules,
    language_of,
    platform_of,
    post_files,
    render_with_katex,
)

FORBIDDEN = re.compile(r"\\(bm|label|DeclareMathOperator|newcommand|def)(?![A-Za-z])")


def _extracted() -> dict[Path, list[pm.Formula]]:
    return {path: pm.EXTRACTORS[platform_of(path)](path.read_text(encoding="utf-8"))
            for path in post_files(generated())}


@pytest.fixture(scope="module")
def extracted() -> dict[Path, list[pm.Formula]]:
    return _extracted()


def test_all_examples_platforms_and_languages_are_generated(extracted: dict[Path, list[pm.Formula]]) -> None:
    from derive.examples import EXAMPLES
    from derive.posts import render

    names = {path.name for path in extracted}
    for net in EXAMPLES:
        for platform in render.PLATFORMS:
            for lang in render.LANGUAGES:
                assert f"{net}.{platform}.{lang}{render.PLATFORMS[platform].suffix}" in names


#: The fields of the code section a platform shows: listings, or (jupyter) the notebook's cells.
CODE_FIELDS = {"listings": {"heading", "intro", "excerpt", "check_intro", "check"},
               "cells": {"heading", "notebook_intro", "module", "compute_intro", "compute", "check_cell_intro",
                         "check_cell"}}


def _count_maths(node: object, code_fields: set[str]) -> int:
    """Formulas in a post model: each Math is one inline formula, each Equation one display; a
    phrase shows only the values its text asks for; the code section only the fields shown."""
    from string import Formatter

    from derive.posts.model import CodePart, Equation, Math, Words

    if isinstance(node, (Math, Equation)):
        return 1
    if isinstance(node, Words):
        used = [field for _, field, _, _ in Formatter().parse(node.text) if field is not None]
        return sum(_count_maths(node.value(field), code_fields) for field in used)
    if dataclasses.is_dataclass(node):
        fields = [f.name for f in dataclasses.fields(node)]
        if isinstance(node, CodePart):
            fields = [name for name in fields if name in code_fields]
        return sum(_count_maths(getattr(node, name), code_fields) for name in fields)
    if isinstance(node, (tuple, list)):
        return sum(_count_maths(item, code_fields) for item in node)
    return 0


def test_every_formula_of_the_post_arrives(extracted: dict[Path, list[pm.Formula]]) -> None:
    """As many formulas reach the platform as the post holds (a dropped or merged one fails)."""
    from derive.posts.command import derivation_for_post
    from derive.posts.render import PostSource

    sources: dict[str, PostSource] = {}
    for path, formulas in extracted.items():
        net, lang, platform = path.parent.name, language_of(path), platform_of(path)
        if net not in sources:
            sources[net] = PostSource(derivation_for_post(net, 0))
        expected = _count_maths(sources[net].post(lang), CODE_FIELDS["cells" if platform == "jupyter" else "listings"])
        found = len(formulas) if platform != "latex" else len(
            pm.latex(path.read_text(encoding="utf-8"), include_diagram=False))
        assert found == expected, path.name


def test_every_platform_carries_the_same_formulas(extracted: dict[Path, list[pm.Formula]]) -> None:
    by_post: dict[tuple[str, str], dict[str, list[pm.Formula]]] = defaultdict(dict)
    for path, formulas in extracted.items():
        if platform_of(path) == "latex":
            formulas = pm.latex(path.read_text(encoding="utf-8"), include_diagram=False)
        by_post[(path.parent.name, language_of(path))][platform_of(path)] = [pm.normalised(f) for f in formulas]
    for key, platforms in by_post.items():
        reference = platforms["hugo"]
        for name, formulas in platforms.items():
            assert formulas == reference, f"{key}: {name} differs from hugo"


def test_the_platform_models_catch_broken_posts() -> None:
    """The extractors are a real check: each rejects a post that breaks its engine's rule."""
    with pytest.raises(pm.PlatformError):
        pm.jekyll("---\ntitle: x\n---\n\nThe bars $$\\left|x\\right|$$ make a table.\n")
    with pytest.raises(pm.PlatformError):
        pm.jekyll("---\ntitle: x\n---\n\nLiquid eats $${{x}}$$ here.\n")
    with pytest.raises(pm.PlatformError):
        pm.hugo("+++\ntitle = 'x'\n+++\n\n$$\na\n- b\n$$\n")
    with pytest.raises(pm.PlatformError):
        pm.hugo("+++\ntitle = 'x'\n+++\n\nCode `\\(x\\)` is not maths.\n")
    with pytest.raises(pm.PlatformError):
        pm.hexo("---\ntitle: x\n---\n\nUnwrapped $x_1$ is mangled.\n")
    with pytest.raises(pm.PlatformError):
        pm.github("Plain $x$ is fragile.\n")


def test_every_formula_renders_in_strict_katex(extracted: dict[Path, list[pm.Formula]]) -> None:
    try:
        katex_modules()
    except KatexUnavailable as reason:
        pytest.skip(str(reason))
    unique = sorted({(f.tex, f.display) for formulas in extracted.values() for f in formulas})
    assert len(unique) > 200
    errors = [(tex, error) for (tex, _), error in zip(unique, render_with_katex(unique)) if error]
    assert not errors, "\n".join(f"{tex!r}: {error}" for tex, error in errors[:10])


def test_the_katex_check_can_fail() -> None:
    try:
        katex_modules()
    except KatexUnavailable as reason:
        pytest.skip(str(reason))
    verdicts = render_with_katex([(r"\DeclareMathOperator{\f}{f}", False), (r"a \in 实数", False),
                                  (r"\frac{a}{", True), (r"\text{实数} \odot \boldsymbol{x}", False)])
    assert verdicts[0] is not None and verdicts[1] is not None and verdicts[2] is not None
    assert verdicts[3] is None


def test_chinese_appears_in_maths_only_inside_text(extracted: dict[Path, list[pm.Formula]]) -> None:
    zh = [path for path in extracted if language_of(path) == "zh"]
    assert zh
    for path in zh:
        assert pm.CJK.search(path.read_text(encoding="utf-8")), f"{path.name} has no Chinese text"
        for formula in extracted[path]:
            assert not pm.CJK.search(pm.outside_text(formula.tex)), (path.name, formula.tex)


def test_no_katex_unsafe_commands(extracted: dict[Path, list[pm.Formula]]) -> None:
    for path, formulas in extracted.items():
        for formula in formulas:
            assert not FORBIDDEN.search(formula.tex), (path.name, formula.tex)
        if path.suffix == ".md":
            assert not FORBIDDEN.search(path.read_text(encoding="utf-8")), path.name


def test_english_latex_posts_are_ascii_for_pdflatex() -> None:
    for path in post_files(generated()):
        if platform_of(path) == "latex" and language_of(path) == "en":
            text = path.read_text(encoding="utf-8")
            assert text.isascii(), [ch for ch in text if not ch.isascii()][:5]
