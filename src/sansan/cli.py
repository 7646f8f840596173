"""The ``sansan`` command line: the only entry point besides the HTTP app."""

import os
import re
import sys
import threading
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from uuid import UUID

import click
import uvicorn

from sansan.access import AccessService
from sansan.application import SansanApplication
from sansan.background import background_work
from sansan.bootstrap import build_application, build_services, migrate, settle_heap
from sansan.cli_audit import audit_group, existing_store
from sansan.cli_plans import plans_group
from sansan.clock import CHINA_OFFSET
from sansan.demo import DemoAlreadyLoaded, demo_commands, demo_token_scopes, load_demo
from sansan.domain import DomainError
from sansan.domain.vocabulary import Role
from sansan.imports import (
    CONCURRENT,
    KIND_BY_KEY,
    KINDS,
    UNFINISHED,
    FileTooLarge,
    Importer,
    ImportReport,
    TooManyRows,
    limits_of,
)
from sansan.imports.reading import count_rows
from sansan.imports.workbooks import error_workbook, template
from sansan.projections.rebuild import rebuild
from sansan.settings import Settings
from sansan.workflows.scheduler import run_scheduler

CLI_ACTOR = "cli:admin"
CHINA = timezone(CHINA_OFFSET)
# Demo tokens expire so that a demo store left running does not hold county keys forever.
DEMO_TOKEN_LIFETIME = timedelta(days=30)
TOKEN_COLUMNS = ("id", "label", "role", "scope", "created (UTC+8)", "expires (UTC+8)", "state")
ACTIVE = "active 有效"
PROBLEMS_SHOWN = 50
DURATION = re.compile(r"^(\d+)([dh])$")
MAX_DAYS = 3650  # a lifetime of ten years; past that a date says what is meant


@click.group()
def main() -> None:
    """三三创建工程管理服务 sansan。
    数据库由环境变量 SANSAN_DATABASE_URL 指定（默认 ./sansan.db）。"""


@main.command("migrate")
@click.option(
    "--service-role", default=None, help="服务运行角色：日志只读与追加 / the service's own role"
)
def migrate_command(service_role: str | None) -> None:
    """建表并设为只可追加（幂等，多进程同时执行也安全）/ Create tables; make the record
    append-only."""
    try:
        migrate(Settings(), service_role=service_role)
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    click.echo("数据库表已就绪 / tables are ready")
    if service_role:
        click.echo(f"已授权 {service_role}：日志只可读取与追加 / may only read and append")


@main.command("demo")
def demo_command() -> None:
    """载入演示数据并打印摘要 / Record the demo scenario into an empty store."""
    app = build_application(Settings())
    try:
        _load_demo(app)
    except DemoAlreadyLoaded:
        raise click.ClickException(
            "数据库中已有数据，演示数据只能载入空库 / the store is not empty"
        ) from None
    finally:
        app.close()


def _load_demo(app: SansanApplication) -> None:
    total = sum(1 for _ in demo_commands())
    stderr = sys.stderr
    with click.progressbar(length=total, label="载入演示数据", file=stderr) as bar:
        summary = load_demo(app, on_step=lambda _: bar.update(1))
    click.echo(f"已记录 {summary.events} 个事件 / {summary.events} events recorded")
    for event_type, count in sorted(summary.by_type.items()):
        click.echo(f"  {event_type:<32}{count:>5}")
    click.echo("街道        社区        示范类型    标准化场所")
    for street, community, model, standard in summary.communities:
        click.echo(f"{street:<8}{community:<8}{model:<8}{'达标' if standard else '未达标'}")


@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64))
@click.option("--demo", is_flag=True, help="空库时先载入演示数据，并为每个角色签发令牌")
@click.option("--api-only", is_flag=True, help="不在本进程运行投影（由 sansan project 单独运行）")
@click.option("--access-log/--no-access-log", default=True, show_default=True,
              help="逐条记录请求（前面有反向代理记录时可关闭）/ log every request")  # fmt: skip
