"""A hypothesis state machine over appointments: booking, rescheduling, cancelling, the
waitlist and its offers (accepted, declined, expired), erasure, the clock and the outbox
dispatcher, on an agenda with so few slots that people compete for them.

Rules call the capabilities (bot/capabilities/appointments.py and waitlist.py) the way the
conversation does (which enforce one active appointment per `max_active_per_person`; only a
booked appointment is moved or cancelled, an erasure cancels first) and the jobs of
scheduling/jobs.py, on a ManualClock.

Invariants, after every step:
* no slot held or booked twice;
* nobody with more than `max_active_per_person` active (held or booked) appointments;
* every pending reminder belongs to a live ('booked') appointment and carries its current
  calendar sequence; every pending outcome prompt belongs to a live appointment and is due at
  its end; every pending waitlist offer belongs to a held slot and ends with the hold;
and after `expire_holds` runs, no held slot is past its expiry.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import tempfile
from collections.abc import Coroutine, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from bot.agenda import Agenda
from bot.app import App, build_app
from bot.capabilities import appointments, waitlist
from bot.capabilities.appointments import BookOutcome
from bot.capabilities.waitlist import OfferOutcome
from bot.channels import Sender
from bot.clock import ManualClock
from bot.domain import Booking, Channel
from bot.slots import free_slots
from scheduling import jobs
from scheduling.dispatcher import Dispatcher
from tests.booking_helpers import RecordingSender, write_config
from tests.conftest import empty_database, make_settings
from tests.direct_db import Target, connect

pytestmark = pytest.mark.slow

T = TypeVar("T")
PEOPLE = 6
# Monday 23 November 2026, 8:00 in Lucca.
START = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)

# Giulia: two slots a weekday morning; Marco: one on Tuesdays and Thursdays. Two days ahead,
# two hours' notice: about five slots at any time for six people.
AGENDA = """
[booking]
slot_minutes = 45
buffer_minutes = 15
horizon_days = 2
min_notice_hours = 2
max_active_per_person = {max_active}
waitlist_hold_minutes = 60
reminder_hours = [24, 1]

[[operator]]
id = "giulia"
name = "Giulia Bianchi"
telegram_id = 100000001
meeting = "room"
room_url = "https://zoom.us/j/1000000001"
[operator.hours]
mon = ["09:00-11:00"]
tue = ["09:00-11:00"]
wed = ["09:00-11:00"]
thu = ["09:00-11:00"]
fri = ["09:00-11:00"]

