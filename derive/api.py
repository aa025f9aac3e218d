"""The library entry points: name a network, get its verified derivation."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from .backprop import build_concrete, build_general
from .derivation import Derivation
from .errors import DeriveError, UnknownName
from .examples import EXAMPLES
from .spec import NetworkSpec, build, load_toml, parse_shorthand, without_norm_biases
from .verify import verify

#: Seeds of the numeric checks and worked examples: NumPy's generators take any whole number >= 0;
#: derive takes those that fit in 32 bits.
MAX_SEED = 2**32 - 1
SHORTHAND_OPTIONS = ("activation", "output_activation", "cost", "convention", "bias", "batch", "normalize_input")
#: Options that apply to every network (an example, a spec file or a shorthand): how it is trained.
NETWORK_OPTIONS = ("reduction", "l2", "l2_bias", "dropout", "residual", "norm", "norm_epsilon")


def resolve_network(net: str | NetworkSpec, **options: Any) -> NetworkSpec:
    """A built-in example name, a TOML spec file, or a shorthand such as 'mlp:3-4-2'.

    Options (activation, output_activation, cost, convention, bias, batch, normalize_input)
    apply to the shorthand only; `reduction` applies to any network; None means "not given".
    """
    given = {k: v for k, v in options.items() if v is not None}
    unknown = sorted(set(given) - set(SHORTHAND_OPTIONS) - set(NETWORK_OPTIONS))
    if unknown:
        valid = ", ".join(SHORTHAND_OPTIONS + NETWORK_OPTIONS)
        raise DeriveError(f"unknown network option {unknown[0]!r}; valid options: {valid}")
    overrides = {k: given.pop(k) for k in NETWORK_OPTIONS if k in given}
    spec = _named_network(net, given)
    if "norm" in overrides:  # a normalised layer has no bias: its β takes the bias's place
        overrides["layers"] = without_norm_biases(spec.layers, overrides["norm"])
    return replace(spec, **overrides) if overrides else spec


def _named_network(net: str | NetworkSpec, given: dict[str, Any]) -> NetworkSpec:
    if isinstance(net, NetworkSpec):
        return net
    if net.startswith("mlp:"):
        widths = parse_shorthand(net)
        return build(widths, name="mlp-" + "-".join(map(str, widths)), **given)
    if given:
        flags = ", ".join("--" + k.replace("_", "-") for k in given)
        raise DeriveError(f"{flags} only apply to an mlp: shorthand, not to {net!r}")
    if net in EXAMPLES:
        return EXAMPLES[net]
    if net.endswith(".toml") or Path(net).is_file():
        return load_toml(net)
    raise UnknownName("network", net, [*EXAMPLES, "mlp:WIDTHS (e.g. mlp:3-4-2)", "FILE.toml"])


def derive(net: str | NetworkSpec, *, seed: int = 0, symbolic: bool | None = None, components: bool = False,
           **options: Any) -> Derivation:
    """The verified derivation of a network: every step proved (small instances) and checked
    numerically; raises VerificationError rather than return an unproved formula.

    `components` also states each concrete step entry by entry (a post writes a batched
    product out as a sum over the samples); the general derivation always has them."""
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        raise DeriveError(f"seed must be a whole number from 0 to {MAX_SEED}, not {seed!r}")
    spec = resolve_network(net, **options)
    built = build_general(spec) if spec.general else build_concrete(spec, components=components)
    return verify(built, seed=seed, symbolic=symbolic)
