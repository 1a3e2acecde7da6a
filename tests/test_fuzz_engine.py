"""Fuzz 1: engine events for a handful of people on three channels and one operator
(see tests/fuzz_support.py for what every suite checks)."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.app import App
from bot.channels import Sender, Template
from bot.clock import ManualClock
from bot.domain import Channel, Inbound, InboundKind, Reply
from scheduling import jobs
from tests.chat import Chat, complete_intake
from tests.direct_db import connect
from tests.fuzz_support import (
    CHECK_EVERY,
    ENGINE_EVENTS,
    ENGINE_EXAMPLES,
    ENGINE_MINIMUM,
    OPERATORS,
    SETTINGS,
    START,
    any_text,
    apologies,
    check_invariants,
    counts,
    database_of,
    driver,
    forged_data,
    fuzz_app,
    logged_errors,
    plain_text,
    settings_on,
    weighted,
)

pytestmark = pytest.mark.slow


@dataclass
class Recorder:
    """The outbox's channel in the engine test: remembers the latest question per person."""

    latest: dict[str, Reply]
    texts: list[str] = field(default_factory=list)

    async def send(
        self,
        external_id: str,
        replies: Sequence[Reply],
        *,
        template: Template | None = None,
        outbox_id: int | None = None,
    ) -> None:
        for reply in replies:
            self.texts.append(reply.text)
            if reply.options:
                self.latest[external_id] = reply


@dataclass(frozen=True)
class Person:
    channel: Channel
    external_id: str


PEOPLE = (
    Person(Channel.TELEGRAM, "71000001"),
    Person(Channel.TELEGRAM, "71000002"),
    Person(Channel.TELEGRAM, "71000003"),
    Person(Channel.WHATSAPP, "+393330000001"),
    Person(Channel.WHATSAPP, "+447700900001"),
    Person(Channel.CONSOLE, "fuzzy"),
    Person(Channel.TELEGRAM, OPERATORS[1]),  # Marco: operators' buttons and commands
)


@dataclass(frozen=True)
class EventSpec:
    person: int
    kind: str  # text | tap | stale | data | media | edit | open
    text: str = ""
    number: int = 0
    language: str | None = None
    dedupe: int | None = None  # None: no key; n >= 0: a fresh key; < 0: an earlier key again
    profile_name: str | None = None


_person = st.integers(0, len(PEOPLE) - 1)
event_specs = weighted(
    (
        50,
        st.builds(
            EventSpec,
            person=_person,
            kind=st.just("text"),
            text=any_text,
            language=st.one_of(
                st.none(), st.sampled_from(("it", "en", "en-US", "fr", "", "x" * 40))
            ),
            dedupe=st.one_of(st.none(), st.integers(-3, 10**6)),
            profile_name=st.one_of(
                st.none(), st.sampled_from(("Anna", "", "  ", "4" * 50)), plain_text
            ),
        ),
    ),
    (
        50,
        st.builds(
            EventSpec,
            person=_person,
            kind=st.sampled_from(("tap", "tap", "tap", "stale")),
            number=st.integers(0, 40),
            dedupe=st.one_of(st.none(), st.integers(0, 10**6)),
        ),
    ),
    (
        25,
        st.builds(
            EventSpec,
            person=_person,
            kind=st.just("data"),
            text=forged_data,
            dedupe=st.one_of(st.none(), st.integers(-3, 10**6)),
        ),
    ),
    (
        20,
        st.builds(
            EventSpec,
            person=_person,
            kind=st.sampled_from(("media", "edit", "open")),
            language=st.one_of(st.none(), st.just("it")),
        ),
    ),
    # Not an input: the person starts over and books, so that appointments, reminders,
    # waitlist offers and outcome buttons keep turning up under the random events.
    (1, st.builds(EventSpec, person=_person, kind=st.just("book"))),
)


@dataclass(frozen=True)
class Round:
    events: list[EventSpec]
    minutes: int  # the clock moves on before the events
    jobs: bool  # housekeeping and the outbox dispatcher run after them


rounds = st.builds(
    Round,
    events=st.lists(event_specs, min_size=ENGINE_EVENTS[0], max_size=ENGINE_EVENTS[1]),
    minutes=st.one_of(st.just(0), st.just(0), st.integers(1, 600)),
    jobs=st.booleans(),
)


