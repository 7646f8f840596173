"""The command table's shared shape: one pydantic model per command (use case).

A command names the aggregate it changes (``aggregate``, ``target``) and the
aggregate method that applies it (``operation``); ``run`` does the generic
load-and-call, and commands that create or touch several aggregates override it.
The same models are the HTTP request bodies, so their docstrings are summaries.
"""

import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Protocol, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field
from pydantic_core import PydanticCustomError

from sansan.domain import errors
from sansan.domain.base import Provenance, SansanAggregate
from sansan.domain.names import normal_name
from sansan.internal_ids import RESERVED_UUID_VERSION
from sansan.plans import PlanEntry, PlanRegistry

A = TypeVar("A", bound=SansanAggregate)

# A control character is nothing a person types; in a name it breaks every spreadsheet export
# (XML cannot carry it). Nor is an invisible format character (Unicode category Cf: zero-width
# spaces and joiners, bidi overrides and isolates, the BOM): "\u202e伟王" shows as 王伟, a name
# that impersonates another and slips past the duplicate-name check. A name is one line; a
# text keeps its tabs and line breaks. Written as \u escapes, which the Rust regex pydantic
# runs, Python's re and JavaScript all read alike.
FORMAT_CHARACTERS = (
    r"\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e\u200b-\u200f\u202a-\u202e"
    r"\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb"
)
ONE_LINE = rf"^[^\x00-\x1f\x7f-\x9f\u2028\u2029{FORMAT_CHARACTERS}]*$"
LINES = rf"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f{FORMAT_CHARACTERS}]*$"
# The patterns said as what they refuse (Chinese, English), for the API's and the import's
# problems: pydantic's English quotes the regex.
PATTERN_SAID = {
    ONE_LINE: (
        "不能含有换行符、其他控制字符或不可见的格式字符（如零宽空格、文字方向控制符）",
        "must not hold line breaks, other control characters or invisible format characters",
    ),
    LINES: (
        "不能含有控制字符（换行符和制表符除外）或不可见的格式字符（如零宽空格、文字方向控制符）",
        "must not hold control characters (line breaks and tabs aside) or invisible format"
        " characters",
    ),
}
# Invisible characters outside the patterns' reach (a regex that Rust, Python and JavaScript
# all read cannot name characters past U+FFFF): format characters of any plane, and the
# blank fillers a name could hide behind (“刘\u3164芳” prints as 刘芳 beside 刘芳).
_FILLERS = frozenset(
    [0x034F, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x2800, 0x3164, 0xFFA0,
     *range(0x180B, 0x1810), *range(0xFE00, 0xFE10), *range(0xE0100, 0xE01F0)]
)  # fmt: skip


def _visible(value: Any) -> Any:
    """A one-line text that no invisible character hides in; refused as its pattern is."""
    if isinstance(value, str) and any(
        unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") or ord(c) in _FILLERS for c in value
    ):
        raise PydanticCustomError(
            "string_pattern_mismatch", "String should match pattern '{pattern}'",
            {"pattern": ONE_LINE},
        )  # fmt: skip
    return value


def _spaced(value: Any) -> Any:
    # Normalised once, here, as every command takes a name: “张三　” is stored as 张三, so the
    # uniqueness checks, the import's lookups and search all meet one spelling (domain/names.py).
    # A name of spaces only is left as sent, for the rule that refuses it as empty_text.
    if not isinstance(value, str):
        return value
    return normal_name(value) or value


Name = Annotated[
    str, Field(min_length=1, max_length=200, pattern=ONE_LINE), BeforeValidator(_spaced),
    AfterValidator(_visible),
]
# A short free text beside a fact (a funding source, a workplace, a card number): one line,
# spaced as a name is, since an import matches rows by it (“街道　自筹” is 街道自筹).
OptionalName = Annotated[
    str | None, Field(default=None, max_length=200, pattern=ONE_LINE), BeforeValidator(_spaced),
    AfterValidator(_visible),
]
CardNumber = Annotated[
    str | None, Field(default=None, max_length=100, pattern=ONE_LINE), BeforeValidator(_spaced),
    AfterValidator(_visible),
]
Text = Annotated[str, Field(min_length=1, max_length=4000, pattern=LINES)]
OptionalText = Annotated[str | None, Field(default=None, max_length=4000, pattern=LINES)]
MaybeEmptyText = Annotated[str, Field(max_length=4000, pattern=LINES)]


