"""The `derive check` command: its arguments, and the report and exit code it produces (cli.py
holds its one entry in COMMANDS, prints, and turns a DeriveError into exit code 2)."""

from __future__ import annotations

import argparse

from ..arguments import add_network_arguments, network_spec

#: Exit code when a step is wrong (0: nothing wrong; 2: usage error, from cli.py).
EXIT_WRONG = 1


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("post", metavar="POST", help="a Markdown (.md), LaTeX (.tex) or Jupyter (.ipynb) post")
    add_network_arguments(parser, flag="--net")
    parser.add_argument("--notation", metavar="MAP.toml", help="notation map: which symbol names which quantity")
    parser.add_argument("--json", action="store_true", help="machine-readable output")


def run(args: argparse.Namespace) -> tuple[str, int]:
    from .api import check_file
    from .report import json_report, text_report

    report = check_file(args.post, network_spec(args), notation=args.notation)
    return (json_report(report) if args.json else text_report(report)), (EXIT_WRONG if report.wrong else 0)
