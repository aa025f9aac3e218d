"""Per-call times for benchmarks on a noisy machine. By default time is the calling thread's CPU
time (time.thread_time), not wall time: other processes on a busy machine delay a call without
spending its CPU time, and threads that PyTorch or JAX keep in the process cannot bill theirs to
it (BLAS runs on one thread in these benchmarks, so CPU and wall time agree on a quiet machine).
Code that computes on other threads (JAX) is timed by the wall clock (WALL). The functions
compared are timed in turns (round robin) and each keeps its fastest round: load only ever adds
time, and timing in turns exposes every function to the same moments of it. Ratios of these
times are what the benchmarks report."""

from __future__ import annotations

import time
import timeit
from collections.abc import Callable

CPU = time.thread_time
WALL = time.perf_counter


def calls_per_round(fn: Callable[[], object], clock: Callable[[], float], seconds: float = 0.05) -> int:
    """How many calls make a round of about `seconds` (at least one)."""
    number, elapsed = 1, 0.0
    while True:
        elapsed = timeit.timeit(fn, number=number, timer=clock)
        if elapsed >= seconds or number >= 1 << 20:
            return number
        number = max(number * 2, int(number * seconds / max(elapsed, 1e-9)))


def per_call(functions: dict[str, Callable[[], object]], rounds: int = 7,
             clock: Callable[[], float] = CPU) -> dict[str, float]:
    """Seconds per call of each function: the fastest of `rounds` rounds, timed in turns."""
    numbers = {name: calls_per_round(fn, clock) for name, fn in functions.items()}
    best = {name: float("inf") for name in functions}
    for _ in range(rounds):
        for name, fn in functions.items():
            best[name] = min(best[name], timeit.timeit(fn, number=numbers[name], timer=clock) / numbers[name])
    return best
