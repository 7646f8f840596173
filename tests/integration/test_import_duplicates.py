"""Review #2 finding 24: two rows of one file that register the same unit (the same natural
key), or a row whose name several stored units bear, are row problems (sheet, row, column,
value, a Chinese reason), never "already there, skipped": the file is refused and nothing is
lost without a word. On both stores."""

from datetime import date
from pathlib import Path
from typing import Any

from sansan.bootstrap import build_services
from sansan.clock import FixedClock
from sansan.commands import member as mc
from sansan.demo import demo_id
from sansan.imports import Importer
from sansan.settings import Settings
from tests.integration.api_support import bearer
from tests.integration.test_imports import (
    DRY_RUN_TRACE,
    Demo,
    filled,
    head,
    new_county,
    recorded_since,
    services_of,
    upload,
)

BRANCH = demo_id("org", "铁西第1小区党支部")


def problems_of(answer: Any) -> list[tuple[str, int, str, str, str]]:
    assert answer.status_code == 422, answer.text
    assert answer.json()["code"] == "import_rejected"
    return [
        (p["sheet"], p["row"], p["column"], p["value"], p["code"])
        for p in answer.json()["report"]["problems"]
    ]


def test_two_rows_registering_one_unit_are_a_problem_of_the_second_and_nothing_is_recorded(
    demo: Demo,
) -> None:
    client, tokens = demo
    rows = new_county(4)  # members 0 and 2 in the first branch, 1 and 3 in the second
    rows["members"][3]["姓名"] = rows["members"][1]["姓名"]  # the same name in the same branch
    rows["members"][2]["姓名"] = rows["members"][1]["姓名"]  # the same name in another: fine
    rows["communities"].append(dict(rows["communities"][0]))  # the community twice
    before = head(client)
    answer = upload(client, tokens["county"], filled(rows))
    assert problems_of(answer) == [
        ("党员", 5, "姓名", "党员0001", "duplicate_in_file"),
        ("社区", 3, "社区名称", "新区一社区", "duplicate_in_file"),
    ]
    said = {p["row"]: p["message_zh"] for p in answer.json()["report"]["problems"]}
    assert said[5] == (
        "与第3行重复：同一党组织内名为“党员0001”的党员在文件中出现两次，只能登记一次，"
        "请删除或更正其中一行"
    )
    assert said[3].startswith("与第2行重复：名为“新区一社区”的社区在文件中出现两次")
    assert recorded_since(client, before) == DRY_RUN_TRACE  # who checked which file


def test_a_row_whose_name_two_stored_members_bear_is_a_problem_not_a_skip(demo: Demo) -> None:
    client, tokens = demo
    services = services_of(client)
    for n in range(2):  # stored before names were unique (review #2 finding 1)
        services.app.execute(
            mc.RegisterMember(occurred_on=date(2026, 11, 20), name="王重名", category="direct",
                              organization_id=BRANCH),
            actor=f"county:before-{n}",
        )  # fmt: skip
    services.projections.catch_up()
    row = {"姓名": "王重名", "管理类别": "直管", "所在党组织名称": "铁西第1小区党支部",
           "发生日期": "2026-11-20"}  # fmt: skip
    before = head(client)
    answer = upload(client, tokens["county"], filled({"members": [row]}))
    assert problems_of(answer) == [("党员", 2, "姓名", "王重名", "ambiguous_existing")]
    assert answer.json()["report"]["problems"][0]["message_zh"] == (
        "同一党组织内已有 2 个名为“王重名”的党员，无法确定本行是哪一个，未导入"
    )
    assert recorded_since(client, before) == DRY_RUN_TRACE  # who checked which file


def test_a_filled_roster_holding_a_name_twice_is_refused_by_an_empty_store_not_cut_short(
    demo: Demo, tmp_path: Path, clock: FixedClock
) -> None:
    """The finding's round trip: a roster exported with two 王伟 in one branch, imported
    into an empty store, used to say "已存在而跳过 1 行" and exit 0 with one 王伟 lost."""
    client, tokens = demo
    services = services_of(client)
    for _ in range(2):
        services.app.execute(
            mc.RegisterMember(occurred_on=date(2026, 11, 20), name="王重名", category="direct",
                              organization_id=BRANCH),
            actor="county:before",
        )  # fmt: skip
    services.projections.catch_up()
    exported = client.get(
        "/api/v1/imports/templates/all", params={"filled": "true"}, headers=bearer(tokens["county"])
    )
    assert exported.status_code == 200
    target = build_services(
        Settings(database_url=f"sqlite:///{tmp_path / 'empty.db'}", run_scheduler=False), clock
    )
    try:
        report = Importer(target.app, target.store, actor="cli:admin").run(
            exported.content, "名册.xlsx"
        )
        assert not report.saved
        assert target.app.recorder.max_notification_id() in (None, 0)
    finally:
        target.close()
    assert [(p.sheet, p.column, p.value, p.code) for p in report.problems] == [
        ("党员", "姓名", "王重名", "duplicate_in_file")
    ]
    assert report.skipped == {}
