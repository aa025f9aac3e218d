"""`derive post`: write one post, or (`--all`) every post of every built-in example.

    derive post two-two-two --platform hugo --lang zh        # output/two-two-two/two-two-two.hugo.zh.md
    derive post mlp:3-4-2 --platform latex -o my-posts/      # any network derive can derive
    derive post --all                                        # regenerate output/ completely
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..derivation import Derivation
from ..errors import DeriveError
from ..files import write_files, write_trees
from ..inputs import shown
from .render import LANGUAGES, PLATFORMS, PostSource, language, platform, render_post

#: Where posts go by default, relative to the working directory; the tree holds generated posts
#: only, so regenerating overwrites freely there.
OUTPUT_ROOT = Path("output")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from ..cli import add_network_arguments, seed_number

    add_network_arguments(parser, optional=True)  # --all takes no NET
    parser.add_argument("--platform", help=f"one of: {', '.join(PLATFORMS)}")
    parser.add_argument("--lang", default="en", help=f"one of: {', '.join(LANGUAGES)} (default en)")
    parser.add_argument("-o", "--output", metavar="DIR", help="directory of the post (default output/NET/)")
    parser.add_argument("--all", action="store_true",
                        help="every built-in example, every platform, both languages, into DIR/NET/ (default output/)")
    parser.add_argument("--force", action="store_true", help="overwrite files that were edited by hand")
    parser.add_argument("--seed", type=seed_number, default=0, help="seed of the checks and the worked example (default 0)")


def derivation_for_post(net: str, seed: int, **options: object) -> Derivation:
    """A batched network's post writes one entry of each product out as a sum over the batch,
    so its derivation states every step entry by entry too."""
    from ..api import derive, resolve_network

    spec = resolve_network(net, **options)
    return derive(spec, seed=seed, components=spec.batch is not None and not spec.general)


def write_post(source: PostSource, platform_name: str, lang: str, directory: Path, *, force: bool = False,
               free_root: Path | None = OUTPUT_ROOT) -> list[Path]:
    files = render_post(source, platform_name, lang)
    return write_files(directory, files, force=force, free_root=free_root)


def write_all(root: Path = OUTPUT_ROOT, *, seed: int = 0, force: bool = False,
              free_root: Path | None = OUTPUT_ROOT) -> list[Path]:
    """Every post of every built-in example: root/NET/NET.PLATFORM.LANG.EXT (and NET.svg)."""
    from ..examples import EXAMPLES

    trees: dict[Path, dict[str, str]] = {}
    for name in EXAMPLES:
        source = PostSource(derivation_for_post(name, seed), seed)
        files = trees.setdefault(root / name, {})
        for platform_name in PLATFORMS:
            for lang in LANGUAGES:
                files.update(render_post(source, platform_name, lang))
    return write_trees(trees, force=force, free_root=free_root)


def run(args: argparse.Namespace) -> int:
    from ..cli import network_options

    if args.all:
        if args.net is not None or args.platform is not None:
            raise DeriveError("--all writes every example and platform: give no NET and no --platform with it")
        root = Path(args.output) if args.output else OUTPUT_ROOT
        written = write_all(root, seed=args.seed, force=args.force)
    else:
        if args.net is None:
            raise DeriveError("missing NET: name a network (e.g. two-two-two), or pass --all")
        if args.platform is None:
            raise DeriveError(f"missing --platform; valid choices: {', '.join(PLATFORMS)}")
        platform(args.platform)
        language(args.lang)
        source = PostSource(derivation_for_post(args.net, args.seed, **network_options(args)), args.seed)
        directory = Path(args.output) if args.output else OUTPUT_ROOT / source.name
        written = write_post(source, args.platform, args.lang, directory, force=args.force)
    sys.stdout.write("".join(f"{shown(path)}\n" for path in written))
    return 0
