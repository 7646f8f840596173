"""The command table as the browser needs it: what the caller's role may record, each
command with its Chinese title and its fields (label, help, kind of input, choices).

The dashboard builds its forms from this answer; nothing here is written per command.
"""

import types
import typing
from datetime import date
from decimal import Decimal
from enum import Enum
from typing import Any, Literal

from annotated_types import MaxLen
from fastapi import APIRouter
from pydantic import BaseModel, Field
from pydantic.fields import FieldInfo

from sansan.api.command_routes import COMMAND_ROUTES, CommandRoute
from sansan.api.deps import CurrentPrincipal
from sansan.commands.examples import example_of
from sansan.domain.event_labels import FIELD_LABELS_ZH
from sansan.domain.vocabulary import Labelled

FieldType = Literal[
    "text", "textarea", "integer", "number", "money", "date", "boolean", "choice", "choices",
    "checklist", "scores", "unit", "units",
]  # fmt: skip
# What a field holding an id names; the browser offers those units by name.
UNIT_FIELDS: dict[str, str] = {
    "organization_id": "organization", "parent_id": "organization",
    "assignee_org_id": "organization", "street_committee_id": "street",
    "community_id": "community", "community_ids": "community", "model_community_ids": "community",
    "member_id": "member", "campaign_id": "campaign", "item_id": "item",
    "inspection_id": "inspection", "team_member_id": "team_member", "unit_id": "unit",
}  # fmt: skip
LAST = {"occurred_on": 1, "note": 2, "evidence_ref": 3}
TARGET_KINDS = {
    "Community": "community", "PartyOrganization": "organization", "Member": "member",
    "CreationCampaign": "campaign", "SupervisionItem": "item",
}  # fmt: skip


class FieldSpec(BaseModel):
    name: str
    label_zh: str
    help_zh: str = ""
    type: FieldType
    required: bool
    default: Any = None
    example: Any = None
    choices: list[tuple[str, str]] = Field(default_factory=list)
    unit: str | None = Field(None, description="所选单位的种类 / what kind of unit an id names")
    max_length: int | None = None


class CommandSpec(BaseModel):
    id: str = Field(examples=["recordTraining"])
    command: str = Field(examples=["RecordTraining"])
    title_zh: str = Field(examples=["党员参加集中教育培训"])
    title_en: str
    path: str = Field(examples=["/api/v1/members/{id}/trainings"])
    creates: bool
    target: str | None = Field(None, description="路径中单位编号的种类 / what {id} names")
    target_zh: str | None = None
    fields: list[FieldSpec]


def _bare(annotation: Any) -> tuple[Any, bool]:
    """The annotation without ``| None``, and whether None was allowed."""
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return (_plain(args[0]) if len(args) == 1 else annotation), True
    return _plain(annotation), False


def _plain(annotation: Any) -> Any:
    """``Real`` as float: a number's validators ride in Annotated (commands/base.py)."""
    if typing.get_origin(annotation) is typing.Annotated:
        return typing.get_args(annotation)[0]
    return annotation


def _labelled(kind: Any) -> list[tuple[str, str]]:
    if isinstance(kind, type) and issubclass(kind, Labelled):
        return [(v.value, v.label_zh) for v in kind]
    if isinstance(kind, type) and issubclass(kind, Enum):
        return [(str(v.value), str(v.value)) for v in kind]
    return []


def _kind_of(name: str, info: FieldInfo) -> tuple[FieldType, list[tuple[str, str]]]:
    annotation, _ = _bare(info.annotation)
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if name in UNIT_FIELDS:
        return ("units" if origin is list else "unit"), []
    if origin is list:
        return "choices", _labelled(args[0])
    if origin is dict:
        return ("checklist" if args[1] is bool else "scores"), _labelled(args[0])
    if _labelled(annotation):
        return "choice", _labelled(annotation)
    simple: dict[Any, FieldType] = {
        bool: "boolean", int: "integer", float: "number", Decimal: "money", date: "date",
    }  # fmt: skip
    if annotation in simple:
        return simple[annotation], []
    longest = next((m.max_length for m in info.metadata if isinstance(m, MaxLen)), None)
    return ("textarea" if longest and longest > 200 else "text"), []


def _field(name: str, info: FieldInfo, example: dict[str, Any]) -> FieldSpec:
    kind, choices = _kind_of(name, info)
    help_zh = (info.description or "").split(" / ")[0]
    longest = next((m.max_length for m in info.metadata if isinstance(m, MaxLen)), None)
    default = None if info.is_required() else info.get_default(call_default_factory=True)
    if isinstance(default, Enum):
        default = default.value
    return FieldSpec(
        name=name, label_zh=FIELD_LABELS_ZH.get(name, name), help_zh=help_zh, type=kind,
        required=info.is_required(), default=default, example=example.get(name),
        choices=choices, unit=UNIT_FIELDS.get(name), max_length=longest,
    )  # fmt: skip


def command_spec(route: CommandRoute) -> CommandSpec:
    command = route.command
    title_zh, _, rest = (command.__doc__ or "").partition("\n")[0].partition(" / ")
    example = example_of(command).model_dump(mode="json")
    target = None if route.creates else TARGET_KINDS[command.aggregate.__name__]
    skip = {"id", command.target}
    return CommandSpec(
        id=route.operation_id(), command=command.__name__, title_zh=title_zh.strip(),
        title_en=rest.strip(), path=f"/api/v1{route.path}", creates=route.creates,
        target=target, target_zh=None if route.creates else command.aggregate.LABEL_ZH,
        # what the command is about first; the date it happened, then note and evidence last
        fields=sorted(
            (
                _field(name, info, example)
                for name, info in command.model_fields.items()
                if name not in skip
            ),
            key=lambda f: LAST.get(f.name, 0),
        ),
    )  # fmt: skip


CATALOGUE: list[tuple[CommandRoute, CommandSpec]] = [(r, command_spec(r)) for r in COMMAND_ROUTES]


def add_catalogue_route(router: APIRouter) -> None:
    @router.get(
        "/commands", response_model=list[CommandSpec], tags=["commands"],
        summary="可记录的事项（按角色）/ the commands the caller's role may record, for forms",
    )  # fmt: skip
    def command_catalogue(principal: CurrentPrincipal) -> list[CommandSpec]:
        return [spec for route, spec in CATALOGUE if principal.role in route.roles]
