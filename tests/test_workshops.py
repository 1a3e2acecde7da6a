"""Workshops: staff create and send in the chat, people RSVP, capacity holds, the waiting
list moves, reminders come at the right local times, staff see progress and attendees."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.app import App
from bot.clock import ROME, ManualClock
from bot.domain import BroadcastStatus, Channel, Inbound, InboundKind
from bot.flows.base import DONE
from scheduling import jobs
from tests.booking_helpers import RecordingSender, recording_dispatcher
from tests.chat import Chat, complete_intake

STAFF = "700000001"


@dataclass
class Board:
    shown: list[tuple[str, str | None, str]] = field(default_factory=list)

    async def show(self, chat: str, message_id: str | None, text: str) -> str | None:
        self.shown.append((chat, message_id, text))
        return message_id or "42"


async def make_staff(app: App) -> Chat:
    async with app.db.write() as tx:
        await tx.staff.add(STAFF, "Sara", app.clock.now())
    return Chat(app.engine, STAFF, language="en")


async def person(app: App, who: str, *, news: bool = True, goal: str = "employee") -> Chat:
    chat = Chat(app.engine, who)
    await complete_intake(chat)
    if goal != "employee" or not news:
        async with app.db.write() as tx:
            found = await tx.people.by_identity(Channel.TELEGRAM, who)
            assert found is not None
            await tx.answers.save(found.id, "goal", goal, app.clock.now())
            if not news:
                await tx.consents.record(found.id, "announcements", "v", False, app.clock.now())
    return chat


async def create_workshop(staff: Chat, *, capacity: str = "2", goals: tuple[str, ...] = ()) -> None:
    await staff.send("/nuovo_workshop")
    await staff.send("CV clinic")
    await staff.send("Bring your CV: we improve it together.")
    await staff.send("02/12/2026 10:00")
    await staff.tap("dur.90")
    await staff.send("Sala Staffetti, Cortile Carrara, Lucca")
    await staff.send(capacity)
    for goal in goals:
        await staff.tap(goal)
    await staff.tap(DONE)
    await staff.tap(DONE)


async def test_staff_creates_previews_and_sends(app: App) -> None:
    anna = await person(app, "anna")
    await person(app, "luca", news=False)
    await person(app, "omar", goal="business")
    staff = await make_staff(app)
    await create_workshop(staff, goals=("employee",))
    texts = staff.texts()
    assert "Preview, exactly as recipients will see it:" in texts
    assert "🎓 CV clinic" in texts
    assert "Wednesday 2 December at 10:00, 90 minutes." in texts
    assert "It would go to 1 person" in staff.question.text
    await staff.tap("st.send")
    assert "Send it to 1 person? It cannot be undone." in staff.question.text
    await staff.tap("st.yes")
    assert "Sending to 1 person has started" in staff.texts()
    sender = RecordingSender()
    await recording_dispatcher(app, sender).tick()
    invitation = sender.to("anna")[0]
    assert "🎓 CV clinic" in invitation.text
    assert [o.id for o in invitation.options][:2] == ["ws.yes", "ws.no"]
    assert sender.to("luca") == []
    assert sender.to("omar") == []
    anna.replies.append(invitation)
    await anna.tap("ws.yes")
    assert "your seat is booked" in anna.texts()


async def test_capacity_waiting_list_and_a_freed_seat(app: App) -> None:
    people = [await person(app, who) for who in ("p1", "p2", "p3")]
    staff = await make_staff(app)
    await create_workshop(staff, capacity="2")
    await staff.tap("st.send")
    await staff.tap("st.yes")
    sender = RecordingSender()
    dispatcher = recording_dispatcher(app, sender)
    await dispatcher.tick()
    for chat in people:
        chat.replies.append(sender.to(chat.who)[0])
    await people[0].tap("ws.yes")
    await people[1].tap("ws.yes")
    await people[2].press(f"{people[2].question.seq}:ws.yes")
    assert "Things have changed" in people[2].texts() or "last seat" in people[2].texts()
    await people[2].tap("ws.wait")
    assert "waiting list" in people[2].texts()
    await people[0].tap("ws.leave")
    await dispatcher.tick()
    assert "a seat has freed up and it is yours" in sender.texts_to("p3")
    await staff.send("/iscritti " + (await only_workshop_code(app)))
    listing = staff.last_text
    assert "Seats taken: 2 of 2; waiting: 0." in listing


async def only_workshop_code(app: App) -> str:
    async with app.db.read() as tx:
        (workshop,) = await tx.workshops.all()
    return workshop.code


async def test_a_thousand_taps_for_the_last_seats(app: App) -> None:
    staff = await make_staff(app)
    await create_workshop(staff, capacity="5")
    await staff.tap("st.save")
    code = await only_workshop_code(app)
    people = [Chat(app.engine, f"t{i}") for i in range(60)]
    for chat in people:
        await chat.send("/start")
        await chat.tap("notice.accept")
        await chat.send(f"/start ws_{code}")
    await asyncio.gather(*(chat.tap("ws.yes") for chat in people))
    async with app.db.read() as tx:
        workshop = await tx.workshops.by_code(code)
        assert workshop is not None
        seated = [r for r in await tx.registrations.of_workshop(workshop.id) if r.seat is not None]
    assert len(seated) == 5
    assert sorted(r.seat or 0 for r in seated) == [1, 2, 3, 4, 5]


async def test_reminders_at_the_right_local_times(app: App, clock: ManualClock) -> None:
    chat = await person(app, "anna")
    staff = await make_staff(app)
    await create_workshop(staff)
    await staff.tap("st.save")
    await chat.send(f"/start ws_{await only_workshop_code(app)}")
    await chat.tap("ws.yes")
    async with app.db.read() as tx:
        due = sorted(
            i.due_at.astimezone(ROME)
            for i in await tx.outbox.listing(("pending",))
            if i.kind == "workshop_reminder"
        )
    assert due == [
        datetime(2026, 12, 1, 10, 0, tzinfo=ROME),
        datetime(2026, 12, 2, 9, 0, tzinfo=ROME),
    ]
    clock.set(datetime(2026, 12, 2, 9, 0, tzinfo=ROME))
    sender = RecordingSender()
    await recording_dispatcher(app, sender).tick()
    assert "Reminder: CV clinic" in sender.texts_to("anna")


async def test_deep_link_for_someone_new_goes_through_the_notice(app: App) -> None:
    staff = await make_staff(app)
    await create_workshop(staff)
    await staff.tap("st.save")
    newcomer = Chat(app.engine, "new")
    await newcomer.send(f"/start ws_{await only_workshop_code(app)}")
    assert "Before we start" in newcomer.question.text
    await newcomer.tap("notice.accept")
    assert "🎓 CV clinic" in newcomer.question.text
    await newcomer.tap("ws.yes")
    assert "your seat is booked" in newcomer.texts()


async def test_progress_report_and_stop(app: App) -> None:
    for who in ("a1", "a2", "a3"):
        await person(app, who)
    staff = await make_staff(app)
    await create_workshop(staff)
    await staff.tap("st.send")
    await staff.tap("st.yes")
    board = Board()
    tr = app.engine.translators["en"]
    await jobs.report_broadcasts(app.db, app.clock, board, tr)
    assert "0 of 3" in board.shown[-1][2]
    await staff.send("/ferma_invio")
    assert "Stopped: 3 messages will not be sent." in staff.last_text
    sender = RecordingSender()
    await recording_dispatcher(app, sender).tick()
    assert sender.sent == []


async def test_progress_goes_to_the_chat_the_broadcast_was_started_from(app: App) -> None:
    """The broadcast records where its progress is shown: the staff member's chat when sent
    from the chat; nowhere when sent otherwise (the back-office's page polls the counts), and
    such a broadcast is still closed when it is over. No code guesses from created_by."""
    from bot.capabilities import broadcasts
    from bot.domain import Audience

    await person(app, "p1")
    staff = await make_staff(app)
    await create_workshop(staff)
    await staff.tap("st.send")
    await staff.tap("st.yes")
    async with app.db.write() as tx:
        elsewhere = await broadcasts.send_announcement(
            tx, "News", Audience(), STAFF, app.clock.now()
        )
        chat_started = await tx.broadcasts.in_status(BroadcastStatus.SENDING)
    assert [b.progress_chat for b in chat_started] == [STAFF, None]
    board = Board()
    tr = app.engine.translators["en"]
    assert await jobs.report_broadcasts(app.db, app.clock, board, tr) == 2
    assert [chat for chat, _id, _text in board.shown] == [STAFF]
    await recording_dispatcher(app, RecordingSender()).tick()
    await jobs.report_broadcasts(app.db, app.clock, board, tr)
    async with app.db.read() as tx:
        done = await tx.broadcasts.get(elsewhere.broadcast.id)
    assert done is not None
    assert done.status == BroadcastStatus.DONE
    assert [chat for chat, _id, _text in board.shown] == [STAFF, STAFF]


async def test_final_report_counts_blocked(app: App) -> None:
    for who in ("b1", "b2"):
        await person(app, who)
    staff = await make_staff(app)
    await create_workshop(staff)
    await staff.tap("st.send")
    await staff.tap("st.yes")
    sender = RecordingSender(blocked={"b2"})
    await recording_dispatcher(app, sender).tick()
    board = Board()
    await jobs.report_broadcasts(app.db, app.clock, board, app.engine.translators["en"])
    final = board.shown[-1][2]
    assert "1 delivered" in final
    assert "1 blocked the bot" in final
    async with app.db.read() as tx:
        assert await tx.broadcasts.in_status(BroadcastStatus.SENDING) == []


async def test_non_staff_cannot_use_staff_commands_or_buttons(app: App) -> None:
    stranger = await person(app, "mallory")
    await stranger.send("/nuovo_workshop")
    assert "I don't know that command." in stranger.texts()
    await stranger.press("0:pres.1.yes")
    assert "belongs to an earlier message" in stranger.texts()


async def test_staff_input_is_checked(app: App, clock: ManualClock) -> None:
    staff = await make_staff(app)
    await staff.send("/nuovo_workshop")
    await staff.send("Past workshop")
    await staff.send("desc")
    await staff.send("01/01/2020 10:00")
    assert "That moment is in the past" in staff.texts()
    await staff.send("31/02/2027 10:00")
    assert "I could not read that date" in staff.texts()
    await staff.send("02/12/2026 10:00")
    await staff.tap("dur.60")
    await staff.send("http://zoom.us/j/555")
    assert "The link of an online room must start with https://." in staff.texts()
    await staff.send("https://zoom.us/j/555")
    await staff.send("0")
    assert "Write the number of seats, from 1 to 500." in staff.texts()
    await staff.send("10")
    await staff.tap(DONE)
    await staff.tap(DONE)
    assert "Nobody matches this audience" in staff.question.text
    assert "st.send" not in [o.id for o in staff.question.options]
    clock.advance(timedelta(days=30))  # the date passes while the preview is open
    await staff.tap("st.save")
    assert "no longer valid" in staff.texts()
    async with app.db.read() as tx:
        assert await tx.workshops.all() == []


async def test_two_sends_of_the_same_broadcast_start_once(app: App) -> None:
    await person(app, "x1")
    staff = await make_staff(app)
    await create_workshop(staff)
    await staff.tap("st.send")
    confirm = staff.question
    await staff.tap("st.yes")
    await staff.press(f"{confirm.seq}:st.yes")
    async with app.db.read() as tx:
        assert len(await tx.outbox.listing(("pending",))) == 1


async def test_rsvp_after_the_start_is_refused(app: App, clock: ManualClock) -> None:
    chat = await person(app, "late")
    staff = await make_staff(app)
    await create_workshop(staff)
    await staff.tap("st.save")
    await chat.send(f"/start ws_{await only_workshop_code(app)}")
    question = chat.question
    clock.set(datetime(2026, 12, 2, 10, 5, tzinfo=ROME))
    await chat.press(f"{question.seq}:ws.yes")
    assert "Things have changed" in chat.texts()
    assert "already started" in chat.texts()


async def test_attendance_is_recorded_by_staff(app: App) -> None:
    chat = await person(app, "anna")
    staff = await make_staff(app)
    await create_workshop(staff)
    await staff.tap("st.save")
    code = await only_workshop_code(app)
    await chat.send(f"/start ws_{code}")
    await chat.tap("ws.yes")
    await staff.send(f"/presenze {code}")
    buttons = staff.replies[-1].options
    assert buttons[0].label == "⬜ Anna"
    await staff.press(f"0:{buttons[0].id}")
    assert staff.replies[-1].options[0].label == "✅ Anna"
    await staff.send(f"/iscritti {code}")
    assert "1. Anna ✅" in staff.last_text


def test_inbound_kind_is_importable() -> None:
    assert Inbound(Channel.TELEGRAM, "x", InboundKind.TEXT).text == ""
    assert timedelta(days=1).days == 1


async def test_free_announcement(app: App) -> None:
    await person(app, "anna")
    await person(app, "omar", goal="business")
    staff = await make_staff(app)
    await staff.send("/annuncio")
    await staff.send("Martedì lo sportello resta chiuso per la festa del patrono.")
    await staff.tap("business")
    await staff.tap(DONE)
    await staff.tap(DONE)
    assert "Martedì lo sportello resta chiuso" in staff.texts()
    assert "It would go to 1 person" in staff.question.text
    assert "st.save" not in [o.id for o in staff.question.options]
    await staff.tap("st.send")
    await staff.tap("st.yes")
    sender = RecordingSender()
    await recording_dispatcher(app, sender).tick()
    assert "📣 Martedì lo sportello resta chiuso" in sender.texts_to("omar")
    assert sender.to("anna") == []
    board = Board()
    await jobs.report_broadcasts(app.db, app.clock, board, app.engine.translators["en"])
    assert "1 delivered" in board.shown[-1][2]
    async with app.db.read() as tx:
        (recorded,) = await tx.broadcasts.listing()
    assert (recorded.kind, recorded.created_by, recorded.total) == ("announcement", STAFF, 1)
