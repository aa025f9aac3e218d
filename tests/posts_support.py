"""Shared by the post tests: one fresh generation of every post per test run, and KaTeX in node."""

from __future__ import annotations

import atexit
import json
import os
import shutil
import subprocess
import tempfile
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "output"
#: KaTeX as blog themes load it; installed with npm into a git-ignored cache.
KATEX_VERSION = "0.16.47"
NODE_CACHE = ROOT / ".cache" / "node"
KATEX_SCRIPT = Path(__file__).resolve().parent / "katex_render.js"


@lru_cache(maxsize=None)
def generated() -> Path:
    """Every post of every example, freshly generated into a temporary directory (once)."""
    from derive.posts.command import write_all

    directory = Path(tempfile.mkdtemp(prefix="derive-posts-"))
    atexit.register(shutil.rmtree, directory, True)
    write_all(directory, free_root=None)
    return directory


def post_files(root: Path) -> list[Path]:
    return sorted(p for p in root.glob("*/*") if p.suffix in (".md", ".ipynb", ".tex"))


def platform_of(path: Path) -> str:
    return path.name.split(".")[-3]


def language_of(path: Path) -> str:
    return path.name.split(".")[-2]


class KatexUnavailable(Exception):
    pass


@lru_cache(maxsize=None)
def katex_modules() -> Path:
    """node_modules holding KaTeX, installed on first use (npm needs the registry)."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None:
        raise KatexUnavailable("node is not installed")
    modules = NODE_CACHE / "node_modules"
    installed = modules / "katex" / "package.json"
    if installed.is_file() and json.loads(installed.read_text())["version"] == KATEX_VERSION:
        return modules
    if npm is None:
        raise RuntimeError("node is installed but npm is not: cannot install KaTeX")
    NODE_CACHE.mkdir(parents=True, exist_ok=True)
    result = subprocess.run([npm, "install", "--prefix", str(NODE_CACHE), f"katex@{KATEX_VERSION}", "--no-audit",
                             "--no-fund", "--loglevel=error"], capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        raise RuntimeError(f"npm install katex failed: {result.stderr.strip()}")
    return modules


def render_with_katex(formulas: list[tuple[str, bool]]) -> list[str | None]:
    """KaTeX's verdict on each (tex, display): None, or its error message."""
    env = {**os.environ, "NODE_PATH": str(katex_modules())}
    payload = json.dumps([{"tex": tex, "display": display} for tex, display in formulas])
    result = subprocess.run(["node", str(KATEX_SCRIPT)], input=payload, capture_output=True, text=True, env=env,
                            timeout=600)
    if result.returncode != 0:
        raise RuntimeError(f"node failed: {result.stderr.strip()}")
    return json.loads(result.stdout)


def strict_katex_errors(files: dict[str, str]) -> list[tuple[str, str]]:
    """(tex, KaTeX's error) for every distinct formula of the posts `files` (name -> text) that
    strict KaTeX refuses; pytest skips where node is absent."""
    import pytest

    import platform_math as pm

    try:
        katex_modules()
    except KatexUnavailable as reason:
        pytest.skip(str(reason))
    formulas = set()
    for name, text in files.items():
        formulas |= {(f.tex, f.display) for f in pm.EXTRACTORS[name.split(".")[-3]](text)}
    unique = sorted(formulas)
    return [(tex, error) for (tex, _), error in zip(unique, render_with_katex(unique)) if error]


@lru_cache(maxsize=None)
def source(net: str, code: bool = True):  # -> derive.posts.render.PostSource
    """The shared material of a built-in example's posts, built once per test run."""
    from derive.posts.command import derivation_for_post
    from derive.posts.render import PostSource

    return PostSource(derivation_for_post(net, 0), 0, code=code)


def section(text: str, start: str, end: str | None) -> str:
    """The text from the first `start` up to the next `end` after it (or the end)."""
    begin = text.index(start)
    stop = text.index(end, begin + len(start)) if end is not None else len(text)
    return text[begin:stop]
