"""A spreadsheet import (导入) as a fact of its own: who imported which file, what it held.

The events an import records are ordinary campaign events carrying the importing actor;
which row each came from is kept here, in chunks, because events carry no metadata.
"""

from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from sansan.domain.base import Provenance, SansanAggregate, begin_state

T = "sansan:ImportRecord"
# Rows per mapping event: an audit row stays small however large the file.
ROWS_PER_EVENT = 1000


class ImportRecord(SansanAggregate):
    TOPIC = T
    LABEL_ZH = "数据导入"

    if TYPE_CHECKING:  # state set by the events' apply()
        file_name: str
        sha256: str
        recorded: dict[str, int]
        skipped: dict[str, int]
        rows_mapped: int

    class Event(SansanAggregate.Event):
        pass

    class ImportRecorded(Event, Aggregate.Created):
        TOPIC = f"{T}.ImportRecorded"
        file_name: str
        sha256: str
        recorded: dict[str, int]
        skipped: dict[str, int]

        def apply(self, r: Any) -> None:
            begin_state(r, self)
            r.file_name, r.sha256 = self.file_name, self.sha256
            r.recorded, r.skipped = dict(self.recorded), dict(self.skipped)
            r.rows_mapped = 0

    class ImportRowsMapped(Event):
        """[sheet, row, aggregate id, first version, last version] per recorded row."""

        TOPIC = f"{T}.ImportRowsMapped"
        rows: list[list[Any]]

        def apply(self, r: Any) -> None:
            r.rows_mapped += len(self.rows)

    Created = ImportRecorded

    @classmethod
    def record(
        cls, prov: Provenance, *, file_name: str, sha256: str, recorded: dict[str, int],
        skipped: dict[str, int], rows: list[tuple[str, int, UUID, int, int]],
    ) -> "ImportRecord":  # fmt: skip
        record = cls._begin(
            cls.ImportRecorded, prov, file_name=file_name, sha256=sha256,
            recorded=recorded, skipped=skipped,
        )  # fmt: skip
        for start in range(0, len(rows), ROWS_PER_EVENT):
            chunk = rows[start : start + ROWS_PER_EVENT]
            mapped = [[s, n, str(a), v1, v2] for s, n, a, v1, v2 in chunk]
            record._record(cls.ImportRowsMapped, prov, rows=mapped)
        return record
