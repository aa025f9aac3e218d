"""The notebooks run: every generated notebook is executed (nbclient, a real Python kernel), no
cell may fail, and what the code cells print must be the numbers of the Markdown cells: the cost,
each gradient, the parameters after one step of gradient descent and the new cost, in that order,
as the worked example prints them; the central-difference check must print a tiny difference.

Skips cleanly where nbclient or a Python kernel (ipykernel) is not installed."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from posts_support import generated, platform_of, post_files

NOTEBOOKS = [p for p in post_files(generated()) if platform_of(p) == "jupyter"]
#: The numbers a post prints as results: six decimals.
RESULT = re.compile(r"-?\d+\.\d{6}(?!\d)")


def _client_modules():
    nbclient = pytest.importorskip("nbclient")
    nbformat = pytest.importorskip("nbformat")
    kernelspec = pytest.importorskip("jupyter_client.kernelspec")
    try:
        kernelspec.KernelSpecManager().get_kernel_spec("python3")
    except kernelspec.NoSuchKernel:
        pytest.skip("no python3 Jupyter kernel (pip install ipykernel)")
    return nbclient, nbformat


@pytest.fixture(scope="module")
def executed(tmp_path_factory: pytest.TempPathFactory) -> dict[Path, dict]:
    """Every notebook, run top to bottom in a fresh kernel."""
    nbclient, nbformat = _client_modules()
    out = {}
    for path in NOTEBOOKS:
        notebook = nbformat.reads(path.read_text(encoding="utf-8"), as_version=4)
        where = tmp_path_factory.mktemp(path.stem)
        nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3",
                                resources={"metadata": {"path": str(where)}}).execute()
        out[path] = json.loads(nbformat.writes(notebook))
    return out


def _printed(cell: dict) -> str:
    assert all(output["output_type"] == "stream" and output["name"] == "stdout" for output in cell["outputs"]), \
        cell["outputs"]
    return "".join("".join(output["text"]) for output in cell["outputs"])


def _example_markdown(notebook: dict) -> str:
    """The Markdown of the worked example: the cells after its heading, up to the code section."""
    cells = notebook["cells"]
    headings = [i for i, cell in enumerate(cells) if cell["cell_type"] == "markdown"
                and "".join(cell["source"]).startswith("## ")]
    code = next(i for i, cell in enumerate(cells) if cell["cell_type"] == "code")
    start = code - 1  # the code section's heading and its words, just before its first cell
    assert start in headings
    example = max(i for i in headings if i < start)
    return "\n".join("".join(cell["source"]) for cell in cells[example:start])


def unmatched(printed: list[str], markdown: list[str]) -> list[str]:
    """The printed numbers that are not, in order, numbers of the Markdown (a subsequence)."""
    position = 0
    missing = []
    for number in printed:
        try:
            position = markdown.index(number, position) + 1
        except ValueError:
            missing.append(number)
    return missing


def test_there_is_a_notebook_per_example_and_language() -> None:
    assert len(NOTEBOOKS) == 8


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs_and_prints_the_numbers_of_its_markdown(path: Path, executed: dict[Path, dict]) -> None:
    notebook = executed[path]
    code = [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]
    assert len(code) == 3 and all(cell["execution_count"] for cell in code)
    assert _printed(code[0]) == ""  # the module defines, prints nothing
    printed = _printed(code[1])
    chunks = re.split(r"^(\S[^=\n]*) = ", printed, flags=re.M)[1:]
    values = {label: RESULT.findall(text) for label, text in zip(chunks[::2], chunks[1::2])}
    labels = list(values)
    params = [label[len("dC/d"):] for label in labels if label.startswith("dC/d")]
    assert labels[0] == "C" and labels[-1] == "C after the step" and params
    stepped = [label for label in labels if " - " in label]
    assert [label.split(" - ")[0] for label in stepped] == params
    assert all(len(values[f"dC/d{p}"]) == len(values[label]) > 0 for p, label in zip(params, stepped))
    numbers = [n for label in labels for n in values[label]]
    markdown = [n.lstrip("-") if float(n) == 0 else n for n in RESULT.findall(_example_markdown(notebook))]
    numbers = [n.lstrip("-") if float(n) == 0 else n for n in numbers]
    assert not unmatched(numbers, markdown), (path.name, unmatched(numbers, markdown))
    assert float(numbers[-1]) < float(numbers[0])  # the step lowered the cost
    difference = float(_printed(code[2]))
    assert 0 <= difference < 1e-7


def test_the_comparison_catches_a_number_the_markdown_does_not_have() -> None:
    markdown = ["0.046946", "-0.003472", "0.005916", "0.451736", "0.045778"]
    assert unmatched(["0.046946", "-0.003472", "0.005916", "0.045778"], markdown) == []
    assert unmatched(["0.046946", "-0.003473"], markdown) == ["-0.003473"]
    assert unmatched(["0.005916", "-0.003472"], markdown) == ["-0.003472"]  # out of order
