"""axe-core, for the browser tests only: installed from the npm registry by this folder's own
files (tests/e2e/axe/package.json and its lock, which pins the version) and injected into a page
under test. Nothing of it is served by the application."""

import fcntl
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page

AXE_PROJECT = Path(__file__).parent / "axe"
AXE_SCRIPT = AXE_PROJECT / "node_modules" / "axe-core" / "axe.min.js"
# What the tests refuse: the two worst of axe's four impacts (minor and moderate are reported
# by axe too, and left to judgement).
FAILING_IMPACTS = ("serious", "critical")


def pinned_version() -> str:
    lock = json.loads((AXE_PROJECT / "package-lock.json").read_text())
    return str(lock["packages"]["node_modules/axe-core"]["version"])


def installed_version() -> str | None:
    manifest = AXE_SCRIPT.parent / "package.json"
    return str(json.loads(manifest.read_text())["version"]) if manifest.exists() else None


def unavailable(message: str) -> None:
    """Skip on a developer's machine without npm; in CI a missing checker is a failure."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


def install_axe() -> Path:
    """`npm ci` from the lock when node_modules is missing or holds another version; a file
    lock keeps two test processes from installing into the same folder at once."""
    if installed_version() == pinned_version():
        return AXE_SCRIPT
    npm = shutil.which("npm")
    if npm is None:
        unavailable("npm is missing: the accessibility check installs axe-core with `npm ci`")
    with (AXE_PROJECT / ".install.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if installed_version() != pinned_version():
            done = subprocess.run(
                [str(npm), "ci", "--prefix", str(AXE_PROJECT), "--no-audit", "--no-fund"],
                capture_output=True, text=True, timeout=300, check=False,
            )  # fmt: skip
            if done.returncode != 0:
                unavailable(f"npm ci for axe-core failed:\n{done.stdout}\n{done.stderr}")
    assert installed_version() == pinned_version(), (installed_version(), pinned_version())
    return AXE_SCRIPT


@pytest.fixture(scope="session")
def axe_script() -> Path:
    return install_axe()


def load_axe(page: Page, script: Path) -> None:
    """axe in every document the page opens from now on. Not by a <script> tag: the server's
    Content-Security-Policy (script-src 'self') rightly refuses an inline one, and the check
    must see the page under its real policy, so the policy is not bypassed either."""
    page.add_init_script(path=str(script))


def violations(page: Page) -> list[str]:
    """axe's serious and critical violations on the page as it is now, one line per element:
    rule, element, and what is wrong."""
    assert page.evaluate("typeof window.axe === 'object'"), "load_axe() before opening the page"
    found: list[dict[str, Any]] = page.evaluate(
        "async () => (await axe.run(document, { resultTypes: ['violations'] })).violations"
    )
    return [
        f"{v['id']} ({v['impact']}) {', '.join(map(str, node['target']))}: "
        f"{node.get('failureSummary', v['help']).replace(chr(10), ' ')}"
        for v in found
        if v["impact"] in FAILING_IMPACTS
        for node in v["nodes"]
    ]
