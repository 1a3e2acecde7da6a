"""Turns whose commit we could not hear back about.

When the database connection is cut while a turn commits (PostgreSQL restarting, a network
blip), the turn may have been stored even though the engine saw an error and apologised with
"please try again". The person then writes the same thing again, and that copy would be
taken as the answer to the *next* question. So the engine remembers, per person, the events it
apologised for (the same message may fail several times while the server is down); if the
person's next message is the same and one of those events turns out to be stored, the current
question is repeated instead of the message being applied twice.

Also remembered: the language each person last used, so that an apology sent while the
database cannot be read is still in their language.

Kept in memory on purpose: the database is the thing that just failed, and losing this on a
restart only loses the refinement, never data.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import TypeVar

from bot.domain import Inbound

MAX_REMEMBERED = 10_000  # people remembered at once; the oldest are forgotten first

V = TypeVar("V")


@dataclass(frozen=True)
class Unsure:
    dedupe_keys: tuple[str, ...]
    content: tuple[str, str, str]


def _person(event: Inbound) -> str:
    return f"{event.channel.value}:{event.external_id}"


def _content(event: Inbound) -> tuple[str, str, str]:
    return (event.kind.value, event.text.strip().casefold(), event.data)


class UnsureTurns:
    def __init__(self, limit: int = MAX_REMEMBERED) -> None:
        self._limit = limit
        self._by_person: OrderedDict[str, Unsure] = OrderedDict()
        self._languages: OrderedDict[str, str] = OrderedDict()

    def failed(self, event: Inbound) -> None:
        """The turn of `event` failed: it may or may not have been stored."""
        if not event.dedupe_key:
            return
        key = _person(event)
        earlier = self._by_person.pop(key, None)
        keys: tuple[str, ...] = (event.dedupe_key,)
        if earlier is not None and earlier.content == _content(event):
            keys = (*earlier.dedupe_keys, event.dedupe_key)
        self._by_person[key] = Unsure(keys, _content(event))
        _trim(self._by_person, self._limit)

    def repeats(self, event: Inbound) -> tuple[str, ...]:
        """The dedupe keys of the failed events that `event` repeats (none if it differs)."""
        earlier = self._by_person.get(_person(event))
        if earlier is None or earlier.content != _content(event):
            return ()
        return earlier.dedupe_keys

    def settled(self, event: Inbound) -> None:
        """A turn of this person went through: only their very next message can be a repeat."""
        self._by_person.pop(_person(event), None)

    def spoke(self, event: Inbound, language: str | None) -> None:
        if not language:
            return
        key = _person(event)
        self._languages.pop(key, None)
        self._languages[key] = language
        _trim(self._languages, self._limit)

    def language(self, event: Inbound) -> str | None:
        return self._languages.get(_person(event))


def _trim(memory: OrderedDict[str, V], limit: int) -> None:
    while len(memory) > limit:
        memory.popitem(last=False)
