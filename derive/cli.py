"""The `derive` command. Only this module prints or exits.

Every user-facing failure is one line on stderr ("derive: error: …") and exit code 2; a formula
that fails verification is exit code 3; nothing half-written is left on disk. Subcommands are
one entry each in COMMANDS: (help, add_arguments, run).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from collections.abc import Callable
from typing import NoReturn

from . import __version__
from .errors import DeriveError, VerificationError

EXIT_USAGE = 2
EXIT_VERIFICATION = 3
EXIT_INTERNAL = 70


class ArgumentParser(argparse.ArgumentParser):
    """argparse, but a usage error is one line and exit code 2, never a usage dump."""

    def error(self, message: str) -> NoReturn:
        raise DeriveError(f"{message} (see 'derive --help')")


# ----------------------------------------------------------------------------------------------
# Commands
# ----------------------------------------------------------------------------------------------


def _list_arguments(parser: argparse.ArgumentParser) -> None:
    pass


def _list(args: argparse.Namespace) -> int:
    from . import rules
    from .examples import EXAMPLES
    from .spec import CONVENTIONS, TRAINING_KEYS

    out = ["examples:"]
    out += [f"  {name:20s} {spec.description}" for name, spec in EXAMPLES.items()]
    out.append("activations:")
    out += [f"  {name:20s} {entry.summary}" for name, entry in rules.ACTIVATIONS.items()]
    out.append("costs:")
    for name, entry in rules.COSTS.items():
        alias = f" (also: {', '.join(entry.aliases)})" if entry.aliases else ""
        out.append(f"  {name:20s} {entry.summary}{alias}")
    out.append("conventions:")
    out.append(f"  {CONVENTIONS[0]:20s} z = W a + b, W is n_l × n_(l−1), samples as columns")
    out.append(f"  {CONVENTIONS[1]:20s} Z = X W + b, W is n_(l−1) × n_l, samples as rows")
    out.append("training (spec keys, any network):")
    out += [f"  {key:20s} {text}" for key, text in TRAINING_KEYS.items()]
    print("\n".join(out))
    return 0


def _show_arguments(parser: argparse.ArgumentParser) -> None:
    from .arguments import add_network_arguments, seed_number

    add_network_arguments(parser)
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--seed", type=seed_number, default=0, help="seed of the numeric checks (default 0)")


def _show(args: argparse.Namespace) -> int:
    from .api import derive
    from .arguments import network_spec
    from .report import json_report, text_report

    d = derive(network_spec(args), seed=args.seed)
    sys.stdout.write(json_report(d) if args.json else text_report(d))
    return 0


def _check_arguments(parser: argparse.ArgumentParser) -> None:
    from .check.cli import add_arguments

    add_arguments(parser)


def _check(args: argparse.Namespace) -> int:
    from .check.cli import run

    text, code = run(args)
    sys.stdout.write(text)
    return code


Command = tuple[str, Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]]


def _lazy(module: str) -> tuple[Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]]:
    """(add_arguments, run) of a command module, imported only when the command is used."""
    from importlib import import_module

    def add_arguments(parser: argparse.ArgumentParser) -> None:
        import_module(f".{module}", __package__).add_arguments(parser)

    def run(args: argparse.Namespace) -> int:
        return import_module(f".{module}", __package__).run(args)

    return add_arguments, run

COMMANDS: dict[str, Command] = {
    "list": ("list examples, activations, costs and conventions", _list_arguments, _list),
    "show": ("show the verified derivation of a network", _show_arguments, _show),
    "post": ("write a blog post of the derivation (Markdown, notebook or LaTeX)", *_lazy("posts.command")),
    "export": ("write a standalone, verified NumPy gradient module", *_lazy("export.command")),
    "check": ("check a hand-written derivation (Markdown or LaTeX) step by step", _check_arguments, _check),
}


def make_parser(command: str | None = None) -> ArgumentParser:
    """The parser; with `command`, only that subcommand's arguments are built (building the
    others would import their modules: Jinja for post, the checker for check)."""
    parser = ArgumentParser(prog="derive", description="Derive backpropagation symbolically, prove it, publish it.")
    parser.add_argument("--version", action="version", version=f"derive {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=ArgumentParser)
    sub.required = True
    for name, (help_text, add_arguments, _) in COMMANDS.items():
        subparser = sub.add_parser(name, help=help_text, description=help_text)
        if command is None or name == command:
            add_arguments(subparser)
    return parser


class Terminated(KeyboardInterrupt):
    """SIGTERM (what `timeout`, `kill` and CI cancellation send), handled like Ctrl-C: unwinding
    removes any temporary file, and the exit code is 128 + the signal's number."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _terminate(signum: int, frame: object) -> NoReturn:
    raise Terminated(signum)


def main(argv: list[str] | None = None) -> int:
    try:
        previous = signal.signal(signal.SIGTERM, _terminate)
    except ValueError:  # not the main thread: leave signals to the caller
        previous = None
    try:
        return _main(argv)
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _main(argv: list[str] | None) -> int:
    try:
        words = sys.argv[1:] if argv is None else argv
        command = next((w for w in words if not w.startswith("-")), None)
        if command is not None and command not in COMMANDS:
            raise DeriveError(f"unknown command {command!r}; valid choices: {', '.join(COMMANDS)}")
        args = make_parser(command).parse_args(argv)
        return COMMANDS[args.command][2](args)
    except VerificationError as exc:
        print(f"derive: verification failed: {exc}", file=sys.stderr)
        return EXIT_VERIFICATION
    except DeriveError as exc:
        print(f"derive: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt as exc:
        signum = exc.signum if isinstance(exc, Terminated) else signal.SIGINT
        print("derive: terminated" if signum == signal.SIGTERM else "derive: interrupted", file=sys.stderr)
        return 128 + signum
    except BrokenPipeError:
        # Output piped into `head` and closed early: not an error of ours.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except Exception as exc:  # pragma: no cover - a bug: one line, the traceback only on request
        if os.environ.get("DERIVE_DEBUG"):
            raise
        print(f"derive: internal error: {type(exc).__name__}: {exc} (set DERIVE_DEBUG=1 for a traceback)",
              file=sys.stderr)
        return EXIT_INTERNAL
