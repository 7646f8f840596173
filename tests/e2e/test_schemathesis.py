"""Schemathesis against the app's own /openapi.json: no 5xx, and every response matches its schema.

Bounded: a fixed number of examples per operation, authenticated as the county on the
demo data, so generated requests reach real units as well as unknown ones.
"""

from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from sansan.access import AccessService
from sansan.api.app import create_app
from sansan.bootstrap import build_application
from sansan.demo import load_demo
from sansan.settings import Settings

CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    content_type_conformance,
    status_code_conformance,
]


@pytest.fixture(scope="module")
def county_token_and_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, object]]:
    db: Path = tmp_path_factory.mktemp("schemathesis") / "sansan.db"
    settings = Settings(database_url=f"sqlite:///{db}")
    app = build_application(settings)
    load_demo(app)
    token, _ = AccessService(app).issue_token(
        role="county", scope_org_id=None, label="fuzz", actor="test"
    )
    yield token, create_app(settings, application=app)
    app.close()


@pytest.fixture(scope="module")
def api_schema(county_token_and_app: tuple[str, object]) -> schemathesis.schemas.BaseSchema:
    _, api = county_token_and_app
    return schemathesis.openapi.from_asgi("/openapi.json", api)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_input_reaches_a_5xx_and_responses_match_the_schema(
    case: schemathesis.Case, county_token_and_app: tuple[str, object]
) -> None:
    token, _ = county_token_and_app
    case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)
