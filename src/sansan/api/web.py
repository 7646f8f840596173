"""The supervisors' web UI: a static single-page app shipped in the package, served at ``/``.

Its assets live under ``/static`` so that nothing it serves can shadow an API or
operations path; it talks to the API like any other client, with a bearer token.
"""

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

WEB = Path(__file__).resolve().parent.parent / "web"
# The page and its modules change with each release; browsers must ask again, not guess.
NO_CACHE = {"Cache-Control": "no-cache"}


class _Static(StaticFiles):
    def file_response(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        response = super().file_response(*args, **kwargs)
        response.headers.update(NO_CACHE)
        return response


def install_web(api: FastAPI) -> None:
    @api.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(WEB / "index.html", media_type="text/html", headers=NO_CACHE)

    api.mount("/static", _Static(directory=WEB), name="static")
