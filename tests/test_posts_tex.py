"""The LaTeX posts compile: English with pdflatex, Chinese with xelatex and ctex. Skips cleanly
where the TeX engine (or, for Chinese, ctex) is not installed."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from posts_support import generated, language_of, platform_of, post_files

ENGINES = {"en": "pdflatex", "zh": "xelatex"}


def _latex_posts() -> list[Path]:
    return [p for p in post_files(generated()) if platform_of(p) == "latex"]


@pytest.mark.parametrize("lang", sorted(ENGINES))
def test_latex_posts_compile(lang: str, tmp_path: Path) -> None:
    engine = shutil.which(ENGINES[lang])
    if engine is None:
        pytest.skip(f"{ENGINES[lang]} is not installed")
    if lang == "zh":
        found = subprocess.run(["kpsewhich", "ctex.sty"], capture_output=True, text=True)
        if not found.stdout.strip():
            pytest.skip("ctex is not installed")
    posts = [p for p in _latex_posts() if language_of(p) == lang]
    assert len(posts) == 4
    for post in posts:
        shutil.copy(post, tmp_path / post.name)
        first = post.read_text(encoding="utf-8").splitlines()[1]
        assert first == f"% !TEX program = {ENGINES[lang]}"
        result = subprocess.run([engine, "-interaction=nonstopmode", "-halt-on-error", post.name], cwd=tmp_path,
                                capture_output=True, text=True, timeout=300)
        log = (tmp_path / post.with_suffix(".log").name).read_text(encoding="utf-8", errors="replace")
        assert result.returncode == 0, f"{post.name}:\n" + "\n".join(log.splitlines()[-30:])
        assert (tmp_path / post.with_suffix(".pdf").name).stat().st_size > 10_000
        assert "Undefined control sequence" not in log and "Missing character" not in log, post.name
