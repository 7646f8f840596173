"""The authorization matrix: every role against every endpoint, expected outcome by hand.

Each write is the command's own example, aimed at units inside the scoped roles'
subtrees (the tour's street and its community's general branch). Y means the role
may do it (201/200 and the event recorded, sent where the tour makes it valid); - means
403 and nothing recorded.
"""

from typing import Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from sansan.access import AccessService
from sansan.api.app import create_app
from sansan.api.command_routes import COMMAND_ROUTES
from sansan.application import SansanApplication
from sansan.commands import Command
from sansan.commands import community as co
from sansan.commands import examples as t
from sansan.commands import organization as oc
from sansan.commands.examples import example_of
from sansan.settings import Settings
from tests.integration.api_support import ROLES, ROUTE_OF, SCOPES, bearer, post

#                                             county street community auditor client
WRITES = {
    "/communities":                                  "YY---",
    "/communities/{id}/facility-upgrades":           "YYY-Y",
    "/communities/{id}/funding-allocations":         "YY---",
    "/communities/{id}/facility-area-corrections":   "YYY-Y",
    "/communities/{id}/funding-corrections":         "YY---",
    "/communities/{id}/service-station":             "YYY-Y",
    "/communities/{id}/coordination-bodies":         "YYY-Y",
    "/communities/{id}/coordination-meetings":       "YYY-Y",
    "/communities/{id}/working-systems":             "YYY-Y",
    "/communities/{id}/resident-units":              "YYY-Y",
    "/communities/{id}/brand-recognitions":          "YY---",
    "/communities/{id}/culture-identity-items":      "YYY-Y",
    "/communities/{id}/culture-facilities":          "YYY-Y",
    "/communities/{id}/troupes":                     "YYY-Y",
    "/communities/{id}/culture-festivals":           "YYY-Y",
    "/communities/{id}/model-services":              "YYY-Y",
    "/communities/{id}/civility-ratings":            "YYY-Y",
    "/communities/{id}/workers":                     "YYY-Y",
    "/communities/{id}/worker-departures":           "YYY-Y",
    "/communities/{id}/worker-insurances":           "YYY-Y",
    "/communities/{id}/volunteer-organizations":     "YYY-Y",
    "/communities/{id}/satisfaction-surveys":        "YYY-Y",
    "/communities/{id}/resident-codes":              "YYY-Y",
    "/communities/{id}/five-goods-assessments":      "YY---",
    "/communities/{id}/creation-plans":              "YYY-Y",
    "/communities/{id}/city-recommendations":        "Y----",
    "/organizations":                                "Y----",  # the example is a street committee
    "/organizations/{id}/secretary-appointments":    "YYY-Y",
    "/organizations/{id}/team-members":              "YYY-Y",
    "/organizations/{id}/team-member-departures":    "YYY-Y",
    "/organizations/{id}/team-trainings":            "YYY-Y",
    "/organizations/{id}/weak-team-flags":           "YY---",
    "/organizations/{id}/weak-team-rectifications":  "YY---",
    "/organizations/{id}/street-service-centers":    "YY---",
    "/organizations/{id}/street-five-goods-assessments": "Y----",
    "/organizations/{id}/street-working-systems":    "YY---",
    "/organizations/{id}/street-creation-plans":     "YY---",
    "/organizations/{id}/member-developments":       "YYY-Y",
    "/members":                                      "YYY-Y",
    "/members/{id}/category-changes":                "YYY-Y",
    "/members/{id}/cards":                           "YYY-Y",
    "/members/{id}/trainings":                       "YYY-Y",
    "/members/{id}/service-posts":                   "YYY-Y",
    "/members/{id}/volunteer-services":              "YYY-Y",
    "/members/{id}/household-contacts":              "YYY-Y",
    "/members/{id}/relief-pairings":                 "YYY-Y",
    "/members/{id}/in-service-feedback":             "YYY-Y",
    "/members/{id}/transfers-out":                   "YYY-Y",
    "/campaigns":                                    "Y----",
    "/campaigns/{id}/plan":                          "Y----",
    "/campaigns/{id}/model-communities":             "Y----",
    "/campaigns/{id}/pilot-community":               "Y----",
    "/campaigns/{id}/publicity-reports":             "Y----",
    "/campaigns/{id}/inspections":                   "Y----",
    "/campaigns/{id}/inspection-reports":            "Y----",
    "/campaigns/{id}/commendations":                 "Y----",
    "/campaigns/{id}/accountabilities":              "Y----",
    "/campaigns/{id}/exchange-meetings":             "Y----",
    "/supervision-items":                            "YY---",
    "/supervision-items/{id}/acknowledgement":       "YYY-Y",
    "/supervision-items/{id}/start":                 "YYY-Y",
    "/supervision-items/{id}/extension-requests":    "YYY-Y",
    "/supervision-items/{id}/extension-approvals":   "YY---",
    "/supervision-items/{id}/extension-refusals":    "YY---",
    "/supervision-items/{id}/reports":               "YYY-Y",
    "/supervision-items/{id}/acceptance":            "YY---",
    "/supervision-items/{id}/returns":               "YY---",
    "/supervision-items/{id}/closure":               "YY---",
    "/supervision-items/{id}/urgings":               "YY---",
}  # fmt: skip

