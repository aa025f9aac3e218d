"""derive check as a command over many posts: paths and folders, the network a post names,
the summary line and exit codes, GitHub annotations, JSON, and the pre-commit hook."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from derive.check import check_file
from derive.check.paths import find_posts
from derive.check.report import escape_data, escape_property
from derive.cli import main
from derive.errors import DeriveError

ROOT = Path(__file__).resolve().parent.parent

# Three one-formula posts for the 2-2-2 network: one link each, correct, wrong, not checked.
GOOD = "$$\\frac{\\partial C}{\\partial W^2} = \\delta^2 (a^1)^T$$\n"
BAD = "$$\\frac{\\partial C}{\\partial W^2} = (a^1)^T \\delta^2$$\n"
UNCHECKED = "$$q^1 = W^1 x$$\n"
# Correct for a network without biases (two-two-two), wrong for one with them (mlp:…, l-layer).
NO_BIAS = "$$z^1 = W^1 x$$\n"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def check(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    """`derive check ARGS` in this process: (exit code, stdout, stderr)."""
    code = main(["check", *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


def one_line_error(code: int, out: str, err: str) -> str:
    assert code == 2 and out == "", (code, out, err)
    assert err.count("\n") == 1 and err.startswith("derive: error: ") and "Traceback" not in err, err
    return err[len("derive: error: "):-1]


def front(net: str) -> str:
    return f"---\ntitle: a post\nderive-net: {net}\n---\n"


# ----------------------------------------------------------------------------------------------
# Several paths: exit codes and the summary line
# ----------------------------------------------------------------------------------------------


def test_exit_codes_over_several_posts(tmp_path: Path, capsys) -> None:
    good, bad = write(tmp_path / "good.md", GOOD), write(tmp_path / "bad.md", BAD)
    unchecked = write(tmp_path / "unchecked.md", UNCHECKED)
    assert check(capsys, good, unchecked, "--net", "two-two-two")[0] == 0
    assert check(capsys, good, bad, unchecked, "--net", "two-two-two")[0] == 1
    assert check(capsys, bad, good, "--net", "two-two-two", "--format", "github")[0] == 1
    assert check(capsys, good, bad, "--net", "two-two-two", "--json")[0] == 1
    message = one_line_error(*check(capsys, good, tmp_path / "missing.md", "--net", "two-two-two"))
    assert message == f"no such file or folder: {tmp_path / 'missing.md'}"


def test_summary_line_counts_every_post(tmp_path: Path, capsys) -> None:
    posts = [write(tmp_path / f"{name}.md", text) for name, text in
             (("good", GOOD), ("bad", BAD), ("unchecked", UNCHECKED), ("also-good", GOOD))]
    code, out, _ = check(capsys, *posts, "--net", "two-two-two")
    summaries = [line for line in out.splitlines() if re.match(r"\d+ files?: ", line)]
    assert summaries == ["4 files: 2 correct, 1 wrong, 1 not checked"]
    assert out.endswith("\n\n4 files: 2 correct, 1 wrong, 1 not checked\n")
    headers = [line.split(":")[0] for line in out.splitlines() if ": checked against" in line]
    assert headers == [str(p) for p in posts], "each post's report, in the order given"


def test_one_file_keeps_its_report_without_the_summary(tmp_path: Path, capsys) -> None:
    bad = write(tmp_path / "bad.md", BAD)
    code, out, _ = check(capsys, bad, "--net", "two-two-two")
    assert code == 1 and out.endswith("\n0 correct, 1 wrong, 0 not checked\n") and " file: " not in out


# ----------------------------------------------------------------------------------------------
# Folders
# ----------------------------------------------------------------------------------------------


def test_folder_walk_order_and_skips(tmp_path: Path) -> None:
    names = ["b.md", "a/z.tex", "a/y/deep.ipynb", "a.markdown", "C.MD", "node_modules/pkg/readme.md",
             ".hidden/post.md", "a/.drafts/post.md", ".draft.md", "notes.txt", "code.py", "a/x.tex.bak"]
    for name in names:
        write(tmp_path / "blog" / name, GOOD)
    found = [p.relative_to(tmp_path / "blog").as_posix() for p in find_posts([tmp_path / "blog"])]
    assert found == ["C.MD", "a/y/deep.ipynb", "a/z.tex", "a.markdown", "b.md"]


def test_paths_keep_their_order_and_count_each_post_once(tmp_path: Path) -> None:
    first = write(tmp_path / "z-first.txt", GOOD)  # a file named on the command line is read whatever its suffix
    inside = write(tmp_path / "folder" / "a.md", GOOD)
    write(tmp_path / "folder" / "b.md", GOOD)
    found = find_posts([first, tmp_path / "folder", inside])
    assert [p.name for p in found] == ["z-first.txt", "a.md", "b.md"]


def test_a_folder_without_posts_is_a_usage_error(tmp_path: Path, capsys) -> None:
    write(tmp_path / "empty" / "notes.txt", "nothing\n")
    message = one_line_error(*check(capsys, tmp_path / "empty", "--net", "two-two-two"))
    assert message == f"no posts (.md, .markdown, .tex, .ipynb) in the folder {tmp_path / 'empty'}"


def test_folder_checks_every_post_with_its_summary(tmp_path: Path, capsys) -> None:
    write(tmp_path / "blog" / "2024" / "bad.md", BAD)
    write(tmp_path / "blog" / "good.md", GOOD)
    write(tmp_path / "blog" / "node_modules" / "bad.md", BAD)
    code, out, _ = check(capsys, tmp_path / "blog", "--net", "two-two-two")
    assert code == 1 and out.endswith("\n2 files: 1 correct, 1 wrong, 0 not checked\n")


# ----------------------------------------------------------------------------------------------
# The network a post names
# ----------------------------------------------------------------------------------------------

TINY = "input = 2\n[[layers]]\nwidth = 3\n[[layers]]\nwidth = 1\n"


@pytest.mark.parametrize("name, text, net", [
    ("yaml.md", front("two-two-two") + NO_BIAS, "two-two-two"),
    ("quoted.md", "---\nderive-net: 'mlp:2-3-1'   # the 2-3-1 network\n---\n" + NO_BIAS, "mlp-2-3-1"),
    ("toml.md", '+++\ntitle = "a post"\nderive-net = "l-layer"\n+++\n' + NO_BIAS, "l-layer"),
    ("latex.tex", "% derive-net: mlp:2-3-1\n\\begin{document}\n$z^1 = W^1 x$\n\\end{document}\n", "mlp-2-3-1"),
    ("relative.md", front("nets/tiny.toml") + NO_BIAS, "tiny"),
])
def test_front_matter_names_the_network(tmp_path: Path, name: str, text: str, net: str) -> None:
    write(tmp_path / "posts" / "nets" / "tiny.toml", TINY)  # beside the post, not in the working folder
    report = check_file(write(tmp_path / "posts" / name, text))
    assert report.net == net


def test_notebook_names_its_network_in_its_first_cell(tmp_path: Path) -> None:
    cells = [{"cell_type": "markdown", "source": ["---\n", "derive-net: mlp:2-3-1\n", "---\n", "# Title\n"]},
             {"cell_type": "markdown", "source": NO_BIAS}]
    path = write(tmp_path / "post.ipynb", json.dumps({"cells": cells, "metadata": {}, "nbformat": 4,
                                                      "nbformat_minor": 5}))
    assert check_file(path).net == "mlp-2-3-1"


def test_the_network_decides_the_verdicts(tmp_path: Path, capsys) -> None:
    """A front-matter network is used, not a default: z = W x is right without biases only."""
    without_bias = write(tmp_path / "a.md", front("two-two-two") + NO_BIAS)
    with_bias = write(tmp_path / "b.md", front("mlp:2-2-2") + NO_BIAS)
    code, out, _ = check(capsys, without_bias, with_bias)
    assert code == 1 and out.endswith("\n2 files: 1 correct, 1 wrong, 0 not checked\n")
    assert f"{without_bias}: checked against two-two-two" in out and f"{with_bias}: checked against mlp-2-2-2" in out


def test_net_on_the_command_line_overrides_the_front_matter(tmp_path: Path, capsys) -> None:
    post = write(tmp_path / "post.md", front("mlp:2-2-2") + NO_BIAS)
    assert check(capsys, post)[0] == 1
    code, out, _ = check(capsys, post, "--net", "two-two-two")
    assert code == 0 and out.startswith(f"{post}: checked against two-two-two")
    broken = write(tmp_path / "broken.md", front("no-such-net") + GOOD)
    assert check(capsys, broken, "--net", "two-two-two")[0] == 0, "--net replaces the post's network, unread"


def test_a_post_without_network_is_one_line_naming_it(tmp_path: Path, capsys) -> None:
    named = write(tmp_path / "named.md", front("two-two-two") + GOOD)
    bare = write(tmp_path / "bare.md", GOOD)
    assert one_line_error(*check(capsys, named, bare)) == (
        f"{bare} names no network: give it with --net NET or in its front matter (derive-net: NET); NET is a "
        "built-in example (two-two-two, l-layer, batched-mlp, softmax-classifier), FILE.toml or mlp:3-4-2")
    tex = write(tmp_path / "bare.tex", "$z^1 = W^1 x$\n")
    assert "in a '% derive-net: NET' comment line" in one_line_error(*check(capsys, tex))


@pytest.mark.parametrize("matter, message", [
    ("---\nderive-net: no-such-net\n---\n", "{post} (line 2, derive-net): unknown network 'no-such-net'; valid choices:"),
    ("---\ntitle: x\nderive-net: nets/missing.toml\n---\n",
     "{post} (line 3, derive-net): spec file '{folder}/nets/missing.toml' does not exist"),
    ("---\nderive-net:\n---\n", "{post} (line 2): derive-net names no network;"),
    ('+++\nderive-net = 3\n+++\n', "{post} (line 2): derive-net must be a network name in quotes, not 3"),
])
def test_a_bad_front_matter_network_is_one_line_naming_the_post(tmp_path: Path, capsys, matter: str,
                                                               message: str) -> None:
    post = write(tmp_path / "post.md", matter + GOOD)
    good = write(tmp_path / "good.md", GOOD)
    error = one_line_error(*check(capsys, post))
    assert error.startswith(message.format(post=post, folder=tmp_path)), error
    with pytest.raises(DeriveError):
        check_file(post)
    assert check(capsys, good, post, "--net", "two-two-two")[0] == 0


# ----------------------------------------------------------------------------------------------
# Output formats
# ----------------------------------------------------------------------------------------------

ANNOTATION = re.compile(r"^::error file=([^,:]*),line=(\d+),col=(\d+),title=derive check::([^\n\r]*)$")


def test_github_annotations_for_wrong_links_only(tmp_path: Path, capsys) -> None:
    bad = write(tmp_path / "bad.md", "Intro.\n\n" + BAD)
    unchecked = write(tmp_path / "unchecked.md", UNCHECKED)
    good = write(tmp_path / "good.md", GOOD)
    code, out, _ = check(capsys, good, unchecked, bad, "--net", "two-two-two", "--format", "github")
    lines = out.splitlines()
    assert code == 1 and lines[-1] == "3 files: 1 correct, 1 wrong, 1 not checked" and len(lines) == 2, out
    match = ANNOTATION.match(lines[0])
    assert match, lines[0]
    assert match.group(1, 2, 3) == (str(bad), "3", "37")
    message = match.group(4).split("%0A")
    assert message[0] == r"\frac{\partial C}{\partial W^2} = (a^1)^T \delta^2"
    assert message[1].startswith("why: ") and message[2].startswith("diagnosis (product-order): ")
    assert message[-1] == r"correct: \delta^{2} \left(a^{1}\right)^{\top}"


def test_github_escapes_as_documented() -> None:
    assert escape_data("100% sure\r\nnext: a, b") == "100%25 sure%0D%0Anext: a, b"
    assert escape_property("posts/a,b: 50%.md") == "posts/a%2Cb%3A 50%25.md"
    assert escape_data("%0A") == "%250A", "a percent sign is escaped before what it could be read as"


def test_github_annotation_escapes_the_file_name(tmp_path: Path, capsys) -> None:
    bad = write(tmp_path / "a, b: 100%.md", BAD)
    out = check(capsys, bad, "--net", "two-two-two", "--format", "github")[1]
    assert out.startswith(f"::error file={str(tmp_path)}/a%2C b%3A 100%25.md,line=1,col=37,"), out


def test_github_annotation_of_a_notebook_names_the_cell_line(tmp_path: Path, capsys) -> None:
    cells = [{"cell_type": "markdown", "source": "Intro\n"}, {"cell_type": "markdown", "source": BAD}]
    path = write(tmp_path / "post.ipynb", json.dumps({"cells": cells, "metadata": {}, "nbformat": 4,
                                                      "nbformat_minor": 5}))
    first = check(capsys, path, "--net", "two-two-two", "--format", "github")[1].splitlines()[0]
    assert first.startswith(f"::error file={path},title=derive check::"), first
    # "Intro\n", the blank line between cells, then the formula: line 4 of the cells' text.
    assert "(line 4 of the notebook's Markdown cells)%0A" in first


def test_json_of_several_posts_lists_the_one_post_reports(tmp_path: Path, capsys) -> None:
    bad, good = write(tmp_path / "bad.md", BAD), write(tmp_path / "good.md", GOOD)
    single = json.loads(check(capsys, bad, "--net", "two-two-two", "--json")[1])
    assert single["path"] == str(bad) and single["counts"] == {"correct": 0, "wrong": 1, "not checked": 0}
    data = json.loads(check(capsys, bad, good, "--net", "two-two-two", "--format", "json")[1])
    assert data["files"] == 2 and data["counts"] == {"correct": 1, "wrong": 1, "not checked": 0}
    assert data["reports"][0] == single and data["reports"][1]["path"] == str(good)
    folder = json.loads(check(capsys, tmp_path, "--net", "two-two-two", "--json")[1])
    assert folder["files"] == 2, "a folder gets the list even when it holds one post"


@pytest.mark.parametrize("args, message", [
    (("--json", "--format", "github"), "argument --format: not allowed with argument --json"),
    (("--format", "sarif"), "argument --format: invalid choice: 'sarif' (choose from 'text', 'json', 'github')"),
])
def test_bad_format_is_one_line(tmp_path: Path, capsys, args: tuple[str, ...], message: str) -> None:
    post = write(tmp_path / "post.md", GOOD)
    assert one_line_error(*check(capsys, post, "--net", "two-two-two", *args)).startswith(message)


# ----------------------------------------------------------------------------------------------
# The pre-commit hook
# ----------------------------------------------------------------------------------------------

HOOKS = ROOT / ".pre-commit-hooks.yaml"


def _hook() -> dict:
    from pre_commit.clientlib import load_manifest

    (hook,) = load_manifest(str(HOOKS))  # pre-commit's own schema: raises on a missing or mistyped key
    return hook


def test_pre_commit_manifest_follows_pre_commits_schema(tmp_path: Path) -> None:
    from pre_commit.clientlib import InvalidManifestError, load_manifest

    hook = _hook()
    assert hook["id"] == "derive-check" and hook["language"] == "python" and hook["pass_filenames"] is True
    broken = write(tmp_path / "hooks.yaml", HOOKS.read_text(encoding="utf-8").replace("  entry: derive check\n", ""))
    with pytest.raises(InvalidManifestError):  # the schema check is a real one
        load_manifest(str(broken))


def test_pre_commit_files_are_the_posts_a_folder_is_searched_for() -> None:
    files = re.compile(_hook()["files"])
    for name in ("post.md", "posts/2024/a.markdown", "paper.tex", "nb.ipynb", "OLD.MD"):
        assert files.search(name), name
    for name in ("script.py", "notes.txt", "post.md.bak", "data.json", "md"):
        assert not files.search(name), name


def test_pre_commit_entry_checks_the_files_it_is_given(tmp_path: Path) -> None:
    """The entry names the installed console script; run it as pre-commit does, files appended."""
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]
    program, *args = shlex.split(_hook()["entry"])
    assert scripts[program] == "derive.cli:main"
    good = write(tmp_path / "good.md", front("two-two-two") + GOOD)
    bad = write(tmp_path / "bad.md", front("two-two-two") + BAD)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "derive", *args, *_hook()["args"]]
    result = subprocess.run([*command, "good.md", "bad.md"], cwd=tmp_path, capture_output=True, text=True, env=env,
                            timeout=300)
    assert result.returncode == 1 and result.stdout.endswith("2 files: 1 correct, 1 wrong, 0 not checked\n")
    result = subprocess.run([*command, "good.md"], cwd=tmp_path, capture_output=True, text=True, env=env,
                            timeout=300)
    assert result.returncode == 0, result.stderr


def test_readme_pre_commit_config_uses_this_hook(tmp_path: Path) -> None:
    """The README's sample .pre-commit-config.yaml is valid for pre-commit and names this hook."""
    from pre_commit.clientlib import load_config

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Check a hand-written derivation", 1)[1].split("\n## ", 1)[0]
    sample = section.split("```yaml\n", 1)[1].split("```\n", 1)[0]
    (repo,) = load_config(str(write(tmp_path / ".pre-commit-config.yaml", sample)))["repos"]
    (hook,) = repo["hooks"]
    assert hook["id"] == _hook()["id"]
    files = re.compile(hook["files"])
    assert files.search("posts/2024/backprop.md") and not files.search("README.md")
