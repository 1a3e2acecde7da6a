"""Invitations and announcements: the preview exactly as recipients will see it (the outbox's
own renderer, for a sample person, in Italian), how many it reaches, sending it, and the
progress of a broadcast (a page that works without JavaScript, and a JSON for the bar)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

from starlette.responses import JSONResponse, Response

from bot.backoffice.desk_auth import DeskRequest, redirect
from bot.backoffice.desk_workshops import (
    audience_choices,
    audience_form,
    audience_of_form,
    codes,
    created_by,
    find_workshop,
    missing,
)
from bot.capabilities import accounts, broadcasts
from bot.capabilities import workshop_admin as wa
from bot.domain import (
    Audience,
    Broadcast,
    BroadcastKind,
    BroadcastStatus,
    Channel,
    Conversation,
    OutboxItem,
    OutboxKind,
    Person,
    Reply,
)
from bot.flows import notifications
from bot.flows.base import Turn
from bot.i18n import N_
from storage.session import Session

SAMPLE_NAME = "Maria"
PREVIEW_LANGUAGE = "it"
MAX_ANNOUNCEMENT = 1000  # as in the chat's dialog
SETTLED = ("sent", "delivered", "read")


class _Discard(Exception):
    """Leaves a preview's transaction rolled back: nothing of it is kept."""


async def preview(req: DeskRequest, item: OutboxItem, text: str | None = None) -> list[Reply]:
    """The messages a sample person would receive for this outbox row, rendered by the
    outbox's renderer in a transaction that is then thrown away."""
    engine = req.desk.app.engine
    now = req.desk.clock.now()
    replies: list[Reply] = []
    try:
        async with req.desk.db.write() as tx:
            if text is not None:  # the renderer reads an announcement's text from its broadcast
                draft = await _draft(tx, text, created_by(req), now)
                item.broadcast_id = draft.id
            turn = Turn(
                tx=tx,
                person=Person(id=0, created_at=now, last_seen_at=now, language=PREVIEW_LANGUAGE),
                conversation=Conversation(step="start"),
                tr=engine.translators[PREVIEW_LANGUAGE],
                settings=engine.settings,
                content=engine.content,
                now=now,
                channel=Channel.TELEGRAM,
                lookup=engine.step,
                translators=engine.translators,
                answers={"name": SAMPLE_NAME},
            )
            await notifications.render(turn, item)
            replies = turn.replies
            raise _Discard
    except _Discard:
        pass
    return replies


async def _draft(tx: Session, text: str, by: str, now: datetime) -> Broadcast:
    return await tx.broadcasts.create(
        kind=BroadcastKind.ANNOUNCEMENT,
        workshop_id=None,
        text=text,
        audience=Audience(),
        created_by=by,
        now=now,
    )


async def audience_size(req: DeskRequest, audience: Audience) -> int:
    async with req.desk.db.read() as tx:
        return len(await broadcasts.recipients(tx, audience))


async def invitation(req: DeskRequest) -> Response:
    workshop = await find_workshop(req)
    if workshop is None:
        return missing(req)
    item = OutboxItem(0, OutboxKind.WORKSHOP_INVITATION, req.desk.clock.now(), person_id=0)
    item.workshop_id = workshop.id
    return req.page(
        "invitation.html",
        title=req.tr("Invitation to %(title)s", title=workshop.title),
        workshop=workshop,
        replies=await preview(req, item),
        count=await audience_size(req, workshop.audience),
        audience=audience_choices(req),
        ticked=audience_form(workshop.audience),
        sample=SAMPLE_NAME,
    )


async def invitation_send(req: DeskRequest) -> Response:
    workshop = await find_workshop(req)
    if workshop is None:
        return missing(req)
    now = req.desk.clock.now()
    async with req.desk.db.write() as tx:
        sent = await broadcasts.send_invitation(
            tx, workshop, workshop.audience, created_by(req), now
        )
        await accounts.audit(tx, req.user_id, "broadcast.send", "broadcast", sent.broadcast.id, now)
    return redirect(f"/desk/broadcasts/{sent.broadcast.id}")


def _announcement_form(req: DeskRequest) -> tuple[str, Audience, dict[str, str]]:
    text = req.form.get("text", "").strip()
    audience = Audience(**{k: tuple(v) for k, v in audience_of_form(req.form).items()})
    errors = {}
    if not text or len(text) > MAX_ANNOUNCEMENT:
        errors["text"] = req.tr(
            "Please write between 1 and %(limit)d characters.", limit=MAX_ANNOUNCEMENT
        )
    if wa.check_audience(audience, codes(req)):
        errors["audience"] = req.tr("Choose among the codes offered.")
    return text, audience, errors


async def announcements(req: DeskRequest, status: int = 200, **values: object) -> Response:
    async with req.desk.db.read() as tx:
        sent = await tx.broadcasts.listing()
        titles = {w.id: w.title for w in await tx.workshops.all()}
    values.setdefault("errors", {})
    values.setdefault("form", {})
    return req.page(
        "announcements.html",
        status,
        title=req.tr("Announcements"),
        broadcasts=sent,
        titles=titles,
        audience=audience_choices(req),
        limit=MAX_ANNOUNCEMENT,
        **values,
    )


