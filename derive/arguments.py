"""The network arguments every command takes, defined once: NET and the shorthand options.

`derive show`, `post`, `export` and `check` all name a network the same way (a built-in example,
FILE.toml, or `mlp:3-4-2` with `--activation`, `--output-activation`, `--cost`, `--convention`,
`--no-bias`, `--batch`, `--normalize`), and `network_spec` turns what was given into the one
`NetworkSpec`. The commands import this module; it imports none of them (nor cli.py).
"""

from __future__ import annotations

import argparse
from typing import Any

from .api import resolve_network
from .spec import NetworkSpec

NET_HELP = "built-in example, FILE.toml, or shorthand such as mlp:3-4-2"


def add_network_arguments(parser: argparse.ArgumentParser, *, flag: str | None = None,
                          required: bool = True) -> None:
    """NET and the shorthand options. NET is positional, or the option `flag` (check's `--net`,
    beside its POST); not `required` for a command that can also run without one (post --all)."""
    if flag is None:
        parser.add_argument("net", metavar="NET", nargs=None if required else "?", help=NET_HELP)
    else:
        parser.add_argument(flag, dest="net", metavar="NET", required=required,
                            help=f"the network: {NET_HELP}")
    group = parser.add_argument_group("shorthand options (mlp:... only)")
    group.add_argument("--activation", help="activation of every layer, or one per layer: tanh or relu,relu,sigmoid")
    group.add_argument("--output-activation", help="activation of the output layer")
    group.add_argument("--cost", help="cost function (see 'derive list')")
    group.add_argument("--convention", help="column (z = W a + b) or row (Z = X W + b)")
    group.add_argument("--no-bias", action="store_true", help="layers without biases")
    group.add_argument("--batch", type=_positive_int, help="a batch of N samples (default: one sample)")
    group.add_argument("--normalize", action="store_true", help="standardise the input first")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 1, not {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 1, not {text!r}")
    return value


def network_options(args: argparse.Namespace) -> dict[str, Any]:
    """The shorthand options as `resolve_network` takes them (None: not given)."""
    activation = args.activation
    if activation is not None and "," in activation:
        activation = [a.strip() for a in activation.split(",")]
    return {
        "activation": activation,
        "output_activation": args.output_activation,
        "cost": args.cost,
        "convention": args.convention,
        "bias": False if args.no_bias else None,
        "batch": args.batch,
        "normalize_input": True if args.normalize else None,
    }


def network_spec(args: argparse.Namespace) -> NetworkSpec | None:
    """The network the arguments name, or None when no NET was given (where that is allowed)."""
    if args.net is None:
        return None
    return resolve_network(args.net, **network_options(args))
