"""A supervision item's light and days overdue: the case file (``GET /supervision-items/{id}``)
shows them exactly as the list does, on the China day (outside review of 29 November, 22)."""

from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from sansan.bootstrap import Services
from sansan.clock import FixedClock
from sansan.commands import examples as t
from sansan.commands import supervision as sc
from tests.integration.api_support import bearer, post, tour_role_client

ASSIGNED, DUE = date(2026, 5, 1), date(2026, 6, 30)
STANDING = ("light", "light_zh", "days_overdue", "days_left", "finished_on", "on_time",
            "standing_zh")  # fmt: skip


@pytest.fixture
def api(services: Services) -> Iterator[tuple[TestClient, dict[str, str]]]:
    yield from tour_role_client(services)


def assigned(client: TestClient, tokens: dict[str, str]) -> tuple[UUID, int]:
    answer = post(client, tokens["county"], sc.AssignSupervisionItem(
        occurred_on=ASSIGNED, title="整改", assignee_org_id=t.GB, due_on=DUE,
    ))  # fmt: skip
    assert answer.status_code == 201, answer.text
    return UUID(answer.json()["aggregate_id"]), answer.json()["position"]


def shown(client: TestClient, token: str, item: UUID, after: int) -> tuple[dict[str, Any], ...]:
    """(the case file's standing, the list's row's) for the item."""
    case_file = client.get(f"/api/v1/supervision-items/{item}", headers=bearer(token))
    assert case_file.status_code == 200, case_file.text
    listed = client.get("/api/v1/supervision-items", params={"after": after}, headers=bearer(token))
    assert listed.status_code == 200, listed.text
    (row,) = [i for i in listed.json()["items"] if i["id"] == str(item)]
    return case_file.json()["standing"], {k: row[k] for k in STANDING}


def at(clock: FixedClock, moment: str) -> None:
    clock.set(datetime.fromisoformat(moment).replace(tzinfo=UTC))


def test_the_case_file_shows_the_light_and_days_overdue_as_the_list_does_on_the_china_day(
    api: tuple[TestClient, dict[str, str]], clock: FixedClock
) -> None:
    client, tokens = api
    at(clock, "2026-05-01T04:00:00")
    item, position = assigned(client, tokens)
    seen = {}
    for moment in ("2026-06-22T04:00:00", "2026-06-23T04:00:00", "2026-06-30T15:59:00",
                   "2026-06-30T16:00:00", "2026-07-09T16:30:00"):  # fmt: skip
        at(clock, moment)
        case_file, row = shown(client, tokens["street"], item, position)
        assert case_file == row, moment
        seen[moment] = (row["light"], row["days_overdue"], row["standing_zh"])
    assert seen == {
        "2026-06-22T04:00:00": ("green", 0, "正常：还有8天到期"),
        "2026-06-23T04:00:00": ("yellow", 0, "黄灯：还有7天到期"),
        # the deadline day itself (23:59 in China) is not overdue ...
        "2026-06-30T15:59:00": ("yellow", 0, "黄灯：今天到期"),
        # ... the next China day is, while UTC is still on the 30th
        "2026-06-30T16:00:00": ("red", 1, "红灯：已逾期1天"),
        "2026-07-09T16:30:00": ("red", 10, "红灯：已逾期10天"),
    }


def handled_to_the_end(
    client: TestClient, tokens: dict[str, str], item: UUID, reported: date, closed: date
) -> int:
    for role, step in (
        ("community", sc.AcknowledgeSupervisionItem(item_id=item, occurred_on=ASSIGNED)),
        ("community", sc.StartSupervisionItem(item_id=item, occurred_on=ASSIGNED)),
        ("community", sc.ReportSupervisionItem(item_id=item, occurred_on=reported, summary="已整改")),
        ("county", sc.AcceptSupervisionItem(item_id=item, occurred_on=closed)),
        ("county", sc.CloseSupervisionItem(item_id=item, occurred_on=closed)),
    ):  # fmt: skip
        answer = post(client, tokens[role], step)
        assert answer.status_code == 200, answer.text
    return int(answer.json()["position"])


@pytest.mark.parametrize(
    ("closed", "on_time", "said"),
    [
        (date(2026, 6, 30), True, "已于2026年6月30日办结（按期；期限2026年6月30日）"),
        (date(2026, 7, 3), False, "已于2026年7月3日办结（未按期，超过期限3天；期限2026年6月30日）"),
    ],
    ids=["on_time", "late"],
)
def test_a_closed_item_says_when_it_was_closed_and_whether_on_time_without_an_overdue_count(
    api: tuple[TestClient, dict[str, str]], clock: FixedClock, closed: date, on_time: bool,
    said: str,
) -> None:  # fmt: skip
    client, tokens = api
    at(clock, "2026-05-01T04:00:00")
    item, _ = assigned(client, tokens)
    at(clock, "2026-07-20T04:00:00")
    position = handled_to_the_end(client, tokens, item, date(2026, 6, 29), closed)
    case_file, row = shown(client, tokens["county"], item, position)
    assert case_file == row
    assert row == {
        "light": "none", "light_zh": "已完成", "days_overdue": None, "days_left": None,
        "finished_on": closed.isoformat(), "on_time": on_time, "standing_zh": said,
    }  # fmt: skip
