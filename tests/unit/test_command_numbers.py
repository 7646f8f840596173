"""No number in a command takes JSON's true or false: lax pydantic would read ``"days": true``
as a day of training. Every numeric field of every command, found by its type, refuses them.

Mutations each of which fails these tests: ``_not_a_boolean`` letting booleans through; one
field declared ``float`` instead of ``Real``."""

import typing
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from sansan.api.command_routes import COMMAND_ROUTES
from sansan.commands import Command
from sansan.commands.examples import example_of

NUMBERS = (int, float, Decimal)


def _bare(annotation: Any) -> Any:
    """The type without ``| None`` and without Annotated's validators."""
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if typing.get_origin(annotation) in (typing.Union, type(int | None)) and len(args) == 1:
        annotation = args[0]
    if typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    return annotation


def numeric_fields() -> list[tuple[type[Command], str, bool]]:
    """(command, field, whether the number is a dict's value) for every number a command holds."""
    found = []
    for command in {route.command for route in COMMAND_ROUTES}:
        for name, info in command.model_fields.items():
            kind = _bare(info.annotation)
            if kind in NUMBERS:
                found.append((command, name, False))
            elif typing.get_origin(kind) is dict and _bare(typing.get_args(kind)[1]) in NUMBERS:
                found.append((command, name, True))
    return sorted(found, key=lambda f: (f[0].__name__, f[1]))


FIELDS = numeric_fields()


def test_the_commands_have_numbers_of_each_kind() -> None:
    kinds = {_bare(c.model_fields[n].annotation) for c, n, in_dict in FIELDS if not in_dict}
    assert kinds == set(NUMBERS)
    assert any(in_dict for _, _, in_dict in FIELDS)


@pytest.mark.parametrize("boolean", [True, False])
@pytest.mark.parametrize(("command", "name", "in_dict"), FIELDS,
                         ids=[f"{c.__name__}.{n}" for c, n, _ in FIELDS])  # fmt: skip
def test_a_boolean_is_not_a_number(
    command: type[Command], name: str, in_dict: bool, boolean: bool
) -> None:
    body = example_of(command).model_dump(mode="json")
    if in_dict:
        keys = typing.get_args(_bare(command.model_fields[name].annotation))[0]
        body[name] = {next(iter(keys)).value: boolean}
    else:
        body[name] = boolean
    with pytest.raises(ValidationError) as refused:
        command.model_validate(body)
    assert [(e["loc"][0], e["type"]) for e in refused.value.errors()] == [
        (name, "number_not_boolean")
    ]
