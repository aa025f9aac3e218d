"""Engine benchmark: `derive show` against importing SymPy and NumPy, measured in the same run.

    python bench/engine_speed.py              # every example, mlp: networks up to 4 layers of
                                              # width 8, two large networks, growth with depth
                                              # and batch, derivation time against width
    python bench/engine_speed.py --repeat 9   # more runs per command (medians are printed)
    python bench/engine_speed.py --naive      # also the naive approach: unroll every weight into a
                                              # scalar and call sp.diff (slow: ~10-20 s)

Every command is a fresh process, the cold start a user sees: no verification result is kept
between runs. Bytecode is compiled as `pip install` leaves it (into a private cache, written by one
untimed run of each command first), for the baseline and for derive alike. Each command runs
`--repeat` times, interleaved with the baseline; the ratios are of medians. The verdict uses CPU
time (user + system of the process), which other processes on a shared machine disturb far less
than wall time; wall time is printed beside it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_RATIO = 1.5
LARGE_TARGET_SECONDS = 5.0
LABEL = 74  # columns for a network's name and options
BASELINE = ["-c", "import sympy, numpy"]
EXAMPLES = ["two-two-two", "l-layer", "batched-mlp", "softmax-classifier"]
# mlp: networks up to 4 layers of width 8; the symbolic proof covers those of width <= 4 (and at
# most 64 parameters), so the most expensive are mlp:4-4-4-4 and mlp:3-3-3-3-3.
SMALL_NETWORKS = [
    [f"mlp:{'-'.join([str(width)] * (depth + 1))}"] for depth in (1, 2, 3, 4) for width in (2, 4, 8)
] + [
    ["mlp:3-3-3-3-3"],
    ["mlp:4-8-8-3", "--activation", "relu", "--output-activation", "softmax", "--cost", "ce"],
    ["mlp:3-4-4-2", "--activation", "tanh", "--convention", "row", "--batch", "8"],
    ["mlp:4-4-2", "--cost", "bce", "--normalize", "--no-bias"],
]
LARGE_NETWORKS = [
    ["mlp:" + "-".join(["200"] * 65)],
    ["mlp:500-500-500", "--output-activation", "softmax", "--cost", "ce", "--batch", "4096"],
]


class Runner:
    """Runs `python ARGS` as a child with its own bytecode cache and measures wall and CPU time."""

    def __init__(self, cache: str) -> None:
        self.env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        self.env["PYTHONPYCACHEPREFIX"] = cache
        self.env["PYTHONPATH"] = os.pathsep.join([str(ROOT), self.env.get("PYTHONPATH", "")]).rstrip(os.pathsep)

    def once(self, args: list[str]) -> tuple[float, float]:
        start = time.perf_counter()
        child = subprocess.Popen([sys.executable, *args], stdout=subprocess.DEVNULL, cwd=ROOT, env=self.env)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - start
        if status != 0:
            raise SystemExit(f"failed: python {' '.join(args)}")
        return wall, usage.ru_utime + usage.ru_stime


def show(network: list[str]) -> list[str]:
    return ["-m", "derive", "show", *network]


def label(network: list[str], width: int = LABEL) -> str:
    """The network as typed, its widths shortened when there are many (65 widths of 200)."""
    widths = network[0].split("-")
    name = network[0] if len(widths) <= 6 else f"{'-'.join(widths[:3])}-…-{widths[-1]} ({len(widths)} widths)"
    text = " ".join([name, *network[1:]])
    return (text if len(text) <= width else text[:width - 1] + "…").ljust(width)


def compare_with_baseline(runner: Runner, networks: list[list[str]], repeat: int) -> bool:
    commands = [show(n) for n in networks]
    for args in [BASELINE, *commands]:
        runner.once(args)  # compiles bytecode into the private cache; not timed
    base: list[tuple[float, float]] = []
    times: list[list[tuple[float, float]]] = [[] for _ in commands]
    for _ in range(repeat):
        base.append(runner.once(BASELINE))
        for i, args in enumerate(commands):
            times[i].append(runner.once(args))
    base_wall = statistics.median(w for w, _ in base)
    base_cpu = statistics.median(c for _, c in base)
    print(f"baseline python -c 'import sympy, numpy': wall {base_wall:.3f} s, cpu {base_cpu:.3f} s "
          f"(medians of {repeat})")
    print(f"derive show NET, target: cpu within {TARGET_RATIO}x of the baseline")
    print(f"  {'network':{LABEL}s}   wall (ratio)       cpu (ratio)")
    ok = True
    for network, measured in zip(networks, times):
        wall = statistics.median(w for w, _ in measured)
        cpu = statistics.median(c for _, c in measured)
        within = cpu / base_cpu <= TARGET_RATIO
        ok &= within
        print(f"  {label(network)} {wall:6.3f} s ({wall / base_wall:4.2f}x)  {cpu:6.3f} s ({cpu / base_cpu:4.2f}x)  "
              f"{'ok' if within else 'OVER'}")
    return ok


def large_networks(runner: Runner) -> bool:
    print(f"large networks, target: under {LARGE_TARGET_SECONDS:g} s")
    ok = True
    for network in LARGE_NETWORKS:
        wall, cpu = min(runner.once(show(network)) for _ in range(2))
        within = cpu < LARGE_TARGET_SECONDS
        ok &= within
        print(f"  {label(network)} wall {wall:6.2f} s, cpu {cpu:6.2f} s  {'ok' if within else 'OVER'}")
    return ok


def growth() -> None:
    """In-process: derive and verify at growing depth and batch (must be linear and flat)."""
    import derive

    # Once first: the registry entries are verified on first use, and SymPy warms its caches.
    derive.derive("mlp:5-5-10", output_activation="softmax", cost="ce", batch=8)
    print("growth of derive (derivation + verification), in-process CPU time:")
    first = None
    for depth in (8, 16, 32, 64):
        start = time.process_time()
        derive.derive("mlp:" + "-".join(["40"] * (depth + 1)))
        t = time.process_time() - start
        first = first or t / depth
        print(f"  depth {depth:3d}, width 40: {t:6.3f} s   per layer, against depth 8: {t / depth / first:4.2f}")
    first = None
    for batch in (8, 64, 512, 4096):
        start = time.process_time()
        derive.derive("mlp:50-50-10", output_activation="softmax", cost="ce", batch=batch)
        t = time.process_time() - start
        first = first or t
        print(f"  batch {batch:5d}, mlp:50-50-10 softmax ce: {t:6.3f} s   against batch 8: {t / first:4.2f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--naive", action="store_true")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="derive-bench-pycache-") as cache:
        runner = Runner(cache)
        examples_ok = compare_with_baseline(runner, [[name] for name in EXAMPLES] + SMALL_NETWORKS, args.repeat)
        large_ok = large_networks(runner)
    growth()

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

    print("all within target" if examples_ok and large_ok else "OVER target (see above)")


if __name__ == "__main__":
    main()
