"""The `derive check` command: its arguments, and the report and exit code it produces (cli.py
holds its one entry in COMMANDS, prints, and turns a DeriveError into exit code 2)."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from ..arguments import add_network_arguments, network_spec

#: Exit code when a step is wrong (0: nothing wrong; 2: usage error, from cli.py).
EXIT_WRONG = 1
FORMATS = ("text", "json", "github")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", metavar="PATH",
                        help="posts (Markdown .md, LaTeX .tex, Jupyter .ipynb) or folders searched for them")
    add_network_arguments(parser, flag="--net", required=False)
    parser.add_argument("--notation", metavar="MAP.toml", help="notation map: which symbol names which quantity")
    parser.add_argument("--suggest-notation", action="store_true",
                        help="print a starting notation map read from the post's symbol descriptions and forward "
                             "pass (TOML, for --notation), judge nothing, exit 0")
    output = parser.add_mutually_exclusive_group()
    output.add_argument("--format", choices=FORMATS, default="text",
                        help="text (default), json, or github (GitHub Actions annotations for wrong steps)")
    output.add_argument("--json", action="store_true", help="machine-readable output (same as --format json)")


def run(args: argparse.Namespace) -> tuple[str, int]:
    from .api import check_paths
    from .report import (
        github_annotations,
        json_report,
        json_reports,
        text_report,
        text_reports,
    )

    if args.suggest_notation:
        return _suggest(args), 0
    reports = check_paths(args.paths, network_spec(args), notation=args.notation)
    output = "json" if args.json else args.format
    # One file named on the command line keeps the one-post report; folders and several paths get
    # the list and its summary line.
    if output == "github":
        text = github_annotations(reports)
    elif len(args.paths) == 1 and Path(args.paths[0]).is_file():
        text = (json_report if output == "json" else text_report)(reports[0])
    else:
        text = (json_reports if output == "json" else text_reports)(reports)
    return text, (EXIT_WRONG if any(r.wrong for r in reports) else 0)


def _suggest(args: argparse.Namespace) -> str:
    from ..errors import DeriveError
    from .api import suggest_file

    if len(args.paths) != 1 or os.path.isdir(args.paths[0]):  # a file that cannot be read is refused by name
        raise DeriveError("--suggest-notation reads one post: give one file (Markdown .md, LaTeX .tex or Jupyter "
                          ".ipynb), not " + (f"{len(args.paths)} paths" if len(args.paths) != 1 else "a folder"))
    if args.json or args.format != "text" or args.notation is not None:
        raise DeriveError("--suggest-notation prints a TOML map: it takes no --format, --json or --notation")
    return suggest_file(args.paths[0], network_spec(args), net_name=args.net)
