"""The people capabilities, called directly in a unit of work, as any interface would:
contact, language and source, consents, intake answers, erasure, "my data", linking.

The fixture clock is Tuesday 24 November 2026 in Lucca; Marco is free on Thursday at 9:00.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.app import App
from bot.capabilities import appointments, intake_answers, people, seats, waitlist
from bot.capabilities.intake_answers import StartOver
from bot.capabilities.people import ConsentKind, IdentityKey, LanguageChange, LinkOutcome
from bot.clock import ROME, ManualClock
from bot.domain import BookingStatus, Channel, RegistrationStatus
from storage.session import Session
from tests.workshop_helpers import new_workshop

THURSDAY_0900 = datetime(2026, 11, 26, 9, 0, tzinfo=ROME)
TELEGRAM_ANNA = IdentityKey(Channel.TELEGRAM, "4242")
WHATSAPP_ANNA = IdentityKey(Channel.WHATSAPP, "+393331234567")


async def someone(tx: Session, who: IdentityKey, now: datetime) -> int:
    return (await people.first_contact(tx, who.channel, who.external_id, now, "it")).id


async def test_first_contact_then_touch_and_unreachable(app: App, clock: ManualClock) -> None:
    now = clock.now()
    async with app.db.write() as tx:
        person = await people.first_contact(tx, Channel.TELEGRAM, "4242", now, None)
        assert person.language is None
        assert await tx.people.by_identity(Channel.TELEGRAM, "4242") == person
        await people.mark_unreachable(tx, Channel.TELEGRAM, "4242", now)
        stored = await tx.people.get(person.id)
        assert stored is not None
        assert stored.unreachable_at == now
        later = now + timedelta(hours=3)
        await people.touch(tx, person.id, Channel.TELEGRAM, "4242", later)
        stored = await tx.people.get(person.id)
        identity = await tx.people.identity(Channel.TELEGRAM, "4242")
    assert stored is not None
    assert (stored.last_seen_at, stored.unreachable_at) == (later, None)
    assert identity is not None
    assert identity.last_inbound_at == later  # WhatsApp's 24-hour window counts from here


async def test_the_first_source_stays_and_only_shipped_languages(
    app: App, clock: ManualClock
) -> None:
    async with app.db.write() as tx:
        anna = await someone(tx, TELEGRAM_ANNA, clock.now())
        assert await people.set_source(tx, anna, "poster_school")
        assert not await people.set_source(tx, anna, "campaign_radio")
        assert await people.set_language(tx, anna, "en") is LanguageChange.CHANGED
        assert await people.set_language(tx, anna, "xx") is LanguageChange.NOT_OFFERED
        person = await tx.people.get(anna)
    assert person is not None
    assert (person.source, person.language) == ("poster_school", "en")


async def test_notice_and_announcements_are_a_history_whose_latest_row_counts(
    app: App, clock: ManualClock
) -> None:
    now = clock.now()
    async with app.db.write() as tx:
        anna = await someone(tx, TELEGRAM_ANNA, now)
        assert not await people.notice_accepted(tx, anna)
        refusal = await people.record_notice(tx, anna, "v1", False, now)
        assert (refusal.kind, refusal.granted) == (ConsentKind.NOTICE, False)
        assert not await people.notice_accepted(tx, anna)
        await people.record_notice(tx, anna, "v1", True, now)
        assert await people.notice_accepted(tx, anna)
        assert not await people.announcements_wanted(tx, anna)
        await people.set_announcements(tx, anna, "v1", True, now)
        assert await people.announcements_wanted(tx, anna)
        await people.set_announcements(tx, anna, "v1", False, now)
        assert not await people.announcements_wanted(tx, anna)
        history = await tx.consents.history(anna)
    assert [(c.kind, c.granted) for c in history] == [
        ("notice", False),
        ("notice", True),
        ("announcements", True),
        ("announcements", False),
    ]


async def test_answers_are_replaced_and_start_over_keeps_confirmed_ones(
    app: App, clock: ManualClock
) -> None:
    now = clock.now()
    async with app.db.write() as tx:
        anna = await someone(tx, TELEGRAM_ANNA, now)
        await intake_answers.save_answer(tx, anna, "name", "Ana", now)
        await intake_answers.save_answer(tx, anna, "name", "Anna", now)
        await intake_answers.save_answer(tx, anna, "gender", None, now)  # skipped
        assert await tx.answers.all(anna) == {"name": "Anna", "gender": None}
        await intake_answers.delete_answers(tx, anna, ["gender"])
        assert await tx.answers.all(anna) == {"name": "Anna"}
        person = await tx.people.get(anna)
        assert person is not None
        assert await intake_answers.start_over(tx, person) is StartOver.CLEARED
        assert await tx.answers.all(anna) == {}
        await intake_answers.save_answer(tx, anna, "name", "Anna", now)
        person.intake_confirmed_at = now
        assert await intake_answers.start_over(tx, person) is StartOver.KEPT
        assert await tx.answers.all(anna) == {"name": "Anna"}


async def test_confirmation_drops_stale_answers_and_counts_once(
    app: App, clock: ManualClock
) -> None:
    now = clock.now()
    answers = {"name": "Anna", "status": "employed", "duration": "gt12", "goal": "employee"}
    async with app.db.write() as tx:
        anna = await someone(tx, TELEGRAM_ANNA, now)
        for question, value in answers.items():
            await intake_answers.save_answer(tx, anna, question, value, now)
        person = await tx.people.get(anna)
        assert person is not None
        current = ("name", "status", "goal")  # employed: the duration left the script
        first = await intake_answers.confirm_intake(
            tx, person, answers, current, Channel.TELEGRAM, now
        )
        assert first == intake_answers.IntakeConfirmation(dropped=("duration",), first_time=True)
        assert await tx.answers.all(anna) == {
            "name": "Anna",
            "status": "employed",
            "goal": "employee",
        }
        confirmed = await tx.people.get(anna)
        assert confirmed is not None
        assert confirmed.intake_confirmed_at == now
        again = await intake_answers.confirm_intake(
            tx, confirmed, await tx.answers.all(anna), current, Channel.TELEGRAM, now
        )
        assert not again.first_time
        assert await tx.stats.intake_count() == 1


def test_anonymous_stats_keep_only_the_counted_choices() -> None:
    now = datetime(2026, 11, 24, 9, 0, tzinfo=ROME)
    answers = {"name": "Anna", "age_band": "30_39", "status": "unemployed", "sectors": ["x"]}
    stats = intake_answers.anonymous_stats(answers, Channel.WHATSAPP, now)
    assert (stats.month, stats.channel, stats.age_band, stats.status) == (
        "2026-11",
        "whatsapp",
        "30_39",
        "unemployed",
    )
    assert "Anna" not in repr(stats)
    assert stats.gender is None


async def test_erasure_cancels_the_appointment_and_keeps_its_record(
    app: App, clock: ManualClock
) -> None:
    now, agenda = clock.now(), app.settings.agenda
    async with app.db.write() as tx:
        anna = await someone(tx, TELEGRAM_ANNA, now)
        booked = await appointments.book(tx, agenda, anna, THURSDAY_0900, now)
        assert booked.booking is not None
        erasure = await people.erase(tx, agenda, anna, now)
        assert erasure == people.Erasure(erased=True, cancelled_appointments=1)
        assert await tx.people.get(anna) is None
        record = await tx.bookings.get(booked.booking.id)
        nobody = await people.erase(tx, agenda, anna, now)
    assert record is not None
    assert (record.status, record.person_id) == (BookingStatus.CANCELLED, None)
    assert nobody == people.Erasure(erased=False, cancelled_appointments=0)
    assert await people.after_erasure(app.db)
    async with app.db.read() as tx:
        rows = await tx.stats._all("SELECT SUM(count) AS n FROM erasure_stats")
    assert rows[0]["n"] == 1, "an unknown person is not counted as erased"


async def test_my_data_holds_everything_stored(app: App, clock: ManualClock) -> None:
    now, agenda = clock.now(), app.settings.agenda
    async with app.db.write() as tx:
        anna = await someone(tx, TELEGRAM_ANNA, now)
        assert await people.my_data(tx, anna + 1) is None
        await people.record_notice(tx, anna, "v1", True, now)
        await intake_answers.save_answer(tx, anna, "name", "Anna", now)
        booked = await appointments.book(tx, agenda, anna, THURSDAY_0900, now)
        assert booked.booking is not None
        await appointments.cancel(tx, agenda, booked.booking, now)
        await waitlist.join(tx, anna, now)
        workshop = await new_workshop(tx, app)
        await seats.register_seat(tx, agenda, workshop, anna, now)
        data = await people.my_data(tx, anna)
    assert data is not None
    assert [i.external_id for i in data.identities] == ["4242"]
    assert [(c.kind, c.granted) for c in data.consents] == [("notice", True)]
    assert data.answers == {"name": "Anna"}
    assert [(a.starts_at, a.status) for a in data.appointments] == [
        (THURSDAY_0900, BookingStatus.CANCELLED)
    ]
    assert not hasattr(data.appointments[0], "start_url"), "the operator's host link is theirs"
    assert [(p.workshop.id, p.registration.status) for p in data.workshops] == [
        (workshop.id, RegistrationStatus.REGISTERED)
    ]
    assert data.on_waitlist


async def test_link_reports_who_is_unknown_and_merges_into_the_older(
    app: App, clock: ManualClock
) -> None:
    now = clock.now()
    async with app.db.write() as tx:
        result = await people.link(tx, TELEGRAM_ANNA, WHATSAPP_ANNA)
        assert result.outcome is LinkOutcome.UNKNOWN_FIRST
        older = await someone(tx, TELEGRAM_ANNA, now)
        result = await people.link(tx, TELEGRAM_ANNA, WHATSAPP_ANNA)
        assert result.outcome is LinkOutcome.UNKNOWN_SECOND
        newer = await someone(tx, WHATSAPP_ANNA, now + timedelta(minutes=5))
        await people.record_notice(tx, newer, "v1", True, now)
        workshop = await new_workshop(tx, app)
        await seats.register_seat(tx, app.settings.agenda, workshop, newer, now)
        result = await people.link(tx, WHATSAPP_ANNA, TELEGRAM_ANNA)
        assert result == people.LinkResult(LinkOutcome.LINKED, kept=older, merged=newer)
        assert await tx.people.get(newer) is None
        on_whatsapp = await tx.people.by_identity(Channel.WHATSAPP, WHATSAPP_ANNA.external_id)
        assert on_whatsapp is not None
        assert on_whatsapp.id == older
        assert await people.notice_accepted(tx, older)
        place = await tx.registrations.get(workshop.id, older)
        assert place is not None, "the workshop seat moves with the person"
        assert place.status is RegistrationStatus.REGISTERED
        again = await people.link(tx, TELEGRAM_ANNA, WHATSAPP_ANNA)
    assert again == people.LinkResult(LinkOutcome.ALREADY_ONE, kept=older)
