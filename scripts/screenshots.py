"""Refresh the README's screenshots in docs/screenshots by running the browser tests, at a
desktop width (overview.png, …) and a phone's (overview-phone.png, …).

    PYTHONPATH=src python scripts/screenshots.py

Needs /usr/bin/chromium (Debian's chromium) and, for legible Chinese, a CJK font such as
fonts-noto-cjk or fonts-wqy-zenhei. The tests write into a scratch folder; only the pictures
they all produced replace the kept ones, so a failing test never leaves the README half new or
showing a stale picture as if it were fresh. Exits non-zero, naming what is missing, otherwise.
"""

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
E2E = ROOT / "tests" / "e2e"
PAGES = ("overview", "matrix", "community", "inbox", "audit")
# kept picture → the picture a test takes: the walk-through's at 1360 px, the phone test's
# (tests/e2e/test_web_phone.py, as the county) at 390 px
WANTED = {
    **{f"{page}.png": f"{page}.png" for page in PAGES},
    **{f"{page}-phone.png": f"phone-county-{page}.png" for page in PAGES},
}
TESTS = [E2E / "test_web_ui.py", E2E / "test_web_phone.py"]


def cjk_font_installed() -> bool:
    listed = subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True, check=False)
    return bool(listed.stdout.strip())


def main() -> int:
    if shutil.which("fc-list") and not cjk_font_installed():
        print("no CJK font: apt-get install fonts-noto-cjk, or the Chinese reads as boxes")
        return 2
    folder = ROOT / "docs" / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="sansan-shots-") as scratch:
        env = {**os.environ, "SANSAN_SCREENSHOTS": scratch}
        result = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly",
             "-k", "sqlite", *map(str, TESTS)],
            cwd=ROOT, env=env, check=False,
        )  # fmt: skip
        taken = Path(scratch)
        missing = [kept for kept, shot in WANTED.items() if not (taken / shot).is_file()]
        if missing:
            print(f"not refreshed, the tests took no {', '.join(missing)}", file=sys.stderr)
            return result.returncode or 1
        for kept, shot in WANTED.items():
            shutil.copyfile(taken / shot, folder / kept)
    for stale in folder.glob("*.png"):
        if stale.name not in WANTED:
            stale.unlink()
    print(f"refreshed {len(WANTED)} pictures in {folder.relative_to(ROOT)}")
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
