"""The interactive API documentation, /docs (Swagger UI) and /redoc, from this server alone.

A county intranet has no internet, so nothing may come from a CDN: the Swagger UI and
ReDoc bundles are the files the ``fastapi-offline`` package ships, served under
``/docs/assets``, and the pages that start them are ours (``web/docs``), without inline
script, so they pass the documentation's Content-Security-Policy.
"""

from functools import cache
from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse, Response
from fastapi.staticfiles import StaticFiles

from sansan.api.web import NO_CACHE, WEB

ASSETS = Path(str(files("fastapi_offline").joinpath("static")))
ASSETS_URL = "/docs/assets"
REDOC_JS = "redoc.standalone.js"
# ReDoc's sidebar always shows its maker's logo from a CDN: on an intranet that is a failed
# request, and under our policy a console error. Point it at our own icon instead.
REDOC_LOGO = b"https://cdn.redoc.ly/redoc/logo-mini.svg"
OWN_LOGO = b"/static/favicon.svg"


@cache
def _redoc_bundle() -> bytes:
    return (ASSETS / REDOC_JS).read_bytes().replace(REDOC_LOGO, OWN_LOGO)


def install_docs(api: FastAPI) -> None:
    """Mount the bundles and the two pages; the app must be built with docs_url=None,
    redoc_url=None so FastAPI's own CDN pages are not registered."""

    def page(name: str) -> FileResponse:
        return FileResponse(WEB / "docs" / name, media_type="text/html", headers=NO_CACHE)

    @api.get("/docs", include_in_schema=False)
    def swagger_ui() -> FileResponse:
        return page("swagger.html")

    @api.get("/redoc", include_in_schema=False)
    def redoc() -> FileResponse:
        return page("redoc.html")

    @api.get(f"{ASSETS_URL}/{REDOC_JS}", include_in_schema=False)
    def redoc_bundle() -> Response:  # before the mount, which would serve the file as shipped
        return Response(_redoc_bundle(), media_type="text/javascript")

    api.mount(ASSETS_URL, StaticFiles(directory=ASSETS), name="docs-assets")
