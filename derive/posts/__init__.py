"""`derive post`: a verified derivation as a blog post a reader can follow and a writer can publish.

    model.py     the post's content: numbered steps, words and maths, in one language
    worked.py    the worked numeric example (values a reader can reproduce, checked by differences)
    diagram.py   the network as SVG (Markdown platforms) or TikZ (LaTeX)
    printing.py  the LaTeX printer for posts: shapes, index ranges, fixed-precision numbers
    render.py    one Flavor per platform: delimiters, raw tags, escaping; Jinja2 templates; notebooks
    files.py     generated-file markers, refusal to overwrite hand edits, atomic writes
    command.py   the `derive post` subcommand

Nothing here does calculus: every formula is a form of a verified `Step`, a shape, an index range
or a number, and is printed by the engine's printer.
"""
