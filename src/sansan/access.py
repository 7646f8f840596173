"""Tokens, principals and scopes: who is asking, and which units they may see or change.

Visibility is graded by organization level (分级授权): a principal scoped to an
organization sees that organization's subtree and nothing above or beside it.
"""

import hashlib
import re
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timezone
from functools import lru_cache
from uuid import UUID, uuid5

from sansan.application import SansanApplication
from sansan.clock import CHINA_OFFSET
from sansan.commands.base import ONE_LINE
from sansan.domain import (
    AccessToken,
    Community,
    CreationCampaign,
    Member,
    NotFoundError,
    PartyOrganization,
    PersonalDataAccess,
    SupervisionItem,
    errors,
)
from sansan.domain.base import Provenance, SansanAggregate
from sansan.domain.names import folded_name, normal_name
from sansan.domain.vocabulary import OrgLevel, Role
from sansan.principals import CachedToken, PrincipalCache, RevocationWatch

TOKEN_NAMESPACE = UUID("0b6f5d0e-3f3a-4d55-9a43-7f1b8f1e6a10")
TOKEN_PREFIX = "ssn_"
COUNTY_WIDE = frozenset({Role.COUNTY, Role.AUDITOR})
LIST_PAGE = 500


class TokenExpired(Exception):
    def __init__(self, expires_at: datetime) -> None:
        super().__init__(f"the token expired at {expires_at.isoformat()}")
        self.expires_at = expires_at

    @property
    def china_time(self) -> str:
        """The moment as people read it: China time, to the minute."""
        return self.expires_at.astimezone(timezone(CHINA_OFFSET)).strftime("%Y-%m-%d %H:%M")


@dataclass(frozen=True)
class TokenSummary:
    """What an administrator may see of a token: everything but the secret."""

    id: UUID
    label: str
    role: str
    scope_org_id: UUID | None
    created_at: datetime
    expires_at: datetime | None
    revoked: bool

    def expired(self, now: datetime) -> bool:
        return self.expires_at is not None and now >= self.expires_at
# A read naming more members than this records its query instead of every id (keeps it cheap).
MAX_NAMED_MEMBERS = 1000


@dataclass(frozen=True)
class Principal:
    token_id: UUID
    role: Role
    scope_org_id: UUID | None
    label: str

    @property
    def actor(self) -> str:
        """What events record as their actor: the role and the token's label."""
        return f"{self.role.value}:{self.label}"

    @property
    def token_no(self) -> str:
        """The token's number as a supervisor reads it: the start of its id, which
        ``sansan token list`` shows in full (the id is a hash of the secret, not the secret)."""
        return token_no(self.token_id)


# A token's label is held to what a name of one line is (commands/base.py).
_PLAIN = re.compile(ONE_LINE)


def _check_scope(role: Role, scope: PartyOrganization) -> None:
    """A scope that fits the role, or a refusal saying why: a county-wide role takes none
    (it was once dropped silently, issuing a county-wide token to one who asked for less),
    a street token hangs on a street committee, a community token inside a community."""
    if role in COUNTY_WIDE:
        raise errors.SCOPE_NOT_TAKEN(role=role.value, role_zh=role.label_zh)
    if role is Role.STREET and scope.level != OrgLevel.STREET_COMMITTEE:
        needed = ("a street Party working committee", "街道党工委")
    elif role is Role.COMMUNITY and scope.community_id is None:
        needed = ("an organization of a community", "社区内的党组织（如社区党总支）")
    else:
        return
    raise errors.SCOPE_WRONG_LEVEL(
        role=role.value, role_zh=role.label_zh, name=scope.name,
        needed=needed[0], needed_zh=needed[1],
    )  # fmt: skip


def token_no(token_id: UUID) -> str:
    return str(token_id)[:8]


