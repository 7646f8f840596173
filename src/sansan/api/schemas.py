"""Response shapes shared by the routers."""

from datetime import date, datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, Field

from sansan.application import CommandResult, RecordedEvent


class EventPublic(BaseModel):
    type: str = Field(examples=["TrainingCompleted"])
    aggregate_id: UUID
    version: int = Field(examples=[7])
    occurred_on: date
    recorded_at: datetime
    actor: str = Field(examples=["community:铁西社区党总支"])
    note: str | None = None
    evidence_ref: str | None = None
    data: dict[str, Any] = Field(examples=[{"days": 2.0, "method": "lecture", "topic": "党课"}])
    imported_from: dict[str, Any] | None = Field(
        None, description="导入的来源行 / the imported row it came from",
        examples=[{"import_id": "8f0c…", "sheet": "党员", "row": 12}],
    )  # fmt: skip

    @classmethod
    def of(cls, event: RecordedEvent) -> "EventPublic":
        return cls(
            type=event.type, aggregate_id=event.aggregate_id, version=event.version,
            occurred_on=event.occurred_on, recorded_at=event.recorded_at, actor=event.actor,
            note=event.note, evidence_ref=event.evidence_ref, data=event.data,
            imported_from=event.imported_from,
        )  # fmt: skip


class CommandResponse(BaseModel):
    aggregate_id: UUID
    version: int = Field(description="该单位的新版本号 / the unit's new version")
    position: int = Field(description="本次写入在事件日志中的位置 / log position of the write")
    events: list[EventPublic]

    @classmethod
    def of(cls, result: CommandResult) -> "CommandResponse":
        return cls(
            aggregate_id=result.aggregate_id,
            version=result.version,
            position=result.position,
            events=[EventPublic.of(e) for e in result.events],
        )


class UnitState(BaseModel):
    id: UUID
    kind: str = Field(examples=["Community"])
    version: int
    created_at: datetime
    modified_at: datetime
    state: dict[str, Any]
