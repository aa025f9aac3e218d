"""Every command names its network with the same arguments, defined once (derive/arguments.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from derive.arguments import network_spec
from derive.cli import main, make_parser
from derive.errors import DeriveError

SHORTHAND = ["--activation", "tanh,relu,sigmoid", "--output-activation", "softmax", "--cost", "ce", "--convention", "row",
             "--no-bias", "--batch", "3", "--normalize"]

#: How each command is called with the network mlp:2-3-4-2 and every shorthand option.
CALLS = {
    "show": ["show", "mlp:2-3-4-2", *SHORTHAND],
    "post": ["post", "mlp:2-3-4-2", "--platform", "hugo", *SHORTHAND],
    "export": ["export", "mlp:2-3-4-2", *SHORTHAND],
    "check": ["check", "post.md", "--net", "mlp:2-3-4-2", *SHORTHAND],
}


def _shorthand_help(command: str, capsys: pytest.CaptureFixture) -> str:
    """The 'shorthand options' section of `derive COMMAND --help`."""
    with pytest.raises(SystemExit):
        make_parser(command).parse_args([command, "--help"])
    help_text = capsys.readouterr().out
    start = help_text.index("shorthand options")
    end = help_text.find("\n\n", start)
    return help_text[start:end if end >= 0 else None]


def test_every_command_reads_the_same_network() -> None:
    specs = {command: network_spec(make_parser(command).parse_args(argv)) for command, argv in CALLS.items()}
    expected = specs["show"]
    assert expected.widths == (2, 3, 4, 2)
    assert [layer.activation for layer in expected.layers] == ["tanh", "relu", "softmax"]
    assert expected.cost == "cross-entropy" and expected.convention == "row" and expected.batch == 3
    assert expected.normalize_input and not any(layer.bias for layer in expected.layers)
    for command, spec in specs.items():
        assert spec == expected, command


def test_every_command_documents_the_network_options_alike(capsys: pytest.CaptureFixture) -> None:
    sections = {command: _shorthand_help(command, capsys) for command in CALLS}
    for option in ("--activation", "--output-activation", "--cost", "--convention", "--no-bias", "--batch",
                   "--normalize"):
        assert option in sections["show"]
    for command, section in sections.items():
        assert section == sections["show"], command


@pytest.mark.parametrize("command", list(CALLS))
def test_shorthand_options_need_a_shorthand(command: str) -> None:
    argv = [word if word != "mlp:2-3-4-2" else "two-two-two" for word in CALLS[command]]
    with pytest.raises(DeriveError, match="only apply to an mlp: shorthand"):
        network_spec(make_parser(command).parse_args(argv))


def test_check_judges_against_the_network_the_options_name(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    # tanh' = 1 - a², so this output error is right for a tanh network and wrong for the default sigmoid.
    post = tmp_path / "post.md"
    post.write_text("The output error is $$\\delta^2 = (a^2 - y) \\odot (1 - a^2 \\odot a^2)$$\n", encoding="utf-8")
    assert main(["check", str(post), "--net", "mlp:2-3-2", "--activation", "tanh"]) == 0
    assert "1 correct, 0 wrong" in capsys.readouterr().out
    assert main(["check", str(post), "--net", "mlp:2-3-2"]) == 1
    assert "0 correct, 1 wrong" in capsys.readouterr().out
