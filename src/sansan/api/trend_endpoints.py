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
from sansan.projections.trend import target_of, trend


class TrendPointPublic(BaseModel):
    on: date = Field(description="月末(最后一点为截止日)/ a month's end, the last is as_of")
    standard_sites: int = Field(description="标准化社区个数 / standardized communities")
    five_goods_share: float = Field(description="“五个好”社区占比 / share passing five goods")
    training_days_per_member: float = Field(
        description="本年人均培训天数 / training days this year per member"
    )


class TrendPublic(BaseModel):
    campaign_id: UUID
    launch_date: date
    as_of: date
    street_id: UUID | None = None
    standard_sites_needed: float = Field(examples=[2])
    five_goods_needed: float = Field(examples=[0.9])
    training_days_needed: float = Field(examples=[6])
    points: list[TrendPointPublic]


def add_trend_routes(routers: dict[str, APIRouter]) -> None:
    @routers["campaigns"].get(
        "/campaigns/{id}/trend", response_model=TrendPublic,
        responses={404: {"model": Problem}, 422: {"model": Problem}},
        summary="创建工程进展趋势(逐月)/ progress month by month, for charts",
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
            street_id=street_id,
            standard_sites_needed=target_of(plan, "standard_sites_count").threshold,
            five_goods_needed=target_of(plan, "five_goods_share").threshold,
            training_days_needed=float(target_of(plan, "member_training_days").params["min_days"]),
            points=[TrendPointPublic.model_validate(p, from_attributes=True) for p in points],
        )  # fmt: skip
