"""At-least-once replies, on the engine: a turn answering a platform's event writes a reply-due
row in its own transaction; the adapter's "delivered" removes it (in batches); answers never
marked delivered (the process died before sending them) go out again as the current question,
after a restart too. The crash itself, with `kill -9`, is tests/test_crash_replies.py."""

from __future__ import annotations

import itertools
from datetime import timedelta

from bot.app import App, build_app
from bot.clock import ManualClock
from bot.domain import Channel, Inbound, InboundKind, OutboxItem, Reply
from bot.settings import Settings
from tests.booking_helpers import RecordingSender, recording_dispatcher

AGAIN = "Sorry, my last answer may not have reached you. Here it is again:"
_keys = itertools.count(1)


def event(who: str, text: str, key: str | None = "fresh") -> Inbound:
    return Inbound(
        channel=Channel.TELEGRAM,
        external_id=who,
        kind=InboundKind.TEXT,
        text=text,
        language_hint="en",
        dedupe_key=f"telegram:{next(_keys)}" if key == "fresh" else key,
    )


async def due_rows(app: App) -> list[OutboxItem]:
    async with app.db.read() as tx:
        return [i for i in await tx.outbox.listing(("pending",)) if i.kind == "resend"]


async def test_a_turn_plans_its_reply_due_and_delivered_removes_it(app: App) -> None:
    first = event("11", "/start")
    replies = await app.engine.handle(first)
    assert replies
    rows = await due_rows(app)
    assert [(r.payload, r.due_at - app.clock.now()) for r in rows] == [
        ({"answers": first.dedupe_key}, timedelta(seconds=30))
    ]
    app.engine.answers_delivered(replies)
    assert len(await due_rows(app)) == 1  # marks are written in batches, not per message
    await app.engine.flush_delivered()
    assert await due_rows(app) == []


async def test_answers_never_delivered_are_sent_again_after_a_restart(
    app: App, settings: Settings, clock: ManualClock
) -> None:
    await app.engine.handle(event("12", "/start"))  # the process dies before the send
    await app.close()
    restarted = await build_app(settings, clock)
    try:
        clock.advance(timedelta(seconds=31))
        sender = RecordingSender()
        assert await recording_dispatcher(restarted, sender).tick() == 1
        texts = [r.text for r in sender.to("12")]
        assert texts[0] == AGAIN
        assert texts[1].startswith("🔒 Before we start")  # the privacy notice, asked again
        assert sender.to("12")[-1].options  # the question, with its buttons
        assert await due_rows(restarted) == []
    finally:
        await restarted.close()


async def test_a_redelivered_event_plans_no_second_row(app: App) -> None:
    original = event("13", "/start")
    await app.engine.handle(original)
    before = await due_rows(app)
    assert await app.engine.handle(original) == []  # the platform's retry, skipped
    assert await due_rows(app) == before


async def test_one_row_per_person_and_a_late_mark_spares_the_next_turns(app: App) -> None:
    first = await app.engine.handle(event("14", "/start"))
    second = await app.engine.handle(event("14", "2"))  # English
    rows = await due_rows(app)
    assert len(rows) == 1  # the second turn's row replaced the first's
    # The first turn's answers reported late: its row is gone, and the second's stays
    # (even though SQLite may give the new row the old row's id).
    app.engine.answers_delivered(first)
    await app.engine.flush_delivered()
    assert await due_rows(app) == rows
    app.engine.answers_delivered(second)
    await app.engine.flush_delivered()
    assert await due_rows(app) == []


async def test_delivered_marks_are_written_before_the_dispatcher_claims(
    app: App, clock: ManualClock
) -> None:
    replies = await app.engine.handle(event("15", "/start"))
    app.engine.answers_delivered(replies)
    clock.advance(timedelta(minutes=1))
    sender = RecordingSender()
    assert await recording_dispatcher(app, sender).tick() == 0
    assert sender.sent == []


async def test_events_without_a_platform_plan_nothing(app: App) -> None:
    """The console (no dedupe key) shows the current question at every start instead; an
    empty answer needs no row; neither does a person who erased their data."""
    assert await app.engine.handle(event("16", "/start", key=None))
    assert await due_rows(app) == []
    not_a_reply: list[Reply] = []
    app.engine.answers_delivered(not_a_reply)  # nothing to mark: no error
    await app.engine.flush_delivered()


async def test_a_shutdown_writes_the_queued_marks(
    app: App, settings: Settings, clock: ManualClock
) -> None:
    replies = await app.engine.handle(event("17", "/start"))
    app.engine.answers_delivered(replies)
    await app.close()
    reopened = await build_app(settings, clock)
    try:
        assert await due_rows(reopened) == []
    finally:
        await reopened.close()


async def test_a_retry_after_a_restart_is_answered_at_once(
    app: App, settings: Settings, clock: ManualClock
) -> None:
    """The process died after the turn's commit (before or after sending its answers, it cannot
    tell): the platform's retry reaches the next process, which answers it with the current
    question right away, and the row goes with that answer: none is left to fire later."""
    original = event("18", "/start")
    assert await app.engine.handle(original)  # answers perhaps sent, never marked
    await app.close()
    clock.advance(timedelta(seconds=2))
    restarted = await build_app(settings, clock)
    try:
        again = await restarted.engine.handle(original)
        assert again[0].text == AGAIN
        assert again[-1].options  # the question, with its buttons
        assert len(await due_rows(restarted)) == 1  # until the platform takes the answer
        restarted.engine.answers_delivered(again)
        await restarted.engine.flush_delivered()
        assert await due_rows(restarted) == []
        assert await restarted.engine.handle(original) == []  # a third copy: nothing more
    finally:
        await restarted.close()


async def test_a_retry_after_a_restart_whose_send_fails_leaves_the_row(
    app: App, settings: Settings, clock: ManualClock
) -> None:
    original = event("19", "/start")
    await app.engine.handle(original)
    await app.close()
    clock.advance(timedelta(seconds=2))
    restarted = await build_app(settings, clock)
    try:
        assert await restarted.engine.handle(original)
        await restarted.engine.flush_delivered()  # the send failed: no mark
        rows = await due_rows(restarted)
        assert [r.payload for r in rows] == [{"answers": original.dedupe_key}]
    finally:
        await restarted.close()
