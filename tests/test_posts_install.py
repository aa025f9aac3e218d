"""`derive post` from a built wheel, run from a directory outside the checkout: the templates must
come from the installed package (the wheel ships them as derive/templates).

Slower (it builds a wheel, which fetches the build backend): runs in CI (CI=true) or with
DERIVE_SLOW=1, and is skipped otherwise.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from posts_support import OUTPUT, ROOT


@pytest.mark.skipif(not (os.environ.get("CI") or os.environ.get("DERIVE_SLOW") == "1"),
                    reason="builds a wheel: set DERIVE_SLOW=1 (CI runs it)")
def test_post_from_an_installed_wheel_anywhere(tmp_path: Path) -> None:
    wheels, site, elsewhere = tmp_path / "wheels", tmp_path / "site", tmp_path / "elsewhere"
    elsewhere.mkdir()
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(wheels), str(ROOT)],
                           capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, built.stderr[-3000:]
    wheel = next(wheels.glob("derive-*.whl"))
    installed = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--quiet", "--target", str(site),
                                str(wheel)], capture_output=True, text=True, timeout=600)
    assert installed.returncode == 0, installed.stderr[-3000:]
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "DERIVE_DEBUG")}
    env["PYTHONPATH"] = str(site)  # the installed package only, never the checkout
    where = subprocess.run([sys.executable, "-c", "import derive.posts.render as r; print(r.template_dir())"],
                           capture_output=True, text=True, cwd=elsewhere, env=env, timeout=120)
    assert where.returncode == 0, where.stderr
    assert Path(where.stdout.strip()) == site / "derive" / "templates"
    result = subprocess.run([sys.executable, "-m", "derive", "post", "two-two-two", "--platform", "hugo", "--lang", "zh"],
                            capture_output=True, text=True, cwd=elsewhere, env=env, timeout=300)
    assert result.returncode == 0, result.stderr
    post = elsewhere / "output" / "two-two-two" / "two-two-two.hugo.zh.md"
    assert post.read_bytes() == (OUTPUT / "two-two-two" / post.name).read_bytes()
