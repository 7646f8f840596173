"""A spreadsheet import (导入) as a fact of its own: who imported which file, what it held.

An import writes in batches, each its own transaction: the record is made with the first
batch, maps each batch's rows to the events they became, and is finished by the last. A
record without ``ImportFinished`` is an import that stopped between batches; importing the
same file again resumes it (see ``sansan.imports.engine``). Each event an import records
also carries the row it came from (``Provenance.imported_from``).
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
        finished: bool

    class Event(SansanAggregate.Event):
        pass

    class ImportRecorded(Event, Aggregate.Created):
        """What the file holds, as checked before anything was written."""

        TOPIC = f"{T}.ImportRecorded"
        class_version = 2
        file_name: str
        sha256: str
        recorded: dict[str, int]
        skipped: dict[str, int]
        batched: bool  # finished by ImportFinished; before v2 saved whole, so finished at once

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["batched"] = False

        def apply(self, r: Any) -> None:
            begin_state(r, self)
            r.file_name, r.sha256 = self.file_name, self.sha256
            r.recorded, r.skipped = dict(self.recorded), dict(self.skipped)
            r.rows_mapped = 0
            r.finished = not self.batched

    class ImportRowsMapped(Event):
        """[sheet, row, aggregate id, first version, last version] per recorded row."""

        TOPIC = f"{T}.ImportRowsMapped"
        rows: list[list[Any]]

        def apply(self, r: Any) -> None:
            r.rows_mapped += len(self.rows)

    class ImportFinished(Event):
        """The last batch is written; what this run recorded (less, when it resumed one
        that had stopped: rows written before are skipped)."""

        TOPIC = f"{T}.ImportFinished"
        recorded: dict[str, int]
        skipped: dict[str, int]

        def apply(self, r: Any) -> None:
            r.finished = True

    Created = ImportRecorded

    @classmethod
    def begin(
        cls, prov: Provenance, record_id: UUID, *, file_name: str, sha256: str,
        recorded: dict[str, int], skipped: dict[str, int],
    ) -> "ImportRecord":  # fmt: skip
        return cls._begin(
            cls.ImportRecorded, prov, id=record_id, file_name=file_name, sha256=sha256,
            recorded=recorded, skipped=skipped, batched=True,
        )  # fmt: skip

    def map_rows(self, prov: Provenance, rows: list[tuple[str, int, UUID, int, int]]) -> None:
        for start in range(0, len(rows), ROWS_PER_EVENT):
            chunk = rows[start : start + ROWS_PER_EVENT]
            mapped = [[s, n, str(a), v1, v2] for s, n, a, v1, v2 in chunk]
            self._record(self.ImportRowsMapped, prov, rows=mapped)

    def finish(self, prov: Provenance, recorded: dict[str, int], skipped: dict[str, int]) -> None:
        self._record(self.ImportFinished, prov, recorded=recorded, skipped=skipped)
