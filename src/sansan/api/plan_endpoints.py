"""The plans campaigns may be launched under, and the plan a campaign carries."""

from pathlib import PurePath
from uuid import UUID

from fastapi import APIRouter
from pydantic import BaseModel, Field

from sansan.api.compliance_endpoints import campaign_and_plan
from sansan.api.deps import CurrentPrincipal, ServicesDep
from sansan.api.problems import Problem
from sansan.plans import Plan, PlanEntry


class PlanSummary(BaseModel):
    id: str = Field(examples=["sansan-v1"])
    title_zh: str = Field(examples=["三三创建工程实施方案"])
    origin: str = Field(
        description="package：随服务发布；file：SANSAN_PLANS_DIR 中的文件 / shipped, or a file",
        examples=["package:sansan-v1.json"],
    )
    sha256: str = Field(description="方案内容（规范 JSON）的 SHA-256 / of the canonical content")
    targets: int = Field(description="目标数 / number of targets")

    @classmethod
    def of(cls, entry: PlanEntry) -> "PlanSummary":
        shipped = entry.source.startswith("package:")
        origin = entry.source if shipped else f"file:{PurePath(entry.source).name}"
        return cls(
            id=entry.id, title_zh=entry.plan.title_zh, origin=origin, sha256=entry.sha256,
            targets=len(entry.plan.targets),
        )  # fmt: skip


class PinnedPlan(BaseModel):
    campaign_id: UUID
    plan_sha256: str
    plan: Plan


def add_plan_routes(routers: dict[str, APIRouter]) -> None:
    @routers["plans"].get(
        "/plans", response_model=list[PlanSummary],
        summary="可用的创建方案 / the plans campaigns may be launched under",
    )  # fmt: skip
    def list_plans(principal: CurrentPrincipal, services: ServicesDep) -> list[PlanSummary]:
        return [PlanSummary.of(entry) for entry in services.app.plans]

    @routers["campaigns"].get(
        "/campaigns/{id}/plan", response_model=PinnedPlan,
        responses={404: {"model": Problem}, 422: {"model": Problem}},
        summary="创建工程所执行的方案内容 / the plan content the campaign is pinned to",
    )  # fmt: skip
    def campaign_plan(id: UUID, principal: CurrentPrincipal, services: ServicesDep) -> PinnedPlan:
        campaign, plan = campaign_and_plan(services, id)
        return PinnedPlan(campaign_id=campaign.id, plan_sha256=campaign.plan_sha256, plan=plan)
