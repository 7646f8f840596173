"""Principals are cached between requests, yet a revocation recorded by any process is
refused by the very next request, on both stores."""

from typing import Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from sansan import principals
from sansan.access import AccessService, token_id_of
from sansan.api.app import create_app
from sansan.application import SansanApplication
from sansan.clock import FixedClock
from sansan.persistence import PromptPostgresRecorder
from sansan.settings import Settings
from tests.integration.api_support import bearer


def _count_loads(app: SansanApplication, token_id: UUID) -> list[UUID]:
    """Records each load of the token's aggregate (a store read that the cache avoids)."""
    loads: list[UUID] = []
    get = app.get

    def counting(aggregate_id: UUID, *args: Any, **kwargs: Any) -> Any:
        if aggregate_id == token_id:
            loads.append(aggregate_id)
        return get(aggregate_id, *args, **kwargs)

    app.get = counting  # type: ignore[method-assign]
    return loads


def test_a_token_is_loaded_once_and_then_served_from_memory(app: SansanApplication) -> None:
    access = AccessService(app)
    token, token_id = access.issue_token(role="county", scope_org_id=None, label="县", actor="t")
    loads = _count_loads(app, token_id)
    principals = [access.authenticate(token) for _ in range(5)]
    assert all(p is not None and p.token_id == token_id for p in principals)
    assert len(loads) == 1


def test_a_revocation_by_another_process_is_refused_by_the_next_request(
    app: SansanApplication, open_app: Any, settings: Settings, clock: FixedClock
) -> None:
    elsewhere = AccessService(open_app())  # another replica on the same store
    token, token_id = elsewhere.issue_token(
        role="county", scope_org_id=None, label="县", actor="t"
    )
    with TestClient(create_app(settings, clock, application=app)) as client:
        assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200
        assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200  # cached
        elsewhere.revoke_token(token_id, reason="泄露", actor="t")
        refused = client.get("/api/v1/me", headers=bearer(token))
    assert refused.status_code == 401
    assert refused.json()["code"] == "unauthenticated"


def test_other_tokens_stay_cached_when_one_is_revoked(app: SansanApplication, open_app: Any) -> None:
    access, elsewhere = AccessService(app), AccessService(open_app())
    kept, kept_id = access.issue_token(role="county", scope_org_id=None, label="甲", actor="t")
    gone, gone_id = access.issue_token(role="county", scope_org_id=None, label="乙", actor="t")
    assert access.authenticate(kept) is not None
    assert access.authenticate(gone) is not None
    loads = _count_loads(app, kept_id)
    elsewhere.revoke_token(gone_id, reason="离职", actor="t")
    assert access.authenticate(gone) is None
    assert access.authenticate(kept) is not None
    assert loads == []


def test_a_revocation_racing_a_load_is_not_forgotten(
    app: SansanApplication, open_app: Any
) -> None:
    """The load read the token live; the revocation lands before the load is kept in the
    cache and is seen by a look at the log in between: the token must not be kept."""
    access, elsewhere = AccessService(app), AccessService(open_app())
    token, token_id = access.issue_token(role="county", scope_org_id=None, label="县", actor="t")
    other, _ = access.issue_token(role="county", scope_org_id=None, label="另", actor="t")
    assert access.authenticate(other) is not None  # something cached, so lookups look at the log
    admit = access.principals.admit

    def admit_after_a_revocation(token: Any) -> bool:
        elsewhere.revoke_token(token_id, reason="泄露", actor="t")
        access.authenticate(other)  # a look at the log that sees the revocation
        return admit(token)

    access.principals.admit = admit_after_a_revocation  # type: ignore[method-assign]
    assert access.authenticate(token) is None
    access.principals.admit = admit  # type: ignore[method-assign]
    assert access.authenticate(token) is None


def test_a_write_with_a_token_revoked_elsewhere_since_it_was_cached_records_nothing(
    demo: tuple[TestClient, dict[str, str]], open_app: Any
) -> None:
    """A write takes its principal from the cache without a look at the log; the look in
    the write's own thread must refuse it before anything is recorded."""
    client, tokens = demo
    token = tokens["county"]
    listed = client.get("/api/v1/communities", headers=bearer(token)).json()
    path = f"/api/v1/communities/{listed['items'][0]['id']}/culture-festivals"
    held = client.post(
        path, headers=bearer(token), json={"occurred_on": "2026-06-01", "title": "第一场"}
    )
    assert held.status_code == 200, held.text  # the principal is cached now
    services = client.app.state.services  # type: ignore[attr-defined]
    head = services.app.recorder.max_notification_id()
    AccessService(open_app()).revoke_token(token_id_of(token), reason="泄露", actor="t")
    refused = client.post(
        path, headers=bearer(token), json={"occurred_on": "2026-06-02", "title": "第二场"}
    )
    assert refused.status_code == 401, refused.text
    assert refused.json()["code"] == "unauthenticated"
    since = [n.topic for n in services.app.recorder.select_notifications(head + 1, 100)]
    # The revocation alone, beside the audit chain's own checkpoints that run in the background.
    assert [t for t in since if "AuditCheckpoint" not in t] == ["sansan:AccessToken.TokenRevoked"]


def test_a_look_at_the_log_pages_through_many_revocations(
    app: SansanApplication, open_app: Any, monkeypatch: Any
) -> None:
    """More revocations since the last look than one page holds: every one is seen."""
    monkeypatch.setattr(principals, "PAGE", 2)
    access, elsewhere = AccessService(app), AccessService(open_app())
    kept, _ = access.issue_token(role="county", scope_org_id=None, label="留", actor="t")
    issued = [
        access.issue_token(role="county", scope_org_id=None, label=f"乙{i}", actor="t")
        for i in range(5)
    ]
    assert all(access.authenticate(token) is not None for token, _ in [*issued, (kept, None)])
    for _, token_id in issued:
        elsewhere.revoke_token(token_id, reason="离职", actor="t")
    assert access.authenticate(kept) is not None  # one look, three pages
    assert all(access.authenticate(token) is None for token, _ in issued)
    assert access.principals.watch.position == app.recorder.max_notification_id()


def test_on_postgresql_a_look_at_the_log_is_one_statement(
    app: SansanApplication, open_app: Any
) -> None:
    """The head and the revocations since the last look in one round trip (one snapshot)."""
    if not isinstance(app.recorder, PromptPostgresRecorder):
        pytest.skip("SQLite asks the library's two calls; no round trip to save")
    access, elsewhere = AccessService(app), AccessService(open_app())
    kept, _ = access.issue_token(role="county", scope_org_id=None, label="留", actor="t")
    gone, gone_id = access.issue_token(role="county", scope_org_id=None, label="走", actor="t")
    assert access.authenticate(kept) is not None
    assert access.authenticate(gone) is not None
    elsewhere.revoke_token(gone_id, reason="离职", actor="t")

    def refuse(*_: Any, **__: Any) -> Any:
        raise AssertionError("a second round trip")

    app.recorder.max_notification_id = refuse  # type: ignore[method-assign]
    app.recorder.select_notifications = refuse  # type: ignore[method-assign]
    assert access.authenticate(gone) is None
    assert access.authenticate(kept) is not None
