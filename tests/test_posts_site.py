"""`derive post --site DIR`: each platform's site layout, and real site builds.

Every example in both languages is written into a site laid out for the platform, the site is
built by the platform's own engine, and for every page: the diagram the page links is served at
that address (the same file derive wrote), and every formula reaches the page's maths renderer
intact (the formulas in the built HTML are exactly those of the post, as platform_math.py reads
them). Hugo and MkDocs (Material, pymdownx.arithmatex) are in the test extras; Jekyll and Hexo
are used where installed (Jekyll on PATH; Hexo on PATH or in .cache/node/hexo, see the README)
and skipped otherwise.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin

import pytest

import platform_math as pm
from posts_support import NODE_CACHE, ROOT, KatexUnavailable, katex_modules, render_with_katex, source

from derive.examples import EXAMPLES
from derive.posts.command import write_post
from derive.posts.render import LANGUAGES, PLATFORMS, render_post, slug

DATE = "2024-05-17"

#: Where each platform puts two-two-two's post and diagram (en, then zh), relative to the site.
LAYOUTS = {
    "hugo": ["content/posts/two-two-two/index.md", "content/posts/two-two-two/two-two-two.svg",
             "content/posts/two-two-two-zh/index.md", "content/posts/two-two-two-zh/two-two-two.svg"],
    "jekyll": ["_posts/2024-05-17-two-two-two.md", "assets/two-two-two/two-two-two.svg",
               "_posts/2024-05-17-two-two-two-zh.md", "assets/two-two-two-zh/two-two-two.svg"],
    "hexo": ["source/_posts/two-two-two.md", "source/_posts/two-two-two/two-two-two.svg",
             "source/_posts/two-two-two-zh.md", "source/_posts/two-two-two-zh/two-two-two.svg"],
    "github": ["two-two-two.md", "two-two-two.svg", "two-two-two-zh.md", "two-two-two.svg"],
    "mkdocs": ["docs/posts/two-two-two.md", "docs/posts/two-two-two.svg",
               "docs/posts/two-two-two-zh.md", "docs/posts/two-two-two.svg"],
    "jupyter": ["two-two-two.ipynb", "two-two-two-zh.ipynb"],
    "latex": ["two-two-two.tex", "two-two-two-zh.tex"],
}
#: How each platform links the diagram of two-two-two's English post.
LINKS = {
    "hugo": "![Diagram of the two-two-two network](two-two-two.svg)",
    "jekyll": "![Diagram of the two-two-two network]({{ '/assets/two-two-two/two-two-two.svg' | relative_url }})",
    "hexo": """{% asset_img two-two-two.svg '"Diagram of the two-two-two network" "Diagram of the two-two-two network"' %}""",
    "github": "![Diagram of the two-two-two network](two-two-two.svg)",
    "mkdocs": "![Diagram of the two-two-two network](two-two-two.svg)",
    "jupyter": "![Diagram of the two-two-two network](attachment:two-two-two.svg)",
}


@dataclass(frozen=True)
class Written:
    net: str
    lang: str
    post: Path
    diagram: Path | None


def write_site(root: Path, platform: str, nets: tuple[str, ...] = tuple(EXAMPLES)) -> dict[str, Written]:
    """Every post of `nets` in both languages, into a site at root, by slug."""
    posts = {}
    for net in nets:
        for lang in LANGUAGES:
            written = write_post(source(net), platform, lang, root, date=DATE, free_root=None)
            post = next(p for p in written if p.suffix != ".svg")
            posts[slug(net, lang)] = Written(net, lang, post, next((p for p in written if p.suffix == ".svg"), None))
    return posts


# -- layouts --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("platform", sorted(PLATFORMS))
def test_site_layout(platform: str, tmp_path: Path) -> None:
    posts = write_site(tmp_path, platform, ("two-two-two",))
    found = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file())
    assert found == sorted(set(LAYOUTS[platform]))
    text = posts["two-two-two"].post.read_text(encoding="utf-8")
    if platform in LINKS:
        assert LINKS[platform] in text
    if platform in ("hugo", "jekyll", "hexo"):
        assert re.search(rf"^date ?[=:] ?{DATE}$", text, re.M)
    for written in posts.values():  # the site's engine reads the same formulas as in the flat layout
        flat = render_post(source(written.net), platform, written.lang)
        flat_text = next(t for name, t in flat.items() if not name.endswith(".svg"))
        extract = pm.EXTRACTORS[platform]
        assert [pm.normalised(f) for f in extract(written.post.read_text(encoding="utf-8"))] == \
            [pm.normalised(f) for f in extract(flat_text)]


def test_site_from_the_command_line(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-m", "derive", "post", "two-two-two", "--platform", "hexo", "--lang", "zh",
                             "--site", str(tmp_path / "blog"), "--date", DATE, "--no-code"],
                            capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [str(tmp_path / "blog" / p) for p in sorted(LAYOUTS["hexo"][2:])]
    assert "```python" not in (tmp_path / "blog" / LAYOUTS["hexo"][2]).read_text(encoding="utf-8")


# -- site builds ----------------------------------------------------------------------------------------------


def _tool(name: str, *elsewhere: Path) -> str:
    for candidate in (shutil.which(name), *(str(p) for p in elsewhere if p.is_file())):
        if candidate:
            return candidate
    pytest.skip(f"{name} is not installed")


def _run(args: list[str], cwd: Path) -> None:
    result = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=600,
                            env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]


def _formulas(page: str, display: str, inline: str) -> list[pm.Formula]:
    """Formulas as the page hands them to its maths renderer: displays, then inline maths, in
    page order (code listings removed first)."""
    page = re.sub(r"<pre\b.*?</pre>", "", page, flags=re.S)
    positions = [(m.start(), pm.Formula(html.unescape(m.group(1)).strip(), True))
                 for m in re.finditer(display, page, re.S)]
    masked = re.sub(display, lambda m: "#" * len(m.group(0)), page, flags=re.S)
    positions += [(m.start(), pm.Formula(html.unescape(m.group(1)).strip(), False))
                  for m in re.finditer(inline, masked, re.S)]
    return [pm.normalised(f) for _, f in sorted(positions, key=lambda p: p[0])]


def check_built_site(platform: str, out: Path, pages: dict[str, Path], posts: dict[str, Written],
                     maths: tuple[str, str]) -> list[pm.Formula]:
    """Every page: the diagram it links is served there, and its formulas are the post's."""
    every = []
    for name, page_file in pages.items():
        assert page_file.is_file(), page_file
        page = page_file.read_text(encoding="utf-8")
        images = re.findall(r'<img\b[^>]*\bsrc="([^"]+)"', page)
        assert len(images) == 1, (name, images)
        url = "/" + str(page_file.relative_to(out)).removesuffix("index.html")
        served = out / urljoin(url, images[0]).lstrip("/")
        assert served.is_file() and served.read_bytes() == posts[name].diagram.read_bytes(), (name, images[0])
        expected = [pm.normalised(f) for f in pm.EXTRACTORS[platform](posts[name].post.read_text(encoding="utf-8"))]
        found = _formulas(page, *maths)
        assert found == expected, (name, len(found), len(expected))
        every += found
    return every