# Reads of one unit, with and without history: 200 inside the subtree, 404 outside.
READS = {
    f"/communities/{t.COMMUNITY}":      "YYYYY",
    f"/organizations/{t.STREET}":       "YY-Y-",
    f"/organizations/{t.GB}":           "YYYYY",
    f"/organizations/{t.BRANCH}":       "YYYYY",
    f"/members/{t.DUAL}":               "YYYYY",
    f"/campaigns/{t.CAMPAIGN}":         "YYYYY",
    f"/supervision-items/{t.ITEM}":     "YYYYY",
}  # fmt: skip


@pytest.fixture
def world(app: SansanApplication, settings: Settings) -> tuple[TestClient, dict[str, str]]:
    for command in t.tour():
        app.execute(command, actor="test")
    access = AccessService(app)
    tokens = {
        role: access.issue_token(role=role, scope_org_id=SCOPES[role], label=role, actor="test")[0]
        for role in ROLES
    }
    return TestClient(create_app(settings, application=app), raise_server_exceptions=False), tokens


def test_the_matrix_covers_every_command_route() -> None:
    assert set(WRITES) == {route.path for route in COMMAND_ROUTES}


def may_write(role: str, path: str) -> bool:
    return WRITES[path][ROLES.index(role)] == "Y"


def assert_written(
    app: SansanApplication, client: TestClient, token: str, command: Command, role: str
) -> None:
    """The write succeeds with its own status, and the store holds the event it answers."""
    route = ROUTE_OF[type(command)]
    before = app.recorder.max_notification_id() or 0
    response = post(client, token, command)
    assert response.status_code == (201 if route.creates else 200), (route.path, response.text)
    body = response.json()
    assert body["position"] > before, route.path
    assert {e["actor"] for e in body["events"]} == {f"{role}:{role}"}, route.path
    stored = app.recorder.select_events(UUID(body["aggregate_id"]), gt=body["version"] - 1)
    assert [e.originator_version for e in stored] == [body["version"]], route.path


@pytest.mark.parametrize("role", ROLES)
def test_each_role_may_write_exactly_what_the_matrix_says(
    app: SansanApplication, settings: Settings, role: str
) -> None:
    """The tour is walked once: the role sends what it may (each valid at that point),
    the county records the rest; refusals do not depend on state and are checked after."""
    client = TestClient(create_app(settings, application=app), raise_server_exceptions=False)
    access = AccessService(app)
    tokens: dict[str, str] = {}

    def token() -> str:  # issued once its scope exists
        if not tokens:
            tokens[role] = access.issue_token(
                role=role, scope_org_id=SCOPES[role], label=role, actor="test"
            )[0]
        return tokens[role]

    written: set[str] = set()
    for command in t.tour():
        path = ROUTE_OF[type(command)].path
        if may_write(role, path):
            assert_written(app, client, token(), command, role)
            written.add(path)
        else:
            app.execute(command, actor="test")
    beyond = {ROUTE_OF[type(c)].path for c in t.beyond_the_tour()}  # see test_plan_api
    assert written == {path for path in WRITES if may_write(role, path)} - beyond
    for route in COMMAND_ROUTES:
        if not may_write(role, route.path):
            sent = token()
            before = app.recorder.max_notification_id()
            response = post(client, sent, example_of(route.command))
            assert response.status_code == 403, (route.path, response.text)
            assert app.recorder.max_notification_id() == before


