"""The table of import kinds: which command a sheet's rows become, and how a row names units.

The columns are not written per kind: they come from the command model's fields, their
Chinese labels and examples (the same catalogue the dashboard's forms are built from).
An id field becomes the name columns of the unit it holds; the rest is the command's own.
Adding a kind is one ``ImportKind`` entry.
"""

import dataclasses
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any
from uuid import UUID, uuid5

from sansan.api.command_catalogue import FieldType, command_spec
from sansan.api.command_routes import COMMAND_ROUTES, CommandRoute
from sansan.commands import Command, Creation
from sansan.commands import community as co
from sansan.commands import member as mc
from sansan.commands import organization as oc
from sansan.commands.examples import example_of

# Ids an import derives for the units it creates: uuid5 (a public derivation, as a client
# may choose ids); never version 8, which is reserved for the service's own records.
IMPORT_NAMESPACE = UUID("5d7c2b9e-1f0a-4e53-9c8d-3a6b4f2e7d10")

ORGANIZATION, COMMUNITY, MEMBER, TEAM_MEMBER, WORKER = (
    "organization", "community", "member", "team_member", "worker",
)  # fmt: skip
# The template's example row says in its note that it is one: such a row is never imported
# (an example that happened to be a real unit would otherwise be taken for one).
EXAMPLE_NOTE = "示例行：导入时跳过，可删除"
UNIT_ZH = {
    ORGANIZATION: "党组织", COMMUNITY: "社区", MEMBER: "党员", TEAM_MEMBER: "班子成员",
    WORKER: "社区工作人员",
}  # fmt: skip


@dataclass(frozen=True)
class Ref:
    """How a row names the unit an id field holds: by name, and for a unit that lives inside
    another (a member in its organization), inside the unit another field names."""

    unit: str
    header: str
    example: str | None
    within: str | None = None  # the field naming the unit it lives in
    within_header: str | None = None  # a column of its own when no field of the row names it
    within_example: str | None = None


@lru_cache(maxsize=16_384)  # a row names its unit and the units around it (an organization
# on every member's row): those recent enough are not hashed again
def derived_id(unit: str, name: str, within: UUID | None) -> UUID:
    """The id an import gives a unit it creates: the same on every import of the same row."""
    return uuid5(IMPORT_NAMESPACE, f"{unit}|{within or ''}|{name}")


@dataclass(frozen=True, eq=False)  # a column is itself: rows key their cells by it
class Column:
    header: str
    field: str
    type: FieldType | str  # "name" for a unit's name, "within" for its container's
    required: bool
    choices: list[tuple[str, str]] = dataclasses.field(default_factory=list)
    example: Any = None
    help_zh: str = ""

    @property
    def sample(self) -> Any:
        """The example as a person would type it in the cell (labels, 是/否, a date)."""
        value = EXAMPLE_NOTE if self.field == "note" else self.example
        if value is None:
            return None
        if self.type == "date":
            return date.fromisoformat(str(value))
        if self.type == "choice":
            return dict(self.choices).get(str(value), value)
        if self.type == "boolean":
            return "是" if value else "否"
        if self.type in ("number", "money"):
            return float(value)
        return value


@dataclass(frozen=True)
class ImportKind:
    key: str
    sheet: str
    command: type[Command]
    refs: dict[str, Ref]
    # What the row creates (a unit people find by name), the field with its name, the field
    # naming the unit it lives in, and the field the derived id goes to.
    creates: str | None = None
    name_field: str = "name"
    within_field: str | None = None
    id_field: str = "id"
    # headers where the field's own label is too general (a member's name is 姓名)
    headers: dict[str, str] = dataclasses.field(default_factory=dict)
    # the sheet's names in templates handed out before (review 3, #15): a file filled in under
    # one of them still imports
    former_sheets: tuple[str, ...] = ()
    # examples where the command's own would be a real person's name in the demo (张三 is nobody)
    samples: dict[str, Any] = dataclasses.field(default_factory=dict)
    columns: list[Column] = dataclasses.field(default_factory=list, compare=False)

    @property
    def route(self) -> CommandRoute:
        return next(r for r in COMMAND_ROUTES if r.command is self.command)

    @property
    def title_zh(self) -> str:
        return (self.command.__doc__ or "").partition(" / ")[0].strip()

    def natural_key_zh(self) -> str:
        """What makes two rows the same, in the words of the template's headers."""
        if self.key in _FIGURED_KEYS_ZH:
            return _FIGURED_KEYS_ZH[self.key]
        if self.creates is None:
            return "同一单位、同一发生日期且各列内容都相同的行视为同一条记录，不会重复记录"
        names = [c.header for c in self.columns if c.field == self.name_field]
        if self.within_field is not None:
            names = [c.header for c in self.columns if c.field == self.within_field][:1] + names
        return "、".join(names) + "相同即为同一" + UNIT_ZH[self.creates] + "，已有的不会重复登记"


