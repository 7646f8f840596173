"""The ``sansan`` command line: the only entry point besides the HTTP app."""

import click

from sansan.bootstrap import build_application, migrate
from sansan.demo import DemoAlreadyLoaded, demo_commands, load_demo
from sansan.settings import Settings


@click.group()
def main() -> None:
    """三三创建工程管理服务 sansan。数据库由环境变量 SANSAN_DATABASE_URL 指定(默认 ./sansan.db)。"""


@main.command("migrate")
def migrate_command() -> None:
    """建表(幂等,多进程同时执行也安全) / Create missing tables, safely under a lock."""
    migrate(Settings())
    click.echo("数据库表已就绪 / tables are ready")


@main.command("demo")
def demo_command() -> None:
    """载入演示数据并打印摘要 / Record the demo scenario into an empty store."""
    app = build_application(Settings())
    total = sum(1 for _ in demo_commands())
    try:
        stderr = click.get_text_stream("stderr")
        with click.progressbar(length=total, label="载入演示数据", file=stderr) as bar:
            summary = load_demo(app, on_step=lambda _: bar.update(1))
    except DemoAlreadyLoaded:
        raise click.ClickException(
            "数据库中已有数据,演示数据只能载入空库 / the store is not empty"
        ) from None
    finally:
        app.close()
    click.echo(f"已记录 {summary.events} 个事件 / {summary.events} events recorded")
    for event_type, count in sorted(summary.by_type.items()):
        click.echo(f"  {event_type:<32}{count:>5}")
    click.echo("街道        社区        示范类型    标准化场所")
    for street, community, model, standard in summary.communities:
        click.echo(f"{street:<8}{community:<8}{model:<8}{'达标' if standard else '未达标'}")
