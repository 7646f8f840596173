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


class ItemStanding(BaseModel):
    """A supervision item's light on a China day (``domain.supervision.standing``)."""

    light: str = Field(description="red 红灯 / yellow 黄灯 / green 正常 / none 已完成")
    light_zh: str = Field(examples=["红灯"])
    days_overdue: int | None = Field(
        description="逾期天数：期限当天为 0，次日为 1；已审核通过或办结的为空 / days past the "
        "deadline (the day after it is 1); null once accepted or closed"
    )
    days_left: int | None = Field(description="距期限天数，期限当天为 0 / days to the deadline")
    finished_on: date | None = Field(description="审核通过或办结的日期 / the day it was finished")
    on_time: bool | None = Field(description="是否在期限内完成 / finished by its deadline")
    standing_zh: str = Field(
        examples=["红灯：已逾期3天", "已于2026年7月3日办结（按期；期限2026年7月5日）"]
    )


class UnitState(BaseModel):
    id: UUID
    kind: str = Field(examples=["Community"])
    version: int
    created_at: datetime
    modified_at: datetime
    state: dict[str, Any]
    standing: ItemStanding | None = Field(
        None, description=(
            "督办事项：灯、逾期天数、完成日期与是否按期，按北京时间的今天（查历史状态时按 as_of "
            "当天），与督办事项列表同一算法 / a supervision item's light and days overdue on "
            "today's China date, as the list computes them"
        ),
    )  # fmt: skip
