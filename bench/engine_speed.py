"""Engine benchmark (issue: core engine). Prints times and ratios measured in this run.

    python bench/engine_speed.py            # derive show of every example, a wide network,
                                            # derivation time against width
    python bench/engine_speed.py --naive    # also the naive approach: unroll every weight into a
                                            # scalar and call sp.diff (slow: ~10-20 s)

Baselines are measured in the same run: the bare interpreter start-up with sympy and numpy
imported, and (with --naive) sp.diff on an unrolled scalar network.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def wall(cmd: list[str], repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, cwd=ROOT)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--naive", action="store_true")
    args = parser.parse_args()

    baseline = wall([sys.executable, "-c", "import sympy, numpy"])
    print(f"baseline: python -c 'import sympy, numpy'       {baseline:6.3f} s")
    print("derive show NET (verification included), target < 1 s:")
    for name in ("two-two-two", "l-layer", "batched-mlp", "softmax-classifier"):
        t = wall([sys.executable, "-m", "derive", "show", name])
        print(f"  {name:20s} {t:6.3f} s   ratio to baseline {t / baseline:5.2f}   {'ok' if t < 1 else 'OVER'}")

    from derive.backprop import build_concrete
    from derive.spec import build
    from derive.verify import verify

    spec = build([784, 128, 64, 10], activation="sigmoid")
    start = time.perf_counter()
    d = build_concrete(spec)
    built = time.perf_counter() - start
    verify(d)
    total = time.perf_counter() - start
    print(f"784-128-64-10 sigmoid: derivation {built:.4f} s, with numeric verification {total:.3f} s (target < 2 s)")

    print("derivation time against width (must not grow with width):")
    first = None
    for width in (4, 64, 512, 2048):
        spec = build([width, width, width, 10], activation="sigmoid")
        start = time.perf_counter()
        for _ in range(20):
            build_concrete(spec)
        t = (time.perf_counter() - start) / 20
        first = first or t
        print(f"  width {width:6d}: {t * 1e3:7.2f} ms   ratio to width 4: {t / first:5.2f}")

    if args.naive:
        import sympy as sp

        from derive.verify import SymbolicVerifier

        # The naive approach: every weight a scalar symbol, sp.diff of the expanded cost for each.
        spec = build([4, 4, 4, 3], activation="sigmoid", bias=False)
        start = time.perf_counter()
        v = SymbolicVerifier(build_concrete(spec))
        cost = v.env[sp.Symbol("C")]
        weights = [s for q, m in v.base.items() if getattr(q, "kind", "") == "W" for s in m]
        [sp.diff(cost, w) for w in weights]
        naive = time.perf_counter() - start
        start = time.perf_counter()
        verify(build_concrete(spec))
        ours = time.perf_counter() - start
        print(f"4-4-4-3 net, {len(weights)} weights: naive sp.diff of the unrolled cost {naive:.2f} s; "
              f"derive (derivation + symbolic proof + numeric check) {ours:.2f} s; ratio {ours / naive:.3f}")


if __name__ == "__main__":
    main()
