"""How a network's quantities are written: z^l or Z_1, a or H, y or T, C or L, δ or ∂C/∂Z.

A `Notation` picks names from a fixed vocabulary (so every name is a known identifier with a
known LaTeX and Unicode spelling) and says where the layer index goes. Printers read it as a
setting; nothing in the engine depends on it.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from .errors import DeriveError, UnknownName

#: name -> (LaTeX, Unicode). Bold is added by the printer for vectors and matrices.
VOCABULARY: dict[str, tuple[str, str]] = {
    "x": ("x", "x"), "X": ("X", "X"),
    "y": ("y", "y"), "Y": ("Y", "Y"), "t": ("t", "t"), "T": ("T", "T"),
    "yhat": (r"\hat{y}", "ŷ"), "Yhat": (r"\hat{Y}", "Ŷ"),
    "z": ("z", "z"), "Z": ("Z", "Z"),
    "a": ("a", "a"), "A": ("A", "A"), "h": ("h", "h"), "H": ("H", "H"), "o": ("o", "o"), "O": ("O", "O"),
    "W": ("W", "W"), "w": ("w", "w"), "b": ("b", "b"),
    "delta": (r"\delta", "δ"), "Delta": (r"\Delta", "Δ"),
    "C": ("C", "C"), "L": ("L", "L"), "E": ("E", "E"), "J": ("J", "J"),
    "n": ("n", "n"), "m": ("m", "m"), "B": ("B", "B"),
    # a normalisation layer's mean, variance, normalised z, output, scale and shift
    "mu": (r"\mu", "μ"), "sigma2": (r"{\sigma^{2}}", "σ²"), "zhat": (r"\hat{z}", "ẑ"), "u": ("u", "u"),
    "gamma": (r"\gamma", "γ"), "beta": (r"\beta", "β"),
}


#: The quantities that may go without a name of their own (None): the output is then a^L, and
#: δ is written ∂C/∂z.
OPTIONAL = ("output", "delta")


@dataclass(frozen=True)
class Notation:
    input: str = "x"
    target: str = "y"
    preact: str = "z"
    act: str = "a"
    output: str | None = None  # e.g. "yhat": the last activation is written ŷ instead of a^L
    weight: str = "W"
    bias: str = "b"
    delta: str | None = "delta"  # None: write ∂C/∂z instead of δ
    cost: str = "C"
    batch: str = "n"
    layer_index: str = "super"  # "super": W^{l}; "sub": W_{l}

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "layer_index":
                if value not in ("super", "sub"):
                    raise UnknownName("layer index position", value, ("super", "sub"))
            elif value is None:
                if f.name not in OPTIONAL:
                    raise DeriveError(f"the notation for {f.name} cannot be left empty; valid choices: "
                                      + ", ".join(VOCABULARY))
            elif not isinstance(value, str) or value not in VOCABULARY:
                raise UnknownName(f"notation name for {f.name}", value, VOCABULARY)
        if self.delta is None and self.layer_index not in ("super", "sub"):
            raise DeriveError("notation without δ still needs a layer index position")

    def base(self, kind: str) -> str:
        """The vocabulary name of a quantity kind (W, b, z, a, delta, x, xhat, y)."""
        return {
            "W": self.weight, "b": self.bias, "z": self.preact, "a": self.act,
            "delta": self.delta or "delta", "x": self.input, "xhat": self.input, "y": self.target,
            "m": "m", "mu": "mu", "var": "sigma2", "zhat": "zhat", "u": "u", "gamma": "gamma", "beta": "beta",
        }[kind]

    def latex(self, name: str) -> str:
        return VOCABULARY[name][0]

    def text(self, name: str) -> str:
        return VOCABULARY[name][1]


COLUMN = Notation()
ROW = Notation(layer_index="sub")
