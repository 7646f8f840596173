"""Event data as a spreadsheet's reader reads it (the Python twin of web/js/fields.js):
labelled Chinese fields, vocabularies in Chinese, units by name, actors by display name."""

import re
from typing import Any

from sansan.cells import INVALID_NUMBER, is_finite
from sansan.domain import AGGREGATE_TYPES, SYSTEM_TYPES, vocabulary
from sansan.domain.event_labels import (
    EVENT_FIELD_VOCABULARY,
    FIELD_LABELS_ZH,
    FIELD_VOCABULARY,
    INTERNAL_FIELDS,
)
from sansan.domain.vocabulary import _LABELS, Role

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)
KIND_ZH: dict[str, str] = {k.__name__: k.LABEL_ZH for k in (*AGGREGATE_TYPES, *SYSTEM_TYPES)}
SYSTEM_ACTORS = {
    "cli:admin": "系统管理员（命令行）",
    "system:scheduler": "系统（定时提醒）",
    "system:audit-chain": "系统（审计链）",
}


def kind_zh(aggregate_type: str) -> str:
    """A unit type in Chinese ("PersonalDataAccess" → "个人信息查阅记录")."""
    return KIND_ZH.get(aggregate_type, "其他记录")


def actor_zh(actor: str | None) -> str:
    """"community:铁西社区党总支（演示）" → "铁西社区党总支（演示）（社区党组织）": the label a
    token was given and the role it acts in (a label alone may name another role's office);
    a label that begins with its own role's name says it already ("县委组织部（演示）"); a bare
    role or an id → the role."""
    if not actor:
        return ""
    if actor in SYSTEM_ACTORS:
        return SYSTEM_ACTORS[actor]
    role, _, name = actor.partition(":")
    if role not in {r.value for r in Role}:
        return actor
    role_zh = Role(role).label_zh
    if not name or UUID.match(name):
        return role_zh
    return name if name.startswith(role_zh) else f"{name}（{role_zh}）"


def _vocabulary(event_type: str, field: str) -> dict[str, str]:
    name = EVENT_FIELD_VOCABULARY.get(event_type, {}).get(field) or FIELD_VOCABULARY.get(field)
    kind = getattr(vocabulary, name, None) if name else None
    if kind is None:  # a vocabulary defined beside its aggregate (firing kinds, addressees)
        kind = next((k for k in _LABELS if k.__name__ == name), None)
    return _LABELS.get(kind, {}) if kind is not None else {}


def value_zh(event_type: str, field: str, value: Any, names: dict[str, str]) -> str:
    if value is None or value == "":
        return "—"
    words = _vocabulary(event_type, field)
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        return "、".join(value_zh(event_type, field, v, names) for v in value) or "—"
    if isinstance(value, dict):
        return "，".join(
            f"{words.get(k) or FIELD_LABELS_ZH.get(k, k)}："
            f"{value_zh(event_type, k, v, names)}"
            for k, v in value.items()
        )
    text = str(value)
    if text in words:
        return words[text]
    if UUID.match(text):
        return names.get(text.lower(), names.get(text, "（范围外或已不存在的单位）"))
    if not is_finite(value):  # a NaN recorded before the commands refused it
        return INVALID_NUMBER
    if isinstance(value, float) and value == int(value):
        return f"{int(value):,}" if field == "amount_yuan" else str(int(value))
    return text


def event_zh(event_type: str, data: dict[str, Any] | None, names: dict[str, str]) -> str:
    """An event's fields in words: "天数：2；方式：讲授；主题：党课"."""
    return "；".join(
        f"{FIELD_LABELS_ZH.get(k, k)}：{value_zh(event_type, k, v, names)}"
        for k, v in (data or {}).items()
        if k not in INTERNAL_FIELDS and v is not None and v != ""
    )


def ids_in(data: Any) -> set[str]:
    """Every id an event's data names, to look their names up at once."""
    if isinstance(data, dict):
        return set().union(*(ids_in(v) for v in data.values())) if data else set()
    if isinstance(data, list):
        return set().union(*(ids_in(v) for v in data)) if data else set()
    return {data.lower()} if isinstance(data, str) and UUID.match(data) else set()