@pytest.mark.parametrize("role", ROLES)
def test_a_role_that_may_not_write_a_route_gets_403_whatever_body_it_sends(
    world: tuple[TestClient, dict[str, str]], role: str
) -> None:
    """The role is checked before the body, so an incomplete one is no 422 that names fields."""
    client, tokens = world
    for route in COMMAND_ROUTES:
        if role in {r.value for r in route.roles}:
            continue
        path = "/api/v1" + route.path.replace("{id}", str(t.COMMUNITY))
        for body in ({}, {"occurred_on": "2026-11-29"}):
            response = client.post(path, json=body, headers=bearer(tokens[role]))
            assert response.status_code == 403, (route.path, response.text)
            assert response.json()["code"] == "role_not_allowed"


@pytest.mark.parametrize("role", ROLES)
def test_each_role_reads_inside_its_subtree_and_nothing_else_exists_for_it(
    world: tuple[TestClient, dict[str, str]], role: str
) -> None:
    client, tokens = world
    for path, outcome in READS.items():
        expected = 200 if outcome[ROLES.index(role)] == "Y" else 404
        for suffix in ("", "/history"):
            response = client.get(f"/api/v1{path}{suffix}", headers=bearer(tokens[role]))
            assert response.status_code == expected, (path + suffix, response.text)


def test_scoped_roles_cannot_write_or_see_another_street_s_units(
    app: SansanApplication, world: tuple[TestClient, dict[str, str]]
) -> None:
    client, tokens = world
    other_street = app.execute(
        oc.EstablishPartyOrganization(
            occurred_on=t.D, name="河东街道党工委", level="street_committee"
        ),
        actor="t",
    ).aggregate_id
    other = app.execute(
        co.RegisterCommunity(occurred_on=t.D, name="河东社区", street_committee_id=other_street),
        actor="t",
    ).aggregate_id
    festival = co.HoldCultureFestival(community_id=other, occurred_on=t.D, title="文化节")
    for role in ("street", "community", "client"):
        refused: Any = post(client, tokens[role], festival)
        # exactly as for an id that does not exist: a write cannot tell what exists
        assert (refused.status_code, refused.json()["code"]) == (404, "unit_not_found")
        hidden = client.get(f"/api/v1/communities/{other}", headers=bearer(tokens[role]))
        assert hidden.status_code == 404
    assert post(client, tokens["county"], festival).status_code == 200


def mirrored(command: Any) -> Any:
    """The same command in a copy of the tour's world: every id swapped for its twin's."""
    from uuid import UUID, uuid5

    twin_namespace = UUID("5b1d7c1e-9a64-4d8e-8f0a-2f3c4d5e6f70")

    def swap(value: Any) -> Any:
        if isinstance(value, UUID):
            return uuid5(twin_namespace, str(value))
        if isinstance(value, list):
            return [swap(v) for v in value]
        if isinstance(value, dict):
            return {k: swap(v) for k, v in value.items()}
        return value

    return type(command).model_validate(swap(command.model_dump()))


def test_every_write_route_refuses_scoped_roles_outside_their_subtree_as_if_it_did_not_exist(
    app: SansanApplication, world: tuple[TestClient, dict[str, str]]
) -> None:
    """Driven by the command table, so a new route is covered by being added there."""
    from sansan.domain.vocabulary import Role

    scoped = {Role.STREET, Role.COMMUNITY, Role.CLIENT}
    client, tokens = world
    for command in t.tour():  # the twin world, under a street of its own
        app.execute(mirrored(command), actor="test")
    before = app.recorder.max_notification_id()
    outcomes = {}
    for route in COMMAND_ROUTES:
        twin = mirrored(example_of(route.command))
        for role in ("street", "community", "client"):
            response = post(client, tokens[role], twin)
            # A role that may use the route but not there is told what an unknown id is told
            # (no existence oracle), or 403 when the command names no unit at all (a new root);
            # a role that may not use the route at all hears that.
            names_unit = route.scope_field and getattr(twin, route.scope_field) is not None
            outside = (404, "unit_not_found") if names_unit else (403, "outside_scope")
            expected = outside if role in route.roles else (403, "role_not_allowed")
            outcomes[route.path, role] = (response.status_code, response.json().get("code"))
            assert outcomes[route.path, role] == expected, (route.path, role, response.text)
    assert app.recorder.max_notification_id() == before
    written_by_scoped_roles = {
        path for (path, _), (_, code) in outcomes.items() if code != "role_not_allowed"
    }
    assert written_by_scoped_roles == {r.path for r in COMMAND_ROUTES if r.roles & scoped}
