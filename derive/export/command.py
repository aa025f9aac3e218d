"""`derive export NET [-o FILE.py]`: write the verified gradient module."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..api import resolve_network
from ..arguments import add_network_arguments, network_options
from ..errors import DeriveError
from ..files import check_overwrites, prepare_directory, write_atomic
from . import BACKENDS, DTYPES, FORMS, export_source


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_network_arguments(parser)
    parser.add_argument("-o", "--output", metavar="FILE.py", help="where to write the module (default: stdout)")
    parser.add_argument("--form", default="auto", help=f"{', '.join(FORMS)} (default auto: scalar for tiny networks)")
    parser.add_argument("--dtype", default="float64", help=f"{', '.join(DTYPES)} (default float64)")
    parser.add_argument("--backend", default="numpy", help=f"{', '.join(BACKENDS)}")
    parser.add_argument("--force", action="store_true", help="overwrite a file that was edited by hand")
    parser.add_argument("--seed", type=int, default=0, help="seed of the numeric verification (default 0)")


def run(args: argparse.Namespace) -> int:
    options = network_options(args)
    reduction = options.pop("reduction")  # applied to the exported (always batched) network
    spec = resolve_network(args.net, **options)
    values = {"form": args.form, "dtype": args.dtype, "reduction": reduction or spec.reduction, "backend": args.backend}
    settings = ", ".join(f"{k} {v}" for k, v in values.items())
    command = f"derive export {spec.name} ({settings})"
    text = export_source(spec, form=args.form, dtype=args.dtype, reduction=reduction, backend=args.backend,
                         seed=args.seed, source=command)
    if not args.output or args.output == "-":
        sys.stdout.write(text)
        return 0
    target = Path(args.output)
    if target.suffix != ".py":
        raise DeriveError(f"the output file {args.output!r} must end in .py (it is a Python module)")
    prepare_directory(target.parent if str(target.parent) else Path("."))
    check_overwrites(target.parent, {target.name: text}, force=args.force, free_root=None)
    try:
        write_atomic(target, text)
    except OSError as exc:
        raise DeriveError(f"cannot write {target}: {exc.strerror or exc}") from None
    print(f"wrote {target}", file=sys.stderr)
    return 0
