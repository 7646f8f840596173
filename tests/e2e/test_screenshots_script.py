"""scripts/screenshots.py: the README shows every picture it refreshes, at both widths, and a
run whose tests did not take them all leaves the kept pictures as they were (no browser here:
the test run is replaced by one that takes some of the pictures)."""

import importlib.util
import re
import subprocess
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


def script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("screenshots", ROOT / "scripts" / "screenshots.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_readme_shows_each_page_at_a_desktop_and_a_phone_width() -> None:
    shots = script()
    shown = set(re.findall(r"\(docs/screenshots/([\w-]+\.png)\)", (ROOT / "README.md").read_text()))
    assert shown == set(shots.WANTED)
    assert {f"{p}-phone.png" for p in shots.PAGES} <= shown
    assert all((ROOT / "docs" / "screenshots" / name).is_file() for name in shown)


@pytest.mark.parametrize("taken", ["some", "all"])
def test_only_a_run_that_took_every_picture_replaces_the_kept_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, taken: str
) -> None:
    shots = script()
    kept = tmp_path / "docs" / "screenshots"
    kept.mkdir(parents=True)
    (kept / "overview.png").write_bytes(b"old")
    (kept / "gone.png").write_bytes(b"old")
    monkeypatch.setattr(shots, "ROOT", tmp_path)
    monkeypatch.setattr(shots, "cjk_font_installed", lambda: True)
    wanted = list(shots.WANTED.values())

    def run_tests(argv: list[str], **options: Any) -> subprocess.CompletedProcess[str]:
        folder = Path(options["env"]["SANSAN_SCREENSHOTS"])
        for name in wanted if taken == "all" else wanted[:3]:
            (folder / name).write_bytes(b"new")
        return subprocess.CompletedProcess(argv, 0)

    monkeypatch.setattr(shots.subprocess, "run", run_tests)
    code = shots.main()
    if taken == "all":
        assert code == 0
        assert sorted(p.name for p in kept.iterdir()) == sorted(shots.WANTED)
        assert (kept / "overview-phone.png").read_bytes() == b"new"
    else:
        assert code != 0
        assert (kept / "overview.png").read_bytes() == b"old"
        assert sorted(p.name for p in kept.iterdir()) == ["gone.png", "overview.png"]
