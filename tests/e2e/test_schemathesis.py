"""Schemathesis against the app's own /openapi.json: no 5xx, and every response matches its schema.

Bounded: a fixed number of examples per operation, on the demo data (so generated requests
reach real units as well as unknown ones), as the county, a community (scoped: its answers
include the 404s of units outside its subtree) and an auditor (reads only), on both stores.

Each operation is driven through schemathesis's Python API with Hypothesis and reported as a
pytest subtest, not through schemathesis's pytest plugin: the plugin reaches into pytest's
private attributes and broke with pytest 9.2 (``'Function' object has no attribute '_nodeid'``),
while ``get_all_operations`` / ``as_strategy`` / ``call_and_validate`` are its public surface.
"""

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from sansan.access import AccessService
from sansan.api.app import create_app
from sansan.bootstrap import build_application
from sansan.demo import demo_token_scopes
from sansan.settings import Settings
from tests.conftest import BACKENDS, DemoTemplates

CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    content_type_conformance,
    status_code_conformance,
]
# Six runs (three roles, two stores) of about seventy operations share the time one run had.
EXAMPLES_PER_OPERATION = 3
ROLES = ("county", "community", "auditor")


@pytest.fixture(scope="module", params=BACKENDS)
def store_url(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    demo_templates: DemoTemplates,
) -> str:
    """A store that starts as a copy of the recorded demo (DemoTemplates, tests/conftest.py)."""
    folder = tmp_path_factory.mktemp("schemathesis")
    return demo_templates.copy(request.param, folder, request.addfinalizer)


@pytest.fixture(scope="module")
def demo_api(store_url: str) -> Iterator[tuple[dict[str, str], Any]]:
    """The demo behind the API, and a token per role (scoped as the demo's principals)."""
    settings = Settings(database_url=store_url, run_scheduler=False)
    app = build_application(settings)
    access = AccessService(app)
    tokens = {
        role: access.issue_token(role=role, scope_org_id=scope, label=f"fuzz-{role}", actor="t")[0]
        for role, scope in demo_token_scopes().values()
        if role in ROLES
    }
    api = create_app(settings, application=app)
    with TestClient(api):  # its lifespan runs the projection runner, following the fuzzer's writes
        api.state.services.projections.catch_up()  # the demo, before the first ?after=
        yield tokens, lifespan_owned_by_the_fixture(api)
    app.close()


def lifespan_owned_by_the_fixture(api: FastAPI) -> Any:
    """The app, for schemathesis: it starts an application's lifespan itself and keeps it
    until the process ends, so the store would close under it (or stay open after the
    fixture) whatever the order of the tests; here the fixture's own lifespan is the one."""

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "lifespan":
            return await api(scope, receive, send)
        while True:
            phase = (await receive())["type"].removeprefix("lifespan.")
            await send({"type": f"lifespan.{phase}.complete"})
            if phase == "shutdown":
                return None

    return app


def exercise(operation: schemathesis.APIOperation, token: str) -> None:
    """Run Hypothesis over one operation's generated cases, checking each answer."""

    @given(case=operation.as_strategy(GenerationMode.POSITIVE))
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case: schemathesis.Case) -> None:
        case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)

    run()


@pytest.mark.parametrize("role", ROLES)
def test_no_input_reaches_a_5xx_and_responses_match_the_schema(
    demo_api: tuple[dict[str, str], Any], role: str, subtests: pytest.Subtests
) -> None:
    tokens, api = demo_api
    schema = schemathesis.openapi.from_asgi("/openapi.json", api)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 60, "the schema lost its operations"
    for operation in operations:
        with subtests.test(msg=operation.label):
            exercise(operation, tokens[role])
