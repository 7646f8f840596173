"""Who may do what: API tokens, and the record of who read a member's personal data.

A token's aggregate id is derived from the token's hash, so the store can find a
token by what the client presents without ever holding the token itself.
"""

from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from sansan.domain import errors
from sansan.domain.base import Provenance, SansanAggregate, begin_state, choice, text
from sansan.domain.vocabulary import Role

T = "sansan:AccessToken"


# An operator reads a moment as China time, to the minute (the domain holds no clock, only
# the country's fixed offset).
CHINA = timezone(timedelta(hours=8))


def china_minute(moment: datetime) -> str:
    return moment.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")


class AccessToken(SansanAggregate):
    TOPIC = T
    LABEL_ZH = "访问令牌"

    if TYPE_CHECKING:  # state set by the events' apply()
        role: str
        scope_org_id: UUID | None
        label: str
        expires_at: datetime | None
        revoked: bool

    class Event(SansanAggregate.Event):
        pass

    class TokenIssued(Event, Aggregate.Created):
        """Version 2 added ``expires_at``; every token issued before never expires."""

        TOPIC = f"{T}.TokenIssued"
        class_version = 2
        role: str
        scope_org_id: UUID | None
        label: str
        expires_at: datetime | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["expires_at"] = None

        def apply(self, t: Any) -> None:
            begin_state(t, self)
            t.role, t.scope_org_id, t.label, t.expires_at, t.revoked = (
                self.role,
                self.scope_org_id,
                self.label,
                self.expires_at,
                False,
            )

    Created = TokenIssued

    class TokenRevoked(Event):
        TOPIC = f"{T}.TokenRevoked"
        reason: str

        def apply(self, t: Any) -> None:
            t.revoked = True

    @classmethod
    def issue(
        cls,
        prov: Provenance,
        *,
        id: UUID,
        role: str,
        scope_org_id: UUID | None,
        label: str,
        expires_at: datetime | None = None,
        now: datetime,
    ) -> "AccessToken":
        value = choice("role", role, Role)
        if value in (Role.STREET, Role.COMMUNITY, Role.CLIENT) and scope_org_id is None:
            raise errors.SCOPE_REQUIRED(role=value.value, role_zh=value.label_zh)
        if expires_at is not None and expires_at <= now:
            raise errors.EXPIRY_NOT_LATER(
                expires_at=china_minute(expires_at), now=china_minute(now)
            )
        return cls._begin(
            cls.TokenIssued,
            prov,
            id=id,
            role=value.value,
            scope_org_id=scope_org_id,
            label=text("label", label),
            expires_at=expires_at,
        )

    def expired(self, now: datetime) -> bool:
        return self.expires_at is not None and now >= self.expires_at

    def revoke(self, prov: Provenance, *, reason: str) -> None:
        if self.revoked:
            raise errors.ALREADY_RECORDED(what="revocation", what_zh="吊销")
        self._record(self.TokenRevoked, prov, reason=text("reason", reason))


P = "sansan:PersonalDataAccess"


class PersonalDataAccess(SansanAggregate):
    """One read of members' personal data (one member or a listed page); the actor is the reader."""

    TOPIC = P
    LABEL_ZH = "个人信息查阅记录"

    if TYPE_CHECKING:  # state set by the events' apply()
        member_ids: list[UUID]
        purpose: str

    class Event(SansanAggregate.Event):
        pass

    class PersonalDataRead(Event, Aggregate.Created):
        """Version 2 names every community whose members were read (``community_ids``), so
        an auditor finds a county-wide report's read under each of them; ``community_id``
        stays the one community when there is only one. A version-1 read has none listed
        (None): the read models place it by its members."""

        TOPIC = f"{P}.PersonalDataRead"
        class_version = 2
        member_ids: list[UUID]
        community_id: UUID | None
        purpose: str
        community_ids: list[UUID] | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["community_ids"] = None

        def apply(self, a: Any) -> None:
            begin_state(a, self)
            a.member_ids, a.purpose = list(self.member_ids), self.purpose

    Created = PersonalDataRead

    @classmethod
    def read(
        cls, prov: Provenance, *, member_ids: list[UUID], community_id: UUID | None, purpose: str,
        community_ids: set[UUID] | None = None,
    ) -> "PersonalDataAccess":  # fmt: skip
        return cls._begin(
            cls.PersonalDataRead,
            prov,
            member_ids=list(member_ids),
            community_id=community_id,
            purpose=purpose,
            community_ids=sorted(community_ids or set(), key=str),
        )


R = "sansan:IdempotencyRecord"


class IdempotencyRecord(SansanAggregate):
    """A completed request under an Idempotency-Key, saved with the request's own events.

    Its id comes from the principal and the key, so a second attempt to record the
    same key is refused by the store itself, in the same transaction as the events.
    """

    TOPIC = R
    LABEL_ZH = "幂等请求记录"

    if TYPE_CHECKING:  # state set by the events' apply()
        request_hash: str
        aggregate_id: UUID
        result_version: int
        written: list[list[Any]]

    class Event(SansanAggregate.Event):
        pass

    class RequestCompleted(Event, Aggregate.Created):
        TOPIC = f"{R}.RequestCompleted"
        request_hash: str
        aggregate_id: UUID
        result_version: int
        written: list[list[Any]]

        def apply(self, r: Any) -> None:
            begin_state(r, self)
            r.request_hash, r.aggregate_id = self.request_hash, self.aggregate_id
            r.result_version = self.result_version
            r.written = [list(w) for w in self.written]

    Created = RequestCompleted

    @classmethod
    def complete(
        cls,
        prov: Provenance,
        *,
        id: UUID,
        request_hash: str,
        aggregate_id: UUID,
        result_version: int,
        written: list[tuple[UUID, int]],
    ) -> "IdempotencyRecord":
        return cls._begin(
            cls.RequestCompleted,
            prov,
            id=id,
            request_hash=request_hash,
            aggregate_id=aggregate_id,
            result_version=result_version,
            written=[[str(a), v] for a, v in written],
        )
