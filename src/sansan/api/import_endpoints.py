"""Spreadsheet import over HTTP: the templates, and ``POST /imports`` (multipart).

A file with any problem records nothing and is answered 422 with every problem (sheet,
row, column, value, reason) and the file back as an XLSX with an 错误 column.
"""

import base64
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated
from urllib.parse import quote
from uuid import UUID

from fastapi import APIRouter, Depends, File, Form, Path, Query, Request, Response, UploadFile
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from sansan.access import Principal
from sansan.api.command_endpoints import ERRORS
from sansan.api.command_routes import WRITERS
from sansan.api.deps import CurrentPrincipal, Services, ServicesDep
from sansan.api.problems import ApiError, problem, role_refused
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
from sansan.imports.roster import EXPORTABLE, Roster
from sansan.imports.workbooks import XLSX_MEDIA_TYPE, error_workbook, template

# How long an import waits for the read models (which find units by name) to catch up.
READ_MODEL_WAIT_S = 10.0
# What a token whose import is still running is told to wait before it sends another.
BUSY_RETRY_AFTER_S = 30


class RunningImports:
    """The tokens with an import running in this process: one at a time per token, so a
    client that resends while its first upload is still checked (a double click, a retry
    on its own timeout) does not run the same work twice at once, nor one token take every
    worker thread. Another process of the service keeps its own."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running: set[UUID] = set()

    @contextmanager
    def hold(self, token_id: UUID) -> Iterator[bool]:
        """True, for as long as the block runs, if the token had no import running; else
        False (and nothing is held)."""
        with self._lock:
            taken = token_id not in self._running
            self._running.add(token_id)
        try:
            yield taken
        finally:
            if taken:
                with self._lock:
                    self._running.discard(token_id)


class ImportProblem(BaseModel):
    sheet: str = Field(examples=["党员"])
    row: int = Field(examples=[12], description="行号（0 表示整个工作表或文件）/ row number")
    column: str = Field(examples=["管理类别"])
    value: str = Field(examples=["直"])
    code: str = Field(examples=["bad_choice"])
    message_zh: str = Field(examples=["不是可选的值，可选：直管、双管、参管"])
    message_en: str


class ImportResult(BaseModel):
    file_name: str
    sha256: str
    dry_run: bool
    saved: bool
    rows: int
    events: int
    recorded: dict[str, int]
    skipped: dict[str, int]
    kinds_zh: dict[str, str] = Field(description="各类别的中文名 / what each kind is called")
    problems: list[ImportProblem]
    import_id: UUID | None = None
    error_workbook: str | None = Field(
        None, description="带“错误”列的原文件（XLSX，Base64）/ the rows with their errors"
    )


def result_of(report: ImportReport, data: bytes) -> ImportResult:
    errors = base64.b64encode(error_workbook(data, report)).decode() if report.problems else None
    return ImportResult(
        file_name=report.file_name, sha256=report.sha256, dry_run=report.dry_run,
        saved=report.saved, rows=report.rows, events=report.events,
        recorded=dict(report.recorded), skipped=dict(report.skipped),
        kinds_zh={k.key: k.sheet for k in KINDS},
        problems=[ImportProblem(**vars(p)) for p in report.problems],
        import_id=report.import_id, error_workbook=errors,
    )  # fmt: skip


def xlsx_response(data: bytes, file_name: str) -> Response:
    disposition = f"attachment; filename*=UTF-8''{quote(file_name)}"
    return Response(data, media_type=XLSX_MEDIA_TYPE, headers={"Content-Disposition": disposition})


def importing_principal(principal: CurrentPrincipal) -> Principal:
    """A role that may not write is refused before its upload is even read (403, not 422)."""
    if principal.role not in WRITERS:
        raise role_refused(principal.role, "导入数据", "import")
    return principal


ImportingPrincipal = Annotated[Principal, Depends(importing_principal)]


def add_import_routes(routers: dict[str, APIRouter]) -> None:
    router = routers["imports"]
    running = RunningImports()  # per app

    @router.get(
        "/imports/templates/{kind}", response_class=Response, responses=ERRORS,
        summary="导入模板（XLSX）/ the import template of a kind, or of all kinds",
    )  # fmt: skip
    def import_template(
        principal: CurrentPrincipal, services: ServicesDep,
        kind: Annotated[str, Path(description="类别，或 all / a kind, or all")],
        filled: Annotated[
            bool, Query(description="填入本范围现有的党组织、社区和党员 / filled from the service")
        ] = False,
    ) -> Response:  # fmt: skip
        chosen = KINDS if kind == "all" else [k for k in KINDS if k.key == kind]
        if not chosen:
            known = "、".join(f"{k.key}({k.sheet})" for k in KINDS)
            raise ApiError(
                404, "unknown_import_kind", f"没有该导入类别，可选：{known}",
                f"no import kind {kind!r}; known: {', '.join(KIND_BY_KEY)}",
            )  # fmt: skip
        name = "导入模板.xlsx" if kind == "all" else f"导入模板-{chosen[0].sheet}.xlsx"
        if not filled:
            return xlsx_response(template(chosen), name)
        keys = [k.key for k in chosen if k.key in EXPORTABLE]
        if not keys:
            raise ApiError(
                422, "not_exportable", "只有党组织、社区和党员名册可以按现有数据导出",
                f"only {', '.join(EXPORTABLE)} can be filled from the service",
            )  # fmt: skip
        roster = Roster(services.app, services.read_models, principal.scope_org_id)
        data = roster.workbook(keys)
        services.access.record_personal_data_read(
            principal, roster.members_read, roster.communities_read,
            f"GET /api/v1/imports/templates/{kind}?filled=true", whole_query="members" in keys,
        )  # fmt: skip
        return xlsx_response(data, name.replace("模板", "名册"))

    @router.post(
        "/imports", status_code=201, response_model=ImportResult,
        responses={
            **ERRORS, 200: {"model": ImportResult, "description": "只检查 / dry run"},
            429: {**ERRORS[422], "description": "该令牌的上一个导入仍在进行 / one import a token"},
        },
        summary="导入表格（XLSX 或 CSV）：全部通过才记录 / import a spreadsheet, all or nothing",
        openapi_extra={"requestBody": {"content": {"multipart/form-data": {
            "example": {"file": "铁西社区党员名册.xlsx", "dry_run": True},
        }}}},
    )  # fmt: skip
    def import_spreadsheet(
        request: Request, principal: ImportingPrincipal, services: ServicesDep,
        file: Annotated[UploadFile, File(description="XLSX 或 CSV 文件 / the spreadsheet")],
        dry_run: Annotated[bool, Form(description="只检查不记录 / check only")] = False,
    ) -> ImportResult | JSONResponse:  # fmt: skip
        with running.hold(principal.token_id) as free:
            if not free:  # answered before the file is read: nothing is recorded
                return problem(
                    request, 429, "import_running",
                    "该令牌的上一个导入仍在进行，请等它完成后再导入（同一令牌同时只能进行一个导入）",
                    "an import of this token is still running; send the next one when it is done",
                    headers={"Retry-After": str(BUSY_RETRY_AFTER_S)},
                )  # fmt: skip
            return run_import(request, principal, services, file, dry_run)

    def run_import(
        request: Request, principal: Principal, services: Services, file: UploadFile,
        dry_run: bool,
    ) -> ImportResult | JSONResponse:  # fmt: skip
        limits = limits_of(services.settings)
        data = file.file.read(limits.max_bytes + 1)
        name = file.filename or "upload.xlsx"
        head = services.app.recorder.max_notification_id() or 0
        services.projections.wait_for(head, READ_MODEL_WAIT_S)
        importer = Importer(
            services.app, services.store, actor=principal.actor, principal=principal,
            limits=limits,
        )  # fmt: skip
        try:
            report = importer.run(data, name, dry_run=dry_run)
        except FileTooLarge as error:
            mib = error.limit / 1024 / 1024
            return problem(
                request, 413, "import_too_large", f"文件超过 {mib:g} MB 的上限，请分成几个文件导入",
                f"the file is larger than {error.limit} bytes",
            )  # fmt: skip
        except TooManyRows as error:
            return problem(
                request, 413, "import_too_many_rows",
                f"数据超过 {error.limit} 行的上限，请分成几个文件导入，未记录任何内容",
                f"more than {error.limit} rows; nothing was recorded",
            )  # fmt: skip
        if report.rows and not report.saved:
            # a dry run, or an import refused: it records nothing else, yet tells whether the
            # units and people it names exist (a file without a data row names none), so who
            # asked it of which file is kept, as a saved import's own record keeps it
            checked = "dry_run=true" if dry_run else "rejected"
            services.access.record_personal_data_read(
                principal, [], set(),
                f"POST /api/v1/imports {checked} {name} sha256={report.sha256}",
                whole_query=True,
            )  # fmt: skip
        result = result_of(report, data)
        elsewhere = next((p for p in report.problems if p.code == CONCURRENT), None)
        if elsewhere is not None:  # the same file's other import: finished, or running
            return _answer_with_report(result, problem(
                request, 409, CONCURRENT, elsewhere.message_zh, elsewhere.message_en
            ))  # fmt: skip
        if any(p.code == UNFINISHED for p in report.problems):
            return _answer_with_report(result, problem(
                request, 409, UNFINISHED,
                "导入未完成，可能已记录部分内容；请重新导入同一文件完成导入，已记录的不会重复记录",
                "the import stopped between batches; import the same file again to finish it",
            ))  # fmt: skip
        if report.problems:
            return _answer_with_report(result, problem(
                request, 422, "import_rejected",
                f"文件中有 {len(report.problems)} 处问题，未记录任何内容",
                f"{len(report.problems)} problem{'' if len(report.problems) == 1 else 's'};"
                " nothing was recorded",
            ))  # fmt: skip
        if dry_run:
            return JSONResponse(result.model_dump(mode="json"), status_code=200)
        return result


def _answer_with_report(result: ImportResult, body: JSONResponse) -> JSONResponse:
    """A problem answer with the import's report beside it."""
    return JSONResponse(
        {**_json(body), "report": result.model_dump(mode="json")},
        status_code=body.status_code, media_type=body.media_type,
    )  # fmt: skip


def _json(response: JSONResponse) -> dict[str, object]:
    loaded: dict[str, object] = json.loads(bytes(response.body))
    return loaded