def serve_command(
    host: str, port: int, workers: int, demo: bool, api_only: bool, access_log: bool
) -> None:
    """启动 HTTP 服务 / Start the HTTP API with uvicorn."""
    if api_only:
        os.environ["SANSAN_RUN_PROJECTIONS"] = "false"  # read by each worker's Settings()
    if demo:
        app = build_application(Settings())
        try:
            try:
                _load_demo(app)
            except DemoAlreadyLoaded:
                click.echo("数据库中已有数据，跳过演示数据 / store not empty, demo data skipped")
            county_token = _demo_tokens(AccessService(app))
        finally:
            app.close()
        if county_token is not None:
            # the fragment stays in the browser: the token is never sent in a URL to the server
            click.echo(f"演示登录链接 / demo sign-in: http://{host}:{port}/#token={county_token}")
            # and a browser on this machine opening / is let in as the county (each worker reads it)
            os.environ["SANSAN_DEMO_SIGN_IN_TOKEN"] = county_token
    click.echo(f"服务地址 / serving on http://{host}:{port}/（接口文档 /docs）")
    if workers == 1:
        _serve(host, port, workers, access_log)
        return
    # Only the API multiplies: this supervising process runs the projections and the
    # scheduler once, as the settings ask, and its workers neither (they read the environment).
    services = build_services(Settings())
    os.environ["SANSAN_RUN_PROJECTIONS"] = os.environ["SANSAN_RUN_SCHEDULER"] = "false"
    try:
        with background_work(services):
            _serve(host, port, workers, access_log)
    finally:
        services.close()


def _serve(host: str, port: int, workers: int, access_log: bool) -> None:
    from sansan.api.access_log import log_config  # the API's modules, only when serving

    uvicorn.run(
        "sansan.api.app:create_app", factory=True, host=host, port=port, workers=workers,
        # both pinned ("auto" would fall back silently); httptools with each answer sent in
        # one socket write, not two (sansan.api.one_write)
        loop="uvloop", http="sansan.api.one_write:OneWriteHttpTools",
        access_log=access_log, log_config=log_config(),
    )  # fmt: skip


def _demo_tokens(access: AccessService) -> str | None:
    """Issue and print a token for each demo role that has no usable one yet; answers the
    county's when it was issued now, for the sign-in link. Tokens are kept only as hashes, so
    those issued by an earlier start cannot be shown again: that start printed them."""
    now = access.app.clock.now()
    # by label alone: a label is unique among live tokens (AccessService.issue_token), so a live
    # token of another role under a demo label would refuse the demo's, not be issued beside it
    usable = {t.label for t in access.tokens() if not t.revoked and not t.expired(now)}
    issued: dict[str, str] = {}
    for label, (role, scope) in demo_token_scopes().items():
        if label in usable:
            continue
        if not issued:
            click.echo("演示令牌（仅显示一次）/ demo tokens, shown once:")
        token, _ = access.issue_token(
            role=role, scope_org_id=scope, label=label, actor=CLI_ACTOR,
            expires_at=now + DEMO_TOKEN_LIFETIME,
        )  # fmt: skip
        click.echo(f"  {role:<10} {label:<16} {token}")
        issued[role] = token
    if len(issued) < len(demo_token_scopes()):
        click.echo(
            "演示令牌已签发过，不再重复签发；用 sansan token list 查看，吊销后重启即重新签发"
            " / demo tokens were issued by an earlier start and are not issued again:"
            " see `sansan token list`; revoke them and restart for new ones"
        )
    return issued.get("county")


@main.command("project")
def project_command() -> None:
    """单独运行投影（读模型）/ Run the projection runner alone, until interrupted."""
    services = build_services(Settings())
    stderr = sys.stderr
    try:
        head = services.app.recorder.max_notification_id() or 0
        behind = max(head - services.projections.position(), 0)
        with click.progressbar(length=behind, label="追赶事件日志", file=stderr) as bar:
            while (applied := services.projections.run_once()) > 0:
                bar.update(applied)
        position = services.projections.position()
        click.echo(f"读模型已到位置 {position}，继续跟随 / following the log")
        services.start_projections()
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        services.close()


@main.command("schedule")
@click.option("--interval", default=30.0, show_default=True, type=click.FloatRange(0.1, 3600))
def schedule_command(interval: float) -> None:
    """单独运行截止期限调度（多进程时只有一个领先）/ Run the deadline scheduler alone."""
    services = build_services(Settings())
    scheduler = run_scheduler(services, interval_s=interval)
    click.echo(f"调度器已启动，每 {interval:g} 秒检查一次 / scheduler ticking every {interval:g}s")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        scheduler.shutdown(wait=True)
        services.close()


