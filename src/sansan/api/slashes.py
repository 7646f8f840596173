"""A write to a path with a trailing slash is answered with a problem, not redirected.

Starlette answers ``POST /api/v1/communities/`` with a 307 to the path without the slash and
an empty body: a client that does not follow redirects for a POST (many do not, some turn it
into a GET) sees an empty answer and nothing recorded. Reads keep the redirect, which every
client may follow safely.
"""

from collections.abc import Sequence

from starlette.routing import BaseRoute, Match, get_route_path
from starlette.types import ASGIApp, Receive, Scope, Send

from sansan.api.problems import ApiError

FOLLOWED_SAFELY = ("GET", "HEAD")


class NoRedirectForWrites:
    """Sits where the router is called (app.py), so the app's exception handlers answer."""

    def __init__(self, app: ASGIApp, routes: Sequence[BaseRoute]) -> None:
        self.app = app
        self.routes = routes  # the app's own list: routes added later count too

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] not in FOLLOWED_SAFELY:
            without = self._without_slash(scope)
            if without is not None:
                raise ApiError(
                    404, "trailing_slash",
                    f"地址末尾多了斜杠，请改用 {without}（写入请求不做重定向），未记录任何内容",
                    f"no such path; use {without}, without the trailing slash (writes are"
                    " not redirected); nothing was recorded",
                )  # fmt: skip
        await self.app(scope, receive, send)

    def _without_slash(self, scope: Scope) -> str | None:
        """The path without its trailing slash when only that spelling is routed (where
        Starlette would redirect); None otherwise. No route of the service ends in a slash
        but ``/`` itself, so the other way round (adding one) never redirects."""
        path = get_route_path(scope)
        if path == "/" or not path.endswith("/"):
            return None
        if any(route.matches(scope)[0] is not Match.NONE for route in self.routes):
            return None
        stripped = dict(scope, path=scope["path"].rstrip("/"))
        if any(route.matches(stripped)[0] is not Match.NONE for route in self.routes):
            return str(stripped["path"])
        return None