def test_hugo_site_builds_with_every_diagram_and_formula(tmp_path: Path) -> None:
    hugo = _tool("hugo", Path(sys.executable).parent / "hugo")
    (tmp_path / "hugo.toml").write_text(
        'baseURL = "https://example.org/"\ntitle = "derive posts"\n'
        'disableKinds = ["taxonomy", "term", "RSS", "sitemap", "404"]\n'
        "[markup.goldmark.extensions.passthrough]\nenable = true\n"
        "[markup.goldmark.extensions.passthrough.delimiters]\nblock = [['$$', '$$']]\ninline = [['\\(', '\\)']]\n")
    layouts = tmp_path / "layouts" / "_default"
    layouts.mkdir(parents=True)
    (layouts / "single.html").write_text("<!DOCTYPE html><html><body><article>{{ .Content }}</article></body></html>\n")
    (layouts / "list.html").write_text("<!DOCTYPE html><html><body>{{ range .Pages }}{{ .Title }}{{ end }}</body></html>\n")
    posts = write_site(tmp_path, "hugo")
    _run([hugo, "--quiet", "-d", "public"], tmp_path)
    pages = {name: tmp_path / "public" / "posts" / name / "index.html" for name in posts}
    check_built_site("hugo", tmp_path / "public", pages, posts, (r"\$\$(.*?)\$\$", r"\\\((.*?)\\\)"))


