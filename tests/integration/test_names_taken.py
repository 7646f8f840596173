"""What a client records must be right (review-open-b, outside review findings 26a and 26b):
one spelling of a name however it is spaced, and one unit to a name, on both stores."""

from typing import Any
from uuid import UUID

from fastapi.testclient import TestClient

from sansan.api.deps import Services
from sansan.commands import member as mc
from sansan.commands import organization as oc
from sansan.demo import demo_id
from tests.integration.api_support import bearer
from tests.integration.test_imports import created, head, recorded_since, upload
from tests.support import TODAY

Demo = tuple[TestClient, dict[str, str]]
BRANCH = "铁西第1小区党支部"


def services_of(client: TestClient) -> Services:
    services: Services = client.app.state.services  # type: ignore[attr-defined]
    return services


def send(client: TestClient, token: str, path: str, body: dict[str, Any]) -> Any:
    answer = client.post(f"/api/v1{path}", json=body, headers=bearer(token))
    services_of(client).projections.catch_up()
    return answer


def register(client: TestClient, token: str, name: str, branch: str = BRANCH) -> Any:
    body = {"name": name, "category": "direct", "occurred_on": TODAY.isoformat(),
            "organization_id": str(demo_id("org", branch))}  # fmt: skip
    return send(client, token, "/members", body)


def stored_as_before(client: TestClient, name: str) -> UUID:
    """A member registered before names were normalised: the command built without its
    validation, so the name is stored exactly as typed."""
    command = mc.RegisterMember.model_construct(
        id=None, name=name, category="direct", organization_id=demo_id("org", BRANCH),
        birth_year=None, birth_date=None, workplace=None, occurred_on=TODAY, note=None,
        evidence_ref=None,
    )  # fmt: skip
    services = services_of(client)
    result = services.app.execute(command, actor="t")
    services.projections.catch_up()
    return result.aggregate_id


def test_a_name_spaced_another_way_is_the_same_member(demo: Demo) -> None:
    client, tokens = demo
    first = register(client, tokens["county"], "王同名")
    assert first.status_code == 201, first.text
    for twin in ("王同名 ", "王同名\u3000", "\u3000王同名", "王\u3000同名", "王  同名"):
        again = register(client, tokens["county"], twin)
        assert again.status_code == 422, (twin, again.text)
        assert again.json()["code"] == "member_name_taken"
        assert again.json()["errors"][0]["field"] == "name"
    found = client.get(
        "/api/v1/units/search", params={"q": "王\u3000同名 "}, headers=bearer(tokens["county"])
    )
    assert [f["id"] for f in found.json()] == [first.json()["aggregate_id"]]
    spaced = register(client, tokens["county"], "\u3000John  Smith ")
    member = client.get(spaced.headers["Location"], headers=bearer(tokens["county"]))
    assert member.json()["state"]["name"] == "John Smith"  # stored as normalised
    assert register(client, tokens["county"], "John Smith").json()["code"] == "member_name_taken"
    # the Chinese text itself is kept: full-width brackets stay full-width
    marked = register(client, tokens["county"], "王同名（二）")
    assert marked.status_code == 201, marked.text
    named = client.get(marked.headers["Location"], headers=bearer(tokens["county"]))
    assert named.json()["state"]["name"] == "王同名（二）"


def test_a_name_stored_with_spaces_before_is_found_by_the_check_the_import_and_search(
    demo: Demo,
) -> None:
    client, tokens = demo
    old = stored_as_before(client, "赵\u3000旧名")  # the domain strips the ends, not padding
    refused = register(client, tokens["county"], "赵旧名")
    assert refused.json()["code"] == "member_name_taken", refused.text
    assert str(old) in refused.json()["message_zh"]
    training = (
        "党员所在党组织,党员姓名,培训天数,培训方式,主题,发生日期\n"
        f"{BRANCH},赵旧名,2,课堂讲课,党课,{TODAY}\n"
    )
    answer = upload(client, tokens["county"], training.encode(), "训练.csv")
    assert answer.status_code == 201, answer.text
    assert created(answer)["recorded"] == {"member_trainings": 1}
    services_of(client).projections.catch_up()
    roster = f"姓名,管理类别,所在党组织名称,发生日期\n赵旧名　,直管,{BRANCH},{TODAY}\n"
    again = created(upload(client, tokens["county"], roster.encode(), "名册.csv"))
    assert again["skipped"] == {"members": 1}  # the same person: not registered twice


def organization(name: str, parent: str = "铁西社区党总支") -> dict[str, Any]:
    return {"name": name, "level": "neighborhood_branch", "occurred_on": TODAY.isoformat(),
            "parent_id": str(demo_id("org", parent))}  # fmt: skip


