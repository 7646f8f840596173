import pytest

from sansan.application import SansanApplication
from sansan.demo import STREETS, DemoAlreadyLoaded, demo_id, load_demo
from sansan.domain import Community, Member


def test_the_demo_records_the_plan_s_seven_communities_with_their_types(
    app: SansanApplication,
) -> None:
    summary = load_demo(app)
    assert summary.events == app.recorder.max_notification_id()
    expected = {
        "铁西": "service", "天北": "service", "天南": "service",
        "站前": "management", "镇西": "management", "河东": "culture", "镇郊": "culture",
    }  # fmt: skip
    for name, model_type in expected.items():
        community = app.get(demo_id("community", name), Community)
        assert (community.name, community.model_type) == (f"{name}社区", model_type)
        assert community.general_branch_id is not None
    assert sum(len(c) for c in STREETS.values()) == 7
    assert summary.by_type["MemberRegistered"] == 42
    categories = {app.get(demo_id("member", f"铁西-{n}"), Member).category for n in range(1, 7)}
    assert categories == {"direct", "dual", "participating"}
    assert summary.by_type["CampaignLaunched"] == 1
    assert summary.by_type["OrganizationEstablished"] == 3 + 7 * 5


def test_the_demo_loads_only_into_an_empty_store(app: SansanApplication) -> None:
    load_demo(app)
    events = app.recorder.max_notification_id()
    with pytest.raises(DemoAlreadyLoaded):
        load_demo(app)
    assert app.recorder.max_notification_id() == events
