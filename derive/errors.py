"""The one exception family users see.

Every user-facing failure is a `DeriveError` whose message is a single line naming the bad value
and, where there is a finite set of valid values, listing them. Only `cli.py` turns it into
exit code 2; library callers catch it like any other exception.
"""

from __future__ import annotations

from collections.abc import Iterable


class DeriveError(Exception):
    """A failure caused by the user's input, explained in one line."""

    def __init__(self, message: str) -> None:
        # One line, always: the CLI prints str(error) verbatim after "derive: error: ".
        super().__init__(" ".join(str(message).split()))


class UnknownName(DeriveError):
    """A name that is not in a registry (example, activation, cost, platform, ...)."""

    def __init__(self, kind: str, name: object, choices: Iterable[str]) -> None:
        self.kind = kind
        self.name = name
        self.choices = tuple(choices)
        super().__init__(f"unknown {kind} {name!r}; valid choices: {', '.join(self.choices)}")


class VerificationError(DeriveError):
    """A formula failed its proof or its numeric check: it must never be printed or exported."""
