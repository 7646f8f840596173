"""The web UI is served by the app at / from files shipped in the package, pulls nothing from
another host, and takes no path from the API or the operations endpoints."""

import re
import tomllib
from collections.abc import Iterator
from fnmatch import fnmatch
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from sansan.api.app import create_app
from sansan.api.web import WEB
from sansan.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
ASSET = re.compile(r"""(?:src|href)="(/[^"]*)"|from "(\.{1,2}/[^"]+)"|import\("(\.{1,2}/[^"]+)"\)""")


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'web.db'}", run_scheduler=False)
    with TestClient(create_app(settings)) as client:
        yield client


def web_files() -> list[Path]:
    return sorted(p for p in WEB.rglob("*") if p.is_file())


def test_the_page_at_the_root_and_every_asset_it_references_are_served(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert '<html lang="zh-CN">' in page.text
    referenced = {m[0] for m in ASSET.findall(page.text)}
    assert {"/static/app.css", "/static/js/main.js", "/static/favicon.svg"} <= referenced
    for module in WEB.joinpath("js").rglob("*.js"):  # every relative import resolves
        for _, imported, dynamic in ASSET.findall(module.read_text()):
            target = (module.parent / (imported or dynamic)).resolve()
            referenced.add("/static/" + target.relative_to(WEB).as_posix())
    for path in referenced:
        response = client.get(path)
        assert response.status_code == 200, path
    module = client.get("/static/js/main.js")
    assert module.headers["content-type"].startswith("text/javascript")
    assert module.headers["cache-control"] == "no-cache"  # a new release is never half cached


def test_no_asset_loads_anything_from_another_host() -> None:
    for path in web_files():
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"""(?:src|href|url\()\s*=?\s*["']?(?:https?:)?//""", text), path
        assert "fetch(\"http" not in text, path
        assert "cdn" not in text.lower(), path
        assert "innerHTML" not in text, path  # data goes in as text nodes only


def test_the_api_docs_and_operations_paths_are_not_shadowed(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/openapi.json").json()["paths"]
    assert client.get("/docs").status_code == 200
    assert client.get("/redoc").status_code == 200
    assert client.get("/metrics").status_code == 401  # its own route, which asks for a token
    missing = client.get("/api/v1/no-such-thing")
    assert missing.status_code == 404
    assert client.get("/api/v1/me").status_code == 401
    assert client.get("/static/no-such-file.js").status_code == 404
    assert "/" not in client.get("/openapi.json").json()["paths"]


def test_every_web_file_is_shipped_as_package_data() -> None:
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "package-data"
    ]["sansan"]
    package = WEB.parent
    for path in web_files():
        relative = path.relative_to(package).as_posix()
        assert any(fnmatch(relative, p) and relative.count("/") == p.count("/") for p in patterns), relative


@pytest.mark.parametrize(
    ("demo_token", "caller", "host", "expected"),
    [
        ("ssn_demo", "127.0.0.1", "127.0.0.1:8765", "ssn_demo"),  # a browser on its machine
        ("ssn_demo", "::1", "[::1]:8765", "ssn_demo"),
        ("ssn_demo", "127.0.0.1", "localhost", "ssn_demo"),
        ("ssn_demo", "127.0.0.1", "LOCALHOST:80", "ssn_demo"),
        ("ssn_demo", "203.0.113.9", "127.0.0.1:8765", None),  # a demo server reached from elsewhere
        ("ssn_demo", "127.0.0.1", "evil.example:8765", None),  # a page rebinding its name to us
        ("ssn_demo", "127.0.0.1", "127.0.0.1.evil.example", None),
        ("ssn_demo", "127.0.0.1", "", None),
        ("", "127.0.0.1", "127.0.0.1:8765", None),  # not a demo server
    ],
)
def test_only_a_demo_server_lets_a_local_browser_in_as_the_county(
    tmp_path: Path, demo_token: str, caller: str, host: str, expected: str | None
) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'demo.db'}", run_scheduler=False,
                        demo_sign_in_token=demo_token)  # fmt: skip
    with TestClient(create_app(settings), client=(caller, 50000)) as client:
        response = client.get("/demo/sign-in", headers={"Host": host})
    assert response.status_code == 200
    assert response.json() == {"token": expected}
    assert response.headers["cache-control"] == "no-cache"
