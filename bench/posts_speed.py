"""Post benchmark (issue: blog-ready posts). Prints times and ratios measured in this run.

    python bench/posts_speed.py

- the command line, as a user runs it: `derive post --all` (4 examples x 7 platforms x 2
  languages, derivations, checks, the exported code and the worked example it reproduces
  included) against one `derive post two-two-two --platform hugo`, each the median of three
  runs; target: all posts under 10 s;
- in one process: deriving and checking each example once, exporting its code and computing the
  worked example, then rendering its 14 posts, against rendering a single post of it.
"""

from __future__ import annotations

import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_SECONDS = 10.0


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def wall(cmd: list[str], repeat: int = 3) -> tuple[float, float]:
    """Median wall time and median CPU time of a command (CPU time is what a busy machine does
    not inflate: the machine may be shared)."""
    times, cpu = [], []
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as out:
            start, start_cpu = time.perf_counter(), _children_cpu()
            subprocess.run([*cmd, "-o", out], check=True, stdout=subprocess.DEVNULL, cwd=ROOT)
            times.append(time.perf_counter() - start)
            cpu.append(_children_cpu() - start_cpu)
    return statistics.median(times), statistics.median(cpu)


def main() -> None:
    python = [sys.executable, "-m", "derive", "post"]
    one, one_cpu = wall([*python, "two-two-two", "--platform", "hugo"])
    every, every_cpu = wall([*python, "--all"])
    from derive.examples import EXAMPLES
    from derive.posts.command import derivation_for_post
    from derive.posts.render import LANGUAGES, PLATFORMS, PostSource, render_post

    count = len(EXAMPLES) * len(PLATFORMS) * len(LANGUAGES)
    print("derive post (command line, median of 3):")
    print(f"  one post   two-two-two hugo en         {one:6.3f} s (cpu {one_cpu:6.3f} s)")
    print(f"  all posts  {len(EXAMPLES)} examples x {len(PLATFORMS)} platforms x {len(LANGUAGES)} languages = {count} "
          f"posts  {every:6.3f} s (cpu {every_cpu:6.3f} s)   ratio to one post {every / one:5.2f}   "
          f"{'ok' if every < TARGET_SECONDS else 'OVER'} (target < {TARGET_SECONDS:g} s)")

    print("in one process, per example (derive and check once, then render):")
    for name in EXAMPLES:
        start = time.perf_counter()
        source = PostSource(derivation_for_post(name, 0))
        prepared = time.perf_counter() - start
        start = time.perf_counter()
        render_post(source, "hugo", "en")
        single = time.perf_counter() - start
        start = time.perf_counter()
        for platform in PLATFORMS:
            for lang in LANGUAGES:
                render_post(source, platform, lang)
        rest = time.perf_counter() - start
        posts = len(PLATFORMS) * len(LANGUAGES)
        print(f"  {name:20s} derive+check+code+example {prepared:6.3f} s   first post {single:6.3f} s   "
              f"then {posts} posts {rest:6.3f} s (ratio to the first {rest / single:5.2f})")


if __name__ == "__main__":
    main()
