"""Prometheus metrics: request counts and latency, and how far the read models lag the log."""

import time
from collections.abc import Iterator

from fastapi import FastAPI, Response
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sansan.access import COUNTY_WIDE
from sansan.api.deps import CurrentPrincipal
from sansan.api.problems import ApiError
from sansan.bootstrap import Services

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
API_PREFIX = "/api/v1"
METRICS_NOT_ALLOWED = ApiError(
    403, "metrics_not_allowed", "只有县委组织部和审计、纪检的令牌可以读取运行指标",
    "only county and auditor tokens may read the metrics",
)  # fmt: skip


class LagCollector(Collector):
    """Read on every scrape, so the figures are as fresh as the scrape."""

    def __init__(self, services: Services) -> None:
        self.services = services

    def collect(self) -> Iterator[Metric]:
        head, position, seconds = self.services.projections.lag()
        yield GaugeMetricFamily(
            "sansan_log_head_position", "Last position in the event log", value=head
        )
        yield GaugeMetricFamily(
            "sansan_projection_position", "Last position in the read models", value=position
        )
        yield GaugeMetricFamily(
            "sansan_projection_lag_events",
            "Events not yet in the read models",
            value=head - position,
        )
        yield GaugeMetricFamily(
            "sansan_projection_lag_seconds", "Age of the oldest unprojected event", value=seconds
        )


def install_metrics(api: FastAPI, services: Services) -> None:
    registry = CollectorRegistry()
    registry.register(LagCollector(services))
    requests = Counter(
        "sansan_http_requests", "HTTP requests", ["method", "route", "status"], registry=registry
    )
    latency = Histogram(
        "sansan_http_request_seconds",
        "HTTP request latency",
        ["method", "route"],
        registry=registry,
    )

    class Measure:
        """Plain ASGI: Starlette's BaseHTTPMiddleware costs a task and a stream per request."""

        def __init__(self, app: ASGIApp) -> None:
            self.app = app

        async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http":
                await self.app(scope, receive, send)
                return
            started, status = time.perf_counter(), 500

            async def sent(message: Message) -> None:
                nonlocal status
                if message["type"] == "http.response.start":
                    status = message["status"]
                await send(message)

            try:
                await self.app(scope, receive, sent)
            finally:
                method, route = scope["method"], _route_of(scope)
                timer, counter = children(method, route, status)
                timer.observe(time.perf_counter() - started)
                counter.inc()

    # prometheus_client's ``labels`` validates, converts and locks on every call, which was 9 %
    # of the server's Python time per command write (docs/benchmarks.md, branch lean-write2);
    # the children it returns are the same objects every time, so each is looked up once.
    found: dict[tuple[str, str, int], tuple[Histogram, Counter]] = {}

    def children(method: str, route: str, status: int) -> tuple[Histogram, Counter]:
        key = (method, route, status)
        pair = found.get(key)
        if pair is None:
            pair = latency.labels(method, route), requests.labels(method, route, str(status))
            found[key] = pair
        return pair

    api.add_middleware(Measure)

    @api.get(
        "/metrics",
        tags=["operations"],
        summary="Prometheus 指标 / metrics",
        include_in_schema=False,
    )
    def metrics(principal: CurrentPrincipal) -> Response:
        # Request counts by route and the log's size tell an outsider how the county works;
        # Prometheus scrapes with a county or auditor token (README: Configuration).
        if principal.role not in COUNTY_WIDE:
            raise METRICS_NOT_ALLOWED
        return Response(generate_latest(registry), media_type=CONTENT_TYPE)


def _route_of(scope: Scope) -> str:
    """The route template, not the path, so ids do not explode the label space."""
    route = scope.get("route")  # the matched route; nested ones lack the /api/v1 prefix
    if route is None:
        return "unmatched"
    path = str(getattr(route, "path", "unmatched"))
    if scope["path"].startswith(API_PREFIX) and not path.startswith(API_PREFIX):
        path = API_PREFIX + path
    return path