@dataclass
class EngineFuzz:
    app: App
    clock: ManualClock
    recorder: Recorder
    events: int = 0
    keys: list[str] = field(default_factory=list)
    replies: int = 0
    apologies: list[str] = field(default_factory=list)
    examples: int = 0
    macro_events: int = 0

    async def prelude(self) -> None:
        """People start in different places: nowhere, the notice, the intake, booked."""
        chats = [Chat(self.app.engine, p.external_id, channel=p.channel) for p in PEOPLE[:4]]
        await chats[1].send("/start")
        await complete_intake(chats[2])
        await complete_intake(chats[3])
        day = next(o.id for o in chats[3].question.options if o.id.startswith("d."))
        await chats[3].tap(day)
        time_ = next(o.id for o in chats[3].question.options if o.id.startswith("t."))
        await chats[3].tap(time_)
        for person, chat in zip(PEOPLE, chats, strict=False):
            asked = [r for r in chat.replies if r.options and r.seq is not None]
            if asked:
                self.recorder.latest[person.external_id] = asked[-1]

    def _inbound(self, spec: EventSpec) -> Inbound:
        person = PEOPLE[spec.person]
        kind = {
            "text": InboundKind.TEXT,
            "media": InboundKind.MEDIA,
            "edit": InboundKind.EDIT,
            "open": InboundKind.OPEN,
        }.get(spec.kind, InboundKind.BUTTON)
        data = spec.text if spec.kind == "data" else ""
        latest = self.recorder.latest.get(person.external_id)
        if spec.kind in ("tap", "stale") and latest is not None and latest.options:
            option = latest.options[spec.number % len(latest.options)]
            seq = latest.seq or 0
            data = f"{seq - 1 - spec.number % 3 if spec.kind == 'stale' else seq}:{option.id}"
        dedupe: str | None = None
        if spec.dedupe is not None:
            if spec.dedupe < 0 and self.keys:
                dedupe = self.keys[spec.dedupe % len(self.keys)]
            else:
                dedupe = f"fuzz:{len(self.keys)}"
                self.keys.append(dedupe)
        return Inbound(
            channel=person.channel,
            external_id=person.external_id,
            kind=kind,
            text=spec.text if kind is InboundKind.TEXT else "",
            data=data,
            language_hint=spec.language,
            dedupe_key=dedupe,
            profile_name=spec.profile_name,
        )

    async def book(self, person: Person) -> None:
        """Erase the person if they exist, then the whole intake and the first free time."""
        if person.external_id in OPERATORS:
            return
        chat = Chat(self.app.engine, person.external_id, channel=person.channel)
        await chat.send("/cancella")
        if "erase.yes" in [o.id for o in chat.question.options]:
            await chat.tap("erase.yes")
        await complete_intake(chat)
        for prefix in ("d.", "t."):
            chosen = [o.id for o in chat.question.options if o.id.startswith(prefix)]
            if chosen:
                await chat.tap(chosen[0])
        self.macro_events += len(chat.replies)
        self.recorder.latest[person.external_id] = chat.question

    async def round(self, round_: Round, dispatcher: Any) -> None:
        self.clock.advance(timedelta(minutes=round_.minutes))
        for spec in round_.events:
            if spec.kind == "book":
                await self.book(PEOPLE[spec.person])
                continue
            event = self._inbound(spec)
            replies = await self.app.engine.handle(event)
            self.events += 1
            self.replies += len(replies)
            self.apologies += apologies([r.text for r in replies])
            asked = [r for r in replies if r.options and r.seq is not None]
            if asked:
                self.recorder.latest[event.external_id] = asked[-1]
        if round_.jobs:
            agenda = self.app.settings.agenda
            await jobs.expire_holds(self.app.db, self.clock, agenda)
            await jobs.plan_digests(self.app.db, self.clock, agenda)
            await jobs.cancel_on_closed_days(self.app.db, self.clock, agenda)
            await dispatcher.tick()
        self.examples += 1


def test_engine_events(tmp_path: Path, backend: str, request: pytest.FixtureRequest) -> None:
    database = database_of(tmp_path, "engine.db", backend, request)
    clock = ManualClock(START)
    started = time.perf_counter()
    with (
        driver() as run,
        logged_errors() as errors,
        contextlib.closing(connect(database)) as db,
    ):
        app = run.enter(fuzz_app(settings_on(database), clock))
        recorder = Recorder(latest={})
        senders: dict[Channel, Sender] = dict.fromkeys(Channel, recorder)
        dispatcher = app.dispatcher(senders, {})
        fuzz = EngineFuzz(app, clock, recorder)
        run.run(fuzz.prelude())
        max_active = app.settings.agenda.rules.max_active_per_person

        @settings(SETTINGS, max_examples=ENGINE_EXAMPLES)
        @given(rounds)
        def engine_round(round_: Round) -> None:
            run.run(fuzz.round(round_, dispatcher))
            full = fuzz.examples % CHECK_EVERY == 0
            check_invariants(db, max_active, full=full)

        engine_round()
        check_invariants(db, max_active, full=True)
        assert errors.lines() == []
        bookings = counts(db, "SELECT status, COUNT(*) FROM bookings GROUP BY 1")
        steps = counts(db, "SELECT step, COUNT(*) FROM conversations GROUP BY 1")
        erased = db.execute("SELECT COALESCE(SUM(count), 0) FROM erasure_stats").fetchone()
    assert fuzz.apologies == []
    assert apologies(recorder.texts) == []
    elapsed = time.perf_counter() - started
    print(
        f"\nfuzz engine: {fuzz.events} events in {fuzz.examples} examples (and "
        f"{fuzz.macro_events} replies to scripted bookings), {fuzz.replies} "
        f"replies, {len(recorder.texts)} outbox messages, {elapsed:.1f} s "
        f"({fuzz.events / elapsed:.0f}/s); bookings {bookings}, {erased[0]} erasures, "
        f"final steps {steps}"
    )
    print(f"engine fuzz: {fuzz.events} events")
    assert fuzz.events >= ENGINE_MINIMUM