# Facts whose figure can be corrected (sansan.imports.engine._FIGURED): their key leaves the
# figure out, so a row is compared with the figure in force, corrections applied.
_FIGURED_KEYS_ZH = {
    "funding": "社区名称、发生日期、年度、经费来源相同即为同一笔经费（金额不在其中）：金额与记录"
    "（含更正后的金额）相同的跳过，不同的报错，导入不会更改已记录的金额；同一文件中两行为同一笔而金额不同的也报错",
    "facility_upgrades": "社区名称、发生日期相同即为同一次办公用房和活动场所建设（面积不在其中）："
    "所填面积与记录（含更正后的面积）相同的跳过，不同的报错，空白的面积列不作比较；"
    "同一文件中两行为同一次而面积不同的也报错",
}


def _columns(kind: ImportKind) -> list[Column]:
    spec = command_spec(kind.route)
    example = example_of(kind.command).model_dump(mode="json")
    columns: list[Column] = []
    derived = {kind.id_field} if kind.creates else set()
    target = kind.command.target
    by_name = {f.name: f for f in spec.fields}
    ordered = ([target] if target else []) + [f.name for f in spec.fields]
    for name in ordered:
        if name in derived:
            continue
        info = kind.command.model_fields[name]
        ref = kind.refs.get(name)
        if ref is not None:
            required = info.is_required()
            if ref.within_header is not None:
                columns.append(
                    Column(ref.within_header, name, "within", required, example=ref.within_example)
                )
            columns.append(Column(ref.header, name, "name", required, example=ref.example))
            continue
        f = by_name[name]
        if f.type in ("unit", "units", "choices", "checklist", "scores"):
            # ids not named by a ref, and lists, have no cell of their own: a kind that
            # needs one must say how (a ref), so only optional ones may be left out
            assert not f.required, f"{kind.key}: {name} needs a ref"
            continue
        value = kind.samples.get(name, example.get(name))
        columns.append(
            Column(
                kind.headers.get(name, f.label_zh),
                name,
                f.type,
                f.required,
                f.choices,
                value if value is not None else f.default,
                f.help_zh,
            )
        )
    return columns


def _kind(*args: Any, **kwargs: Any) -> ImportKind:
    kind = ImportKind(*args, **kwargs)
    kind.columns.extend(_columns(kind))
    return kind


def _org(header: str = "党组织名称", example: str | None = "铁西社区党总支") -> Ref:
    return Ref(ORGANIZATION, header, example)


def _community(header: str = "社区名称", example: str | None = "铁西社区") -> Ref:
    return Ref(COMMUNITY, header, example)


MEMBER_REF = Ref(
    MEMBER, "党员姓名", "张三", within_header="党员所在党组织", within_example="铁西社区党总支"
)
TEAM_MEMBER_REF = Ref(TEAM_MEMBER, "班子成员姓名", "李四", within="organization_id")

KINDS: list[ImportKind] = [
    _kind(
        "organizations", "党组织", oc.EstablishPartyOrganization,
        {
            "parent_id": _org("上级党组织名称", None),
            "community_id": _community("所属社区名称", None),
        },
        creates=ORGANIZATION, headers={"name": "组织名称"},
    ),
    _kind(
        "communities", "社区", co.RegisterCommunity,
        {"street_committee_id": _org("街道党工委名称", "城关街道党工委")}, creates=COMMUNITY,
        headers={"name": "社区名称"},
    ),
    _kind(
        "members", "党员", mc.RegisterMember, {"organization_id": _org("所在党组织名称")},
        creates=MEMBER, within_field="organization_id", headers={"name": "姓名"},
        samples={"name": "张三"},
    ),
    _kind(
        "team_members", "班子成员", oc.AddTeamMember, {"organization_id": _org()},
        creates=TEAM_MEMBER, name_field="person_name", within_field="organization_id",
        id_field="team_member_id", samples={"person_name": "李四"},
    ),
    _kind("member_trainings", "党员培训", mc.RecordTraining, {"member_id": MEMBER_REF}),
    _kind(
        "team_trainings", "班子成员培训", oc.CompleteTeamTraining,
        {"organization_id": _org(), "team_member_id": TEAM_MEMBER_REF},
    ),
    _kind(
        "funding", "社区办公经费", co.AllocateFunding, {"community_id": _community()},
        former_sheets=("工作经费",),
    ),
    _kind(
        "facility_upgrades", "办公用房和活动场所建设", co.UpgradeFacility,
        {"community_id": _community()}, former_sheets=("阵地改造",),
    ),
    _kind("working_systems", "工作制度", co.AdoptWorkingSystem, {"community_id": _community()}),
    _kind(
        "coordination_bodies", "协调机构", co.EstablishCoordinationBody,
        {"community_id": _community()},
    ),
    _kind(
        "community_workers", "社区工作人员", co.AddCommunityWorker,
        {"community_id": _community()}, creates=WORKER, name_field="worker_name",
        within_field="community_id", id_field="worker_id", samples={"worker_name": "王五"},
    ),
]  # fmt: skip
KIND_BY_KEY = {k.key: k for k in KINDS}


def is_creation(kind: ImportKind) -> bool:
    return issubclass(kind.command, Creation)
