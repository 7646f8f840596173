"""The floor under figure k's CPU a row: what a row costs in the parts an import cannot
skip, each alone, with none of the import's own bookkeeping (names, units, duplicates).

Per row of figure k's workbook (a member registered or a training recorded): reading the
XLSX with the import's reader, and lxml's parse of the same sheets alone; the command
models' validation; the domain methods (the library's event creation); the library's
encoding of the events. CPU time, best of three (the machine's load inflates wall time).

    PYTHONPATH=$PWD/src python scripts/import_floor.py [members]
"""

from __future__ import annotations

import io
import sys
import tempfile
import time
import uuid
import zipfile
from collections.abc import Callable
from datetime import date
from types import SimpleNamespace
from typing import Any

from bench_import import workbook
from lxml import etree

from sansan.bootstrap import build_application
from sansan.commands.member import RecordTraining, RegisterMember
from sansan.domain import Member
from sansan.domain.base import Provenance
from sansan.domain.vocabulary import OrgLevel
from sansan.imports.reading import file_sheets
from sansan.imports.scratch import Encoder
from sansan.settings import Settings

ROW = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}row"


def best(work: Callable[[], Any]) -> float:
    seconds = []
    for _ in range(3):
        began = time.process_time()
        work()
        seconds.append(time.process_time() - began)
    return min(seconds)


def main(members: int) -> None:
    data = workbook(members)
    archive = zipfile.ZipFile(io.BytesIO(data))
    parts = [n for n in archive.namelist() if n.startswith("xl/worksheets/")]

    def read() -> None:
        for _, rows in file_sheets(data, "k.xlsx"):
            for _ in rows:
                pass

    def parse() -> None:
        for part in parts:
            for _, element in etree.iterparse(archive.open(part), events=("end",), tag=ROW):
                element.clear()
                while element.getprevious() is not None:
                    del element.getparent()[0]

    org = SimpleNamespace(
        id=uuid.uuid4(), community_id=uuid.uuid4(), level=OrgLevel.NEIGHBORHOOD_BRANCH,
        began_on=date(2026, 1, 4),
    )
    ids = [uuid.uuid4() for _ in range(members)]
    source = {"import_id": str(uuid.uuid4()), "sheet": "党员", "row": 2}
    today = date(2026, 11, 29)
    registered = Provenance("bench", date(2026, 2, 1), today, imported_from=source)
    trained = Provenance("bench", date(2026, 3, 1), today, imported_from=source)
    made: list[Member] = []

    def validate() -> None:
        for i, member_id in enumerate(ids):
            RegisterMember.model_validate({
                "name": f"党员{i:06d}", "category": "direct", "organization_id": org.id,
                "birth_year": 1960 + i % 40, "occurred_on": date(2026, 2, 1), "id": member_id,
            })  # fmt: skip
            RecordTraining.model_validate({
                "member_id": member_id, "days": 2, "method": "lecture", "topic": "党课",
                "occurred_on": date(2026, 3, 1),
            })  # fmt: skip

    def domain() -> None:
        made.clear()
        for i, member_id in enumerate(ids):
            member = Member.register(
                registered, name=f"党员{i:06d}", category="direct", organization=org,  # type: ignore[arg-type]
                birth_year=1960 + i % 40, workplace=None, id=member_id,
            )  # fmt: skip
            member.complete_training(trained, days=2, method="lecture", topic="党课")
            made.append(member)

    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(database_url=f"sqlite:///{folder}/floor.db", run_scheduler=False)
        app = build_application(settings)
        encoder = Encoder(app.mapper)

        def encode() -> None:
            for member in made:
                for event in member.pending_events:
                    encoder.encode(event)

        rows = 2 * members
        figures = {
            "reading (the import's reader)": best(read),
            "reading (lxml's parse alone)": best(parse),
            "command models' validation": best(validate),
            "domain methods (event creation)": best(domain),
            "encoding (the library's transcoder)": best(encode),
        }
        app.close()
    for name, seconds in figures.items():
        print(f"{name:40} {1e6 * seconds / rows:6.1f} µs a row")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
