"""Spreadsheet import: templates, the reading of XLSX and CSV files, and the import itself."""

from sansan.imports.engine import (
    CONCURRENT,
    UNFINISHED,
    FileTooLarge,
    Importer,
    ImportReport,
    Limits,
    Problem,
    TooManyRows,
)
from sansan.imports.kinds import KIND_BY_KEY, KINDS, ImportKind
from sansan.settings import Settings


def limits_of(settings: Settings) -> Limits:
    return Limits(max_bytes=settings.import_max_bytes, max_rows=settings.import_max_rows)


__all__ = [
    "CONCURRENT",
    "KINDS",
    "KIND_BY_KEY",
    "UNFINISHED",
    "FileTooLarge",
    "ImportKind",
    "ImportReport",
    "Importer",
    "Limits",
    "Problem",
    "TooManyRows",
    "limits_of",
]
