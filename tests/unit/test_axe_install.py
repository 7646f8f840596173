"""The accessibility check's installer: axe-core from the lock's pinned version by `npm ci`,
a failed install a failure in CI and a skip elsewhere (tests/e2e/accessibility.py)."""

import json
import os
import stat
from pathlib import Path

import pytest

from tests.e2e import accessibility

LOCK = {"packages": {"node_modules/axe-core": {"version": "4.14.1"}}}


def fake_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, npm_body: str) -> Path:
    """A project folder with the lock, and an `npm` on PATH that runs npm_body (sh)."""
    project = tmp_path / "axe"
    project.mkdir()
    (project / "package-lock.json").write_text(json.dumps(LOCK))
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    npm = bin_dir / "npm"
    npm.write_text(f"#!/bin/sh\n{npm_body}\n")
    npm.chmod(npm.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setattr(accessibility, "AXE_PROJECT", project)
    monkeypatch.setattr(
        accessibility, "AXE_SCRIPT", project / "node_modules" / "axe-core" / "axe.min.js"
    )
    return project


def test_a_missing_axe_is_installed_by_npm_ci_at_the_pinned_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the fake npm records its arguments and installs what a real `npm ci` would
    project = fake_project(tmp_path, monkeypatch, (
        'echo "$@" > "$(dirname "$0")/args"; d="$3/node_modules/axe-core"; mkdir -p "$d"; '
        'echo "{\\"version\\": \\"4.14.1\\"}" > "$d/package.json"; touch "$d/axe.min.js"'
    ))  # fmt: skip
    assert accessibility.install_axe() == project / "node_modules" / "axe-core" / "axe.min.js"
    assert (tmp_path / "bin" / "args").read_text().split()[:3] == ["ci", "--prefix", str(project)]


@pytest.mark.parametrize(
    ("ci", "outcome"), [("true", pytest.fail.Exception), ("", pytest.skip.Exception)]
)
def test_a_failed_install_fails_in_ci_and_skips_elsewhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ci: str, outcome: type[BaseException]
) -> None:
    fake_project(tmp_path, monkeypatch, "echo 'npm ERR! network' >&2; exit 1")
    monkeypatch.setenv("CI", ci)
    # caught as any exception, so that the wrong outcome fails here instead of skipping the test
    with pytest.raises(BaseException, match="npm ERR! network") as raised:
        accessibility.install_axe()
    assert raised.type is outcome
