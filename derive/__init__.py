"""derive: backpropagation derived symbolically, proved, and published.

    >>> import derive
    >>> d = derive.derive("two-two-two")        # a verified Derivation
    >>> [s.key for s in d.steps][:3]
    ['z_1', 'a_1', 'z_2']
"""

from .api import derive, resolve_network
from .derivation import Check, Derivation, Step
from .errors import DeriveError, UnknownName, VerificationError
from .examples import EXAMPLES, example
from .gradcheck import check_gradient, check_grads
from .spec import Layer, NetworkSpec, build, load_toml

__version__ = "0.1.0"

__all__ = [
    "Check", "Derivation", "DeriveError", "EXAMPLES", "Layer", "NetworkSpec", "Step", "UnknownName",
    "VerificationError", "build", "check_gradient", "check_grads", "derive", "example", "load_toml",
    "resolve_network", "__version__",
]
