"""Finding a unit by its name: what a person types instead of an id (the audit page's 单位)."""

from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from sansan.api.deps import CurrentPrincipal, ServicesDep
from sansan.api.list_endpoints import ERRORS, CaughtUp
from sansan.api.personal_data import record_members_named
from sansan.domain.names import normal_name
from sansan.domain.vocabulary import OrgLevel

KIND_ZH = {"street": "街道", "community": "社区", "organization": "党组织", "member": "党员"}


class UnitFound(BaseModel):
    id: str
    name: str
    kind: str = Field(
        examples=["community"], description="street / community / organization / member"
    )
    kind_zh: str = Field(examples=["社区"])
    within: str | None = Field(
        None, examples=["城关街道"], description="所在社区或街道 / its community or street"
    )
    label_zh: str = Field(examples=["铁西社区（社区，城关街道党工委）"], description="给人看的名称")


def _found(row: dict[str, str | None]) -> UnitFound:
    kind, level = str(row["kind"]), row["level"]
    kind_zh = OrgLevel(level).label_zh if kind == "organization" and level else KIND_ZH[kind]
    name, parts = str(row["name"]), [p for p in (kind_zh, row["within"]) if p]
    return UnitFound(
        id=str(row["id"]), name=name, kind=kind, kind_zh=kind_zh, within=row["within"],
        label_zh=f"{name}（{'，'.join(parts)}）",
    )  # fmt: skip


def add_search_routes(routers: dict[str, APIRouter]) -> None:
    @routers["units"].get(
        "/units/search", response_model=list[UnitFound], responses=ERRORS,
        summary="按名称查找单位（街道、社区、党组织、党员；查阅党员会被记录）/ units by name",
    )  # fmt: skip
    def search_units(
        principal: CurrentPrincipal, services: ServicesDep, request: Request, _: CaughtUp,
        q: Annotated[str, Query(max_length=50, pattern=r"^[^\x00]*$",  # no store holds a NUL
                                description="名称中的文字；为空时列出前几个")] = "",
        limit: Annotated[int, Query(ge=1, le=50)] = 12,
    ) -> list[UnitFound]:  # fmt: skip
        scope = principal.scope_org_id
        # spaced as names are stored: “张　三” finds 张三
        rows = services.read_models.search_units(normal_name(q), scope=scope, limit=limit)
        # a member's name beside its community is personal data: its read is recorded
        members = [r["id"] for r in rows if r["kind"] == "member"]
        record_members_named(services, principal, request, members)
        return [_found(r) for r in rows]
