"""Turns whose commit we could not hear back about.

When the database connection is cut while a turn commits (PostgreSQL restarting, a network
blip), the turn may have been stored even though the engine saw an error and apologised with
"please try again". The person then writes the same thing again, and that copy would be
taken as the answer to the *next* question. So the engine remembers, per person, the event it
apologised for; if the person's next message is the same and the earlier event turns out to
be stored, the current question is repeated instead of the message being applied twice.

Kept in memory on purpose: the database is the thing that just failed, and losing this on a
restart only loses the refinement, never data.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from bot.domain import Inbound

MAX_REMEMBERED = 10_000  # people in that state at once; the oldest are forgotten first


@dataclass(frozen=True)
class Unsure:
    dedupe_key: str
    content: tuple[str, str, str]


def _person(event: Inbound) -> str:
    return f"{event.channel.value}:{event.external_id}"


def _content(event: Inbound) -> tuple[str, str, str]:
    return (event.kind.value, event.text.strip().casefold(), event.data)


class UnsureTurns:
    def __init__(self, limit: int = MAX_REMEMBERED) -> None:
        self._limit = limit
        self._by_person: OrderedDict[str, Unsure] = OrderedDict()

    def remember(self, event: Inbound) -> None:
        """The turn of `event` failed: it may or may not have been stored."""
        if not event.dedupe_key:
            return
        key = _person(event)
        self._by_person.pop(key, None)
        self._by_person[key] = Unsure(event.dedupe_key, _content(event))
        while len(self._by_person) > self._limit:
            self._by_person.popitem(last=False)

    def repeated(self, event: Inbound) -> str | None:
        """The dedupe key of the failed event `event` repeats, if it does; forgotten either
        way, since only the very next message can be such a repeat."""
        earlier = self._by_person.pop(_person(event), None)
        if earlier is None or earlier.content != _content(event):
            return None
        return earlier.dedupe_key
