"""derive check on red-team posts: realistic posts in the styles of well-known backprop write-ups
(Nielsen, Mazur, CS231n, Andrew Ng, d2l.ai, matrix calculus, Chinese blogs, index notation), all
correct except for mistakes planted on purpose (tests/realposts/redteam/README.md).

A planted mistake must never be called correct and a correct formula never wrong; abstaining ("not
checked") is allowed for both. The posts' maps were written from their own symbol descriptions.
"""

from __future__ import annotations

import json
import runpy
from pathlib import Path

import pytest

from derive.api import resolve_network
from derive.check import check_file

HERE = Path(__file__).resolve().parent / "realposts" / "redteam"
NETS = json.loads((HERE / "nets.json").read_text(encoding="utf-8"))
PLANTED = json.loads((HERE / "expected.json").read_text(encoding="utf-8"))


#: The suffixes of the posts: Markdown, and Sphinx's reStructuredText (round 4).
SUFFIXES = (".md", ".rst")


def post_of(name: str) -> Path:
    return next(HERE / f"{name}{suffix}" for suffix in SUFFIXES if (HERE / f"{name}{suffix}").is_file())


def squash(text: str) -> str:
    return "".join(text.split())


@pytest.mark.parametrize("name", sorted(NETS))
def test_no_false_verdict(name: str) -> None:
    net, options = NETS[name]
    report = check_file(str(post_of(name)), resolve_network(net, **options),
                        notation=str(HERE / f"{name}.toml"))
    planted = {squash(t) for t in PLANTED[name]}
    links = [link for st in report.statements for link in st.links]
    assert links
    false = []
    for link in links:
        mistake = squash(link.text) in planted
        if (mistake and link.verdict == "correct") or (not mistake and link.verdict == "wrong"):
            false.append(f"line {link.line}: {link.left} {link.relation} {link.text}: {link.verdict} ({link.reason})")
    assert not false, "\n".join(false)
    found = {squash(link.text) for link in links}
    assert planted <= found, sorted(planted - found)  # every planted mistake is a link of the report


def test_every_post_has_a_map_and_a_net() -> None:
    posts = sorted(p.stem for p in HERE.iterdir() if p.suffix in SUFFIXES and p.name != "README.md")
    assert posts == sorted(NETS) == sorted(k for k in PLANTED if k != "_")
    assert all((HERE / f"{name}.toml").is_file() for name in posts)


@pytest.mark.parametrize("name", ["mazur_step_by_step", "mazur_worked_biases", "medium_mazur_clone"])
def test_mazur_style_posts_are_judged(name: str) -> None:
    # named neurons, numbered weights and shared biases ([neurons], [weights], index = "named"/"shared"):
    # every planted mistake is caught, and most links get a verdict
    net, options = NETS[name]
    report = check_file(str(HERE / f"{name}.md"), resolve_network(net, **options),
                        notation=str(HERE / f"{name}.toml"))
    links = [link for st in report.statements for link in st.links]
    planted = {squash(t) for t in PLANTED[name]}
    assert {squash(link.text) for link in links if link.verdict == "wrong"} == planted
    assert sum(link.verdict != "not checked" for link in links) >= 0.7 * len(links)


def test_mazur_verdicts_verified_with_numpy() -> None:
    # the expected verdicts of the Mazur-style posts, checked with NumPy neuron by neuron, independently of derive
    verify = runpy.run_path(str(HERE / "verify_mazur.py"))["verify"]
    assert verify() == []


def test_round_3_verdicts_verified_with_numpy() -> None:
    # the expected verdicts of round 3 (correct and planted), checked with NumPy independently of derive
    verify = runpy.run_path(str(HERE / "verify_round3.py"))["verify"]
    assert verify() == []


def test_round_4_verdicts_verified_with_numpy() -> None:
    # the expected verdicts of round 4 (correct and planted), checked with NumPy independently of derive
    verify = runpy.run_path(str(HERE / "verify_round4.py"))["verify"]
    assert verify() == []
