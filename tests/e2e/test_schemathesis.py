"""Schemathesis against the app's own /openapi.json: no 5xx, and every response matches its schema.

Bounded: a fixed number of examples per operation, authenticated as the county on the
demo data, so generated requests reach real units as well as unknown ones.

Each operation is driven through schemathesis's Python API with Hypothesis and reported as a
pytest subtest, not through schemathesis's pytest plugin: the plugin reaches into pytest's
private attributes and broke with pytest 9.2 (``'Function' object has no attribute '_nodeid'``),
while ``get_all_operations`` / ``as_strategy`` / ``call_and_validate`` are its public surface.
"""

from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
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
from sansan.demo import load_demo
from sansan.settings import Settings

CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    content_type_conformance,
    status_code_conformance,
]
EXAMPLES_PER_OPERATION = 8


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


def test_no_input_reaches_a_5xx_and_responses_match_the_schema(
    county_token_and_app: tuple[str, object], subtests: pytest.Subtests
) -> None:
    token, api = county_token_and_app
    schema = schemathesis.openapi.from_asgi("/openapi.json", api)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 60, "the schema lost its operations"
    for operation in operations:
        with subtests.test(msg=operation.label):
            exercise(operation, token)