@lru_cache(maxsize=4096)  # two hashes per request otherwise; a token's id never changes
def token_id_of(token: str) -> UUID:
    digest = hashlib.sha256(token.encode()).hexdigest()
    return uuid5(TOKEN_NAMESPACE, digest)


class AccessService:
    def __init__(self, app: SansanApplication) -> None:
        self.app = app
        self.principals = PrincipalCache(
            RevocationWatch(app.recorder, AccessToken.TokenRevoked.TOPIC)
        )

    def issue_token(
        self,
        *,
        role: str,
        scope_org_id: UUID | None,
        label: str,
        actor: str,
        expires_at: datetime | None = None,
    ) -> tuple[str, UUID]:
        """A new token (shown once) and its id; only the id, derived from a hash, is kept.

        The label becomes the actor of every event the token records ("county:<label>"), so it
        is held to what a name is held to (no control or format characters: "\u202e示演"
        prints reversed) and is unique among live tokens once folded (“(演示)” is “（演示）”),
        so that two holders never sign alike.
        Two administrators issuing one label at the same instant could both pass the check;
        tokens are issued by hand from the command line, one at a time."""
        label = normal_name(label)
        if not _PLAIN.fullmatch(label):
            raise errors.LABEL_NOT_PLAIN(label=label)
        now = self.app.clock.now()
        folded = folded_name(label)
        for held in self.tokens():
            if not held.revoked and not held.expired(now) and folded_name(held.label) == folded:
                raise errors.LABEL_TAKEN(
                    label=label, existing=held.label, token_no=token_no(held.id)
                )
        if scope_org_id is not None:
            _check_scope(Role(role), self.app.get(scope_org_id, PartyOrganization))
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        issued = AccessToken.issue(
            self._prov(actor),
            id=token_id_of(token),
            role=role,
            scope_org_id=scope_org_id,
            label=label,
            expires_at=expires_at,
            now=self.app.clock.now(),
        )
        self.app.save(issued)
        return token, issued.id

    def revoke_token(self, token_id: UUID, *, reason: str, actor: str) -> None:
        token = self.app.get(token_id, AccessToken)
        token.revoke(self._prov(actor), reason=reason)
        self.app.save(token)

    def authenticate(self, token: str) -> Principal | None:
        """The token's principal; None for an unknown or revoked token. A live token is
        loaded once and then kept until the log shows it revoked (see principals.py)."""
        if not token.startswith(TOKEN_PREFIX):
            return None
        token_id = token_id_of(token)
        found = self.principals.get(token_id) or self._load(token_id)
        return None if found is None else self._live(found)

    def provisional(self, token: str) -> Principal | None:
        """The principal of a token already cached, without looking at the log (no I/O);
        None if it is not cached. Act on it only after ``still_live`` says so."""
        if not token.startswith(TOKEN_PREFIX):
            return None
        found = self.principals.peek(token_id_of(token))
        return None if found is None else self._live(found)

    def still_live(self, principal: Principal) -> bool:
        """True unless the log, looked at now, shows the principal's token revoked."""
        return self.principals.get(principal.token_id) is not None

    def _live(self, found: CachedToken) -> Principal:
        if found.expires_at is not None and self.app.clock.now() >= found.expires_at:
            raise TokenExpired(found.expires_at)
        return Principal(found.token_id, Role(found.role), found.scope_org_id, found.label)

    def _load(self, token_id: UUID) -> CachedToken | None:
        self.principals.begin_load()
        try:
            loaded = self.app.get(token_id, AccessToken)
        except NotFoundError:
            return None
        if loaded.revoked:
            return None
        token = CachedToken(
            loaded.id, loaded.role, loaded.scope_org_id, loaded.label, loaded.expires_at
        )
        return token if self.principals.admit(token) else None

    def tokens(self) -> Iterator[TokenSummary]:
        """Every token ever issued, oldest first, found by its issuing event in the log."""
        start: int | None = None
        while page := self.app.recorder.select_notifications(
            start, LIST_PAGE, topics=[AccessToken.TokenIssued.TOPIC], inclusive_of_start=False
        ):
            for notification in page:
                token = self.app.get(UUID(str(notification.originator_id)), AccessToken)
                yield TokenSummary(
                    token.id, token.label, token.role, token.scope_org_id,
                    token.created_on, token.expires_at, token.revoked,
                )  # fmt: skip
            start = page[-1].id

    def scope_zh(self, scope_org_id: UUID | None) -> str:
        """A token's scope as an administrator tells it apart: the unit's name and level, with
        its id after them (a bare UUID said nothing to whoever decides which token to revoke)."""
        if scope_org_id is None:
            return "county 全县"
        try:
            org = self.app.get(scope_org_id, PartyOrganization)
        except NotFoundError:  # scopes are checked when issued; a store restored in part
            return str(scope_org_id)
        return f"{org.name}（{OrgLevel(org.level).label_zh}） {scope_org_id}"

    def covers(self, principal: Principal, aggregate: SansanAggregate) -> bool:
        """True when the unit lies inside the principal's subtree.

        A campaign belongs to the whole county: every unit works to it, so every
        principal may read it (changing it is the county's role alone).
        """
        if principal.scope_org_id is None or isinstance(aggregate, CreationCampaign):
            return True
        return principal.scope_org_id in self.chain(aggregate)

    def chain(
        self, aggregate: SansanAggregate,
        load: Callable[[UUID], PartyOrganization] | None = None,
    ) -> set[UUID]:  # fmt: skip
        """The unit itself and every organization above it; ``load`` finds an organization
        (an import passes one that also sees the units it has not saved yet)."""
        get = load or (lambda org_id: self.app.get(org_id, PartyOrganization))
        if isinstance(aggregate, PartyOrganization):
            return {aggregate.id} | (self._org_chain(aggregate.parent_id, get))
        if isinstance(aggregate, Community):
            above = {aggregate.street_committee_id, aggregate.general_branch_id} - {None}
            return {aggregate.id} | set().union(*(self._org_chain(o, get) for o in above))
        if isinstance(aggregate, Member):
            own = {aggregate.id, aggregate.community_id}
            return own | self._org_chain(aggregate.organization_id, get)
        if isinstance(aggregate, SupervisionItem):
            return {aggregate.id} | self._org_chain(aggregate.assignee_org_id, get)
        return {aggregate.id}

    @staticmethod
    def _org_chain(
        org_id: UUID | None, get: Callable[[UUID], PartyOrganization]
    ) -> set[UUID]:
        found: set[UUID] = set()
        while org_id is not None and org_id not in found:
            found.add(org_id)
            org_id = get(org_id).parent_id
        return found

    def record_personal_data_read(
        self, principal: Principal, member_ids: list[UUID], community_ids: set[UUID], purpose: str,
        *, whole_query: bool = False,
    ) -> None:  # fmt: skip
        """Who read which members' personal data, and why; recorded before the data is sent.

        Nothing is recorded when no member is named, unless ``whole_query`` says the answer
        may name any (an export): then the purpose (endpoint and query) is the record. Past
        MAX_NAMED_MEMBERS the members are not listed one by one; the query names them.
        """
        if not member_ids and not whole_query:
            return
        if len(member_ids) > MAX_NAMED_MEMBERS:
            purpose, member_ids = f"{purpose} ({len(member_ids)} members)", []
        access = PersonalDataAccess.read(
            self._prov(principal.actor, principal.token_no),
            member_ids=member_ids,
            community_id=next(iter(community_ids)) if len(community_ids) == 1 else None,
            purpose=purpose,
            community_ids=community_ids,
        )
        self.app.save(access)

    def _prov(self, actor: str, token_no: str | None = None) -> Provenance:
        today: date = self.app.clock.today()
        return Provenance(actor=actor, occurred_on=today, today=today, token_no=token_no)
