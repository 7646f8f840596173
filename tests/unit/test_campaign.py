from datetime import date
from uuid import uuid4

import pytest

from sansan.domain import CreationCampaign
from tests.support import LAUNCH, prov, rejects, unchanged

PLAN = {"id": "sansan-v1", "title_zh": "三三创建工程实施方案", "targets": []}
REVISED = {"id": "sansan-v2", "title_zh": "修订方案", "targets": []}


@pytest.fixture
def campaign() -> CreationCampaign:
    return CreationCampaign.launch(
        prov(), name="三三创建工程", plan_id="sansan-v1", county="示范县", plan=PLAN,
        plan_sha256="a" * 64,
    )  # fmt: skip


def test_launch_date_is_when_it_happened(campaign: CreationCampaign) -> None:
    assert (campaign.launch_date, campaign.plan_id) == (LAUNCH, "sansan-v1")


def test_a_campaign_carries_the_content_of_its_plan(campaign: CreationCampaign) -> None:
    assert (campaign.plan, campaign.plan_sha256) == (PLAN, "a" * 64)
    assert campaign.plan_title_zh == "三三创建工程实施方案"


def test_a_plan_whose_content_names_another_id_is_refused() -> None:
    with rejects("plan_id_mismatch"):
        CreationCampaign.launch(
            prov(), name="x", plan_id="sansan-v2", county="y", plan=PLAN, plan_sha256="a" * 64
        )


def test_changing_the_plan_records_both_hashes_the_content_and_the_reason(
    campaign: CreationCampaign,
) -> None:
    campaign.collect_events()
    campaign.change_plan(
        prov(date(2026, 6, 1)), plan_id="sansan-v2", plan=REVISED, plan_sha256="b" * 64,
        reason="县委常委会审议通过",
    )  # fmt: skip
    [changed] = campaign.collect_events()
    assert isinstance(changed, CreationCampaign.PlanChanged)
    assert (changed.old_plan_id, changed.old_plan_sha256) == ("sansan-v1", "a" * 64)
    assert (changed.plan_id, changed.plan, changed.plan_sha256) == ("sansan-v2", REVISED, "b" * 64)
    assert (changed.reason, changed.actor) == ("县委常委会审议通过", prov().actor)
    assert (campaign.plan_id, campaign.plan_sha256, campaign.plan_title_zh) == (
        "sansan-v2", "b" * 64, "修订方案",
    )  # fmt: skip


def test_changing_to_the_same_content_is_refused(campaign: CreationCampaign) -> None:
    before = unchanged(campaign)
    with rejects("plan_unchanged"):
        campaign.change_plan(
            prov(), plan_id="sansan-v1", plan=PLAN, plan_sha256="a" * 64, reason="再次确认"
        )
    with rejects("empty_text"):
        campaign.change_plan(
            prov(), plan_id="sansan-v2", plan=REVISED, plan_sha256="b" * 64, reason="  "
        )
    assert unchanged(campaign) == before


def test_a_community_is_designated_once_per_type(campaign: CreationCampaign) -> None:
    cid = uuid4()
    campaign.designate_model_community(prov(), community_id=cid, model_type="service")
    with rejects("already_recorded"):
        campaign.designate_model_community(prov(), community_id=cid, model_type="service")
    with rejects("not_in_vocabulary"):
        campaign.designate_model_community(prov(), community_id=cid, model_type="rural")
    assert campaign.designations == {str(cid): "service"}


def test_an_inspection_is_scheduled_before_it_is_conducted_and_only_once(
    campaign: CreationCampaign,
) -> None:
    iid = uuid4()
    with rejects("inspection_unknown"):
        campaign.conduct_inspection(prov(), inspection_id=iid, findings="f", rating="pass")
    with rejects("date_before"):
        campaign.schedule_inspection(
            prov(date(2026, 5, 1)), inspection_id=iid, scheduled_for=date(2026, 4, 1),
            subject="督查", community_ids=[],
        )  # fmt: skip
    campaign.schedule_inspection(
        prov(), inspection_id=iid, scheduled_for=date(2026, 6, 1), subject="督查", community_ids=[]
    )
    with rejects("already_recorded"):
        campaign.schedule_inspection(
            prov(), inspection_id=iid, scheduled_for=date(2026, 6, 1), subject="x", community_ids=[]
        )
    campaign.conduct_inspection(
        prov(date(2026, 6, 1)), inspection_id=iid, findings="良好", rating="good"
    )
    with rejects("inspection_already_conducted"):
        campaign.conduct_inspection(prov(), inspection_id=iid, findings="again", rating="good")
    assert campaign.inspections[str(iid)]["rating"] == "good"


def test_commendation_accountability_and_exchange_meetings_are_counted(
    campaign: CreationCampaign,
) -> None:
    campaign.commend(
        prov(), unit_kind="community", unit_id=uuid4(), unit_name="铁西社区", reason="r"
    )
    campaign.hold_accountable(
        prov(), unit_kind="community", unit_id=None, unit_name="镇郊社区", reason="slow", detail="d"
    )
    campaign.hold_exchange_meeting(prov(), title="经验交流会", model_community_ids=[uuid4()])
    assert (campaign.commendations, campaign.accountabilities, campaign.exchange_meetings) == (
        1,
        1,
        1,
    )


def test_accountability_reasons_are_the_plan_s_two(campaign: CreationCampaign) -> None:
    before = unchanged(campaign)
    with rejects("not_in_vocabulary"):
        campaign.hold_accountable(
            prov(), unit_kind="community", unit_id=None, unit_name="x", reason="lazy", detail="d"
        )
    with rejects("not_in_vocabulary"):
        campaign.commend(prov(), unit_kind="village", unit_id=None, unit_name="x", reason="r")
    assert unchanged(campaign) == before
