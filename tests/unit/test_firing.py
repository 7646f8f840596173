"""A firing's acknowledgement (签收) is per addressee; acknowledgements stored before addressees
were recorded read as the addressee their actor's role answers for."""

from datetime import date
from uuid import uuid4

import pytest
from eventsourcing.persistence import StoredEvent

from sansan.application import SansanApplication
from sansan.clock import FixedClock
from sansan.domain import Firing, FiringKind
from sansan.domain.firing import addressee_of_actor
from sansan.internal_ids import InternalIds
from tests.support import NOW, prov, rejects

ON = date(2026, 11, 1)
ESCALATED = ["community_secretary", "street", "county"]


def alert() -> Firing:
    return Firing.fire(
        prov(ON, actor="system:scheduler"), id=uuid4(), deadline_id="target:x", kind=FiringKind.ACCOUNTABILITY_ALERT,
        campaign_id=None, target_id="x", unit_id=None, unit_name="铁西社区", community_id=None,
        due_on=date(2026, 11, 1), lead_days=0, addressees=ESCALATED, message_zh="工作迟缓、措施不力",
    )  # fmt: skip


def test_each_addressee_acknowledges_once_for_itself() -> None:
    firing = alert()
    firing.acknowledge(prov(ON, actor="community:铁西"), addressee="community_secretary")
    firing.acknowledge(prov(ON, actor="county:组织部"), addressee="county")
    with rejects("already_recorded"):
        firing.acknowledge(prov(ON, actor="client:对接系统"), addressee="community_secretary")
    assert firing.acknowledged_addressees == ["community_secretary", "county"]
    assert firing.acknowledged_by == ["community:铁西", "county:组织部"]


def test_a_client_s_own_receipt_recorded_before_review_3_is_its_secretary_s_signature() -> None:
    """Between reviews 2 and 3 a client's receipt was recorded as its own (addressee
    ``client``); it is the secretary's 签收 now, so the secretary does not sign a second."""
    firing = alert()
    firing._record(firing.Acknowledged, prov(ON, actor="client:对接系统"), addressee="client")
    with rejects("already_recorded"):
        firing.acknowledge(prov(ON, actor="community:铁西"), addressee="community_secretary")
    with rejects("already_recorded"):
        firing.acknowledge(prov(ON, actor="client:对接系统"), addressee="client")
    firing.acknowledge(prov(ON, actor="street:城关"), addressee="street")
    assert firing.acknowledged_addressees == ["client", "street"]


def test_an_acknowledgement_names_a_known_addressee() -> None:
    with rejects("not_in_vocabulary"):
        alert().acknowledge(prov(ON, actor="auditor:审计"), addressee="auditor")


@pytest.mark.parametrize(
    ("actor", "addressee"),
    [("county:组织部", "county"), ("street:城关", "street"), ("community:铁西", "community_secretary"),
     ("client:对接", "community_secretary"), ("auditor:审计", "auditor")],
)  # fmt: skip
def test_an_acknowledgement_stored_before_addressees_reads_as_its_actor_s_addressee(
    actor: str, addressee: str
) -> None:
    app = SansanApplication(
        {"PERSISTENCE_MODULE": "eventsourcing.popo"}, FixedClock(NOW), InternalIds(b"test")
    )
    firing = alert()
    app.save(firing)
    firing.acknowledge(prov(ON, actor=actor), addressee="county")
    stored = app.mapper.to_stored_event(firing.collect_events()[0])
    state = app.mapper.transcoder.decode(stored.state)
    assert state.pop("class_version") == 2
    del state["addressee"]  # as version 1 wrote it
    app.recorder.insert_events([StoredEvent(
        originator_id=stored.originator_id, originator_version=stored.originator_version,
        topic=stored.topic, state=app.mapper.transcoder.encode(state),
    )])  # fmt: skip
    assert app.get(firing.id).acknowledged_addressees == [addressee]
    assert addressee_of_actor(actor) == addressee
