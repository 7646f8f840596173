"""``sansan plans``: the plans a service can launch campaigns under, and checking a plan file."""

import sys
from collections import Counter
from pathlib import Path
from typing import NoReturn

import click

from sansan.bootstrap import build_plans
from sansan.plans import PlanError, PlanRegistry, load_plan, plan_content
from sansan.plans.loader import content_sha256
from sansan.settings import Settings

LIST_COLUMNS = ("编号 id", "名称 title", "来源 source", "sha256", "目标数 targets")


@click.group("plans")
def plans_group() -> None:
    """创建方案 / plans: the shipped ones and those of SANSAN_PLANS_DIR."""


@plans_group.command("list")
def plans_list() -> None:
    """列出可用的创建方案 / List the plans campaigns may be launched under."""
    try:
        plans: PlanRegistry = build_plans(Settings())
    except PlanError as error:
        _fail(error)
    click.echo("\t".join(LIST_COLUMNS))
    for entry in plans:
        click.echo("\t".join((
            entry.id, entry.plan.title_zh, entry.source, entry.sha256[:12],
            str(len(entry.plan.targets)),
        )))  # fmt: skip
    for broken in plans.invalid():
        problems = f"无效 invalid：{len(broken.problems)} 处错误"
        click.echo(f"{broken.id}\t（{problems}）\t{broken.source}\t-\t-")
    click.echo(f"共 {len(plans.ids())} 个方案 / {len(plans.ids())} plans")


@plans_group.command("validate")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def plans_validate(file: Path) -> None:
    """检查方案文件，逐项列出错误 / Check a plan file; every error by its field path."""
    try:
        plan = load_plan(file)
    except PlanError as error:
        _fail(error)
    except (OSError, UnicodeDecodeError) as error:
        raise click.ClickException(f"无法读取 {file}：{error} / cannot read it") from None
    rules = Counter(t.rule for t in plan.targets)
    click.echo("有效 / valid")
    click.echo(f"编号 id：{plan.id}")
    click.echo(f"名称 title：{plan.title_zh}")
    click.echo(f"目标 targets：{len(plan.targets)}（规则 rules：{len(rules)}）")
    click.echo(f"提醒 reminder days：{', '.join(str(d) for d in plan.reminder_days)}")
    click.echo(f"sha256: {content_sha256(plan_content(plan))}")


def _fail(error: PlanError) -> NoReturn:
    click.echo(f"无效 / invalid：{error.source}", err=True)
    for problem in error.problems:
        click.echo(f"  {problem.line()}", err=True)
    sys.exit(1)
