"""Zero false alarms: `derive check` reads every post `derive post` generated (output/, every
example, platform and language) and finds every formula correct, with nothing left unchecked."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from derive.cli import main
from derive.posts.render import LANGUAGES, PLATFORMS

OUTPUT = Path(__file__).resolve().parent.parent / "output"
POSTS = sorted(p for p in OUTPUT.glob("*/*.*") if p.suffix in (".md", ".tex", ".ipynb"))


def test_every_generated_post_is_present() -> None:
    assert len(POSTS) == 4 * len(PLATFORMS) * len(LANGUAGES)


@pytest.mark.parametrize("post", POSTS, ids=lambda p: p.name)
def test_generated_post_checks_correct(post: Path, capsys: pytest.CaptureFixture) -> None:
    code = main(["check", str(post), "--net", post.parent.name, "--json"])
    report = json.loads(capsys.readouterr().out)
    verdicts = [link["verdict"] for statement in report["statements"] for link in statement["links"]]
    assert report["counts"]["wrong"] == 0 and report["counts"]["not checked"] == 0, report["counts"]
    assert code == 0
    assert len(verdicts) >= 20 and set(verdicts) == {"correct"}
