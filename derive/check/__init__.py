r"""`derive check`: read a hand-written derivation and judge every step against the engine.

    report = check_file("post.md", "two-two-two")
    report.exit_code          # 0: nothing wrong, 1: something wrong

The pipeline, in stages; a module imports only modules of its own stage or of earlier ones
(tests/test_check_stages.py keeps it so):

1. extract   lexer.py (tokens), extract.py: the formulas of a post and the `=` chains they state,
             with file positions and the conditions a sentence puts on a block; frontmatter.py: the
             network a post names (`derive-net:`).
2. parse     tree.py (what was written: nodes, symbols, scripts), parser.py (one method per precedence
             level), environments.py (scripts, matrices, case distinctions).
3. bind      notation.py: the notation map, which symbol names which quantity; bind.py: which script
             of a symbol is its layer, its entry, its example; suggest.py: a starting map read from
             a post's descriptions and forward pass (--suggest-notation).
4. build     world.py (the network's small instance and its truths), nodes.py (quantities only posts
             name: one example, vec, a family), usage.py, symbols.py and build.py (trees -> the engine's
             SymPy statements under the map), values.py (explicit values, comparisons), printer.py (a
             formula in the post's own notation).
5. judge     results.py (verdict data), forms.py (a statement as forms, the post's text around each
             link), claims.py (update rules, definitions, conditions, one-sample formulas, layouts),
             worked.py (the numbers of a worked example), judge.py (each link: shapes, then values).
6. diagnose  case.py (one wrong link), mutations.py (one function per usual mistake),
             diagnose.py (the table of mistakes, the correct formula).
7. report    report.py: text, JSON, GitHub annotations; the summary over several posts.
   api.py runs the stages (paths.py: the posts under the paths given); cli.py is the command.
"""

from __future__ import annotations

from .api import CheckReport, check_file, check_paths, check_text

__all__ = ["CheckReport", "check_file", "check_paths", "check_text"]
