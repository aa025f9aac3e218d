r"""`derive check`: read a hand-written derivation and judge every step against the engine.

    report = check_file("post.md", "two-two-two")
    report.exit_code          # 0: nothing wrong, 1: something wrong

The pipeline, in stages; a module imports only modules of its own stage or of earlier ones
(tests/test_check_stages.py keeps it so):

1. extract   lexer.py (tokens), extract.py: the formulas of a post and the `=` chains they state,
             with file positions; frontmatter.py: the network a post names (`derive-net:`).
2. parse     parser.py: each formula as a tree of what was written (no meaning yet).
3. bind      notation.py: the notation map, which symbol names which quantity; suggest.py: a
             starting map read from a post's descriptions and forward pass (--suggest-notation).
4. build     world.py (the network's small instance and its truths), build.py (trees -> the
             engine's SymPy statements under the map), values.py (explicit values, comparisons),
             printer.py (a formula in the post's own notation).
5. judge     results.py (verdict data), judge.py (each link: shapes, then values), worked.py
             (the numbers of a worked example).
6. diagnose  case.py (one wrong link), mutations.py (one function per usual mistake),
             diagnose.py (the table of mistakes, the correct formula).
7. report    report.py: text, JSON, GitHub annotations; the summary over several posts.
   api.py runs the stages (paths.py: the posts under the paths given); cli.py is the command.
"""

from __future__ import annotations

from .api import CheckReport, check_file, check_paths, check_text

__all__ = ["CheckReport", "check_file", "check_paths", "check_text"]
