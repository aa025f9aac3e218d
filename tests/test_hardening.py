"""Issue 16: no internal errors, no hangs, nothing half-written, under adversarial input.

Each numbered item of the issue is a regression test here (named after it), then the hangs, then
what must never be left half-written. Inputs that could hang run in a subprocess under a time
guard (tests/cli_support.py); the others call the CLI in-process.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from cli_support import ROOT, assert_clean, run_derive, temporaries, tree
from derive.check.notation import TOP_KEYS
from derive.cli import main
from derive.errors import DeriveError


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture):
    """derive ARGS in tmp_path, in-process: (exit code, stdout, stderr)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DERIVE_DEBUG", raising=False)

    def run(*args: str) -> tuple[int, str, str]:
        code = main(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    return run


def one_line_error(result: tuple[int, str, str], message: str) -> None:
    code, out, err = result
    assert (code, out) == (2, ""), result
    assert err == f"derive: error: {message}\n"


def verdicts(out: str) -> str:
    """The summary line of a check report."""
    return out.strip().splitlines()[-1]


# ----------------------------------------------------------------------------------------------
# Exit 70: each must become a one-line error (exit 2) or a verdict
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("command", [["show"], ["export"], ["post", "--platform", "hugo"]])
def test_item_1_negative_seed(cli, command: list[str]) -> None:
    one_line_error(cli(command[0], "mlp:3-4-2", *command[1:], "--seed", "-1"),
                   "argument --seed: must be a whole number from 0 to 4294967295, not '-1' (see 'derive --help')")


def test_item_1_seed_checked_by_the_library_too() -> None:
    from derive import derive

    with pytest.raises(DeriveError, match="seed must be a whole number from 0 to 4294967295, not -1"):
        derive("two-two-two", seed=-1)


@pytest.mark.parametrize("key", ["weight", "input", "target", "preact", "act", "bias", "cost"])
def test_item_2_empty_notation_name_in_a_spec(cli, tmp_path: Path, key: str) -> None:
    (tmp_path / "net.toml").write_text(f'input = 3\n[[layers]]\nwidth = 2\n[notation]\n{key} = ""\n')
    code, out, err = cli("show", "net.toml")
    assert (code, out) == (2, "")
    assert err.startswith(f"derive: error: the notation for {key} cannot be left empty; valid choices: x, X, y")


def test_item_2_empty_optional_notation_means_none(cli, tmp_path: Path) -> None:
    """δ and the output may go unnamed: δ is then written ∂C/∂z."""
    (tmp_path / "net.toml").write_text('input = 2\n[[layers]]\nwidth = 2\n[notation]\ndelta = ""\noutput = ""\n')
    code, out, _ = cli("show", "net.toml")
    assert code == 0 and "∂C/∂z" in out


DEEP_TOML = "x = " + "[" * 1000 + "]" * 1000 + "\n"


def test_item_3_deep_toml_in_a_spec(cli, tmp_path: Path) -> None:
    (tmp_path / "deep.toml").write_text(DEEP_TOML)
    one_line_error(cli("show", "deep.toml"), "invalid TOML in 'deep.toml': arrays or tables nested too deeply")


def test_item_3_deep_toml_in_a_notation_map(cli, tmp_path: Path) -> None:
    (tmp_path / "deep.toml").write_text(DEEP_TOML)
    (tmp_path / "post.md").write_text("$$\\delta^2 = a^2 - y$$\n")
    one_line_error(cli("check", "post.md", "--net", "two-two-two", "--notation", "deep.toml"),
                   "invalid TOML in the notation map 'deep.toml': arrays or tables nested too deeply")


def test_item_3_deep_toml_in_a_notation_block(cli, tmp_path: Path) -> None:
    (tmp_path / "post.md").write_text(f"```derive-notation\n{DEEP_TOML}```\n\n$$\\delta^2 = a^2 - y$$\n")
    code, _, err = cli("check", "post.md", "--net", "two-two-two")
    assert code == 2 and err.startswith("derive: error: invalid TOML in the notation map post.md (line 2)")


def test_item_3_deep_yaml_front_matter(cli, tmp_path: Path) -> None:
    """Front matter nests by indentation, as deep as it is long: refused before anything recurses."""
    keys = [" " * (i + 1) + f"k{i}:" for i in range(1300)]
    (tmp_path / "post.md").write_text("\n".join(["---", "derive-notation:", *keys, " " * 1302 + "x: 1", "---",
                                                "$$\\delta^2 = a^2 - y$$", ""]))
    one_line_error(cli("check", "post.md", "--net", "two-two-two"),
                   "the notation map in post.md (line 2) nests deeper than 8 levels")


@pytest.mark.parametrize("operator", [r"\cdot", "*", "/", r"\odot", r"\times"])
def test_item_4_a_thousand_minus_signs(cli, tmp_path: Path, operator: str) -> None:
    (tmp_path / "post.md").write_text(f"$$\\delta^2 = (a^2 - y) {operator} {'-' * 1000}(a^2 - y)$$\n")
    code, out, err = cli("check", "post.md", "--net", "two-two-two")
    assert code in (0, 1) and err == "" and "internal error" not in out, (out, err)


def test_item_4_signs_cancel_in_pairs(cli, tmp_path: Path) -> None:
    (tmp_path / "post.md").write_text(f"$$\\delta^2 = (a^2 - y) \\odot {'-' * 1000}a^2 \\odot (1 - a^2)$$\n")
    code, out, _ = cli("check", "post.md", "--net", "two-two-two")
    assert code == 0 and verdicts(out) == "1 correct, 0 wrong, 0 not checked", out


@pytest.mark.parametrize("digits, reason", [
    (4400, "a formula longer than 2,000 characters is not checked"),  # Python's int() refuses > 4,300
    (1500, "a number of more than 40 digits"),
])
def test_item_5_long_number_in_a_post(cli, tmp_path: Path, digits: int, reason: str) -> None:
    number = "9" * digits
    (tmp_path / "post.md").write_text(f"$$C = {number}$$\n\n$$\\delta^2 = a^2 + {number}.5$$\n")
    code, out, err = cli("check", "post.md", "--net", "two-two-two")
    assert (code, err) == (0, "")
    assert out.count(f"why: {reason}") == 2
    assert verdicts(out) == "0 correct, 0 wrong, 2 not checked"


def test_item_5_long_number_in_a_notebook(cli, tmp_path: Path) -> None:
    cells = [{"cell_type": "markdown", "metadata": {}, "source": [f"$$C = {'7' * n}$$\n"]} for n in (4400, 41)]
    (tmp_path / "post.ipynb").write_text(json.dumps({"cells": cells, "nbformat": 4, "nbformat_minor": 5}))
    code, out, _ = cli("check", "post.ipynb", "--net", "two-two-two")
    assert code == 0 and "why: a formula longer than 2,000 characters" in out
    assert "why: a number of more than 40 digits" in out


@pytest.mark.parametrize("name, text, args, message", [
    ("net.toml", f"input = {'9' * 5000}\n[[layers]]\nwidth = 2\n", ["show", "net.toml"],
     "invalid TOML in 'net.toml': a number of more than 4,300 digits"),
    ("net.toml", f"input = 0x{'f' * 5000}\n[[layers]]\nwidth = 2\n", ["show", "net.toml"],
     "a number in 'net.toml' has 20,000 bits, more than the limit of 64"),
    ("map.toml", f"layer_offset = 0o{'7' * 100}\n", ["check", "post.md", "--net", "two-two-two", "--notation", "map.toml"],
     "a number in the notation map 'map.toml' has 300 bits, more than the limit of 64"),
    ("post.md", f"---\nderive-notation:\n  layer_offset: {'9' * 5000}\n---\n", ["check", "post.md", "--net", "two-two-two"],
     "the notation map in post.md (line 2) has a number of more than 4,300 digits"),
    ("post.md", f"---\nderive-notation:\n  layer_offset: {'9' * 100}\n---\n", ["check", "post.md", "--net", "two-two-two"],
     "a number in post.md (line 2) has 333 bits, more than the limit of 64"),
    ("post.ipynb", f'{{"cells": [], "metadata": {{"n": {"9" * 5000}}}}}', ["check", "post.ipynb", "--net", "two-two-two"],
     "invalid JSON in 'post.ipynb': a number of more than 4,300 digits"),
], ids=["spec-decimal", "spec-hexadecimal", "map-octal", "front-matter-long", "front-matter-large", "notebook"])
def test_item_5_huge_numbers_in_specs_maps_and_notebooks(cli, tmp_path: Path, name: str, text: str, args: list[str],
                                                         message: str) -> None:
    """Python reads at most 4,300 digits, and prints no more: a number that large is refused."""
    (tmp_path / "post.md").write_text("$$C = 1$$\n")
    (tmp_path / name).write_text(text)
    one_line_error(cli(*args), message)


@pytest.mark.parametrize("source", [[1, 2], ["$x$", None], {"text": "$x$"}, 7])
def test_item_6_notebook_source_not_text(cli, tmp_path: Path, source: object) -> None:
    cells = [{"cell_type": "code", "source": []}, {"cell_type": "markdown", "source": source}]
    (tmp_path / "post.ipynb").write_text(json.dumps({"cells": cells}))
    one_line_error(cli("check", "post.ipynb", "--net", "two-two-two"),
                   "cell 2 of 'post.ipynb' is not a notebook cell: its source must be text or a list of lines of text")


def test_item_6_notebook_nested_100000_deep(cli, tmp_path: Path) -> None:
    (tmp_path / "post.ipynb").write_text("[" * 100_000 + "]" * 100_000)
    one_line_error(cli("check", "post.ipynb", "--net", "two-two-two"),
                   "invalid JSON in 'post.ipynb': arrays or objects nested too deeply")


def test_item_7_front_matter_keys_mixing_numbers_and_words(cli, tmp_path: Path) -> None:
    (tmp_path / "post.md").write_text("---\nderive-notation:\n  1: a\n  foo: b\n---\n$$\\delta^2 = a^2 - y$$\n")
    one_line_error(cli("check", "post.md", "--net", "two-two-two"),
                   "unknown notation map key in post.md (line 2) '1'; valid choices: " + ", ".join(TOP_KEYS))


def test_item_8_file_name_too_long_for_the_file_system(cli, tmp_path: Path) -> None:
    name = "a" * 300 + ".py"
    one_line_error(cli("export", "two-two-two", "-o", name),
                   f"the file name {name} is 303 bytes long, more than the limit of 255 of its file system")
    assert tree(tmp_path) == []


def test_item_8_longest_legal_file_name_is_written(cli, tmp_path: Path) -> None:
    """247 characters was refused: only the temporary file's name was too long."""
    for length in (247, 255):
        name = "b" * (length - 3) + ".py"
        code, _, err = cli("export", "two-two-two", "-o", name)
        assert code == 0 and err == f"wrote {name}\n"
        assert "generated by derive" in (tmp_path / name).read_text()
    assert tree(tmp_path) == sorted(["b" * 244 + ".py", "b" * 252 + ".py"])


# ----------------------------------------------------------------------------------------------
# Hangs: each answers within the guard, with a result or a one-line refusal naming the limit
# ----------------------------------------------------------------------------------------------


def check_post(tmp_path: Path, name: str, text: str | bytes, net: str = "two-two-two"):
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    outcome = run_derive(["check", name, "--net", net], tmp_path)
    assert_clean(outcome)
    return outcome


def test_hang_huge_power(tmp_path: Path) -> None:
    outcome = check_post(tmp_path, "post.md", "$$C = 10^{100000000}$$\n")
    assert "why: an exponent larger than 64 in absolute value" in outcome.stdout


@pytest.mark.parametrize("limit", ["99999999999999999999999", "1001"])
def test_hang_sum_with_a_huge_limit(tmp_path: Path, limit: str) -> None:
    """A sum is written out term by term on the instance: a number of terms no size of the network has
    (its index multiplies an entry rather than indexing one, which a sum past its entries would stop first)."""
    outcome = check_post(tmp_path, "post.md", f"$$C = \\sum_{{j=1}}^{{{limit}}} j a^2_1$$\n")
    assert "why: a sum of more than 1,000 terms" in outcome.stdout


def test_hang_tower_of_powers(tmp_path: Path) -> None:
    outcome = check_post(tmp_path, "post.md", "$$C = 2^{2^{2^{2^{2^{2}}}}}$$\n")
    assert "why: an exponent larger than 64 in absolute value" in outcome.stdout


@pytest.mark.parametrize("formula", ["W^1 " * 3000, "a^L \\odot " * 10_000 + "a^L", "a^2 / 2 " * 20,
                                     "-(" * 20 + "a^2" + ")" * 20, "\\frac{" * 20 + "a^2" + "}{2}" * 20],
                         ids=["juxtaposition", "hadamard-chain", "division-chain", "nested-negation",
                              "nested-fractions"])
def test_hang_long_chains_and_nesting(tmp_path: Path, formula: str) -> None:
    outcome = check_post(tmp_path, "post.md", f"$$\\delta^2 = {formula}$$\n")
    assert outcome.returncode == 0 and "1 not checked" in outcome.stdout, outcome.stdout[-300:]


def test_hang_many_matrix_products(tmp_path: Path) -> None:
    """Each product of explicit matrices doubles the entries' size: 30 chains of 6 took minutes."""
    formula = " + ".join(["W^2 W^2 W^2 W^2 W^2 W^2 a^1"] * 30)
    outcome = check_post(tmp_path, "post.md", f"$$\\delta^2 = {formula}$$\n")
    assert "why: more than 12 matrix products in one side (each doubles the work on the instance)" in outcome.stdout


def test_hang_one_megabyte_formula(tmp_path: Path) -> None:
    outcome = check_post(tmp_path, "post.md", "$$C = " + "a + " * 240_000 + "a$$\n")
    assert "why: a formula longer than 2,000 characters is not checked (line 1, col 3)" in outcome.stdout


@pytest.mark.parametrize("text", ["$1" * 20_000, "\\(" * 200_000, "\\[" * 200_000, "$$ " * 100_000,
                                  "`" * 100_000 + "x", "``a`" * 50_000, "\\begin{equation}" * 20_000,
                                  "<!--" * 100_000, " " * 500_000 + "$$x$$", "If $k = y_i$, " * 9_000,
                                  "$ \\alpha " * 100_000],
                         ids=["single-dollars", "open-parens", "open-brackets", "open-displays", "backticks",
                              "code-spans", "open-environments", "open-comments", "long-line",
                              "conditions-on-one-line", "spaced-dollars"])
def test_hang_scanning_is_linear(tmp_path: Path, text: str) -> None:
    check_post(tmp_path, "post.md", text)


def test_hang_latex_scanning_is_linear(tmp_path: Path) -> None:
    check_post(tmp_path, "post.tex", "\\begin{document}" + "$" * 100_001 + "\\begin{x}" * 20_000)


def test_hang_long_sum_and_commas(tmp_path: Path) -> None:
    check_post(tmp_path, "sum.md", "$$C = " + " + ".join(["a^2"] * 10_000) + "$$\n")
    outcome = check_post(tmp_path, "commas.md", "$$C = a" + ", a" * 50_000 + "$$\n")
    assert "not checked" in outcome.stdout


def test_hang_too_many_steps_is_refused(tmp_path: Path) -> None:
    outcome = check_post(tmp_path, "post.md", "\n\n".join([r"$$\delta^2 = a^2$$"] * 10_000))
    assert outcome.stderr == ("derive: error: the post has more than 500 steps to check, the limit of one check "
                              "(split the post)\n")


def test_hang_too_many_formulas_is_refused(tmp_path: Path) -> None:
    outcome = check_post(tmp_path, "post.md", "$x$ " * 20_000)
    assert outcome.stderr == ("derive: error: the post has more than 10,000 formulas, the limit of one check "
                              "(split the post)\n")


def test_hang_too_much_text_is_refused(tmp_path: Path) -> None:
    outcome = check_post(tmp_path, "post.tex", "\\begin{document}\n" + "$x = y$ some text here\n" * 200_000)
    assert outcome.stderr == ("derive: error: post.tex has 4,600,017 characters of text, more than the limit of "
                              "1,000,000 (split the post)\n")


def test_hang_notebook_of_twenty_thousand_cells(tmp_path: Path) -> None:
    cell = {"cell_type": "markdown", "source": "$$\\delta^2 = a^2 - y$$"}
    outcome = check_post(tmp_path, "post.ipynb", json.dumps({"cells": [cell] * 20_000}))
    assert "more than 10,000 formulas" in outcome.stderr
    outcome = check_post(tmp_path, "post.ipynb", json.dumps({"cells": [cell] * 600}))
    assert "more than 500 steps to check" in outcome.stderr


def test_hang_check_against_a_deep_network(tmp_path: Path) -> None:
    """Beyond the sizes the checker expands exactly, random points decide alone."""
    text = "$$\\delta^2 = a^2 - y$$\n\n$$\\frac{\\partial C}{\\partial W^1} = \\delta^1 (x)^T$$\n"
    outcome = check_post(tmp_path, "post.md", text, net="mlp:" + "-".join(["3"] * 30))
    assert verdicts(outcome.stdout) == "1 correct, 1 wrong, 0 not checked"


@pytest.mark.parametrize("kind", ["device", "fifo", "directory"])
@pytest.mark.parametrize("role", ["spec", "post", "notation"])
def test_hang_only_regular_files_are_read(tmp_path: Path, kind: str, role: str) -> None:
    name = {"spec": "net.toml", "post": "post.md", "notation": "map.toml"}[role]
    if kind == "device":
        (tmp_path / name).symlink_to("/dev/zero")
    elif kind == "fifo":
        os.mkfifo(tmp_path / name)
    else:
        (tmp_path / name).mkdir()
    (tmp_path / "ok.md").write_text("$$C = 1$$\n")
    args = {"spec": ["show", name], "post": ["check", name, "--net", "two-two-two"],
            "notation": ["check", "ok.md", "--net", "two-two-two", "--notation", name]}[role]
    outcome = run_derive(args, tmp_path)
    assert_clean(outcome)
    what = {"spec": "spec file", "post": "post", "notation": "notation map"}[role]
    ending = "is a directory, not a file" if kind == "directory" else \
        "is not a regular file (a device, FIFO or socket is never read)"
    if role == "post" and kind == "directory":  # check searches a folder for posts
        assert outcome.stderr == f"derive: error: no posts (.md, .markdown, .tex, .ipynb) in the folder {name}\n"
    else:
        assert outcome.stderr == f"derive: error: {what} '{name}' {ending}\n"


def test_hang_files_larger_than_the_limit_are_refused(cli, tmp_path: Path) -> None:
    (tmp_path / "net.toml").write_bytes(b"#" * 1_000_001)
    one_line_error(cli("show", "net.toml"), "spec file 'net.toml' is larger than the limit of 1 MB")
    (tmp_path / "post.md").write_bytes(b" " * 5_000_001)
    one_line_error(cli("check", "post.md", "--net", "two-two-two"), "post 'post.md' is larger than the limit of 5 MB")


# ----------------------------------------------------------------------------------------------
# Nothing half-written
# ----------------------------------------------------------------------------------------------

#: Run derive's CLI in a child whose first fsync (mid-write, the temporary file open) delivers a
#: signal to the process itself: the worst moment, every time.
SIGNAL_MID_WRITE = textwrap.dedent("""
    import os, signal, sys
    sys.path.insert(0, {root!r})
    import derive.files
    real_fsync = os.fsync
    def fsync_then_signal(fd):
        real_fsync(fd)
        os.kill(os.getpid(), signal.{signal})
    derive.files.os.fsync = fsync_then_signal
    from derive.cli import main
    raise SystemExit(main(sys.argv[1:]))
""")


@pytest.mark.parametrize("signame, code, message", [("SIGTERM", 143, "terminated"), ("SIGINT", 130, "interrupted")])
@pytest.mark.parametrize("command", [["export", "two-two-two", "-o", "g.py"],
                                     ["post", "two-two-two", "--platform", "hugo", "-o", "posts"]])
def test_signal_during_a_write_leaves_no_temporary_file(tmp_path: Path, signame: str, code: int, message: str,
                                                        command: list[str]) -> None:
    script = SIGNAL_MID_WRITE.format(root=str(ROOT), signal=signame)
    result = subprocess.run([sys.executable, "-c", script, *command], capture_output=True, text=True,
                            cwd=tmp_path, timeout=120)
    assert result.returncode == code, result.stderr
    assert result.stderr == f"derive: {message}\n"
    assert temporaries(tmp_path) == []
    for path in tmp_path.rglob("*"):  # whatever was written is whole: a generated file, stamped
        if path.is_file():
            assert "sha256:" in path.read_text(encoding="utf-8")


def test_sigterm_at_any_moment_of_post_all(tmp_path: Path) -> None:
    """`timeout` and CI cancellation send SIGTERM at any moment: no .tmp file, ever."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for attempt, delay in enumerate((0.5, 2.0, 3.0, 4.0)):
        out = tmp_path / f"run{attempt}"
        child = subprocess.Popen([sys.executable, "-m", "derive", "post", "--all", "-o", str(out)], env=env,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        time.sleep(delay)
        child.send_signal(signal.SIGTERM)
        _, err = child.communicate(timeout=120)
        assert child.returncode in (0, 143, -signal.SIGTERM), err  # -15: before derive's handler was set
        assert temporaries(tmp_path) == []


def test_post_all_checks_every_target_before_writing(cli, tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "softmax-classifier").write_text("in the way\n")
    one_line_error(cli("post", "--all", "-o", "out"), "the output path out/softmax-classifier is not a directory")
    assert tree(tmp_path) == ["out", "out/softmax-classifier"]


def test_post_all_refuses_a_hand_edited_file_before_writing(cli, tmp_path: Path) -> None:
    (tmp_path / "out" / "two-two-two").mkdir(parents=True)
    (tmp_path / "out" / "two-two-two" / "two-two-two.hugo.en.md").write_text("my own post\n")
    code, _, err = cli("post", "--all", "-o", "out")
    assert code == 2 and err.startswith("derive: error: refusing to overwrite out/two-two-two/two-two-two.hugo.en.md")
    assert tree(tmp_path) == ["out", "out/two-two-two", "out/two-two-two/two-two-two.hugo.en.md"]


def test_export_over_something_that_is_not_a_file(cli, tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "fifo.py")
    (tmp_path / "dir.py").mkdir()
    for name in ("fifo.py", "dir.py"):
        one_line_error(cli("export", "two-two-two", "-o", name),
                       f"cannot write {name}: something that is not a regular file is in the way")


def test_decision_newline_in_a_path_is_escaped_on_one_line(cli, tmp_path: Path) -> None:
    """A file name may hold a newline: messages quote and escape it, always one line."""
    one_line_error(cli("check", "a\nb.md", "--net", "two-two-two"), "no such file or folder: 'a\\nb.md'")
    (tmp_path / "c\nd").mkdir()
    one_line_error(cli("check", "c\nd", "--net", "two-two-two"),
                   "no posts (.md, .markdown, .tex, .ipynb) in the folder 'c\\nd'")
    (tmp_path / "c\nd" / "e\nf.md").write_bytes(b"\xff")
    one_line_error(cli("check", "c\nd", "--net", "two-two-two"), "post 'c\\nd/e\\nf.md' is not UTF-8 text")
    one_line_error(cli("show", "a\nb.toml"), "spec file 'a\\nb.toml' does not exist")
    code, out, err = cli("export", "two-two-two", "-o", "q\nr.py")
    assert (code, out, err) == (0, "", "wrote 'q\\nr.py'\n")
    code, out, _ = cli("post", "two-two-two", "--platform", "hugo", "-o", "dir\nx")
    assert code == 0 and out.splitlines() == ["'dir\\nx/two-two-two.hugo.en.md'", "'dir\\nx/two-two-two.svg'"]


@pytest.mark.parametrize("args, message", [
    (["show", "mlp:３-4-2"], "network shorthand 'mlp:３-4-2' must look like mlp:3-4-2 (input width, then each layer width)"),
    (["show", "mlp:3-4-2", "--batch", "３"], "argument --batch: must be a whole number >= 1, not '３' (see 'derive --help')"),
    (["show", "mlp:3-4-2", "--seed", "１"],
     "argument --seed: must be a whole number from 0 to 4294967295, not '１' (see 'derive --help')"),
    (["show", "mlp:3-4-2", "--batch", "1_0"], "argument --batch: must be a whole number >= 1, not '1_0' (see 'derive --help')"),
], ids=["shorthand", "batch", "seed", "underscore"])
def test_decision_only_ascii_digits(cli, args: list[str], message: str) -> None:
    one_line_error(cli(*args), message)


def test_decision_float32_needs_the_matrix_form(cli) -> None:
    one_line_error(cli("export", "two-two-two", "--dtype", "float32", "--form", "scalar"),
                   "the scalar form computes in Python floats (float64); --dtype float32 writes --form matrix")
    code, out, _ = cli("export", "two-two-two", "--dtype", "float32")
    assert code == 0 and "DTYPE = np.float32" in out  # auto picks the matrix form for float32


def test_decision_scalar_form_has_a_size_limit(cli) -> None:
    one_line_error(cli("export", "mlp:300-300-2", "--form", "scalar"),
                   "the scalar form writes a line per weight: at most 1,000 parameters, and this network has 90,902 "
                   "(use --form matrix)")


# ----------------------------------------------------------------------------------------------
# Limits: the README states each one, and derive meets it
# ----------------------------------------------------------------------------------------------


def test_readme_states_every_limit() -> None:
    from derive.check import api as check_api, build, extract, judge, lexer, parser
    from derive.export import options as export_options
    from derive import api, inputs, spec

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    limits = readme[readme.index("## Limits"):readme.index("## How it works")]
    stated = {
        "layers of a network | {:,}": spec.MAX_LAYERS,
        "batch | {} samples": spec.MAX_BATCH,
        "parameters of a network | {:,}": spec.MAX_PARAMETERS,
        "from 0 to {}": api.MAX_SEED,
        "notation map | a regular file of at most {} MB": inputs.MAX_SPEC_BYTES // 1_000_000,
        "a regular file of at most {} MB, holding": check_api.MAX_BYTES // 1_000_000,
        "at most {:,} characters of text": check_api.MAX_TEXT_CHARS,
        "formulas in a post | {:,}": check_api.MAX_FORMULAS,
        "one check judges | {:,}": check_api.MAX_CLAIMS,
        "notation map in front matter | {} tables deep": check_api.MAX_MAP_DEPTH,
        "spec file or notation map | {} bits": inputs.MAX_NUMBER_BITS,
        "blocks) | {:,} characters": extract.MAX_FORMULA_CHARS,
        "in a formula | {} deep": parser.MAX_OPERATION_DEPTH,
        "matrix products in one side of a formula | {}": judge.MAX_MATRIX_PRODUCTS,
        "a number in a formula | {} digits": lexer.MAX_NUMBER_DIGITS,
        "an exponent in a formula | {} in absolute value": build.MAX_EXPONENT,
        "(not a size of the network) | {:,}": build.MAX_SUM_TERMS,
        "`export --form scalar` | {:,} parameters": export_options.SCALAR_FORM_MAX_PARAMETERS,
    }
    for text, value in stated.items():
        assert text.format(value) in limits, text.format(value)


@pytest.mark.parametrize("args", [
    ["show", "mlp:3161-3161"],
    ["show", "mlp:" + "-".join(["40"] * 65)],
    ["post", "mlp:3-4-2", "--batch", "4096", "--platform", "hugo", "-o", "out"],
], ids=["widest", "deepest", "largest-batch"])
def test_network_limits_are_met(tmp_path: Path, args: list[str]) -> None:
    outcome = run_derive(args, tmp_path)
    assert_clean(outcome)
    assert outcome.returncode == 0, outcome.describe()


def test_widest_network_is_at_the_parameter_limit(cli) -> None:
    """mlp:3161-3161 (met above) is the widest square layer allowed; the issue's mlp:4470-4470
    (22 s) is refused naming the limit."""
    from derive.spec import MAX_PARAMETERS, build

    assert build([3161, 3161]).parameter_count() <= MAX_PARAMETERS
    with pytest.raises(DeriveError, match=f"more than the limit of {MAX_PARAMETERS:,}"):
        build([3162, 3162])
    one_line_error(cli("show", "mlp:4470-4470"), "the network has 19,985,370 parameters, more than the limit of "
                   f"{MAX_PARAMETERS:,} (verifying every gradient numerically would take too long)")
