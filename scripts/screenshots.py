"""Refresh the README's screenshots in docs/screenshots by running the browser tests.

    PYTHONPATH=src python scripts/screenshots.py

Needs /usr/bin/chromium (Debian's chromium) and, for legible Chinese, a CJK font such as
fonts-wqy-zenhei or fonts-noto-cjk.
"""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TESTS = ROOT / "tests" / "e2e" / "test_web_ui.py"
KEEP = ("overview", "matrix", "community", "inbox", "audit")


def main() -> int:
    folder = ROOT / "docs" / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "SANSAN_SCREENSHOTS": str(folder)}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-k", "sqlite",
         str(TESTS)],
        cwd=ROOT, env=env, check=False,
    )  # fmt: skip
    for shot in folder.glob("*.png"):
        if shot.stem not in KEEP:
            shot.unlink()
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
