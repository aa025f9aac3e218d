"""`derive export NET [-o FILE.py]`: write the verified gradient module."""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from ..api import resolve_network
from ..arguments import add_network_arguments, network_options, seed_number
from ..errors import DeriveError
from ..files import write_files
from ..inputs import shown
from . import BACKENDS, DTYPES, FORMS, LABELS, export_source
from .options import DEFAULTS

#: The options that shape the module, in the order its recorded command line gives them
#: (--force is left out: it decides whether to write, not what).
RECORDED = (("--activation", "activation"), ("--output-activation", "output_activation"), ("--cost", "cost"),
            ("--convention", "convention"), ("--no-bias", "no_bias"), ("--batch", "batch"),
            ("--normalize", "normalize"), ("--reduction", "reduction"), ("--l2", "l2"), ("--l2-bias", "l2_bias"),
            ("--dropout", "dropout"), ("--residual", "residual"), ("--norm", "norm"), ("--norm-epsilon", "norm_epsilon"),
            ("--form", "form"), ("--dtype", "dtype"), ("--backend", "backend"),
            ("--labels", "labels"), ("--seed", "seed"), ("-o", "output"))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_network_arguments(parser)
    parser.add_argument("-o", "--output", metavar="FILE.py", help="where to write the module (default: stdout)")
    parser.add_argument("--form", default="auto", help=f"{', '.join(FORMS)} (default auto: scalar for tiny networks)")
    parser.add_argument("--dtype", default="float64", help=f"{', '.join(DTYPES)} (default float64)")
    parser.add_argument("--backend", default="numpy", help=f"{', '.join(BACKENDS)}")
    parser.add_argument("--labels", default="dense",
                        help=f"{', '.join(LABELS)}: y of the output's shape, or integer class labels of shape (B,) "
                             "(softmax with cross-entropy)")
    parser.add_argument("--force", action="store_true", help="overwrite a file that was edited by hand")
    parser.add_argument("--seed", type=seed_number, default=0, help="seed of the numeric verification (default 0)")


def command_line(args: argparse.Namespace) -> str:
    """The command that made the module, with every option that shapes it (defaults left out)."""
    words = ["derive", "export", args.net]
    for flag, name in RECORDED:
        value = getattr(args, name, None)
        if value is None or value is False or (value == DEFAULTS.get(name) and name != "reduction") or (name == "output" and value == "-"):
            continue
        if isinstance(value, tuple):  # --dropout 1,2; --residual 3:1,4:2
            value = ",".join(":".join(map(str, v)) if isinstance(v, tuple) else str(v) for v in value)
        words += [flag] if value is True else [flag, str(value)]
    return shlex.join(words)


def run(args: argparse.Namespace) -> int:
    options = network_options(args)
    reduction = options.pop("reduction")  # applied to the exported (always batched) network
    spec = resolve_network(args.net, **options)
    text = export_source(spec, form=args.form, dtype=args.dtype, reduction=reduction, backend=args.backend,
                         labels=args.labels, seed=args.seed, source=command_line(args))
    if not args.output or args.output == "-":
        sys.stdout.write(text)
        return 0
    target = Path(args.output)
    if target.suffix != ".py":
        raise DeriveError(f"the output file {args.output!r} must end in .py (it is a Python module)")
    write_files(target.parent, {target.name: text}, force=args.force)
    print(f"wrote {shown(target)}", file=sys.stderr)
    return 0
