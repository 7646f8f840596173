"""The supervisors' web UI: a static single-page app shipped in the package, served at ``/``.

Its assets live under ``/static`` so that nothing it serves can shadow an API or
operations path; it talks to the API like any other client, with a bearer token.
"""

import os
from os import PathLike
from pathlib import Path
from urllib.parse import urlsplit

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.responses import Response
from starlette.types import Scope

WEB = Path(__file__).resolve().parent.parent / "web"
# The page and its modules change with each release; browsers must ask again, not guess.
NO_CACHE = {"Cache-Control": "no-cache"}


class _Static(StaticFiles):
    def file_response(
        self, full_path: PathLike[str] | str, stat_result: os.stat_result, scope: Scope,
        status_code: int = 200,
    ) -> Response:  # fmt: skip
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers.update(NO_CACHE)
        return response


LOOPBACK = {"127.0.0.1", "::1"}
LOCAL_NAMES = LOOPBACK | {"localhost"}


def _asked_for_locally(request: Request) -> bool:
    """Called from this machine, by this machine's name. A web page elsewhere can point its
    own name at 127.0.0.1 (DNS rebinding) and so reach us from the operator's browser as a
    local caller, but its requests still carry its name in Host."""
    local = request.client is not None and request.client.host in LOOPBACK
    host = urlsplit(f"//{request.headers.get('host', '')}").hostname
    return local and host in LOCAL_NAMES


def install_web(api: FastAPI, demo_token: str = "") -> None:
    @api.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(WEB / "index.html", media_type="text/html", headers=NO_CACHE)

    @api.get("/demo/sign-in", include_in_schema=False)
    def demo_sign_in(request: Request) -> JSONResponse:
        """A demo server lets a browser on the same machine in as the county, so that
        opening ``/`` shows the demo campaign; any other server, or caller, gets nothing."""
        token = (demo_token or None) if _asked_for_locally(request) else None
        return JSONResponse({"token": token}, headers=NO_CACHE)

    api.mount("/static", _Static(directory=WEB), name="static")
