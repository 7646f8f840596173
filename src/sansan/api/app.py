"""The FastAPI app factory: assembles services from settings, nothing at import time."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import cache

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.routing import BaseRoute
from starlette.types import ASGIApp

from sansan import __version__
from sansan.api.command_catalogue import add_catalogue_route
from sansan.api.deps import CurrentPrincipal, ServicesDep
from sansan.api.docs import install_docs
from sansan.api.fast_commands import FastCommands
from sansan.api.head import HeadAsGet
from sansan.api.limits import MULTIPART_MARGIN, BodySizeLimit
from sansan.api.metrics import install_metrics
from sansan.api.openapi import install_openapi
from sansan.api.problems import install_problem_handlers, problem
from sansan.api.routers import resource_routers
from sansan.api.security import SecurityHeaders
from sansan.api.slashes import NoRedirectForWrites
from sansan.api.web import install_web
from sansan.application import SansanApplication
from sansan.background import background_work
from sansan.bootstrap import build_services
from sansan.clock import Clock
from sansan.settings import Settings
from sansan.workflows.webhooks import WebhookStatus

DESCRIPTION = """三三创建工程管理服务的接口。所有写入都记录为事件，带有记录人、发生日期和记录时间。

The sansan API: every write is an event that records who, when it happened and when it was
recorded. Errors are RFC 9457 problem details with Chinese and English messages."""


@cache
def api_v1_routes() -> tuple[BaseRoute, ...]:
    """Every route under /api/v1, built once per process and shared by every app.

    They hold no settings and no services (each endpoint finds those on ``request.app.state``),
    and FastAPI's analysis of their parameters, when a router is included and again when an app
    first matches a request against it, is most of what an app costs (docs/testing.md, "CI
    time"). Included here into a router of our own, so that analysis happens once; an app takes
    the result into its own route table. (So ``app.dependency_overrides`` does not reach them.)"""
    holder = APIRouter()
    holder.include_router(_api_v1_router())
    return tuple(holder.routes)


def _api_v1_router() -> APIRouter:
    v1 = APIRouter(prefix="/api/v1")
    for router in resource_routers():
        v1.include_router(router)

    @v1.get("/me", tags=["auth"], summary="当前令牌的身份与范围 / who the token is")
    def me(principal: CurrentPrincipal) -> dict[str, object]:
        return {
            "actor": principal.actor,
            "name": principal.label,
            "role": principal.role.value,
            "role_zh": principal.role.label_zh,
            "scope_org_id": principal.scope_org_id,
            "token_id": principal.token_id,
        }

    add_catalogue_route(v1)
    return v1


class _HardenedApp(FastAPI):
    def build_middleware_stack(self) -> ASGIApp:
        # Outside Starlette's own error middleware, so even its bare 500 carries the headers.
        return SecurityHeaders(super().build_middleware_stack())


def create_app(
    settings: Settings | None = None,
    clock: Clock | None = None,
    application: SansanApplication | None = None,
) -> FastAPI:
    """The app; pass ``application`` to share one already built (its owner closes it)."""
    settings = settings or Settings()
    services = build_services(settings, clock, application)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        with background_work(services):
            yield
        services.store.close()
        if application is None:
            services.app.close()

    api = _HardenedApp(
        title="sansan 三三创建工程管理服务",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # FastAPI's own pages load from a CDN; install_docs serves ours
        redoc_url=None,
        # The service's metrics are Prometheus' (/metrics). FastAPI's own OpenTelemetry, never
        # configured here, still asked the OpenTelemetry globals on every request whether it
        # was: 2 % of the server's Python time per write (docs/benchmarks.md, lean-write2).
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    api.state.services = services
    install_problem_handlers(api)
    # A spreadsheet may be as large as SANSAN_IMPORT_MAX_BYTES, and the import endpoint says
    # so in its own words (import_too_large); every other body stays small.
    imports = {"/api/v1/imports": settings.import_max_bytes + MULTIPART_MARGIN}
    api.add_middleware(BodySizeLimit, larger=imports)

    api.router.routes.extend(api_v1_routes())
    # Where the router is called, inside every middleware: command POSTs' happy path, and
    # for the rest, a write to a path with a trailing slash refused rather than redirected.
    routed = NoRedirectForWrites(api.router.middleware_stack, api.router.routes)
    api.router.middleware_stack = FastCommands(HeadAsGet(routed), api.router.routes)
    install_openapi(api)
    install_docs(api)
    install_metrics(api, services)
    install_web(api, settings.demo_sign_in_token)

    @api.get("/healthz", tags=["operations"], summary="进程存活 / the process is up")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @api.get(
        "/readyz",
        tags=["operations"],
        summary="存储可用 / the store answers",
        responses={
            503: {
                "description": "存储不可用，或读取模型已停止更新 / the store does not answer, "
                "or the read models stopped following the log"
            }
        },
    )
    def readyz(request: Request, services: ServicesDep) -> JSONResponse:
        try:
            position = services.app.recorder.max_notification_id() or 0
            head, projected, seconds = services.projections.lag()
        except Exception as exc:  # any failure to reach the store means not ready
            reason = f"store: {type(exc).__name__}: {exc}"
            return problem(
                request, 503, "store_unavailable", f"存储不可用：{reason}", reason,
                headers={"Retry-After": "5"},
            )  # fmt: skip
        stall = services.projections.stalled()
        if stall is not None:
            reason = f"projections stopped: the batch after log position {stall.position} fails"
            return problem(
                request, 503, "projections_stalled",
                f"读取模型已停止更新：日志第 {stall.position} 条之后的一批事件无法投影", reason,
                headers={"Retry-After": "30"},
            )  # fmt: skip
        projections = {
            "position": projected,
            "behind_events": max(head - projected, 0),
            "behind_seconds": round(seconds, 3),
        }
        return JSONResponse(
            {
                "status": "ready",
                "log_position": position,
                "projections": projections,
                "webhooks": WebhookStatus.of(settings).as_json(),
            }
        )

    return api
