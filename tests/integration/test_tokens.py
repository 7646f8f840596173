"""Tokens with an expiry, their listing, and demo tokens that a second start does not re-issue."""

from datetime import timedelta
from typing import Any
from uuid import UUID, uuid4

import click
import pytest
from click.testing import CliRunner
from eventsourcing.persistence import StoredEvent
from fastapi.testclient import TestClient

from sansan import cli
from sansan.access import AccessService
from sansan.api.app import create_app
from sansan.application import SansanApplication
from sansan.clock import FixedClock
from sansan.demo import demo_id, demo_token_scopes
from sansan.domain import AccessToken, DomainError
from sansan.settings import Settings
from tests.integration.api_support import bearer


def test_a_token_is_refused_with_a_401_problem_in_both_languages_once_it_has_expired(
    app: SansanApplication, settings: Settings, clock: FixedClock
) -> None:
    access = AccessService(app)
    token, _ = access.issue_token(
        role="auditor", scope_org_id=None, label="审计", actor="t",
        expires_at=clock.now() + timedelta(hours=1),
    )  # fmt: skip
    with TestClient(create_app(settings, clock, application=app)) as client:
        assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200
        clock.advance(timedelta(hours=1))
        refused = client.get("/api/v1/me", headers=bearer(token))
    assert refused.status_code == 401
    assert refused.headers["content-type"] == "application/problem+json"
    body = refused.json()
    assert body["code"] == "token_expired"
    assert "失效" in body["message_zh"]
    assert "（北京时间）" in body["message_zh"]  # as people read the time, not UTC
    assert "+00:00" not in body["message_zh"]
    assert "expired" in body["message_en"]
    assert refused.headers["www-authenticate"].startswith("Bearer")


def test_a_token_without_an_expiry_keeps_working(
    app: SansanApplication, clock: FixedClock
) -> None:
    access = AccessService(app)
    token, _ = access.issue_token(role="county", scope_org_id=None, label="县", actor="t")
    clock.advance(timedelta(days=3650))
    assert access.authenticate(token) is not None


def test_a_token_cannot_be_issued_already_expired(
    app: SansanApplication, clock: FixedClock
) -> None:
    with pytest.raises(DomainError) as refused:
        AccessService(app).issue_token(
            role="county", scope_org_id=None, label="县", actor="t", expires_at=clock.now()
        )
    assert refused.value.code == "expiry_not_later"


def test_the_token_list_shows_label_role_scope_times_and_state_but_never_the_secret(
    app: SansanApplication, clock: FixedClock, recorded_demo: None
) -> None:
    # recorded_demo: the store starts as a copy of the demo load_demo records (tests/conftest.py)
    access = AccessService(app)
    expires = clock.now() + timedelta(days=90)
    kept, kept_id = access.issue_token(
        role="auditor", scope_org_id=None, label="普罗米修斯", actor="t", expires_at=expires
    )
    gone, gone_id = access.issue_token(role="county", scope_org_id=None, label="旧", actor="t")
    access.revoke_token(gone_id, reason="轮换", actor="t")
    listed = {t.id: t for t in access.tokens()}
    assert set(listed) == {kept_id, gone_id}  # the demo's hundreds of other events are skipped
    assert (listed[kept_id].label, listed[kept_id].role, listed[kept_id].revoked) == (
        "普罗米修斯", "auditor", False,
    )  # fmt: skip
    assert listed[kept_id].expires_at == expires
    assert listed[kept_id].scope_org_id is None
    assert listed[gone_id].revoked
    assert listed[gone_id].expires_at is None
    # created is when the log recorded it (the library's real-time stamp), oldest first
    assert listed[kept_id].created_at.tzinfo is not None
    assert listed[kept_id].created_at <= listed[gone_id].created_at
    assert kept not in repr(listed)
    assert gone not in repr(listed)


