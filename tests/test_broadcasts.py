"""Broadcasts through the capability functions: who they reach, started once, stopped."""

from __future__ import annotations

from bot.app import App
from bot.capabilities import broadcasts
from bot.domain import Audience, BroadcastKind, BroadcastStatus
from tests.workshop_helpers import new_person, new_workshop, pending


def test_audience_matching() -> None:
    answers = {"goal": "employee", "age_band": "18_29", "sectors": ["paper"], "italian": "good"}
    assert broadcasts.matches(Audience(), {})
    assert broadcasts.matches(Audience(goals=("employee",), sectors=("paper", "ict")), answers)
    assert not broadcasts.matches(Audience(goals=("business",)), answers)
    assert not broadcasts.matches(Audience(sectors=("care",)), answers)
    assert broadcasts.matches(Audience(languages=("it",)), answers)
    assert not broadcasts.matches(Audience(languages=("fr",)), answers)


async def test_an_invitation_reaches_who_opted_in_once(app: App) -> None:
    now = app.clock.now()
    async with app.db.write() as tx:
        workshop = await new_workshop(tx, app)
        await new_person(tx, app, "anna")
        await new_person(tx, app, "bruno", news=False)
        sent = await broadcasts.send_invitation(tx, workshop, Audience(), "staff", now)
        assert sent.started
        assert sent.recipients == 1
        assert sent.broadcast.kind is BroadcastKind.WORKSHOP
        again = await broadcasts.start_broadcast(tx, sent.broadcast, now)
        assert not again.started
        assert await pending(tx, "workshop_invitation") == 1


async def test_an_announcement_to_nobody_is_done_at_once(app: App) -> None:
    now = app.clock.now()
    async with app.db.write() as tx:
        sent = await broadcasts.send_announcement(tx, "Hello", Audience(), "staff", now)
        assert sent.recipients == 0
        found = await tx.broadcasts.get(sent.broadcast.id)
        assert found is not None
        assert found.status is BroadcastStatus.DONE


async def test_stopping_drops_what_is_pending(app: App) -> None:
    now = app.clock.now()
    async with app.db.write() as tx:
        for who in ("anna", "bruno"):
            await new_person(tx, app, who)
        await broadcasts.send_announcement(tx, "News", Audience(), "sara", now)
        await broadcasts.send_announcement(tx, "Other", Audience(), "piero", now)
        assert await broadcasts.stop_broadcasts_of(tx, "sara", now) == 2
        assert await pending(tx, "announcement") == 2  # piero's are untouched
        assert await tx.broadcasts.of_staff("sara", BroadcastStatus.STOPPED) != []
