"""Post benchmark (issue: blog-ready posts). Prints times and ratios measured in this run.

    python bench/posts_speed.py

- the command line, as a user runs it: `derive post --all` (4 examples x 6 platforms x 2
  languages, derivations and checks included) against one `derive post two-two-two --platform
  hugo`, each the median of three runs; target: all posts under 10 s;
- in one process: deriving and checking each example once, then rendering its 12 posts, against
  rendering a single post of it.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_SECONDS = 10.0


def wall(cmd: list[str], repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as out:
            start = time.perf_counter()
            subprocess.run([*cmd, "-o", out], check=True, stdout=subprocess.DEVNULL, cwd=ROOT)
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    python = [sys.executable, "-m", "derive", "post"]
    one = wall([*python, "two-two-two", "--platform", "hugo"])
    every = wall([*python, "--all"])
    print("derive post (command line, median of 3):")
    print(f"  one post   two-two-two hugo en         {one:6.3f} s")
    print(f"  all posts  4 examples x 6 platforms x 2 languages = 48 posts  {every:6.3f} s   "
          f"ratio to one post {every / one:5.2f}   {'ok' if every < TARGET_SECONDS else 'OVER'} (target < {TARGET_SECONDS:g} s)")

    from derive.examples import EXAMPLES
    from derive.posts.command import derivation_for_post
    from derive.posts.render import LANGUAGES, PLATFORMS, PostSource, render_post

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
        print(f"  {name:20s} derive+check+example {prepared:6.3f} s   first post {single:6.3f} s   "
              f"then {posts} posts {rest:6.3f} s (ratio to the first {rest / single:5.2f})")


if __name__ == "__main__":
    main()