@main.command("import")
@click.argument("source")
@click.argument("kind", required=False)
@click.option("--dry-run", is_flag=True, help="只检查不记录 / check every row, record nothing")
@click.option("--output", "-o", default=None, help="模板保存位置 / where a template is written")
def import_command(source: str, kind: str | None, dry_run: bool, output: str | None) -> None:
    """导入表格（XLSX/CSV），全部通过才记录；sansan import template KIND 生成导入模板
    / Import a spreadsheet, all or nothing; `sansan import template KIND|all` writes a template."""
    if source == "template":
        _write_template(kind, output)
        return
    _import_file(Path(source), dry_run)


def _write_template(kind: str | None, output: str | None) -> None:
    chosen = KINDS if kind in (None, "all") else [KIND_BY_KEY.get(kind or "")]
    if None in chosen:
        known = ", ".join(f"{k.key}({k.sheet})" for k in KINDS)
        raise click.BadParameter(f"没有该导入类别 / no such kind; known: {known}, all")
    kinds = [k for k in chosen if k is not None]
    path = Path(output or f"导入模板-{kinds[0].sheet if len(kinds) == 1 else '全部'}.xlsx")
    path.write_bytes(template(kinds))
    click.echo(f"已生成导入模板 / template written: {path}")


def _import_file(path: Path, dry_run: bool) -> None:
    if not path.is_file():
        raise click.BadParameter(f"找不到文件 / no such file: {path}", param_hint="SOURCE")
    data = path.read_bytes()
    services = build_services(Settings())
    try:
        services.projections.catch_up()  # units are found by name in the read models
        limits = limits_of(services.settings)
        rows = count_rows(data) if len(data) <= limits.max_bytes else 0
        total = rows * (1 if dry_run else 2)  # a checking pass, then a writing one
        with click.progressbar(length=total, label="导入", file=sys.stderr) as bar:
            importer = Importer(
                services.app, services.store, actor=CLI_ACTOR, limits=limits,
                on_row=lambda: bar.update(1),
            )  # fmt: skip
            report = importer.run(data, path.name, dry_run=dry_run)
    except (FileTooLarge, TooManyRows) as error:
        raise click.ClickException(f"文件超出导入上限，未记录任何内容 / {error}") from None
    finally:
        services.close()
    _print_report(report, data, path)


def _print_report(report: ImportReport, data: bytes, path: Path) -> None:
    names = {k.key: k.sheet for k in KINDS}
    for key in names:
        done, had = report.recorded.get(key, 0), report.skipped.get(key, 0)
        if done or had:
            verb = "可记录" if report.dry_run or report.problems else "已记录"
            click.echo(f"{names[key]}：{verb} {done} 行，已存在而跳过 {had} 行")
    unfinished = [p for p in report.problems if p.code in (UNFINISHED, CONCURRENT)]
    if unfinished:
        click.echo(unfinished[0].message_zh)
        raise SystemExit(1)
    if report.problems:
        for p in report.problems[:PROBLEMS_SHOWN]:
            where = f"第 {p.row} 行" if p.row else "整表"
            column = f"“{p.column}”" if p.column else ""
            value = f"（{p.value}）" if p.value else ""
            click.echo(f"  {p.sheet} {where} {column}{value}：{p.message_zh}")
        if len(report.problems) > PROBLEMS_SHOWN:
            click.echo(f"  …… 共 {len(report.problems)} 处问题")
        errors = path.with_name(f"{path.stem}-错误.xlsx")
        errors.write_bytes(error_workbook(data, report))
        click.echo(f"未记录任何内容；错误已标在 {errors} 的“错误”列 / nothing recorded")
        raise SystemExit(1)
    if report.dry_run:
        click.echo(f"检查通过（{report.rows} 行），未记录 / dry run: all {report.rows} rows pass")
    else:
        click.echo(f"导入完成：{report.events} 个事件，文件 SHA-256 {report.sha256}")


main.add_command(audit_group)
main.add_command(plans_group)


@main.group("projections")
def projections_group() -> None:
    """读模型 / read models."""


@projections_group.command("rebuild")
def projections_rebuild() -> None:
    """从头重建读模型，完成后原子切换；服务不中断 / Rebuild beside the live tables, then switch."""
    services = build_services(Settings())
    settle_heap()
    try:
        head = services.app.recorder.max_notification_id() or 0
        stderr = sys.stderr
        with click.progressbar(length=head, label="重建读模型", file=stderr) as bar:
            generation = rebuild(services.app, services.store, on_progress=bar.update)
        click.echo(f"已切换到第 {generation} 代读模型 / switched to generation {generation}")
    finally:
        services.close()


