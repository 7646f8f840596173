from datetime import date
from uuid import uuid4

import pytest

from sansan.domain import CreationCampaign
from tests.support import LAUNCH, prov, rejects, unchanged


@pytest.fixture
def campaign() -> CreationCampaign:
    return CreationCampaign.launch(
        prov(), name="三三创建工程", plan_id="sansan-v1", county="示范县"
    )


def test_launch_date_is_when_it_happened(campaign: CreationCampaign) -> None:
    assert (campaign.launch_date, campaign.plan_id) == (LAUNCH, "sansan-v1")


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
