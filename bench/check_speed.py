"""How long `derive check` takes on derive's own posts of normalisation networks, as ratios.

    python bench/check_speed.py [--baseline DIR] [--repeat N]

Writes one post of each network below with this tree's `derive post`, then times `derive check`
of it on the command line, as a user runs it (CPU time of the child process, the median of
`--repeat` runs: a shared machine's load inflates wall time, not CPU time). Printed as ratios
measured in the same run:

- to checking the plain two-two-two post (the cost of a normalisation post relative to a post
  every version has checked quickly);
- with `--baseline DIR` (a checkout of an earlier commit, e.g. `git worktree add /tmp/base
  ffc79b2`), to the same check run with that tree's `derive`, timed in turns with this one, and
  whether both print the same JSON report (the verdicts must not change with the speed).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: name -> (the network's command-line options, the platform of the post that is checked)
NETWORKS: dict[str, tuple[list[str], str]] = {
    "plain two-two-two": (["two-two-two"], "hugo"),
    "batch norm 3-4-2, batch 3": (["mlp:3-4-2", "--batch", "3", "--norm", "batch"], "jekyll"),
    "layer norm 3-4-2": (["mlp:3-4-2", "--norm", "layer"], "jekyll"),
    "layer norm 3-3-2 tanh": (["mlp:3-3-2", "--activation", "tanh", "--output-activation", "sigmoid",
                               "--norm", "layer"], "latex"),
    "batch norm 2-3-2 row, mean": (["mlp:2-3-2", "--activation", "tanh", "--output-activation", "sigmoid",
                                    "--batch", "2", "--convention", "row", "--reduction", "mean", "--norm", "batch"],
                                   "hexo"),
}


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_check(tree: Path, post: Path, net: list[str]) -> tuple[float, bytes]:
    """CPU seconds of one `derive check --format json` with `tree`'s derive, and its output."""
    env = dict(os.environ, PYTHONPATH=str(tree))
    start = _children_cpu()
    done = subprocess.run([sys.executable, "-m", "derive", "check", str(post), "--net", *net, "--format", "json"],
                          cwd=tree, env=env, stdout=subprocess.PIPE, check=False)
    if done.returncode not in (0, 1):
        raise SystemExit(f"derive check failed in {tree} (exit {done.returncode})")
    return _children_cpu() - start, done.stdout


def write_post(out: Path, net: list[str], platform: str) -> Path:
    subprocess.run([sys.executable, "-m", "derive", "post", *net, "--platform", platform, "-o", str(out)],
                   cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)), check=True, stdout=subprocess.DEVNULL)
    return next(p for p in sorted(out.iterdir()) if p.suffix in (".md", ".tex"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", type=Path, help="another checkout of derive to compare with")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    trees = {"this": ROOT} | ({"baseline": args.baseline.resolve()} if args.baseline else {})
    with tempfile.TemporaryDirectory() as tmp:
        times: dict[str, dict[str, float]] = {}
        same: dict[str, bool] = {}
        for n, (name, (net, platform)) in enumerate(NETWORKS.items()):
            post = write_post(Path(tmp) / str(n), net, platform)
            runs: dict[str, list[float]] = {tree: [] for tree in trees}
            outputs: dict[str, bytes] = {}
            for _ in range(args.repeat):
                for tree, path in trees.items():  # in turns: both see the same moments of the load
                    seconds, outputs[tree] = run_check(path, post, net)
                    runs[tree].append(seconds)
            times[name] = {tree: statistics.median(values) for tree, values in runs.items()}
            same[name] = len(set(outputs.values())) == 1
        plain = next(iter(NETWORKS))
        print(f"derive check, CPU seconds (median of {args.repeat}), ratio to the plain post "
              f"{plain!r}{' and to the baseline tree' if args.baseline else ''}:")
        for name, by_tree in times.items():
            line = f"  {name:30s} {by_tree['this']:7.2f} s  x{by_tree['this'] / times[plain]['this']:6.2f} of plain"
            if args.baseline:
                line += (f"   baseline {by_tree['baseline']:7.2f} s  (x{by_tree['baseline'] / times[plain]['baseline']:6.2f}"
                         f" of plain)   this/baseline {by_tree['this'] / by_tree['baseline']:5.2f}   "
                         f"{'same JSON' if same[name] else 'JSON DIFFERS'}")
            print(line)


if __name__ == "__main__":
    main()