def test_a_second_demo_start_issues_no_new_tokens_and_says_how_to_find_them(
    app: SansanApplication, clock: FixedClock, recorded_demo: None
) -> None:
    # recorded_demo: the store starts as a copy of the demo load_demo records (tests/conftest.py)
    access = AccessService(app)
    runner = CliRunner()
    with runner.isolation() as (out, _, _):
        first = cli._demo_tokens(access)
    assert first is not None
    assert out.getvalue().decode().count("ssn_") == len(demo_token_scopes())
    with runner.isolation() as (out, _, _):
        second = cli._demo_tokens(access)
    printed = out.getvalue().decode()
    assert second is None  # so no sign-in link and no loopback sign-in with a new county token
    assert "ssn_" not in printed
    assert "sansan token list" in printed
    tokens = list(access.tokens())
    assert len(tokens) == len(demo_token_scopes())
    assert all(t.expires_at is not None and t.expires_at > clock.now() for t in tokens)
    county = next(t for t in tokens if t.role == "county")
    access.revoke_token(county.id, reason="泄露", actor="t")
    with runner.isolation() as (out, _, _):
        third = cli._demo_tokens(access)  # a revoked demo token is replaced, and only it
    assert third is not None
    assert out.getvalue().decode().count("ssn_") == 1


def test_token_create_takes_a_lifetime_a_china_day_or_a_moment(clock: FixedClock) -> None:
    now = clock.now()
    assert cli.parse_expiry("90d", now) == now + timedelta(days=90)
    assert cli.parse_expiry("12h", now) == now + timedelta(hours=12)
    end_of_day = cli.parse_expiry("2027-06-30", now)
    assert end_of_day.isoformat() == "2027-07-01T00:00:00+08:00"
    assert cli.parse_expiry("2027-06-30T18:00", now).isoformat() == "2027-06-30T18:00:00+08:00"
    assert cli.parse_expiry("2027-06-30T10:00Z", now).isoformat() == "2027-06-30T10:00:00+00:00"
    with pytest.raises(click.BadParameter, match="not an expiry"):
        cli.parse_expiry("next week", now)


def test_a_token_issued_before_expiries_existed_never_expires(
    app: SansanApplication, clock: FixedClock
) -> None:
    stored = _issued_by_old_code(app)
    app.recorder.insert_events([stored])
    found: Any = app.get(UUID(str(stored.originator_id)), AccessToken)
    assert found.expires_at is None
    assert not found.expired(clock.now() + timedelta(days=3650))


def _issued_by_old_code(app: SansanApplication) -> StoredEvent:
    """The bytes the class_version-1 code stored: no ``expires_at``, no class_version."""
    access = AccessService(app)
    token = AccessToken.issue(
        access._prov("t"), id=uuid4(), role="county", scope_org_id=None, label="旧县",
        now=app.clock.now(),
    )  # fmt: skip
    stored = app.mapper.to_stored_event(token.collect_events()[0])
    state = app.mapper.transcoder.decode(stored.state)
    assert state.pop("class_version") == 2
    del state["expires_at"]
    return StoredEvent(
        originator_id=stored.originator_id,
        originator_version=stored.originator_version,
        topic=stored.topic,
        state=app.mapper.transcoder.encode(state),
    )


