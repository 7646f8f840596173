import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

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


def readme_progress_example() -> Any:
    """The JSON the README's "Where the campaign stands" shows for the demo, "…" left out."""
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Where the campaign stands", 1)[1]
    block = section.split("```json\n", 1)[1].split("```", 1)[0]
    return json.loads(block.replace(',\n  "…"]', "]"))


def test_the_readme_s_progress_example_is_what_the_demo_answers(
    demo: tuple[TestClient, dict[str, str]],
) -> None:
    client, tokens = demo
    shown = readme_progress_example()
    campaign = demo_id("campaign", "示范县")
    response = client.get(
        f"/api/v1/campaigns/{campaign}/progress", params={"as_of": shown["as_of"]},
        headers={"Authorization": f"Bearer {tokens['county']}"},
    )  # fmt: skip
    assert response.status_code == 200, response.text
    answered = response.json()
    assert {k: answered[k] for k in shown if k != "targets"} == {
        k: v for k, v in shown.items() if k != "targets"
    }
    targets = {target["id"]: target for target in answered["targets"]}
    for example in shown["targets"]:  # abridged: some fields, one failing unit at most
        actual = targets[example["id"]]
        assert {k: actual[k] for k in example if k != "failing"} == {
            k: v for k, v in example.items() if k != "failing"
        }, example["id"]
        if not example["failing"]:
            assert actual["failing"] == [], example["id"]
        for unit in example["failing"]:
            failing = [{k: f[k] for k in unit} for f in actual["failing"]]
            assert unit in failing, (example["id"], failing[:3])