def test_jekyll_site_builds_with_every_diagram_and_formula(tmp_path: Path) -> None:
    jekyll = _tool("jekyll")
    (tmp_path / "_config.yml").write_text("title: derive posts\nmarkdown: kramdown\n")
    (tmp_path / "_layouts").mkdir()
    (tmp_path / "_layouts" / "post.html").write_text("<!DOCTYPE html><html><body><article>{{ content }}</article>"
                                                     "</body></html>\n")
    posts = write_site(tmp_path, "jekyll")
    _run([jekyll, "build", "--quiet", "-s", ".", "-d", "_site"], tmp_path)
    pages = {name: tmp_path / "_site" / DATE.replace("-", "/") / f"{name}.html" for name in posts}
    check_built_site("jekyll", tmp_path / "_site", pages, posts, (r"\\\[(.*?)\\\]", r"\\\((.*?)\\\)"))


HEXO_DIR = NODE_CACHE / "hexo"


def test_hexo_site_builds_with_every_diagram_and_formula(tmp_path: Path) -> None:
    """With post_asset_folder: true, the diagram is the post's asset (Hexo's asset_img tag)."""
    modules = HEXO_DIR / "node_modules"
    hexo = _tool("hexo", modules / ".bin" / "hexo")
    if not (modules / "hexo-renderer-marked").is_dir() and not shutil.which("hexo"):
        pytest.skip("hexo-renderer-marked is not installed")
    (tmp_path / "_config.yml").write_text("title: derive posts\nurl: http://example.org\nroot: /\n"
                                          "permalink: :year/:month/:day/:title/\npost_asset_folder: true\n"
                                          "theme: plain\n")
    (tmp_path / "package.json").write_text(json.dumps({"name": "site", "version": "0.0.0", "private": True,
                                                       "hexo": {"version": "8.0.0"}, "dependencies": {"hexo": "*", "hexo-renderer-ejs": "*",
                                                                        "hexo-renderer-marked": "*"}}))
    if modules.is_dir():
        (tmp_path / "node_modules").symlink_to(modules)
    theme = tmp_path / "themes" / "plain" / "layout"
    theme.mkdir(parents=True)
    (theme / "layout.ejs").write_text("<!DOCTYPE html><html><body><%- body %></body></html>\n")
    (theme / "post.ejs").write_text("<article><%- page.content %></article>\n")
    posts = write_site(tmp_path, "hexo")
    _run([hexo, "generate", "--silent"], tmp_path)
    pages = {name: tmp_path / "public" / DATE.replace("-", "/") / name / "index.html" for name in posts}
    check_built_site("hexo", tmp_path / "public", pages, posts, (r"\$\$(.*?)\$\$", r"\$(.+?)\$"))


MKDOCS_CONFIG = """site_name: derive posts
theme:
  name: material
markdown_extensions:
  - pymdownx.arithmatex:
      generic: true
extra_javascript:
  - javascripts/katex.js
  - https://unpkg.com/katex@0/dist/katex.min.js
  - https://unpkg.com/katex@0/dist/contrib/auto-render.min.js
extra_css:
  - https://unpkg.com/katex@0/dist/katex.min.css
"""


def test_mkdocs_material_site_builds_with_every_diagram_and_formula(tmp_path: Path) -> None:
    pytest.importorskip("mkdocs")
    pytest.importorskip("material")
    pytest.importorskip("pymdownx.arithmatex")
    (tmp_path / "mkdocs.yml").write_text(MKDOCS_CONFIG)
    (tmp_path / "docs" / "javascripts").mkdir(parents=True)
    (tmp_path / "docs" / "index.md").write_text("# Posts\n")
    (tmp_path / "docs" / "javascripts" / "katex.js").write_text(
        "document$.subscribe(({ body }) => { renderMathInElement(body, { delimiters: [\n"
        '  { left: "\\\\[", right: "\\\\]", display: true }, { left: "\\\\(", right: "\\\\)", display: false }] }) })\n')
    posts = write_site(tmp_path, "mkdocs")
    _run([sys.executable, "-m", "mkdocs", "build", "--quiet"], tmp_path)
    pages = {name: tmp_path / "site" / "posts" / name / "index.html" for name in posts}
    formulas = check_built_site("mkdocs", tmp_path / "site", pages, posts,
                                (r'<div class="arithmatex">\\\[(.*?)\\\]</div>',
                                 r'<span class="arithmatex">\\\((.*?)\\\)</span>'))
    try:
        katex_modules()
    except KatexUnavailable:
        return  # the formulas are the post's; test_posts_math renders those where node is installed
    unique = sorted({(f.tex, f.display) for f in formulas})
    errors = [(tex, error) for (tex, _), error in zip(unique, render_with_katex(unique)) if error]
    assert not errors, errors[:5]
