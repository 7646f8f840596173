"""Apps built in one process share the /api/v1 route table, never each other's services."""

from pathlib import Path

from fastapi.testclient import TestClient

from sansan.access import AccessService
from sansan.api.app import api_v1_routes, create_app
from sansan.settings import Settings


def test_two_apps_share_routes_but_each_answers_from_its_own_store(tmp_path: Path) -> None:
    apps = [
        create_app(Settings(database_url=f"sqlite:///{tmp_path / name}.db", run_scheduler=False))
        for name in ("a", "b")
    ]
    tokens = [
        AccessService(api.state.services.app).issue_token(
            role="county", scope_org_id=None, label=f"县级{n}", actor="t"
        )[0]
        for n, api in enumerate(apps)
    ]
    # The expensive part is built once: both apps hold the very same route objects.
    for api in apps:
        assert all(any(route is held for held in api.router.routes) for route in api_v1_routes())
    for n, api in enumerate(apps):
        with TestClient(api) as client:
            own = client.get("/api/v1/me", headers={"Authorization": f"Bearer {tokens[n]}"})
            other = client.get("/api/v1/me", headers={"Authorization": f"Bearer {tokens[1 - n]}"})
        assert own.status_code == 200
        assert own.json()["name"] == f"县级{n}"
        assert other.status_code == 401
