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


TYPED_ANSWERS = [  # every answer of these is a complete model: no free-form object anywhere
    ("get", "/api/v1/campaigns/{id}/trend"),
    ("get", "/api/v1/notifications"),
    ("get", "/api/v1/notifications/webhook-deliveries"),
    ("post", "/api/v1/notifications/{id}/acknowledgement"),
    ("get", "/api/v1/plans"),
]


def free_form_objects(spec: dict[str, Any], schema: Any, where: str, seen: set[str]) -> list[str]:
    """Where an object schema leaves its members open: no properties, or additionalProperties
    that is true or an empty schema."""
    if isinstance(schema, list):
        return [f for i, s in enumerate(schema) for f in free_form_objects(spec, s, where, seen)]
    if not isinstance(schema, dict):
        return []
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        if name in seen:
            return []
        seen.add(name)
        return free_form_objects(spec, spec["components"]["schemas"][name], name, seen)
    found = []
    extra = schema.get("additionalProperties")
    if schema.get("type") == "object" and ("properties" not in schema and not extra):
        found.append(where)
    if extra is True or extra == {}:
        found.append(f"{where} (additionalProperties)")
    for key, value in schema.items():
        if key not in ("examples", "example", "default", "description"):
            found += free_form_objects(spec, value, f"{where}.{key}", seen)
    return found


@pytest.mark.parametrize(("method", "path"), TYPED_ANSWERS)
def test_trend_notification_and_plan_answers_have_no_free_form_object(
    spec: dict[str, Any], method: str, path: str
) -> None:
    answer = spec["paths"][path][method]["responses"]
    ok = answer.get("200") or answer["201"]
    schema = ok["content"]["application/json"]["schema"]
    assert schema, path
    assert free_form_objects(spec, schema, path, set()) == []


def test_the_walk_finds_a_free_form_object(spec: dict[str, Any]) -> None:
    state = spec["paths"]["/api/v1/campaigns/{id}"]["get"]["responses"]["200"]
    schema = state["content"]["application/json"]["schema"]
    assert free_form_objects(spec, schema, "UnitState", set()) == [
        "UnitState.properties.state (additionalProperties)"
    ]


def test_a_plan_id_is_a_string_with_examples_not_an_enum_of_the_shipped_plans(
    spec: dict[str, Any],
) -> None:
    plan_id = spec["components"]["schemas"]["LaunchCampaign"]["properties"]["plan_id"]
    assert plan_id["type"] == "string"
    assert "enum" not in plan_id
    assert plan_id["examples"] == ["sansan-v1"]
