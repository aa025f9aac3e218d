"""A tiny writer for generated modules: lines, indentation, blocks. Deterministic by construction."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator


class Emitter:
    def __init__(self) -> None:
        self._lines: list[str] = []
        self._depth = 0

    def line(self, text: str = "") -> None:
        self._lines.append(("    " * self._depth + text) if text else "")

    def lines(self, block: str) -> None:
        for text in block.strip("\n").splitlines():
            self.line(text)

    def comment(self, text: str) -> None:
        for part in text.splitlines():
            self.line(f"# {part}".rstrip())

    @contextmanager
    def indented(self) -> Iterator[None]:
        self._depth += 1
        try:
            yield
        finally:
            self._depth -= 1

    def function(self, signature: str, *body: str) -> None:
        """A short function: `def signature:` over its body lines, then two blank lines."""
        self.line(f"def {signature}:")
        with self.indented():
            for text in body:
                self.line(text)
        self.blank(2)

    def blank(self, count: int = 1) -> None:
        for _ in range(count):
            self.line()

    def source(self) -> str:
        text = "\n".join(self._lines).rstrip("\n") + "\n"
        while "\n\n\n\n" in text:
            text = text.replace("\n\n\n\n", "\n\n\n")
        return text
