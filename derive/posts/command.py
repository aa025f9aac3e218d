"""`derive post`: write one post, or (`--all`) every post of every built-in example.

    derive post two-two-two --platform hugo --lang zh        # output/two-two-two/two-two-two.hugo.zh.md
    derive post mlp:3-4-2 --platform latex -o my-posts/      # any network derive can derive
    derive post two-two-two --platform hugo --site blog/     # blog/content/posts/two-two-two/index.md
    derive post --all                                        # regenerate output/ completely
"""

from __future__ import annotations

import argparse
import datetime
import sys
from pathlib import Path

from ..arguments import add_network_arguments, network_spec, seed_number
from ..derivation import Derivation
from ..errors import DeriveError
from ..files import write_trees
from ..inputs import shown
from ..spec import NetworkSpec
from .render import LANGUAGES, PLATFORMS, PostSource, language, platform, render_post

#: Where posts go by default, relative to the working directory; the tree holds generated posts
#: only, so regenerating overwrites freely there.
OUTPUT_ROOT = Path("output")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_network_arguments(parser, required=False)  # --all takes no NET
    parser.add_argument("--platform", help=f"one of: {', '.join(PLATFORMS)}")
    parser.add_argument("--lang", default="en", help=f"one of: {', '.join(LANGUAGES)} (default en)")
    parser.add_argument("-o", "--output", metavar="DIR", help="directory of the post (default output/NET/)")
    parser.add_argument("--site", metavar="DIR",
                        help="write into DIR laid out as the platform's site source (content/posts/… for Hugo)")
    parser.add_argument("--date", help="the post's date in a site, YYYY-MM-DD (default today)")
    parser.add_argument("--no-code", action="store_true", help="leave out the code section")
    parser.add_argument("--all", action="store_true",
                        help="every built-in example, every platform, both languages, into DIR/NET/ (default output/)")
    parser.add_argument("--force", action="store_true", help="overwrite files that were edited by hand")
    parser.add_argument("--seed", type=seed_number, default=0, help="seed of the checks and the worked example (default 0)")


def derivation_for_post(net: str | NetworkSpec, seed: int, **options: object) -> Derivation:
    """A batched network's post writes one entry of each product out as a sum over the batch,
    so its derivation states every step entry by entry too."""
    from ..api import derive, resolve_network

    spec = resolve_network(net, **options)
    return derive(spec, seed=seed, components=spec.batch is not None and not spec.general)


def write_tree(root: Path, files: dict[str, str], *, force: bool = False,
               free_root: Path | None = OUTPUT_ROOT) -> list[Path]:
    """Write files given by paths relative to root (a site puts them in several directories):
    every refusal is found before anything is written."""
    groups: dict[Path, dict[str, str]] = {}
    for name, text in sorted(files.items()):
        relative = Path(name)
        groups.setdefault(root / relative.parent, {})[relative.name] = text
    return write_trees(groups, force=force, free_root=free_root)


def write_post(source: PostSource, platform_name: str, lang: str, directory: Path, *, force: bool = False,
               free_root: Path | None = OUTPUT_ROOT, date: str | None = None) -> list[Path]:
    """One post into `directory`: flat (NET.PLATFORM.LANG.EXT and NET.svg), or with a `date`
    laid out as the platform's site source."""
    return write_tree(directory, render_post(source, platform_name, lang, date), force=force, free_root=free_root)


def write_all(root: Path = OUTPUT_ROOT, *, seed: int = 0, force: bool = False,
              free_root: Path | None = OUTPUT_ROOT, code: bool = True) -> list[Path]:
    """Every post of every built-in example: root/NET/NET.PLATFORM.LANG.EXT (and NET.svg)."""
    from ..examples import EXAMPLES

    trees: dict[Path, dict[str, str]] = {}
    for name in EXAMPLES:
        source = PostSource(derivation_for_post(name, seed), seed, code=code)
        files = trees.setdefault(root / name, {})
        for platform_name in PLATFORMS:
            for lang in LANGUAGES:
                files.update(render_post(source, platform_name, lang))
    return write_trees(trees, force=force, free_root=free_root)


def site_date(text: str | None) -> str:
    """The date of a post in a site: YYYY-MM-DD as given, or today."""
    if text is None:
        return datetime.date.today().isoformat()
    try:
        return datetime.date.fromisoformat(text).isoformat()
    except ValueError:
        raise DeriveError(f"bad --date {text!r}: give a date as YYYY-MM-DD, e.g. 2024-05-17") from None


def _check_combination(args: argparse.Namespace) -> None:
    if args.all and (args.net is not None or args.platform is not None):
        raise DeriveError("--all writes every example and platform: give no NET and no --platform with it")
    if args.site is not None and (args.all or args.output is not None):
        raise DeriveError("--site writes one post into a site: give NET and --platform, and no --all or -o with it")
    if args.date is not None and args.site is None:
        raise DeriveError("--date is the date of a post in a site: use it with --site DIR")


def run(args: argparse.Namespace) -> int:
    _check_combination(args)
    if args.all:
        root = Path(args.output) if args.output else OUTPUT_ROOT
        written = write_all(root, seed=args.seed, force=args.force, code=not args.no_code)
    else:
        if args.net is None:
            raise DeriveError("missing NET: name a network (e.g. two-two-two), or pass --all")
        if args.platform is None:
            raise DeriveError(f"missing --platform; valid choices: {', '.join(PLATFORMS)}")
        platform(args.platform)
        language(args.lang)
        date = site_date(args.date) if args.site is not None else None
        source = PostSource(derivation_for_post(network_spec(args), args.seed), args.seed, code=not args.no_code)
        if args.site is not None:
            directory = Path(args.site)
        else:
            directory = Path(args.output) if args.output else OUTPUT_ROOT / source.name
        written = write_post(source, args.platform, args.lang, directory, force=args.force, date=date)
    sys.stdout.write("".join(f"{shown(path)}\n" for path in written))
    return 0
