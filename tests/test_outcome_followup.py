"""Follow-up: the separate opt-in after the satisfaction question, the questions planned 3, 6
and 12 months after the first attended meeting (weekday late mornings), sent through the
outbox, answered with buttons as self-declared outcomes; revoking or erasure drops them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from bot.app import App
from bot.capabilities import appointments, outcome_followup, people
from bot.channels import Template
from bot.clock import ROME, ManualClock
from bot.domain import Booking, Channel, OutboxKind, OutboxStatus, Outcome, Reply
from bot.placement import ContractType, WorkStatus
from bot.slots import _in_quiet_hours
from tests.agenda_helpers import booking_of
from tests.booking_helpers import RecordingSender, recording_dispatcher
from tests.chat import Chat


@dataclass
class TemplateSender(RecordingSender):
    """Remembers the template each message came with (WhatsApp sends it outside 24 hours)."""

    templates: list[Template | None] = field(default_factory=list)

    async def send(
        self,
        external_id: str,
        replies: Sequence[Reply],
        *,
        template: Template | None = None,
        outbox_id: int | None = None,
    ) -> None:
        self.templates.append(template)
        await super().send(external_id, replies, template=template, outbox_id=outbox_id)


async def attended(app: App, clock: ManualClock, booking: Booking) -> None:
    clock.set(booking.ends_at)
    async with app.db.write() as tx:
        await appointments.record_outcome(
            tx, booking.operator_id, booking, Outcome.ATTENDED, clock.now()
        )


async def planned(app: App, person_id: int) -> list[datetime]:
    async with app.db.read() as tx:
        rows = await tx.outbox.listing((OutboxStatus.PENDING,))
    return sorted(
        i.due_at for i in rows if i.kind is OutboxKind.FOLLOWUP and i.person_id == person_id
    )


async def survey_then_consent(app: App, clock: ManualClock, sender: RecordingSender) -> Chat:
    """The morning after the meeting: the rating, then the follow-up question; yes."""
    clock.set(datetime(2026, 11, 25, 10, 0, tzinfo=ROME))
    await recording_dispatcher(app, sender).tick()
    anna = Chat(app.engine, "anna")
    anna.replies = [r for r in sender.to("anna") if r.options]
    await anna.tap("score.4")
    assert "3, 6 and 12 months after your meeting" in anna.last_text
    await anna.tap("fu.yes")
    return anna


def test_send_times_are_weekday_late_mornings_outside_quiet_hours(app: App) -> None:
    meeting = datetime(2026, 11, 30, 12, 0, tzinfo=ROME)  # a Monday
    three = outcome_followup.send_time(meeting, 3)
    assert three == datetime(2027, 3, 1, 10, 30, tzinfo=ROME)  # 28 Feb 2027 is a Sunday
    assert outcome_followup.add_months(datetime(2027, 8, 31).date(), 6).isoformat() == "2028-02-29"
    rules = app.settings.agenda.rules
    assert not _in_quiet_hours(three.astimezone(ROME).time(), rules)


async def test_agreeing_plans_three_questions_and_the_answers_are_stored(
    app: App, clock: ManualClock
) -> None:
    booking = await booking_of(app, "anna")
    person_id = booking.person_id or 0
    await attended(app, clock, booking)
    assert await planned(app, person_id) == []  # nothing without the opt-in
    sender = RecordingSender()
    anna = await survey_then_consent(app, clock, sender)
    assert "Thank you: we will write to you then." in anna.texts()
    assert await planned(app, person_id) == [
        datetime(2027, 2, 24, 10, 30, tzinfo=ROME),
        datetime(2027, 5, 24, 10, 30, tzinfo=ROME),
        datetime(2027, 11, 24, 10, 30, tzinfo=ROME),
    ]
    # Saying yes again (through /followup) plans nothing twice.
    await anna.send("/followup")
    await anna.tap("fu.yes")
    assert len(await planned(app, person_id)) == 3

    clock.set(datetime(2027, 2, 24, 10, 31, tzinfo=ROME))
    later = TemplateSender()
    await recording_dispatcher(app, later).tick()
    # In Anna's language, with the Italian values for the Italian template where hers is missing.
    values = {"1": "Anna", "2": "3"}
    assert later.templates == [Template("followup", values, "en", values)]
    sender = later
    [question] = [r for r in sender.to("anna") if "Are you working now?" in r.text]
    assert "3 months since your meeting" in question.text
    anna.replies = [question]
    await anna.tap("fu.employed")
    assert anna.last_text == "What kind of contract do you have?"
    await anna.tap("fu.permanent")  # no internship recorded: no question about its company
    assert "Good luck with your work" in anna.texts()
    async with app.db.read() as tx:
        [answer] = await tx.followups.of_person(person_id)
    assert (answer.months, answer.working, answer.contract) == (
        3,
        WorkStatus.EMPLOYED,
        ContractType.PERMANENT,
    )
    assert answer.answered_at == clock.now()
    # A stale tap on the old question gets a kind answer and changes nothing.
    await anna.press(f"{question.seq}:fu.not")
    assert "earlier message" in anna.texts()
    async with app.db.read() as tx:
        assert (await tx.followups.get(person_id, 3)).working is WorkStatus.EMPLOYED  # type: ignore[union-attr]
    mine = "\n".join(r.text for r in await anna.send("/mydata"))
    assert "After 3 months · working as an employee · permanent" in mine
    assert "Questions on how work is going: yes" in mine


async def test_revoking_drops_the_questions_still_planned(app: App, clock: ManualClock) -> None:
    booking = await booking_of(app, "anna")
    person_id = booking.person_id or 0
    await attended(app, clock, booking)
    anna = await survey_then_consent(app, clock, RecordingSender())
    assert len(await planned(app, person_id)) == 3
    await anna.send("/seguito")
    await anna.tap("fu.no")
    assert await planned(app, person_id) == []
    async with app.db.read() as tx:
        assert not await outcome_followup.wanted(tx, person_id)
    # A question that was already out is not answerable once revoked.
    clock.set(datetime(2027, 2, 24, 10, 31, tzinfo=ROME))
    sender = RecordingSender()
    await recording_dispatcher(app, sender).tick()
    assert sender.to("anna") == []


async def test_agreeing_before_the_meeting_plans_once_it_is_attended(
    app: App, clock: ManualClock
) -> None:
    booking = await booking_of(app, "anna")
    person_id = booking.person_id or 0
    anna = Chat(app.engine, "anna")
    await anna.send("/followup")
    await anna.tap("fu.yes")
    assert await planned(app, person_id) == []  # no meeting yet
    await attended(app, clock, booking)
    assert len(await planned(app, person_id)) == 3


async def test_erasure_removes_the_planned_questions_and_the_answers(
    app: App, clock: ManualClock
) -> None:
    booking = await booking_of(app, "anna")
    person_id = booking.person_id or 0
    await attended(app, clock, booking)
    await survey_then_consent(app, clock, RecordingSender())
    async with app.db.write() as tx:
        await outcome_followup.asked(tx, person_id, 3, clock.now())
        await people.erase(tx, app.settings.agenda, person_id, clock.now())
    assert await planned(app, person_id) == []
    async with app.db.read() as tx:
        assert await tx.followups.of_person(person_id) == []
        assert await tx.people.by_identity(Channel.TELEGRAM, "anna") is None


def test_months_take_the_plural_form_of_each_language() -> None:
    """Issue 16: a count of months picks its form (Ukrainian one/few/many, Arabic six)."""
    from bot.flows.path_labels import describe_followup
    from bot.i18n import load_translators
    from storage.path_repos import FollowUpAnswer

    tr = load_translators()
    asked = datetime(2026, 3, 2, 11, 0, tzinfo=ROME)

    def after(language: str, months: int) -> str:
        return describe_followup(tr[language], FollowUpAnswer(1, months, asked)).split(" · ")[0]

    assert after("en", 1) == "After 1 month"
    assert after("it", 1) == "Dopo 1 mese"
    assert after("it", 6) == "Dopo 6 mesi"
    assert [after("uk", n) for n in (1, 3, 6)] == [
        "Через 1 місяць",
        "Через 3 місяці",
        "Через 6 місяців",
    ]
    assert [after("ar", n) for n in (2, 3, 12)] == [
        "بعد \u20682\u2069 شهرين",
        "بعد \u20683\u2069 أشهر",
        "بعد \u206812\u2069 شهرًا",
    ]
