"""The web UI's Chinese labels are the domain vocabulary's, regenerated whenever it changes."""

import runpy
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "web_labels.py"


def test_the_shipped_labels_match_the_domain_vocabulary() -> None:
    script = runpy.run_path(str(SCRIPT))
    shipped = script["TARGET"].read_text(encoding="utf-8")
    assert shipped == script["labels_js"](), "run python scripts/web_labels.py"
    assert '"supervision_overdue": "督办红灯"' in shipped
    assert '"general_branch": "社区党总支"' in shipped


def test_every_field_of_every_event_and_command_has_a_chinese_label() -> None:
    from eventsourcing.domain import DomainEvent

    from sansan.api.command_routes import COMMAND_ROUTES
    from sansan.domain.event_labels import EVENT_LABELS_ZH, FIELD_LABELS_ZH, INTERNAL_FIELDS

    fields: set[str] = set()

    def walk(kind: type) -> None:
        for sub in kind.__subclasses__():
            if sub.__name__ in EVENT_LABELS_ZH:
                for cls in sub.__mro__:
                    fields.update(getattr(cls, "__annotations__", {}))
            walk(sub)

    walk(DomainEvent)
    for route in COMMAND_ROUTES:
        fields.update(route.command.model_fields)
    assert len(fields) > 80
    assert sorted(fields - set(FIELD_LABELS_ZH) - INTERNAL_FIELDS) == []


def test_every_event_kind_field_has_its_vocabulary() -> None:
    from eventsourcing.domain import DomainEvent

    from sansan.domain.event_labels import EVENT_FIELD_VOCABULARY, EVENT_LABELS_ZH

    missing: list[str] = []

    def walk(kind: type) -> None:
        for sub in kind.__subclasses__():
            fields: set[str] = set()
            for cls in sub.__mro__:
                fields.update(getattr(cls, "__annotations__", {}))
            vocabulary = EVENT_FIELD_VOCABULARY.get(sub.__name__, {})
            if sub.__name__ in EVENT_LABELS_ZH and "kind" in fields and "kind" not in vocabulary:
                missing.append(sub.__name__)
            walk(sub)

    walk(DomainEvent)
    assert missing == []
