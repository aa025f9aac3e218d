"""Reading what the user hands derive (spec files, notation maps, posts, notebooks), safely.

Only regular files are read, and at most a stated number of bytes: a path to `/dev/zero`, a
FIFO or a terminal would otherwise be read forever (or block before the first byte). The file is
opened without blocking and checked on the open descriptor, so a path swapped between a check and
the read cannot slip through. TOML and JSON nested deeper than the parsers can recurse is a
one-line error like any other malformed input.
"""

from __future__ import annotations

import json
import os
import stat
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .errors import DeriveError

#: Spec files and notation maps are a few hundred bytes; a megabyte is not one of them.
MAX_SPEC_BYTES = 1_000_000


def shown(path: str | Path) -> str:
    """A path as it goes into a one-line message: as it is, or quoted and escaped like a Python
    string when it holds a character that does not print (a newline must not split the line)."""
    text = str(path)
    return text if text.isprintable() else repr(text)


def quoted(path: str | Path) -> str:
    """A path the user named, quoted (and escaped) as messages about inputs write it."""
    return repr(str(path))


def read_bytes(path: str | Path, what: str, max_bytes: int) -> bytes:
    """The bytes of a regular file of at most max_bytes, or a DeriveError naming the problem."""
    name = quoted(path)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise DeriveError(f"{what} {name} does not exist") from None
    except OSError as exc:
        raise DeriveError(f"cannot read {what} {name}: {exc.strerror or exc}") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise DeriveError(f"{what} {name} is a directory, not a file")
        if not stat.S_ISREG(info.st_mode):
            raise DeriveError(f"{what} {name} is not a regular file (a device, FIFO or socket is never read)")
        if info.st_size > max_bytes:
            raise DeriveError(f"{what} {name} is larger than the limit of {_size(max_bytes)}")
        with os.fdopen(fd, "rb", closefd=False) as handle:
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        raise DeriveError(f"cannot read {what} {name}: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
    if len(data) > max_bytes:  # grew while we read it
        raise DeriveError(f"{what} {name} is larger than the limit of {_size(max_bytes)}")
    return data


def read_text(path: str | Path, what: str, max_bytes: int) -> str:
    """A regular UTF-8 text file of at most max_bytes."""
    data = read_bytes(path, what, max_bytes)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise DeriveError(f"{what} {quoted(path)} is not UTF-8 text") from None


def is_regular_file(path: str | Path) -> bool:
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except (OSError, ValueError):
        return False


def loads_toml(text: str, source: str) -> dict[str, Any]:
    """TOML, or a DeriveError: malformed, nested deeper than the parser can recurse, or holding a
    number no setting could take (and no message could print)."""
    return check_numbers(_parsed(tomllib.loads, tomllib.TOMLDecodeError, "TOML", "arrays or tables", text, source),
                         source)


#: The largest whole number a spec file or notation map may hold (Python cannot print integers of
#: more than 4,300 digits, and no width, batch or offset comes near this).
MAX_NUMBER_BITS = 64


def check_numbers(data: Any, source: str) -> Any:
    """The data, if every whole number in it (at any depth) fits in MAX_NUMBER_BITS bits."""
    pending = [data]
    while pending:
        value = pending.pop()
        if isinstance(value, dict):
            pending += value.values()
        elif isinstance(value, list):
            pending += value
        elif isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > MAX_NUMBER_BITS:
            raise DeriveError(f"a number in {source} has {value.bit_length():,} bits, more than the limit of "
                              f"{MAX_NUMBER_BITS}")
    return data


def loads_json(text: str, source: str) -> Any:
    """JSON, or a DeriveError: malformed, or nested deeper than the parser can recurse."""
    return _parsed(json.loads, json.JSONDecodeError, "JSON", "arrays or objects", text, source)


def _parsed(loads: Callable[[str], Any], malformed: type[Exception], language: str, containers: str, text: str,
            source: str) -> Any:
    try:
        return loads(text)
    except malformed as exc:
        raise DeriveError(f"invalid {language} in {source}: {exc}") from None
    except RecursionError:
        raise DeriveError(f"invalid {language} in {source}: {containers} nested too deeply") from None
    except ValueError:  # Python's limit on reading integers: 4,300 digits
        raise DeriveError(f"invalid {language} in {source}: a number of more than 4,300 digits") from None


def _size(n: int) -> str:
    if n >= 1_000_000 and n % 1_000_000 == 0:
        return f"{n // 1_000_000} MB"
    if n >= 1_000 and n % 1_000 == 0:
        return f"{n // 1_000} kB"
    return f"{n} bytes"
