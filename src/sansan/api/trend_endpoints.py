"""A campaign's progress over time, month by month, for the dashboard's charts."""

from datetime import date
from typing import Any
from uuid import UUID

from fastapi import APIRouter
from pydantic import BaseModel, Field

from sansan.api.compliance_endpoints import (
    AsOf,
    StreetQuery,
    campaign_and_plan,
    judged_day,
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
    standard_sites_goal_zh: str | None = Field(
        None, examples=["目标线：本社区达到标准化；全县标准化社区个数的目标按全县计算"],
        description="社区或街道的视图：标准化社区图的目标线画的是什么 / a community's or a "
        "street's view: what the standardized-communities line stands for (the county's count "
        "target is not theirs)",
    )  # fmt: skip
    five_goods_goal_zh: str | None = Field(
        None, description="社区或街道的视图：“五个好”占比的目标按全县计算，不画目标线 / a narrower "
        "view: the county-wide share target is not drawn",
    )  # fmt: skip
    points: list[TrendPointPublic]


def _needed(plan: Plan, rule: str, param: str | None = None) -> float | None:
    target = target_of(plan, rule)
    if target is None:
        return None
    return float(target.params[param]) if param else target.threshold


def _goals_in_view(plan: Plan, communities: list[UUID] | None) -> dict[str, Any]:
    """The charts' target lines for the view. The county's are county-wide (a number of
    standardized communities, a share passing five goods): a community's or a street's view
    draws what applies to it instead, every one of its communities standardized by the plan's
    own target for each, or no line, and says so."""
    needed = {
        "standard_sites_needed": _needed(plan, "standard_sites_count"),
        "five_goods_needed": _needed(plan, "five_goods_share"),
    }
    if communities is None:
        return needed
    each, count = target_of(plan, "standard_site_each"), target_of(plan, "standard_sites_count")
    county = "；全县标准化社区个数的目标按全县计算" if count else ""
    whose = "本社区" if len(communities) == 1 else f"辖区内{len(communities)}个社区全部"
    sites = (
        {"standard_sites_needed": float(len(communities)),
         "standard_sites_goal_zh": f"目标线：{whose}达到标准化（{each.clause}）{county}"}
        if each is not None and communities
        else {"standard_sites_needed": None,
              "standard_sites_goal_zh": "标准化社区个数的目标按全县计算，本图不画目标线"}
    )  # fmt: skip
    five = (
        {"five_goods_needed": None,
         "five_goods_goal_zh": "“五个好”社区占比的目标按全县计算，本图不画目标线"}
        if needed["five_goods_needed"] is not None else {}
    )  # fmt: skip
    return needed | sites | five


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
        day = judged_day(services, campaign, as_of)
        communities = scoped_communities(services, principal, street_id)
        points = trend(
            services.store, plan, launch=campaign.launch_date, until=day, communities=communities,
        )  # fmt: skip
        return TrendPublic(
            campaign_id=campaign.id, launch_date=campaign.launch_date, as_of=day,
            street_id=street_id, plan_id=campaign.plan_id, plan_sha256=campaign.plan_sha256,
            **_goals_in_view(plan, communities),
            training_days_needed=_needed(plan, "member_training_days", "min_days"),
            points=[TrendPointPublic.model_validate(p, from_attributes=True) for p in points],
        )  # fmt: skip