def test_the_token_list_command_prints_no_secret(
    app: SansanApplication, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    token, _ = AccessService(app).issue_token(
        role="auditor", scope_org_id=None, label="prometheus", actor="t"
    )
    monkeypatch.setenv("SANSAN_DATABASE_URL", settings.database_url)
    result = CliRunner().invoke(cli.main, ["token", "list"])
    assert result.exit_code == 0, result.output
    assert "prometheus\tauditor\tcounty 全县" in result.output
    assert "never 永不\tactive 有效" in result.output
    assert token not in result.output


@pytest.mark.parametrize(
    ("role", "scope", "code", "said"),
    [
        ("auditor", "铁西社区党总支", "scope_not_taken", "审计"),
        ("county", "城关街道", "scope_not_taken", "覆盖全县"),
        ("community", "城关街道", "scope_wrong_level", "社区内的党组织"),
        ("street", "铁西社区党总支", "scope_wrong_level", "街道党工委"),
    ],
)
def test_a_token_whose_scope_does_not_fit_its_role_is_refused_in_chinese(
    app: SansanApplication, recorded_demo: None, role: str, scope: str, code: str, said: str
) -> None:
    # recorded_demo: the store starts as a copy of the demo load_demo records (tests/conftest.py)
    before = app.recorder.max_notification_id()
    with pytest.raises(DomainError) as refused:
        AccessService(app).issue_token(
            role=role, scope_org_id=demo_id("org", scope), label="x", actor="t"
        )
    assert refused.value.code == code
    assert said in refused.value.message_zh
    assert app.recorder.max_notification_id() == before


def test_token_create_on_the_command_line_says_why_a_scope_does_not_fit(
    settings: Settings, recorded_demo: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SANSAN_DATABASE_URL", settings.database_url)
    street = str(demo_id("org", "城关街道"))
    result = CliRunner().invoke(
        cli.main, ["token", "create", "--role", "community", "--scope", street, "--label", "x"]
    )
    assert result.exit_code == 1
    assert "社区党组织令牌的所辖组织须是社区内的党组织" in result.output, result.output


def test_a_lifetime_too_long_for_the_calendar_is_a_usage_error_not_a_traceback(
    clock: FixedClock,
) -> None:
    now = clock.now()
    assert cli.parse_expiry(f"{cli.MAX_DAYS}d", now) == now + timedelta(days=cli.MAX_DAYS)
    for text in ("99999999d", f"{cli.MAX_DAYS + 1}d", "999999999999h"):
        with pytest.raises(click.BadParameter, match=f"at most {cli.MAX_DAYS} days"):
            cli.parse_expiry(text, now)
    with pytest.raises(click.BadParameter, match="not an expiry"):
        cli.parse_expiry("9999-12-31", now)  # a day with no next day


def test_an_expiry_in_the_past_is_told_in_china_time_to_the_minute(
    app: SansanApplication, clock: FixedClock
) -> None:
    expires = cli.parse_expiry("2020-01-01", clock.now())
    with pytest.raises(DomainError) as refused:
        AccessService(app).issue_token(
            role="county", scope_org_id=None, label="县", actor="t", expires_at=expires
        )
    china_now = (clock.now() + timedelta(hours=8)).strftime("%Y-%m-%d %H:%M")
    assert refused.value.message_zh == f"令牌的失效时间 2020-01-02 00:00 必须晚于现在 {china_now}（北京时间）"


def test_a_label_is_unique_among_live_tokens_and_free_again_once_revoked_or_expired(
    app: SansanApplication, clock: FixedClock
) -> None:
    """Review 2, finding 23: the label is the actor of every event the token records; two
    live tokens labelled alike sign alike and the 记录人 filter cannot tell them apart."""
    access = AccessService(app)
    _, first = access.issue_token(role="county", scope_org_id=None, label="县委组织部", actor="t")
    before = app.recorder.max_notification_id()
    for same in ("县委组织部", " 县委组织部　"):  # compared as names are (domain/names.py)
        with pytest.raises(DomainError) as refused:
            access.issue_token(role="auditor", scope_org_id=None, label=same, actor="t")
        assert refused.value.code == "label_taken"
        assert f"已有有效令牌（编号 {str(first)[:8]}）的持有人为“县委组织部”" in refused.value.message_zh
    assert app.recorder.max_notification_id() == before
    access.revoke_token(first, reason="轮换", actor="t")
    access.issue_token(
        role="county", scope_org_id=None, label="县委组织部", actor="t",
        expires_at=clock.now() + timedelta(hours=1),
    )  # fmt: skip
    clock.advance(timedelta(hours=1))
    access.issue_token(role="county", scope_org_id=None, label="县委组织部", actor="t")


def test_a_label_that_reads_like_a_live_one_is_refused_naming_the_one_it_imitates(
    app: SansanApplication,
) -> None:
    """Review 3, finding 6: “城关街道党工委(演示)” was issued beside “城关街道党工委（演示）”,
    and a printed timeline's 记录人 could not tell the two apart. Labels are compared folded:
    full- and half-width forms, case and every space aside."""
    access = AccessService(app)
    _, held = access.issue_token(
        role="county", scope_org_id=None, label="城关街道党工委（演示Ａ）", actor="t"
    )
    before = app.recorder.max_notification_id()
    for twin in ("城关街道党工委(演示A)", "城关街道党工委(演示a)", "城关街道党工委（演示 Ａ）"):
        with pytest.raises(DomainError) as refused:
            access.issue_token(role="auditor", scope_org_id=None, label=twin, actor="t")
        assert refused.value.code == "label_taken"
        assert (
            f"已有有效令牌（编号 {str(held)[:8]}）的持有人为“城关街道党工委（演示Ａ）”，"
            f"与“{twin}”读来无法区分"
        ) in refused.value.message_zh
        assert "城关街道党工委（演示Ａ）" in refused.value.message_en
    assert app.recorder.max_notification_id() == before
    access.issue_token(role="county", scope_org_id=None, label="城关街道党工委(演示B)", actor="t")


@pytest.mark.parametrize("label", ["\u202e示演", "县委\u200b组织部", "县委\n组织部", "\ufeff县"])
def test_a_label_with_a_control_or_format_character_is_refused(
    app: SansanApplication, label: str
) -> None:
    before = app.recorder.max_notification_id()
    with pytest.raises(DomainError) as refused:
        AccessService(app).issue_token(role="county", scope_org_id=None, label=label, actor="t")
    assert refused.value.code == "label_not_plain"
    assert "不可见的格式字符" in refused.value.message_zh
    assert app.recorder.max_notification_id() == before


def test_token_create_on_the_command_line_refuses_a_label_in_use_and_its_help_says_so(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SANSAN_DATABASE_URL", settings.database_url)
    create = ["token", "create", "--role", "county", "--label", "县委组织部（演示）"]
    assert CliRunner().invoke(cli.main, create).exit_code == 0
    again = CliRunner().invoke(cli.main, create)
    assert again.exit_code == 1
    assert "请换一个持有人标签，或先吊销该令牌" in again.output, again.output
    helped = CliRunner().invoke(cli.main, ["token", "create", "--help"])
    assert "须在有效（未吊销、未过期）令牌中唯一" in helped.output


def test_the_token_list_names_a_scope_by_its_unit_and_level(
    app: SansanApplication, settings: Settings, recorded_demo: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """Review 2, finding 3: a scope as a bare UUID did not tell which token to revoke."""
    street, general = demo_id("org", "城关街道"), demo_id("org", "铁西社区党总支")
    access = AccessService(app)
    access.issue_token(role="street", scope_org_id=street, label="城关", actor="t")
    access.issue_token(role="community", scope_org_id=general, label="铁西", actor="t")
    monkeypatch.setenv("SANSAN_DATABASE_URL", settings.database_url)
    result = CliRunner().invoke(cli.main, ["token", "list"])
    assert result.exit_code == 0, result.output
    assert f"\tstreet\t城关街道党工委（街道党工委） {street}\t" in result.output
    assert f"\tcommunity\t铁西社区党总支（社区党总支） {general}\t" in result.output


def test_a_demo_start_does_not_stop_on_a_demo_label_held_by_a_live_token_of_another_role(
    app: SansanApplication, recorded_demo: None
) -> None:
    # recorded_demo: the store starts as a copy of the demo load_demo records (tests/conftest.py)
    access = AccessService(app)
    county_label = next(k for k, (role, _) in demo_token_scopes().items() if role == "county")
    access.issue_token(role="auditor", scope_org_id=None, label=county_label, actor="t")
    runner = CliRunner()
    with runner.isolation() as (out, _, _):
        cli._demo_tokens(access)  # the county's demo token is not issued beside it
    printed = out.getvalue().decode()
    assert printed.count("ssn_") == len(demo_token_scopes()) - 1
    assert "sansan token list" in printed