[[operator]]
id = "marco"
name = "Marco Rossi"
telegram_id = 100000002
meeting = "room"
room_url = "https://zoom.us/j/1000000002"
[operator.hours]
tue = ["09:00-10:00"]
thu = ["09:00-10:00"]
"""

persons = st.integers(0, PEOPLE - 1)
picks = st.integers(0, 12)


class BookingMachine(RuleBasedStateMachine):
    max_active = 1
    # The emptied PostgreSQL database of the [postgresql] cases (else a new SQLite file).
    postgresql: str | None = None

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.folder = Path(tempfile.mkdtemp(prefix="booking-machine-"))
        config = write_config(self.folder, AGENDA.format(max_active=self.max_active))
        self.database: Target = self.folder / "s.db"
        if self.postgresql is not None:
            self.run(empty_database(self.postgresql))
            self.database = self.postgresql
        self.clock = ManualClock(START)
        self.app: App = self.run(
            build_app(make_settings(self.database, SPORTELLO_CONFIG=str(config)), self.clock)
        )
        assert self.app.settings.agenda.rules.max_active_per_person == self.max_active
        assert self.app.settings.database_url == self.postgresql
        self.sender = RecordingSender()
        senders: dict[Channel, Sender] = {Channel.TELEGRAM: self.sender}
        self.dispatcher: Dispatcher = self.app.dispatcher(senders, {})
        self.person_ids: list[int] = []
        self.created = 0
        self.holding: list[int] = []  # people (indexes) with a waitlist hold
        self.booked: list[int] = []  # people with a booked appointment
        self.reader = connect(self.database)  # one for the whole run: invariants read often

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return self.loop.run_until_complete(coroutine)

    def teardown(self) -> None:
        try:
            self.run(self.app.close())
        finally:
            self.reader.close()
            self.loop.close()
            shutil.rmtree(self.folder, ignore_errors=True)

    def count(self, what: str) -> None:
        event(what)  # shown by --hypothesis-show-statistics

    @property
    def agenda(self) -> Agenda:
        return self.app.settings.agenda

    async def _new_person(self) -> int:
        self.created += 1
        async with self.app.db.write() as tx:
            person = await tx.people.create(
                Channel.TELEGRAM, str(500_000 + self.created), self.clock.now(), "it"
            )
        return person.id

    @initialize()
    def newcomers(self) -> None:
        self.person_ids = [self.run(self._new_person()) for _ in range(PEOPLE)]

    @invariant()
    def look(self) -> None:
        """Who holds what now, so that rules can aim at people it applies to (not a check)."""
        rows = self._query(
            "SELECT person_id, status FROM bookings WHERE status IN ('held', 'booked')"
        )
        index = {pid: n for n, pid in enumerate(self.person_ids)}
        self.holding = sorted({index[r[0]] for r in rows if r[1] == "held" and r[0] in index})
        self.booked = sorted({index[r[0]] for r in rows if r[1] == "booked" and r[0] in index})

    # -- helpers -------------------------------------------------------------------------------

    def all_starts(self) -> list[datetime]:
        """Every slot start of the horizon, free or not, in order."""
        slots = free_slots(self.agenda.operators, self.agenda.rules, self.clock.now(), ())
        return sorted({s.starts_at for s in slots})

    async def _active(self, person: int) -> list[Booking]:
        async with self.app.db.read() as tx:
            return await tx.bookings.active_for(self.person_ids[person])

    def active(self, person: int, status: str | None = None) -> list[Booking]:
        found = self.run(self._active(person))
        return [b for b in found if status is None or b.status == status]

    def _start_of(self, pick: int) -> datetime | None:
        starts = self.all_starts()
        return starts[pick % len(starts)] if starts else None

    # -- what people do -------------------------------------------------------------------------

    @rule(person=persons, pick=picks)
    def book(self, person: int, pick: int) -> None:
        starts_at = self._start_of(pick)
        if starts_at is None:
            return

        async def go() -> tuple[bool, bool, Booking | None]:
            async with self.app.db.write() as tx:
                now = self.clock.now()
                free = {s.starts_at for s in await appointments.open_slots(tx, self.agenda, now)}
                active = await tx.bookings.active_for(self.person_ids[person])
                full = len(active) >= self.agenda.rules.max_active_per_person
                result = await appointments.book(
                    tx, self.agenda, self.person_ids[person], starts_at, now
                )
                assert (result.outcome == BookOutcome.LIMIT_REACHED) == full
                return starts_at in free, full, result.booking

        was_free, full, booked = self.run(go())
        if full:
            assert booked is None
        elif booked is not None:
            self.count("booked")
            assert was_free, "a slot that was not free was booked"
            assert booked.status == "booked"
            assert booked.starts_at == starts_at
        else:
            assert not was_free, "a free time could not be booked"

    @precondition(lambda self: self.booked)
    @rule(which=picks, pick=picks)
    def reschedule(self, which: int, pick: int) -> None:
        person = self.booked[which % len(self.booked)]
        current = self.active(person, "booked")
        starts_at = self._start_of(pick)
        if not current or starts_at is None:
            return
        before = current[0]

        async def go() -> tuple[bool, Booking | None]:
            async with self.app.db.write() as tx:
                now = self.clock.now()
                free = {s.starts_at for s in await appointments.open_slots(tx, self.agenda, now)}
                moved = await appointments.move(tx, self.agenda, before, starts_at, now)
                return starts_at in free, moved.booking

        was_free, moved = self.run(go())
        if moved is None:
            assert not was_free, "a free time could not be taken"
            return
        self.count("moved")
        assert was_free
        assert moved.id == before.id
        assert moved.sequence == before.sequence + 1
        assert moved.starts_at == starts_at

    @precondition(lambda self: self.booked)
    @rule(which=picks)
    def cancel(self, which: int) -> None:
        person = self.booked[which % len(self.booked)]
        current = self.active(person, "booked")
        if not current:
            return

        async def go() -> None:
            async with self.app.db.write() as tx:
                assert await appointments.cancel(tx, self.agenda, current[0], self.clock.now())

        self.run(go())
        self.count("cancelled")

    @rule(person=persons)
    def join_waitlist(self, person: int) -> None:
        """As NoSlotsStep: only someone without an appointment is offered the waiting list."""
        if self.active(person):
            return

        async def go() -> None:
            async with self.app.db.write() as tx:
                await waitlist.join(tx, self.person_ids[person], self.clock.now())

        self.run(go())
        self.count("joined")

    @rule(person=persons)
    def leave_waitlist(self, person: int) -> None:
        async def go() -> None:
            async with self.app.db.write() as tx:
                await waitlist.leave(tx, self.person_ids[person])

        self.run(go())

    @precondition(lambda self: self.holding)
    @rule(which=picks)
    def accept_offer(self, which: int) -> None:
        person = self.holding[which % len(self.holding)]
        held = self.active(person, "held")
        if not held:
            return
        hold = held[0]

        async def go() -> bool:
            async with self.app.db.write() as tx:
                result = await waitlist.accept_offer(
                    tx, self.agenda, self.person_ids[person], hold, self.clock.now()
                )
                return result.outcome == OfferOutcome.ACCEPTED

        accepted = self.run(go())
        assert hold.hold_expires_at is not None
        assert accepted == (hold.hold_expires_at > self.clock.now())
        if accepted:
            self.count("offer accepted")
            assert [b.status for b in self.active(person)] == ["booked"] * len(self.active(person))

    @precondition(lambda self: self.holding)
    @rule(which=picks)
    def decline_offer(self, which: int) -> None:
        person = self.holding[which % len(self.holding)]
        held = self.active(person, "held")
        if not held:
            return

        async def go() -> None:
            async with self.app.db.write() as tx:
                await waitlist.release_offer(tx, self.agenda, held[0], self.clock.now())

        self.run(go())
        self.count("offer declined")

    @rule(person=persons)
    def erase(self, person: int) -> None:
        """/cancella: appointments are cancelled first, then the person goes; a newcomer
        takes their place in the machine."""
        person_id = self.person_ids[person]

        async def go() -> None:
            async with self.app.db.write() as tx:
                now = self.clock.now()
                for booking in await tx.bookings.active_for(person_id):
                    await appointments.cancel(tx, self.agenda, booking, now)
                await tx.people.erase(person_id, now)

        self.run(go())
        self.person_ids[person] = self.run(self._new_person())
        self.count("erased")

    # -- time and jobs --------------------------------------------------------------------------

    @rule(minutes=st.sampled_from((1, 15, 59, 60, 61, 120, 300, 24 * 60)))
    def advance(self, minutes: int) -> None:
        self.clock.advance(timedelta(minutes=minutes))

    @precondition(lambda self: self.holding)
    @rule(extra=st.sampled_from((0, 1, 30)))
    def let_a_hold_lapse(self, extra: int) -> None:
        """Nobody answers an offer in time: the clock passes its end, the job runs."""
        self.clock.advance(self.agenda.rules.waitlist_hold + timedelta(minutes=extra))
        self.expire_holds()

    @rule()
    def expire_holds(self) -> None:
        expired = self.run(jobs.expire_holds(self.app.db, self.clock, self.agenda))
        if expired:
            self.count("holds expired")
        late = self._query(
            "SELECT id, hold_expires_at FROM bookings WHERE status = 'held' "
            "AND hold_expires_at <= ?",
            self.clock.now().isoformat(),
        )
        assert [tuple(r) for r in late] == [], f"held past expiry after expire_holds: {late}"

    @rule()
    def dispatch(self) -> None:
        sent = self.run(self.dispatcher.tick())
        if sent:
            self.count("outbox rows handled")

    # -- invariants -----------------------------------------------------------------------------

    def _query(self, sql: str, *params: object) -> list[Any]:
        return list(self.reader.execute(sql, params).fetchall())

    @invariant()
    def no_slot_given_twice(self) -> None:
        doubles = self._query(
            "SELECT operator_id, starts_at, COUNT(*) FROM bookings "
            "WHERE status IN ('held', 'booked') GROUP BY 1, 2 HAVING COUNT(*) > 1"
        )
        assert [tuple(r) for r in doubles] == []

    @invariant()
    def nobody_holds_too_much(self) -> None:
        greedy = self._query(
            "SELECT person_id, COUNT(*) FROM bookings WHERE status IN ('held', 'booked') "
            "GROUP BY person_id HAVING COUNT(*) > ?",
            self.max_active,
        )
        assert [tuple(r) for r in greedy] == []

    @invariant()
    def pending_messages_match_live_appointments(self) -> None:
        rows = self._query(
            "SELECT o.id, o.kind, o.payload, o.due_at, o.not_after, b.status, b.sequence, "
            "b.ends_at, b.hold_expires_at, o.person_id AS to_person, b.person_id AS owner "
            "FROM outbox o JOIN bookings b ON b.id = o.booking_id WHERE o.status = 'pending' "
            "AND o.kind IN ('reminder', 'reminder_confirm', 'outcome_prompt', 'waitlist_offer')"
        )
        for row in rows:
            where = dict(row)
            if row["kind"] == "waitlist_offer":
                # Taken (or then cancelled) before it was sent, an offer renders to nothing
                # and is dropped by the dispatcher.
                if row["status"] == "held":
                    assert row["not_after"] == row["hold_expires_at"], where
                    assert row["to_person"] == row["owner"], where
                continue
            assert row["status"] == "booked", where
            if row["kind"] == "outcome_prompt":
                assert row["due_at"] == row["ends_at"], where
            else:
                assert json.loads(row["payload"]) == {"sequence": row["sequence"]}, where
                assert row["to_person"] == row["owner"], where

    @invariant()
    def reminders_of_live_appointments_are_planned(self) -> None:
        """The other way round: a booked appointment not yet over has its outcome prompt
        pending (or sent), and no appointment has two pending messages of one kind."""
        doubled = self._query(
            "SELECT booking_id, kind, COUNT(*) FROM outbox WHERE status = 'pending' "
            "AND kind IN ('reminder', 'reminder_confirm', 'outcome_prompt') "
            "GROUP BY 1, 2 HAVING COUNT(*) > 1"
        )
        assert [tuple(r) for r in doubled] == []
        missing = self._query(
            "SELECT b.id FROM bookings b WHERE b.status = 'booked' AND b.ends_at > ? "
            "AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.booking_id = b.id "
            "AND o.kind = 'outcome_prompt' AND o.status != 'dropped')",
            self.clock.now().isoformat(),
        )
        assert [tuple(r) for r in missing] == []


class BookingMachineTwoEach(BookingMachine):
    max_active = 2


MACHINE_SETTINGS = settings(
    max_examples=120,
    stateful_step_count=40,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)

TestOneAppointmentEach = BookingMachine.TestCase
TestOneAppointmentEach.settings = MACHINE_SETTINGS
TestTwoAppointmentsEach = BookingMachineTwoEach.TestCase
TestTwoAppointmentsEach.settings = settings(MACHINE_SETTINGS, max_examples=60)


class OnPostgresql(BookingMachine):
    """The same machine with its database on PostgreSQL: its races are decided by another
    engine's locks and constraints."""


class OnPostgresqlTwoEach(BookingMachineTwoEach, OnPostgresql):
    pass


@pytest.fixture
def machines_on_postgresql(pg_url: str) -> Iterator[None]:
    OnPostgresql.postgresql = pg_url
    yield
    OnPostgresql.postgresql = None


TestOneAppointmentEachOnPostgresql = pytest.mark.usefixtures("machines_on_postgresql")(
    OnPostgresql.TestCase
)
TestOneAppointmentEachOnPostgresql.settings = settings(MACHINE_SETTINGS, max_examples=40)
TestTwoAppointmentsEachOnPostgresql = pytest.mark.usefixtures("machines_on_postgresql")(
    OnPostgresqlTwoEach.TestCase
)
TestTwoAppointmentsEachOnPostgresql.settings = settings(MACHINE_SETTINGS, max_examples=20)
