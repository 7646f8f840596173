"""Response shapes shared by the routers."""

from collections.abc import Sequence, Set
from datetime import date, datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, Field

from sansan.application import CommandResult, RecordedEvent
from sansan.domain.community import CORRECTIONS, superseded_corrections


class EventPublic(BaseModel):
    type: str = Field(examples=["TrainingCompleted"])
    aggregate_id: UUID
    version: int = Field(examples=[7])
    occurred_on: date
    recorded_at: datetime
    actor: str = Field(examples=["community:铁西社区党总支"])
    note: str | None = None
    evidence_ref: str | None = None
    data: dict[str, Any] = Field(
        examples=[{"days": 2.0, "method": "lecture", "topic": "党课"}],
        description="事件的内容。更正记录（FacilityAreaCorrected、FundingAmountCorrected）带"
        "“is_current”：该更正是否为所更正的原记录该项数字现行有效的更正（之后没有再次更正同一"
        "记录的同一项）；被再次更正的为 false，其他事件无此项 / the event's fields. A correction"
        " (FacilityAreaCorrected, FundingAmountCorrected) carries is_current: whether it is the"
        " correction in force for the figure it corrects (no later correction of the same"
        " record's same figure); false once corrected again; absent on other events",
    )
    imported_from: dict[str, Any] | None = Field(
        None, description="导入的来源行 / the imported row it came from",
        examples=[{"import_id": "8f0c…", "sheet": "党员", "row": 12}],
    )  # fmt: skip

    @classmethod
    def of(cls, event: RecordedEvent, superseded: Set[int] = frozenset()) -> "EventPublic":
        """The event as read; a correction is current unless ``superseded`` names it (a
        correction just recorded is the one in force for its figure)."""
        data = event.data
        if event.type in CORRECTIONS:
            data = {**data, "is_current": event.version not in superseded}
        return cls(
            type=event.type, aggregate_id=event.aggregate_id, version=event.version,
            occurred_on=event.occurred_on, recorded_at=event.recorded_at, actor=event.actor,
            note=event.note, evidence_ref=event.evidence_ref, data=data,
            imported_from=event.imported_from,
        )  # fmt: skip

    @classmethod
    def history(cls, events: Sequence[RecordedEvent]) -> list["EventPublic"]:
        """A unit's events as read, each correction current only while no later correction
        of the same figure replaced it."""
        superseded = superseded_corrections(
            (e.version, int(e.data["corrected_version"]), str(e.data.get("corrected_field")))
            for e in events
            if e.type in CORRECTIONS
        )
        return [cls.of(e, superseded) for e in events]


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
