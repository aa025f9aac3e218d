"""`derive export NET [-o FILE.py]`: write the verified gradient module."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..arguments import add_network_arguments, network_spec, seed_number
from ..errors import DeriveError
from ..files import write_files
from ..inputs import shown
from . import BACKENDS, DTYPES, FORMS, REDUCTIONS, export_source


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_network_arguments(parser)
    parser.add_argument("-o", "--output", metavar="FILE.py", help="where to write the module (default: stdout)")
    parser.add_argument("--form", default="auto", help=f"{', '.join(FORMS)} (default auto: scalar for tiny networks)")
    parser.add_argument("--dtype", default="float64", help=f"{', '.join(DTYPES)} (default float64)")
    parser.add_argument("--reduction", default="sum", help=f"{', '.join(REDUCTIONS)}: the cost over the batch")
    parser.add_argument("--backend", default="numpy", help=f"{', '.join(BACKENDS)}")
    parser.add_argument("--force", action="store_true", help="overwrite a file that was edited by hand")
    parser.add_argument("--seed", type=seed_number, default=0, help="seed of the numeric verification (default 0)")


def run(args: argparse.Namespace) -> int:
    spec = network_spec(args)
    settings = ", ".join(f"{k} {getattr(args, k)}" for k in ("form", "dtype", "reduction", "backend"))
    command = f"derive export {spec.name} ({settings})"
    text = export_source(spec, form=args.form, dtype=args.dtype, reduction=args.reduction, backend=args.backend,
                         seed=args.seed, source=command)
    if not args.output or args.output == "-":
        sys.stdout.write(text)
        return 0
    target = Path(args.output)
    if target.suffix != ".py":
        raise DeriveError(f"the output file {args.output!r} must end in .py (it is a Python module)")
    write_files(target.parent, {target.name: text}, force=args.force)
    print(f"wrote {shown(target)}", file=sys.stderr)
    return 0
