"""The posts a `derive check PATH…` names: files as given, folders searched for posts."""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import DeriveError
from ..inputs import shown

#: What a folder is searched for (a file named on the command line is read whatever its suffix).
POST_SUFFIXES = (".md", ".markdown", ".tex", ".ipynb")
#: Folders never searched, beside hidden ones (.git, .venv, …): other people's packages.
SKIPPED_FOLDERS = ("node_modules",)


def find_posts(paths: list[str | Path]) -> list[Path]:
    """Every file given, and every post inside every folder given (recursively, in sorted order of
    their path, skipping hidden files and folders and node_modules); each post once, in the order
    of the arguments."""
    found: list[Path] = []
    for given in map(Path, paths):
        if _exists(given) and not given.is_dir():  # a device or FIFO is refused when read, by name
            found.append(given)
        elif given.is_dir():
            inside = _posts_in(given)
            if not inside:
                raise DeriveError(f"no posts ({', '.join(POST_SUFFIXES)}) in the folder {shown(given)}")
            found += inside
        else:
            raise DeriveError(f"no such file or folder: {shown(given)}")
    seen: set[Path] = set()
    unique = []
    for path in found:
        key = path.resolve()
        if key not in seen:
            seen.add(key)
            unique.append(path)
    return unique


def _exists(path: Path) -> bool:
    """Whether something is at path (a name too long for the file system is nothing)."""
    return os.path.lexists(path)


def _posts_in(folder: Path) -> list[Path]:
    posts = []
    for root, folders, files in os.walk(folder):
        folders[:] = [f for f in folders if not f.startswith(".") and f not in SKIPPED_FOLDERS]
        posts += [Path(root, name) for name in files
                  if not name.startswith(".") and name.lower().endswith(POST_SUFFIXES)]
    return sorted(posts, key=lambda p: p.relative_to(folder).parts)
