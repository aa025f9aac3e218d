"""`derive post`: a verified derivation as a blog post a reader can follow and a writer can publish.

    model.py     the post's content and its six parts, in one language: opening and notation,
                 the steps with why each holds, summary, worked example, code, checks
    wording.py   the words of posts in English and Chinese
    worked.py    the worked numeric example (every value, checked by differences and by the code)
    code.py      the code section: derive export's module, the listing chosen from it, check lines
    diagram.py   the network as SVG (Markdown platforms) or TikZ (LaTeX)
    printing.py  the LaTeX printer for posts: shapes, index ranges, fixed-precision numbers
    render.py    one Platform per target: flavor, templates, tables and code, site layout; notebooks
    command.py   the `derive post` subcommand (--site, --date, --no-code, --all)

Nothing here does calculus: every formula is a form of a verified `Step`, a shape, an index range
or a number, and is printed by the engine's printer; every line of code comes from `derive export`.
"""
