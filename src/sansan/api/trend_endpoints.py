"""A campaign's progress over time, month by month, for the dashboard's charts."""

from datetime import date
from uuid import UUID

from fastapi import APIRouter
from pydantic import BaseModel, Field

from sansan.api.compliance_endpoints import (
    AsOf,
    StreetQuery,
    campaign_and_plan,
    scoped_communities,
)
from sansan.api.deps import CurrentPrincipal, ServicesDep
from sansan.api.problems import Problem
from sansan.plans import Plan
from sansan.projections.trend import target_of, trend

NO_TARGET = "；方案无此目标时为 null / null when the campaign's plan has no such target"


class TrendPointPublic(BaseModel):
    on: date = Field(description="月末（最后一点为截止日）/ a month's end, the last is as_of")
    standard_sites: int | None = Field(
        description="标准化社区个数 / standardized communities" + NO_TARGET
    )
    five_goods_share: float | None = Field(
        description="“五个好”社区占比 / share passing five goods" + NO_TARGET
    )
    training_days_per_member: float = Field(
        description="本年人均培训天数 / training days this year per member"
    )


class TrendPublic(BaseModel):
    campaign_id: UUID
    launch_date: date
    as_of: date
    street_id: UUID | None = None
    plan_id: str = Field(examples=["sansan-v1"])
    plan_sha256: str = Field(description="所执行方案内容的 SHA-256 / of the pinned plan content")
    standard_sites_needed: float | None = Field(examples=[2], description=NO_TARGET[1:])
    five_goods_needed: float | None = Field(examples=[0.9], description=NO_TARGET[1:])
    training_days_needed: float | None = Field(examples=[6], description=NO_TARGET[1:])
    points: list[TrendPointPublic]


def _needed(plan: Plan, rule: str, param: str | None = None) -> float | None:
    target = target_of(plan, rule)
    if target is None:
        return None
    return float(target.params[param]) if param else target.threshold


def add_trend_routes(routers: dict[str, APIRouter]) -> None:
    @routers["campaigns"].get(
        "/campaigns/{id}/trend", response_model=TrendPublic,
        responses={404: {"model": Problem}, 422: {"model": Problem}},
        summary="创建工程进展趋势（逐月）/ progress month by month, for charts",
    )  # fmt: skip
    def campaign_trend(
        id: UUID, principal: CurrentPrincipal, services: ServicesDep,
        as_of: AsOf = None, street_id: StreetQuery = None,
    ) -> TrendPublic:  # fmt: skip
        campaign, plan = campaign_and_plan(services, id)
        day = as_of or services.app.clock.today()
        points = trend(
            services.store, plan, launch=campaign.launch_date, until=day,
            communities=scoped_communities(services, principal, street_id),
        )  # fmt: skip
        return TrendPublic(
            campaign_id=campaign.id, launch_date=campaign.launch_date, as_of=day,
            street_id=street_id, plan_id=campaign.plan_id, plan_sha256=campaign.plan_sha256,
            standard_sites_needed=_needed(plan, "standard_sites_count"),
            five_goods_needed=_needed(plan, "five_goods_share"),
            training_days_needed=_needed(plan, "member_training_days", "min_days"),
            points=[TrendPointPublic.model_validate(p, from_attributes=True) for p in points],
        )  # fmt: skip