def test_a_second_organization_or_community_under_a_name_the_county_has_is_refused(
    demo: Demo,
) -> None:
    client, tokens = demo
    before = head(client)
    # another community's branch: names are county-wide, however spaced
    for name in ("天北第1小区党支部", "天北第1小区党支部\u3000", "天北 第1小区党支部"):
        answer = send(client, tokens["county"], "/organizations", organization(name))
        assert answer.status_code == 422, answer.text
        assert answer.headers["content-type"] == "application/problem+json"
        problem = answer.json()
        assert problem["code"] == "organization_name_taken"
        assert [e["field"] for e in problem["errors"]] == ["name"]
        assert "全县已有名为“天北第1小区党支部”的党组织" in problem["message_zh"]
        assert str(demo_id("org", "天北第1小区党支部")) in problem["message_en"]
    street = str(demo_id("org", "城关街道"))
    community = {
        "name": "天北社区",
        "street_committee_id": street,
        "occurred_on": TODAY.isoformat(),
    }
    answer = send(client, tokens["county"], "/communities", community)
    assert answer.status_code == 422, answer.text
    assert answer.json()["code"] == "community_name_taken"
    assert answer.json()["errors"][0]["field"] == "name"
    assert "全县已有名为“天北社区”的社区" in answer.json()["message_zh"]
    assert recorded_since(client, before) == []
    fresh = send(client, tokens["county"], "/organizations", organization("铁西第9小区党支部"))
    assert fresh.status_code == 201, fresh.text
    community["name"] = "城关新社区"
    assert send(client, tokens["county"], "/communities", community).status_code == 201


def test_a_name_that_reads_like_a_held_one_is_refused_naming_the_one_held(demo: Demo) -> None:
    """Review 3, finding 6: names are compared as labels are, folded (full- and half-width
    forms, case and spaces aside), so “(二)” does not make a second “（二）”."""
    client, tokens = demo
    first = register(client, tokens["county"], "王同名（二）")
    assert first.status_code == 201, first.text
    for twin in ("王同名(二)", "王同名( 二 )"):
        again = register(client, tokens["county"], twin)
        assert again.status_code == 422, (twin, again.text)
        assert again.json()["code"] == "member_name_taken"
        assert "该党组织已有名为“王同名（二）”的党员" in again.json()["message_zh"]
    held = "天北第1小区党支部"
    for name in ("天北第１小区党支部", "天北第1小区党支部 "):
        answer = send(client, tokens["county"], "/organizations", organization(name))
        assert answer.json()["code"] == "organization_name_taken", answer.text
        assert f"全县已有名为“{held}”的党组织" in answer.json()["message_zh"]
    street = str(demo_id("org", "城关街道"))
    community = {"name": "天北社区 ", "street_committee_id": street, "occurred_on": str(TODAY)}
    answer = send(client, tokens["county"], "/communities", community)
    assert answer.json()["code"] == "community_name_taken", answer.text
    community["name"] = "ＴＢ社区"
    assert send(client, tokens["county"], "/communities", community).status_code == 201
    community["name"] = "tb社区"
    answer = send(client, tokens["county"], "/communities", community)
    assert answer.json()["code"] == "community_name_taken", answer.text
    assert "全县已有名为“ＴＢ社区”的社区" in answer.json()["message_zh"]
    # an import finds a unit as the check compares names: the same person, not a second one
    roster = f"姓名,管理类别,所在党组织名称,发生日期\n王同名(二),直管,{BRANCH},{TODAY}\n"
    again = created(upload(client, tokens["county"], roster.encode(), "名册.csv"))
    assert again["skipped"] == {"members": 1}, again


def test_an_import_names_a_name_two_units_hold_as_a_problem_and_creates_no_second_one(
    demo: Demo,
) -> None:
    client, tokens = demo
    services = services_of(client)
    # a second 铁西第1小区党支部 recorded before the rule (no check on the way in)
    twin = organization("铁西第1小区党支部", parent="镇西社区党总支")
    services.app.execute(oc.EstablishPartyOrganization(**twin), actor="t")
    services.projections.catch_up()
    member = client.get(
        f"/api/v1/members/{demo_id('member', '铁西-1')}", headers=bearer(tokens["county"])
    ).json()["state"]["name"]
    training = (
        "党员所在党组织,党员姓名,培训天数,培训方式,主题,发生日期\n"
        f"{BRANCH},{member},2,课堂讲课,党课,{TODAY}\n"
    )
    answer = upload(client, tokens["county"], training.encode(), "训练.csv")
    assert answer.status_code == 422, answer.text
    [problem] = answer.json()["report"]["problems"]
    assert (problem["code"], problem["row"], problem["column"]) == (
        "ambiguous_reference",
        2,
        "党员所在党组织",
    )
    assert problem["message_zh"] == "有 2 个党组织名为“铁西第1小区党支部”，无法确定是哪一个"
    # a street's import may not create a second unit under a name held in another street
    organizations = (
        "组织名称,组织层级,上级党组织名称,发生日期\n"
        f"天北第1小区党支部,小区党支部,铁西社区党总支,{TODAY}\n"
    )
    communities = f"社区名称,街道党工委名称,发生日期\n天北社区,城关街道党工委,{TODAY}\n"
    for text, code in ((organizations, "organization_name_taken"),
                       (communities, "community_name_taken")):  # fmt: skip
        answer = upload(client, tokens["street"], text.encode(), "新建.csv")
        assert answer.status_code == 422, answer.text
        [problem] = answer.json()["report"]["problems"]
        assert problem["code"] == code, problem
        assert "全县" in problem["message_zh"]
        assert "不在您的管辖范围内" in problem["message_zh"]
