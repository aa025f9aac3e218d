"""How `derive check`'s reading of a post grows with its size (issue 16: linear, not quadratic).

    python bench/check_scaling.py

For each adversarial pattern of the issue (single dollars, `\\(` never closed, backticks, commas,
a long sum, many small formulas, a real post repeated), the time to find the formulas and cut them
into statements (`read_document` + `statements`, the part that grows with the file) at sizes n,
2n, 4n and 8n, printed as ratios to the time at n measured in the same run. Linear work doubles
with the size (ratios near 2, 4, 8); quadratic work quadruples (4, 16, 64).
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from derive.check.extract import read_document, statements  # noqa: E402

POST = (ROOT / "output/two-two-two/two-two-two.hugo.en.md").read_text(encoding="utf-8")

#: pattern -> (kind, text of about k units)
PATTERNS: dict[str, Callable[[int], tuple[str, str]]] = {
    "single dollars $1": lambda k: ("markdown", "$1" * 2000 * k),
    "unclosed \\(": lambda k: ("markdown", "\\(" * 20000 * k),
    "backtick runs": lambda k: ("markdown", "``a`" * 5000 * k),
    "unclosed $ in LaTeX": lambda k: ("latex", "x $ y " * 5000 * k),
    "formulas full of commas": lambda k: ("markdown", ("$$C = a" + ", a" * 300 + "$$\n") * 10 * k),
    "many small formulas": lambda k: ("markdown", "$x = y$ and " * 1000 * k),
    "a real post, repeated": lambda k: ("markdown", POST * k),
}


def seconds(kind: str, text: str, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        statements(read_document(text, kind))
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    print(f"{'pattern':26s} {'size n':>10s} {'time at n':>10s}   ratios at 2n, 4n, 8n (linear: 2, 4, 8)")
    for name, make in PATTERNS.items():
        kind, base_text = make(1)
        base = seconds(kind, base_text)
        ratios = [seconds(*make(k)) / base for k in (2, 4, 8)]
        print(f"{name:26s} {len(base_text):>10,d} {base * 1000:>8.1f} ms   "
              + ", ".join(f"{r:.1f}" for r in ratios))


if __name__ == "__main__":
    main()
