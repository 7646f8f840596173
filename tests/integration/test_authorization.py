"""The authorization matrix: every role against every endpoint, expected outcome by hand.

Each write is the command's own example, aimed at units inside the scoped roles'
subtrees (the tour's street and its community's general branch). Y means the role
may do it (any answer but 401/403); - means 403 and nothing recorded.
"""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from sansan.access import AccessService
from sansan.api.app import create_app
from sansan.api.command_routes import COMMAND_ROUTES
from sansan.application import SansanApplication
from sansan.commands import community as co
from sansan.commands import examples as t
from sansan.commands import organization as oc
from sansan.commands.examples import example_of
from sansan.settings import Settings
from tests.integration.api_support import ROLES, SCOPES, bearer, post

#                                             county street community auditor client
WRITES = {
    "/communities":                                  "YY---",
    "/communities/{id}/facility-upgrades":           "YYY-Y",
    "/communities/{id}/funding-allocations":         "YYY-Y",
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
    "/communities/{id}/worker-insurances":           "YYY-Y",
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
    "/campaigns/{id}/model-communities":             "Y----",
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


@pytest.mark.parametrize("role", ROLES)
def test_each_role_may_write_exactly_what_the_matrix_says(
    app: SansanApplication, world: tuple[TestClient, dict[str, str]], role: str
) -> None:
    client, tokens = world
    for route in COMMAND_ROUTES:
        allowed = WRITES[route.path][ROLES.index(role)] == "Y"
        before = app.recorder.max_notification_id()
        response = post(client, tokens[role], example_of(route.command))
        if allowed:
            assert response.status_code not in (401, 403), (route.path, response.text)
        else:
            assert response.status_code == 403, (route.path, response.text)
            assert app.recorder.max_notification_id() == before


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