async def announcement_preview(req: DeskRequest) -> Response:
    text, audience, errors = _announcement_form(req)
    if errors:
        return await announcements(req, 400, errors=errors, form=req.form)
    item = OutboxItem(0, OutboxKind.ANNOUNCEMENT, req.desk.clock.now(), person_id=0)
    return req.page(
        "announcement_preview.html",
        title=req.tr("Preview of the announcement"),
        text=text,
        replies=await preview(req, item, text),
        count=await audience_size(req, audience),
        audience=audience_choices(req),
        ticked=audience_form(audience),
        sample=SAMPLE_NAME,
    )


async def announcement_send(req: DeskRequest) -> Response:
    text, audience, errors = _announcement_form(req)
    if errors:
        return await announcements(req, 400, errors=errors, form=req.form)
    now = req.desk.clock.now()
    async with req.desk.db.write() as tx:
        sent = await broadcasts.send_announcement(tx, text, audience, created_by(req), now)
        await accounts.audit(tx, req.user_id, "broadcast.send", "broadcast", sent.broadcast.id, now)
    return redirect(f"/desk/broadcasts/{sent.broadcast.id}")


@dataclass(frozen=True)
class Progress:
    total: int
    done: int
    percent: int
    running: bool
    stopped: bool
    sent: int
    failed: int
    dropped: int


async def progress_of(tx: Session, broadcast: Broadcast) -> Progress:
    outcome = await tx.broadcasts.outcome(broadcast.id)
    pending = outcome.get("pending", 0) + outcome.get("sending", 0)
    total = broadcast.total
    done = max(total - pending, 0)
    return Progress(
        total=total,
        done=done,
        percent=100 if total == 0 else done * 100 // total,
        running=broadcast.status is BroadcastStatus.SENDING and pending > 0,
        stopped=broadcast.status is BroadcastStatus.STOPPED,
        sent=sum(outcome.get(s, 0) for s in SETTLED),
        failed=outcome.get("failed", 0) + outcome.get("blocked", 0),
        dropped=outcome.get("dropped", 0) + outcome.get("no_template", 0),
    )


def progress_text(req: DeskRequest, progress: Progress) -> str:
    if progress.running:
        return req.tr("Sent %(done)d of %(total)d.", done=progress.done, total=progress.total)
    values = {"sent": progress.sent, "failed": progress.failed, "dropped": progress.dropped}
    if progress.stopped:
        return req.tr(
            "Stopped: %(sent)d delivered, %(failed)d failed, %(dropped)d not sent.", **values
        )
    return req.tr(
        "Finished: %(sent)d delivered, %(failed)d failed, %(dropped)d not sent.", **values
    )


async def _broadcast(req: DeskRequest) -> tuple[Broadcast, Progress, str] | None:
    async with req.desk.db.read() as tx:
        broadcast = await tx.broadcasts.get(int(req.request.path_params["broadcast_id"]))
        if broadcast is None:
            return None
        workshop = await tx.workshops.get(broadcast.workshop_id) if broadcast.workshop_id else None
        progress = await progress_of(tx, broadcast)
    title = workshop.title if workshop else req.tr("Announcement %(id)d", id=broadcast.id)
    return broadcast, progress, title


def _no_broadcast(req: DeskRequest) -> Response:
    return missing(req, N_("There is no such sending."))


async def broadcast_page(req: DeskRequest) -> Response:
    found = await _broadcast(req)
    if found is None:
        return _no_broadcast(req)
    broadcast, progress, title = found
    return req.page(
        "broadcast.html",
        title=req.tr("Sending: %(title)s", title=title),
        broadcast=broadcast,
        progress=progress,
        text=progress_text(req, progress),
        notice=req.tr("The sending was stopped.")
        if req.request.query_params.get("done") == "stopped"
        else None,
    )


async def broadcast_progress(req: DeskRequest) -> Response:
    found = await _broadcast(req)
    if found is None:
        return JSONResponse({"error": "not found"}, 404)
    _broadcast_row, progress, _title = found
    return JSONResponse({**asdict(progress), "text": progress_text(req, progress)})


async def broadcast_stop(req: DeskRequest) -> Response:
    now = req.desk.clock.now()
    broadcast_id = int(req.request.path_params["broadcast_id"])
    async with req.desk.db.write() as tx:
        broadcast = await tx.broadcasts.get(broadcast_id)
        if broadcast is None:
            return _no_broadcast(req)
        if broadcast.status in (BroadcastStatus.SENDING, BroadcastStatus.DRAFT):
            await broadcasts.stop_broadcast(tx, broadcast, now)
            await accounts.audit(tx, req.user_id, "broadcast.stop", "broadcast", broadcast.id, now)
    return redirect(f"/desk/broadcasts/{broadcast_id}?done=stopped")
