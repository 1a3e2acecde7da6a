"""Who the fake bot is and which commands it has: getMe and the *MyCommands methods."""

from __future__ import annotations

import copy
import json
import re
from typing import Final

from tests.fakes.telegram_records import ApiError, Call, JSONDict

_BOT_COMMAND_NAME_RE: Final = re.compile(r"[a-z0-9_]{1,32}")


def scope_key(scope: object) -> str:
    """The ``commands`` key part for a BotCommandScope (``None`` means the default scope)."""
    if scope is None:
        scope = {"type": "default"}
    if not isinstance(scope, dict):
        raise ApiError(400, "Bad Request: can't parse BotCommandScope JSON object")
    return json.dumps(scope, sort_keys=True)


def _commands_key(params: JSONDict) -> tuple[str, str]:
    language_code = params.get("language_code", "")
    if not isinstance(language_code, str):
        raise ApiError(400, "Bad Request: invalid language code specified")
    return scope_key(params.get("scope")), language_code


def _valid_command(command: object) -> bool:
    return bool(
        isinstance(command, dict)
        and isinstance(command.get("command"), str)
        and _BOT_COMMAND_NAME_RE.fullmatch(command["command"])
        and isinstance(command.get("description"), str)
        and 1 <= len(command["description"]) <= 256
    )


class BotProfile:
    """``bot_user`` is the bot's ``User``; ``commands[(scope_json, language_code)]`` its commands."""

    def __init__(self, token: str, first_name: str, username: str) -> None:
        prefix = token.split(":", 1)[0]
        self.bot_user: JSONDict = {
            "id": int(prefix) if prefix.isdigit() else 123456,
            "is_bot": True,
            "first_name": first_name,
            "username": username,
        }
        self.commands: dict[tuple[str, str], list[JSONDict]] = {}

    async def always_true(self, call: Call) -> bool:
        return True

    async def get_me(self, call: Call) -> JSONDict:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    async def set_my_commands(self, call: Call) -> bool:
        commands = call.params.get("commands")
        if not isinstance(commands, list):
            raise ApiError(400, "Bad Request: can't parse commands JSON object")
        if not all(_valid_command(command) for command in commands):
            raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
        key = _commands_key(call.params)
        self.commands[key] = copy.deepcopy(commands)
        return True

    async def get_my_commands(self, call: Call) -> list[JSONDict]:
        return copy.deepcopy(self.commands.get(_commands_key(call.params), []))

    async def delete_my_commands(self, call: Call) -> bool:
        self.commands.pop(_commands_key(call.params), None)
        return True
