"""The `derive check` command's arguments and run function (cli.py holds one entry for it)."""

from __future__ import annotations

import argparse
import sys

#: Exit code when a step is wrong (0: nothing wrong; 2: usage error, from cli.py).
EXIT_WRONG = 1


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("post", metavar="POST", help="a Markdown (.md) or LaTeX (.tex) file")
    parser.add_argument("--net", required=True, metavar="NET",
                        help="the network the post derives: built-in example, FILE.toml, or mlp:3-4-2")
    parser.add_argument("--notation", metavar="MAP.toml", help="notation map: which symbol names which quantity")
    parser.add_argument("--json", action="store_true", help="machine-readable output")


def run(args: argparse.Namespace) -> int:
    from .api import check_file
    from .report import json_report, text_report

    report = check_file(args.post, args.net, notation=args.notation)
    sys.stdout.write(json_report(report) if args.json else text_report(report))
    return EXIT_WRONG if report.wrong else 0
