"""The published OpenAPI document: every request body comes with an example, and every
example is a body the service accepts by its own schema."""

from typing import Any

import jsonschema_rs
import pytest

from sansan.api.app import create_app
from sansan.settings import Settings


@pytest.fixture(scope="module")
def spec(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    db = tmp_path_factory.mktemp("openapi") / "spec.db"
    api = create_app(Settings(database_url=f"sqlite:///{db}", run_scheduler=False))
    try:
        return api.openapi()
    finally:
        api.state.services.close()


def request_bodies(spec: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (f"{method.upper()} {path}", content)
        for path, operations in spec["paths"].items()
        for method, operation in operations.items()
        for content in operation.get("requestBody", {}).get("content", {}).values()
    ]


def examples_of(spec: dict[str, Any], content: dict[str, Any]) -> list[Any]:
    """Examples on the media type, or on the body's schema (inline or behind its $ref)."""
    schema = content["schema"]
    if "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    found = [e["value"] for e in content.get("examples", {}).values()]
    return (
        found + ([content["example"]] if "example" in content else []) + schema.get("examples", [])
    )


def test_every_request_body_in_the_openapi_document_has_an_example(spec: dict[str, Any]) -> None:
    bodies = request_bodies(spec)
    assert len(bodies) > 50  # the command table's routes and the audit's kept file
    assert [operation for operation, content in bodies if not examples_of(spec, content)] == []


def test_every_request_body_example_is_valid_by_its_own_schema(spec: dict[str, Any]) -> None:
    invalid = []
    for operation, content in request_bodies(spec):
        schema = {**content["schema"], "components": spec["components"]}
        validator = jsonschema_rs.Draft202012Validator(schema)
        invalid += [(operation, e) for e in examples_of(spec, content) if not validator.is_valid(e)]
    assert invalid == []
