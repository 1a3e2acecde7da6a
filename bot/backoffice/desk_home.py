"""The home page of each role: what that person does first. An operator: today's
appointments; staff: the next workshops; an administrator: the outbox's failures, the
accounts and the availability; a viewer: the aggregate figures, where those pages exist."""

from __future__ import annotations

from dataclasses import dataclass, field

from starlette.responses import Response

from bot.backoffice.desk_agenda import SHOWN, bounds
from bot.backoffice.desk_auth import DeskRequest
from bot.capabilities import opening
from bot.capabilities.accounts import ROLE_LABELS, Role
from bot.clock import ROME
from bot.domain import BookingStatus, Workshop
from bot.i18n import N_
from storage.session import Session

UPCOMING_SHOWN = 5
# The viewer's pages (the Comune's: counts only).
VIEWER_PAGES = (("/aggregates", N_("Aggregate figures")), ("/report", N_("Annual report")))


@dataclass
class Home:
    today: int | None = None  # the operator's appointments today (booked or done)
    upcoming: list[Workshop] = field(default_factory=list)
    counts: dict[str, int] | None = None  # the outbox, by status
    accounts: int | None = None
    closed_operators: list[str] = field(default_factory=list)  # no weekly hours at all
    closures: int | None = None
    viewer_links: list[tuple[str, str]] = field(default_factory=list)


async def _operator(req: DeskRequest, tx: Session, home: Home) -> None:
    assert req.session is not None
    start, end = bounds("today", req.desk.clock.now())
    shown = tuple(s for s in SHOWN if s != BookingStatus.CANCELLED)
    found = await tx.records.agenda(start, end, req.session.user.operator_id or "", shown)
    home.today = len(found)


async def _admin(req: DeskRequest, tx: Session, home: Home) -> None:
    home.counts = await tx.outbox.counts()
    home.accounts = await tx.desk_users.count()
    agenda = await opening.current(tx, req.desk.app.settings.agenda)
    home.closed_operators = [op.name for op in agenda.operators if not op.windows]
    today = req.desk.clock.now().astimezone(ROME).date()
    home.closures = sum(1 for c in await opening.closures(tx) if c.last >= today)


async def home(req: DeskRequest) -> Response:
    assert req.session is not None
    role = Role(req.session.user.role)
    found = Home()
    async with req.desk.db.read() as tx:
        if role in (Role.OPERATOR, Role.ADMIN) and req.session.user.operator_id:
            await _operator(req, tx, found)
        elif role is Role.OPERATOR:
            found.today = 0
        if role in (Role.STAFF, Role.ADMIN):
            found.upcoming = (await tx.workshops.upcoming(req.desk.clock.now()))[:UPCOMING_SHOWN]
        if role is Role.ADMIN:
            await _admin(req, tx, found)
    if role is Role.VIEWER:
        found.viewer_links = [("/desk" + path, label) for path, label in VIEWER_PAGES]
    return req.page(
        "home.html",
        title=req.tr("Home"),
        role=role.value,
        role_label=req.tr(ROLE_LABELS[role]),
        home=found,
    )
