r"""`derive check`: read a hand-written derivation and judge every step against the engine.

    report = check_file("post.md", "two-two-two")
    report.exit_code          # 0: nothing wrong, 1: something wrong

Pipeline: extract.py finds the formulas and their statements (with file positions); the notation
map (notation.py) says what each symbol names; parser.py reads each formula into a tree;
build.py turns it into the engine's SymPy statements under the map; judge.py decides each link
of each `=` chain on a small instance with the engine's verifier; mistakes.py diagnoses a wrong
link; printer.py writes the correct formula in the post's notation; report.py prints.
"""

from __future__ import annotations

from .api import CheckReport, check_file, check_text

__all__ = ["CheckReport", "check_file", "check_text"]
