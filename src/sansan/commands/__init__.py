"""The command table: every use case of the campaign, as one pydantic model each."""

from sansan.commands import campaign, community, member, organization, supervision
from sansan.commands.base import Command, CommandContext, Creation, VersionMismatch


def _all_commands() -> dict[str, type[Command]]:
    table: dict[str, type[Command]] = {}
    for module in (community, organization, member, campaign, supervision):
        for obj in vars(module).values():
            concrete = isinstance(obj, type) and issubclass(obj, Command) and obj.__doc__
            if concrete and obj.__module__ == module.__name__ and (obj.operation or _runs(obj)):
                table[obj.__name__] = obj
    return table


def _runs(cls: type[Command]) -> bool:
    return "run" in vars(cls)


COMMANDS: dict[str, type[Command]] = _all_commands()

__all__ = ["COMMANDS", "Command", "CommandContext", "Creation", "VersionMismatch"]
