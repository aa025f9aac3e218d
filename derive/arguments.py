"""The network arguments every command takes, defined once: NET and the shorthand options.

`derive show`, `post`, `export` and `check` all name a network the same way (a built-in example,
FILE.toml, or `mlp:3-4-2` with `--activation`, `--output-activation`, `--cost`, `--convention`,
`--no-bias`, `--batch`, `--normalize`; `--reduction` for any NET), and `network_spec` turns what was given into the one
`NetworkSpec`. The commands import this module; it imports none of them (nor cli.py).
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable
from typing import Any

from .api import MAX_SEED, resolve_network
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
    training = parser.add_argument_group("training options (any NET)")
    training.add_argument("--reduction", help="sum (default) or mean: how the cost combines the samples of a batch")
    training.add_argument("--l2", metavar="LAMBDA", type=_non_negative_number,
                          help="L2 penalty (weight decay) λ/2 Σ‖W‖² added to the cost")
    training.add_argument("--l2-bias", action="store_true", help="the L2 penalty also covers the biases")
    training.add_argument("--dropout", metavar="LAYERS", type=_layer_list,
                          help="hidden layers with a given dropout mask m^l, e.g. 1 or 1,2: a^l = f(z^l) ⊙ m^l")
    training.add_argument("--residual", metavar="L:J", type=_residual_list,
                          help="residual (skip) connections layer:from, e.g. 3:1 or 2:0,4:2: a^l = f(z^l) + a^j")
    training.add_argument("--norm", metavar="KIND[:LAYERS]",
                          help="batch or layer normalisation between z^l and f: batch (every hidden layer), "
                               "batch:1,2, layer, layer:1; those layers lose b^l (β^l takes its place)")
    training.add_argument("--norm-epsilon", metavar="EPS", type=_positive_number,
                          help="the ε of the normalisation's √(σ² + ε) (default 1e-05)")


def _whole_number(low: int, high: int | None = None) -> Callable[[str], int]:
    """An argparse type: ASCII digits only (no sign, no full-width ３, no 1_000), in [low, high]."""
    wanted = f"a whole number >= {low}" if high is None else f"a whole number from {low} to {high}"

    def parse(text: str) -> int:
        if not re.fullmatch(r"[0-9]{1,30}", text) or int(text) < low or (high is not None and int(text) > high):
            raise argparse.ArgumentTypeError(f"must be {wanted}, not {text!r}")
        return int(text)

    return parse


_positive_int = _whole_number(1)
#: --seed of show, post and export.
seed_number = _whole_number(0, MAX_SEED)


def _non_negative_number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number >= 0, not {text!r}") from None
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a number >= 0, not {text!r}")
    return value


def _positive_number(text: str) -> float:
    value = _non_negative_number(text)
    if value == 0:
        raise argparse.ArgumentTypeError(f"must be a number > 0, not {text!r}")
    return value


def _layer_list(text: str) -> tuple[int, ...]:
    try:
        layers = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be layer numbers such as 1 or 1,2, not {text!r}") from None
    return layers


def _residual_list(text: str) -> tuple[tuple[int, int], ...]:
    pairs = []
    for part in text.split(","):
        match = re.fullmatch(r"([0-9]{1,9}):([0-9]{1,9})", part.strip())
        if not match:
            raise argparse.ArgumentTypeError(f"must be layer:from pairs such as 3:1 or 2:0,4:2, not {text!r}")
        pairs.append((int(match.group(1)), int(match.group(2))))
    return tuple(pairs)


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
        "reduction": args.reduction,
        "l2": args.l2,
        "l2_bias": True if args.l2_bias else None,
        "dropout": args.dropout,
        "residual": args.residual,
        "norm": args.norm,
        "norm_epsilon": args.norm_epsilon,
    }


def network_spec(args: argparse.Namespace) -> NetworkSpec | None:
    """The network the arguments name, or None when no NET was given (where that is allowed)."""
    if args.net is None:
        return None
    return resolve_network(args.net, **network_options(args))
