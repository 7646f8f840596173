"""The README's configuration table says what the settings object does: each variable it names
is a setting, read from that variable, with the default the table gives."""

import os
import re
from pathlib import Path
from typing import Any

import pytest

from sansan.settings import Settings

README = Path(__file__).resolve().parents[2] / "README.md"


def _rows() -> list[tuple[str, str]]:
    """(variable cell, default cell) of each row of the table under "## Configuration"."""
    text = README.read_text(encoding="utf-8")
    section = text.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0].startswith("`SANSAN_"):
            rows.append((cells[0], cells[1]))
    return rows


def _pairs() -> list[tuple[str, str | None]]:
    """Each variable with its default as written (None where the table gives none in code)."""
    pairs: list[tuple[str, str | None]] = []
    for names_cell, default_cell in _rows():
        names = re.findall(r"`([^`]+)`", names_cell)
        defaults = re.findall(r"`([^`]+)`", default_cell)
        first = names[0]
        for i, name in enumerate(names):
            # "`SANSAN_POSTGRES_POOL_SIZE` / `…_MAX_OVERFLOW`": the second shares the first's stem
            if name.startswith("…"):
                stem = first.rsplit("_", 2)[0]
                name = stem + name[1:]
            pairs.append((name, defaults[i] if i < len(defaults) else None))
    return pairs


def test_the_table_names_every_setting_a_deployment_sets() -> None:
    named = {name for name, _ in _pairs()}
    assert len(named) >= 15
    fields = {f"SANSAN_{field.upper()}" for field in Settings.model_fields}
    assert named <= fields, named - fields
    assert "SANSAN_WRITE_THREADS" in named


def _as_written(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


@pytest.mark.parametrize(("variable", "default"), [p for p in _pairs() if p[1] is not None])
def test_each_default_in_the_table_is_the_setting_s_default(
    variable: str, default: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in list(os.environ):
        if name.startswith("SANSAN_"):
            monkeypatch.delenv(name)
    field = variable.removeprefix("SANSAN_").lower()
    assert _as_written(getattr(Settings(), field)) == default


def test_a_variable_of_the_table_sets_its_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SANSAN_WRITE_THREADS", "2")
    monkeypatch.setenv("SANSAN_POSTGRES_MAX_OVERFLOW", "3")
    settings = Settings()
    assert settings.write_threads == 2
    assert settings.postgres_max_overflow == 3
