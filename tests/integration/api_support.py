"""Helpers for driving the HTTP API in tests: clients per role, and the tour as requests."""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient

from sansan.api.app import create_app
from sansan.api.command_routes import COMMAND_ROUTES, CommandRoute
from sansan.bootstrap import Services
from sansan.commands import Command
from sansan.commands import examples as t

ROUTE_OF: dict[type[Command], CommandRoute] = {r.command: r for r in COMMAND_ROUTES}
ROLES = ("county", "street", "community", "auditor", "client")


@dataclass
class Request:
    path: str
    body: dict[str, Any]


def as_request(command: Command) -> Request:
    route = ROUTE_OF[type(command)]
    target = command.target_id()
    path = "/api/v1" + route.path.replace("{id}", str(target))
    exclude = {command.target} if command.target else set()
    return Request(path, command.model_dump(mode="json", exclude=exclude, exclude_none=True))


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def post(client: TestClient, token: str, command: Command, **headers: str) -> Any:
    request = as_request(command)
    return client.post(request.path, json=request.body, headers=bearer(token) | headers)


SCOPES = {
    "county": None,
    "street": t.STREET,
    "community": t.GB,
    "auditor": None,
    "client": t.GB,
}


def tour_role_client(services: Services) -> Iterator[tuple[TestClient, dict[str, str]]]:
    """A client of the service with a county, a street (the tour's) and a community (its
    general branch) token."""
    issue = services.access.issue_token
    tokens = {
        role: issue(role=role, scope_org_id=scope, label=role, actor="t")[0]
        for role, scope in {"county": None, "street": t.STREET, "community": t.GB}.items()
    }
    with TestClient(create_app(services.settings, application=services.app)) as client:
        yield client, tokens
