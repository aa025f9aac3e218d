"""Optional tier: the posts as a Hugo or Jekyll site would serve them, rendered by KaTeX's
auto-render in headless Chromium; every formula must come out as KaTeX, none as an error.

Pages are built the way each engine treats maths: Hugo's passthrough keeps the delimited maths
verbatim; kramdown (Jekyll) turns $$…$$ into \\[…\\] (display) or \\(…\\) (inline) after Liquid
has removed its raw tags. Skips cleanly where Chromium (or node, for KaTeX) is absent.
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess
from pathlib import Path

import pytest

import platform_math as pm
from posts_support import KatexUnavailable, generated, katex_modules, platform_of, post_files

BROWSERS = ("chromium", "chromium-browser", "google-chrome")


def _browser() -> str:
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    pytest.skip("no Chromium on this machine")


def _hugo_html(text: str) -> str:
    body = text.split("\n+++\n", 1)[1]
    return "\n".join(f"<p>{html.escape(block)}</p>" for block in re.split(r"\n\s*\n", body) if block.strip())


def _jekyll_html(text: str) -> str:
    body = text.split("\n---\n", 1)[1]
    body = pm.LIQUID_RAW.sub(lambda m: m.group(1), body)
    blocks = []
    for block in re.split(r"\n\s*\n", body):
        stripped = block.strip()
        if not stripped:
            continue
        if stripped.startswith("$$") and stripped.endswith("$$") and stripped.count("$$") == 2:
            blocks.append(f"<div>{html.escape(chr(92) + '[' + stripped[2:-2] + chr(92) + ']')}</div>")
            continue
        inline = re.sub(r"\$\$(.+?)\$\$", lambda m: "\\(" + m.group(1) + "\\)", stripped, flags=re.S)
        blocks.append(f"<p>{html.escape(inline)}</p>")
    return "\n".join(blocks)


PAGES = {
    "hugo": (_hugo_html, '[{left: "$$", right: "$$", display: true}, {left: "\\\\(", right: "\\\\)", display: false}]'),
    "jekyll": (_jekyll_html, '[{left: "\\\\[", right: "\\\\]", display: true}, {left: "\\\\(", right: "\\\\)", display: false}]'),
}


@pytest.mark.parametrize("platform", sorted(PAGES))
def test_site_page_renders_every_formula_in_chromium(platform: str, tmp_path: Path) -> None:
    browser = _browser()
    try:
        modules = katex_modules()
    except KatexUnavailable as reason:
        pytest.skip(str(reason))
    to_html, delimiters = PAGES[platform]
    posts = [p for p in post_files(generated()) if platform_of(p) == platform]
    expected = sum(len(pm.EXTRACTORS[platform](p.read_text(encoding="utf-8"))) for p in posts)
    dist = (modules / "katex" / "dist").resolve()
    content = "\n".join(f"<article>{to_html(p.read_text(encoding='utf-8'))}</article>" for p in posts)
    page = tmp_path / f"{platform}.html"
    page.write_text(f"""<!DOCTYPE html>
<html><head><meta charset="utf-8">
<link rel="stylesheet" href="{(dist / 'katex.min.css').as_uri()}">
<script src="{(dist / 'katex.min.js').as_uri()}"></script>
<script src="{(dist / 'contrib' / 'auto-render.min.js').as_uri()}"></script>
</head><body>
{content}
<script>
renderMathInElement(document.body, {{delimiters: {delimiters}, throwOnError: false, strict: "error"}});
</script>
</body></html>
""", encoding="utf-8")
    result = subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={tmp_path / 'profile'}", "--allow-file-access-from-files",
         "--virtual-time-budget=20000", "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=300,
    )
    dom = result.stdout
    assert "</body>" in dom, result.stderr[-2000:]
    errors = re.findall(r'class="katex-error"[^>]*title="([^"]*)"', dom)
    assert not errors, errors[:5]
    assert dom.count('class="katex"') == expected