@main.group("token")
def token_group() -> None:
    """访问令牌 / API tokens."""


@token_group.command("create")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--scope", "scope", default=None, help="所辖组织编号；县级与审计角色可省略")
@click.option(
    "--label",
    required=True,
    help="令牌持有人，记录为事件的记录人：须在有效（未吊销、未过期）令牌中唯一，"
    "不能含控制字符或不可见的格式字符 / unique among live tokens, plain visible text",
)
@click.option(
    "--expires",
    default=None,
    help="失效时间：90d、12h、日期 2027-06-30（当日北京时间结束时）或带时区的时刻 / expiry",
)
def token_create(role: str, scope: str | None, label: str, expires: str | None) -> None:
    """签发令牌（只显示一次，仅保存其摘要）/ Issue a token; it is printed once, stored hashed."""
    app = build_application(Settings())
    try:
        scope_id = UUID(scope) if scope else None
        expires_at = None if expires is None else parse_expiry(expires, app.clock.now())
        token, token_id = AccessService(app).issue_token(
            role=role, scope_org_id=scope_id, label=label, actor=CLI_ACTOR, expires_at=expires_at
        )
    except (DomainError, ValueError) as exc:
        raise click.ClickException(getattr(exc, "message_zh", str(exc))) from None
    finally:
        app.close()
    click.echo(f"令牌编号 / token id: {token_id}")
    if expires_at is not None:
        click.echo(f"失效时间 / expires: {_china(expires_at)}")
    click.echo(f"令牌（仅显示一次）/ token, shown once: {token}")


def parse_expiry(text: str, now: datetime) -> datetime:
    """A lifetime (``90d``, ``12h``), a China day (valid through its end) or a moment; a
    moment without a zone is China time."""
    if found := DURATION.match(text.strip()):
        amount, unit = int(found[1]), found[2]
        lifetime = timedelta(days=amount) if amount <= MAX_DAYS and unit == "d" else None
        if unit == "h" and amount <= MAX_DAYS * 24:
            lifetime = timedelta(hours=amount)
        if lifetime is None:
            raise click.BadParameter(
                f"令牌有效期最长 {MAX_DAYS} 天（{MAX_DAYS * 24} 小时），{text!r} 超出"
                f" / at most {MAX_DAYS} days", param_hint="--expires",
            )  # fmt: skip
        return now + lifetime
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text.strip()):
            day = date.fromisoformat(text.strip()) + timedelta(days=1)
            return datetime.combine(day, time(), CHINA)
        moment = datetime.fromisoformat(text.strip())
    except (ValueError, OverflowError):  # 9999-12-31 has no next day
        raise click.BadParameter(
            f"无法识别的失效时间 {text!r}：用 90d、12h、2027-06-30 或 2027-06-30T18:00+08:00"
            f" / not an expiry: {text!r}", param_hint="--expires",
        ) from None  # fmt: skip
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=CHINA)


def _china(moment: datetime) -> str:
    return moment.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")


@token_group.command("list")
def token_list() -> None:
    """列出令牌，从不显示令牌本身 / List tokens: label, role, scope, times, never the secret."""
    settings, database = existing_store()
    app = build_application(settings)
    try:
        now = app.clock.now()
        access = AccessService(app)
        tokens = [(t, access.scope_zh(t.scope_org_id)) for t in access.tokens()]
    finally:
        app.close()
    click.echo("\t".join(TOKEN_COLUMNS))
    for t, scope in tokens:
        state = "revoked 已吊销" if t.revoked else "expired 已过期" if t.expired(now) else ACTIVE
        click.echo("\t".join((
            str(t.id), t.label, t.role, scope, _china(t.created_at),
            _china(t.expires_at) if t.expires_at else "never 永不", state,
        )))  # fmt: skip
    click.echo(f"共 {len(tokens)} 个（数据库 {database}）/ {len(tokens)} tokens")


@token_group.command("revoke")
@click.argument("token_id", type=click.UUID)
@click.option("--reason", default="管理员吊销", show_default=True)
def token_revoke(token_id: UUID, reason: str) -> None:
    """吊销令牌 / Revoke a token by its id."""
    app = build_application(Settings())
    try:
        AccessService(app).revoke_token(token_id, reason=reason, actor=CLI_ACTOR)
    except DomainError as exc:
        raise click.ClickException(exc.message_zh) from None
    finally:
        app.close()
    click.echo(f"已吊销 / revoked: {token_id}")
