"""OpenAPI as the service really answers: every error is problem+json."""

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from sansan.api.problems import PROBLEM_JSON

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
# Statuses any /api/v1 operation may answer, beside those its route documents.
ALWAYS = {"401": "未认证 / unauthenticated", "413": "请求过大 / body too large",
          "422": "请求无效 / invalid request"}  # fmt: skip


def install_openapi(api: FastAPI) -> None:
    def build() -> dict[str, Any]:
        if api.openapi_schema is None:
            spec = get_openapi(
                title=api.title, version=api.version, description=api.description, routes=api.routes
            )
            for path, operations in spec["paths"].items():
                for operation in operations.values():
                    _problems_only(operation, api_path=path.startswith("/api/"))
            schemas = spec.get("components", {}).get("schemas", {})
            for unused in ("HTTPValidationError", "ValidationError"):
                schemas.pop(unused, None)
            api.openapi_schema = spec
        return api.openapi_schema

    api.openapi = build  # type: ignore[method-assign]


def _problems_only(operation: dict[str, Any], *, api_path: bool) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    if api_path:
        for status, description in ALWAYS.items():
            responses.setdefault(status, {"description": description})
    for status, response in responses.items():
        if status.isdigit() and int(status) >= 400:
            response["content"] = {PROBLEM_JSON: {"schema": PROBLEM_REF}}