class VersionMismatch(Exception):
    """The caller expected another version of the aggregate (a stale If-Match)."""

    def __init__(self, aggregate_id: UUID, expected: int, current: int) -> None:
        super().__init__(f"{aggregate_id} is at version {current}, not {expected}")
        self.aggregate_id, self.expected, self.current = aggregate_id, expected, current


class Loads(Protocol):
    """Where a command loads aggregates from: the library's repository, or the application's
    lean loads (``SansanApplication.execute``), which take a cached aggregate as it is."""

    def get(self, aggregate_id: UUID) -> Any: ...


class EventSource(Protocol):
    """The library's event store, as a command reads a unit's recorded events by version."""

    def get(
        self, originator_id: UUID, *, gt: int | None = None, lte: int | None = None
    ) -> Iterator[Any]: ...


@dataclass(frozen=True)
class UnitLog:
    """One unit's recorded events read by version (``domain.community.CommunityLog``): a
    correction reads the fact it names from the log, not from state kept for every fact."""

    events: EventSource
    unit_id: UUID

    def at(self, version: int) -> Any:
        if version < 1:
            return None
        return next(iter(self.events.get(self.unit_id, gt=version - 1, lte=version)), None)

    def after(self, version: int) -> Iterable[Any]:
        return self.events.get(self.unit_id, gt=version)

    def before(self, version: int) -> Iterable[Any]:
        return self.events.get(self.unit_id, lte=version - 1) if version > 1 else ()


@dataclass
class CommandContext:
    prov: Provenance
    repository: Loads
    expected_versions: dict[UUID, int] = field(default_factory=dict)
    plans: PlanRegistry = field(default_factory=PlanRegistry.load)
    # The recorded events, for the commands that name one (corrections); None where a
    # caller runs no such command (an import).
    events: EventSource | None = None

    def log(self, unit_id: UUID) -> UnitLog:
        assert self.events is not None, "this command reads the log: run it with events"
        return UnitLog(self.events, unit_id)

    def plan(self, plan_id: str, field: str = "plan_id") -> PlanEntry:
        """A plan the service has, by id; refused on the field (422) if unknown or invalid."""
        entry = self.plans.get(plan_id)
        if entry is not None:
            return entry
        broken = self.plans.broken(plan_id)
        if broken is not None:
            problems = "; ".join(p.line() for p in broken.problems)
            error = errors.PLAN_INVALID(plan_id=plan_id, source=broken.source, problems=problems)
        else:
            error = errors.UNKNOWN_PLAN(plan_id=plan_id, known=", ".join(self.plans.ids()))
        raise errors.InvalidReferences([(field, error)])

    def load(self, kind: type[A], aggregate_id: UUID) -> A:
        aggregate = self._find(aggregate_id)
        if not isinstance(aggregate, kind):
            raise errors.UNIT_NOT_FOUND(kind=kind.__name__, kind_zh=kind.LABEL_ZH, id=aggregate_id)
        expected = self.expected_versions.get(aggregate_id)
        if expected is not None and expected != aggregate.version:
            raise VersionMismatch(aggregate_id, expected, aggregate.version)
        return aggregate

    def require_all(self, kind: type[A], field: str, ids: Sequence[UUID]) -> None:
        """Refuse the command, entry by entry, if any of ``ids`` names no ``kind``."""
        unknown = errors.UNKNOWN_REFERENCE
        missing = [
            (f"{field}.{i}", unknown(kind=kind.__name__, kind_zh=kind.LABEL_ZH, id=u))
            for i, u in enumerate(ids)
            if not isinstance(self._find(u), kind)
        ]
        if missing:
            raise errors.InvalidReferences(missing)

    def find(self, aggregate_id: UUID) -> object:
        """Whatever the store holds under the id (an aggregate of any kind), or None."""
        return self._find(aggregate_id)

    def _find(self, aggregate_id: UUID) -> object:
        try:
            return self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None


