"""`sansan audit …`: verify the chain, keep its checkpoints, export history, make a key."""

import json
import sys
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID

import click

from sansan.audit.offline import ExportFileError, verify_export
from sansan.audit.signing import SigningError, generate_key
from sansan.audit.trail import ExportFilter, kept_checkpoints, write_lines
from sansan.audit.verify import KIND_ZH, Verdict
from sansan.bootstrap import Services, build_services
from sansan.persistence import is_postgres, parse_postgres_url
from sansan.settings import Settings


@click.group("audit")
def audit_group() -> None:
    """防篡改审计 / the tamper-evident audit trail."""


def existing_store() -> tuple[Settings, str]:
    """The settings of a store that is already there, and its name to show. A read-only
    command never creates one: run from the wrong directory, the default ./sansan.db would
    be a new empty store, and an empty log would pass every check."""
    settings = Settings()
    url = settings.database_url
    if is_postgres(settings):
        target = parse_postgres_url(url)
        return settings, f"PostgreSQL {target.host}:{target.port}/{target.dbname}"
    path = url.removeprefix("sqlite:///")
    if url.startswith("sqlite:///") and path != ":memory:" and not Path(path).is_file():
        raise click.ClickException(
            f"找不到数据库 {path}（请在服务所在的目录运行，或设置 SANSAN_DATABASE_URL），未创建任何文件"
            f" / no database at {path}: run where the service runs, or set SANSAN_DATABASE_URL"
        )
    return settings, f"SQLite {Path(path).resolve()}"


def _services() -> tuple[Services, str]:
    settings, name = existing_store()
    return build_services(settings.model_copy(update={"run_scheduler": False})), name


def _report(verdict: Verdict, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(verdict.as_dict(), ensure_ascii=False, indent=2))
    elif verdict.ok and verdict.count == 0 and not verdict.pending:
        click.echo("审计日志为空：没有可校验的事件 / the audit log is empty: nothing to verify")
    elif verdict.ok:
        click.echo(f"校验通过 / verified: {verdict.count} 个事件 events, 链头 head {verdict.head},"
                   f" 检查点 checkpoints {verdict.checkpoints_checked}, 待入链 pending {verdict.pending}")  # fmt: skip
        for source in verdict.sources:
            click.echo(f"  {source}")
    if not verdict.ok:
        failure = verdict.failure
        assert failure is not None
        raise click.ClickException(
            f"校验失败 / verification failed at position {failure.position}:"
            f" {KIND_ZH[failure.kind]} ({failure.kind.value}) — {failure.detail}"
        )


def _pinned(path: Path | None, key: str | None) -> tuple[dict[int, tuple[str, str]] | None, list[str]]:
    if path is None:
        return None, []
    try:
        pinned, source = kept_checkpoints(json.loads(path.read_text("utf-8")), key)
    except (SigningError, ValueError, KeyError, TypeError) as error:
        raise click.ClickException(f"检查点文件不可信 / the checkpoint file fails its check: {error}") from None
    return pinned, [source]


def _public_key(value: str | None) -> str | None:
    """The key itself, or @file holding it."""
    if value is not None and value.startswith("@"):
        return Path(value[1:]).read_text("utf-8").strip()
    return value


@audit_group.command("verify")
@click.option("--file", "export_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="离线校验一个导出的 JSONL 文件 / verify an exported JSONL file offline")  # fmt: skip
@click.option("--checkpoints", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="此前导出并离线保存的检查点文件 / a checkpoint file kept outside")  # fmt: skip
@click.option("--public-key", help="签名公钥（base64，或 @文件）/ the signer's public key")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出 / print the verdict as JSON")
def verify_command(
    export_file: Path | None, checkpoints: Path | None, public_key: str | None, as_json: bool
) -> None:
    """重算哈希链并报告第一个问题 / Recompute the chain; report the first failure."""
    key = _public_key(public_key)
    pinned, sources = _pinned(checkpoints, key)
    if export_file is not None:
        try:
            with export_file.open(encoding="utf-8") as lines:
                verdict = verify_export(lines, key, pinned)
        except ExportFileError as error:
            raise click.ClickException(f"不是审计导出文件 / {error}") from None
        _report(replace(verdict, sources=verdict.sources + sources), as_json)
        return
    services, database = _services()
    if not as_json:
        click.echo(f"数据库 / database: {database}")
    try:
        services.audit.chain.catch_up()  # chain whatever the follower has not reached yet
        total = services.app.recorder.max_notification_id() or 0
        stderr = sys.stderr
        with click.progressbar(length=total, label="校验哈希链", file=stderr) as bar:
            verdict = services.audit.verify(pinned, on_batch=bar.update)
    finally:
        services.close()
    _report(replace(verdict, sources=verdict.sources + sources), as_json)


@audit_group.command("export")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--unit", type=click.UUID, help="只导出该单位 / only this unit's events")
@click.option("--from", "recorded_from", type=click.DateTime(), help="记录时间起（UTC）")
@click.option("--to", "recorded_to", type=click.DateTime(), help="记录时间止（UTC）")
def export_command(
    out: Path, unit: UUID | None, recorded_from: datetime | None, recorded_to: datetime | None
) -> None:
    """导出可离线校验的 JSONL 历史 / Export history as JSONL with digests and the proof."""
    services, database = _services()
    try:
        services.audit.chain.catch_up()
        chosen = ExportFilter(unit, _utc(recorded_from), _utc(recorded_to))
        stderr = sys.stderr
        head = services.audit.chain.head()
        with click.progressbar(length=head.seq if head else 0, label="导出", file=stderr) as bar:
            count = write_lines(_counting(services.audit.export(chosen), bar.update), out)
    except SigningError as error:
        raise click.ClickException(f"签名密钥不可用 / {error}") from None
    finally:
        services.close()
    click.echo(f"已导出 {count - 2} 个事件到 {out}（数据库 {database}）/ exported {count - 2} events")


def _counting(lines: Iterator[str], tick: Callable[[int], None]) -> Iterator[str]:
    for line in lines:
        tick(1)
        yield line


def _utc(moment: datetime | None) -> datetime | None:
    return None if moment is None else moment.replace(tzinfo=moment.tzinfo or UTC)


@audit_group.command("checkpoints")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path))
def checkpoints_command(out: Path) -> None:
    """导出签名的检查点摘要文件，请保存在数据库之外 / Write the signed digest file to keep elsewhere."""
    services, database = _services()
    try:
        services.audit.chain.catch_up()
        document = services.audit.checkpoint_file()
    except SigningError as error:
        raise click.ClickException(f"签名密钥不可用 / {error}") from None
    finally:
        services.close()
    out.write_text(json.dumps(document, ensure_ascii=False, indent=2), "utf-8")
    head = document["head"]
    click.echo(f"链头 head：第 {head['seq'] if head else 0} 个事件，{out}（数据库 {database}）"
               + ("" if "signature" in document else "（未签名 / unsigned）"))  # fmt: skip


@audit_group.command("keygen")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path))
def keygen_command(out: Path) -> None:
    """生成审计签名密钥（Ed25519）/ Make an Ed25519 key for SANSAN_AUDIT_SIGNING_KEY."""
    if out.exists():
        raise click.ClickException(f"{out} 已存在，不覆盖 / exists, not overwritten")
    public = generate_key(out)
    click.echo(f"私钥 / private key: {out}  (SANSAN_AUDIT_SIGNING_KEY={out})")
    click.echo(f"公钥 / public key: {public}")