def same_name(given: str, recorded: str) -> bool:
    """Whether a name typed in a request is the recorded one, told apart as every name is
    (``normal_name``: spacing only), so "铁西社区　" is 铁西社区."""
    return normal_name(given) == normal_name(recorded)


def _not_reserved(value: UUID | None) -> UUID | None:
    # The service's own records have keyed UUIDv8 ids: a client can never take one, even
    # if the key leaked.
    if value is not None and value.version == RESERVED_UUID_VERSION:
        raise PydanticCustomError(
            "reserved_id", "version-8 UUIDs are reserved for the service's own records", {}
        )
    # The nil and max UUIDs (RFC 9562) are placeholders, never one unit's id: the first
    # client to send 00000000-… would take it from every other.
    if value is not None and value.int in (0, 2**128 - 1):
        raise PydanticCustomError("placeholder_id", "the nil and max UUIDs are not ids", {})
    return value


ClientId = Annotated[UUID | None, AfterValidator(_not_reserved)]


def _not_a_boolean(value: Any) -> Any:
    # Lax mode reads JSON's true as 1 and false as 0 ("days": true would be a day of training);
    # a number must be sent as one. Strict mode would also refuse "2" and 2 for a float.
    if isinstance(value, bool):
        raise PydanticCustomError(
            "number_not_boolean", "Input should be a number, not true or false", {}
        )
    return value


NOT_A_BOOLEAN = BeforeValidator(_not_a_boolean)
# Every number a command carries is one of these (tests/unit/test_command_numbers.py checks it).
Integer = Annotated[int, NOT_A_BOOLEAN]
Real = Annotated[float, NOT_A_BOOLEAN]
Amount = Annotated[Decimal, NOT_A_BOOLEAN]

PROVENANCE_FIELDS = frozenset({"occurred_on", "note", "evidence_ref"})


class Command(BaseModel):
    # NaN and ±Infinity are no amount of anything (Python's JSON reader takes them): refused
    # on the field as "finite_number", in every float and Decimal of every command.
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    occurred_on: date = Field(description="发生日期（不得晚于今天） / when it happened")
    note: str | None = Field(
        None, max_length=4000, pattern=LINES, description="备注 / free-text note"
    )
    evidence_ref: str | None = Field(
        None,
        max_length=200,
        pattern=ONE_LINE,
        description="佐证材料文号 / evidence document number",
    )

    aggregate: ClassVar[type[SansanAggregate]]
    target: ClassVar[str] = ""
    operation: ClassVar[str] = ""

    def target_id(self) -> UUID | None:
        return getattr(self, self.target) if self.target else None

    def arguments(self) -> dict[str, Any]:
        """The fields the aggregate method takes: all but provenance and the target id."""
        skip = PROVENANCE_FIELDS | {self.target}
        return {name: getattr(self, name) for name in type(self).model_fields if name not in skip}

    def run(self, ctx: CommandContext) -> list[SansanAggregate]:
        """Apply the command; the first aggregate returned is the one it is about."""
        target = self.target_id()
        assert target is not None, f"{type(self).__name__} must override run()"
        aggregate = ctx.load(self.aggregate, target)
        getattr(aggregate, self.operation)(ctx.prov, **self.arguments())
        return [aggregate]


class Creation(Command):
    """A command that starts a new aggregate; a client may choose its id."""

    id: ClientId = Field(
        None,
        description="新单位的编号（可选；版本 8 的 UUID 留作服务内部记录）"
        " / optional id for the new unit (version-8 UUIDs are reserved for the service)",
    )
