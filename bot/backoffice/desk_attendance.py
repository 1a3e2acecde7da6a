"""One workshop's page: what it is, its invitations, its attendees and their attendance
(present or absent, one form for all), and the attendees' export."""

from __future__ import annotations

from starlette.responses import Response

from bot.backoffice.desk_auth import DeskRequest, redirect
from bot.backoffice.desk_export import Listing, shown
from bot.backoffice.desk_pages import export_listing
from bot.backoffice.desk_workshops import (
    STATUS_LABELS,
    WITH_SEAT,
    find_workshop,
    missing,
    state_of,
)
from bot.capabilities import accounts, seats
from bot.domain import Registration, RegistrationStatus, Workshop
from bot.i18n import N_

ATTENDANCE = {"present": True, "absent": False}


async def attendees_listing(
    req: DeskRequest, workshop: Workshop
) -> tuple[Listing, list[Registration]]:
    status = req.request.query_params.get("status", "")
    status = status if status in STATUS_LABELS else ""
    async with req.desk.db.read() as tx:
        found = [
            r
            for r in await tx.registrations.of_workshop(workshop.id)
            if not status or r.status == status
        ]
        names = await tx.answers.of_people(("name",))
    listing = Listing(
        name=f"attendees-{workshop.code}",
        title=req.tr("Attendees"),
        columns=[req.tr(c) for c in (N_("Seat"), N_("Person"), N_("Name"), N_("State"))],
        rows=[
            [
                r.seat,
                r.person_id,
                str(names.get(r.person_id, {}).get("name") or ""),
                req.tr(STATUS_LABELS[r.status]),
            ]
            for r in found
        ],
        filters={"status": status},
        filter_labels=[
            (
                req.tr("State"),
                req.tr(STATUS_LABELS[RegistrationStatus(status)]) if status else req.tr("all"),
            )
        ],
    )
    return listing, found


async def workshop_page(req: DeskRequest) -> Response:
    workshop = await find_workshop(req)
    if workshop is None:
        return missing(req)
    listing, found = await attendees_listing(req, workshop)
    now = req.desk.clock.now()
    async with req.desk.db.write() as tx:
        taken = await seats.seats_taken(tx, workshop.id)
        invitations = [b for b in await tx.broadcasts.listing() if b.workshop_id == workshop.id]
        # The attendees are people's data: who looked at them is on record.
        await accounts.audit(tx, req.user_id, "attendees.view", "workshop", workshop.id, now)
    notices = {
        "created": req.tr("The workshop was saved. Nobody has been told yet."),
        "updated": req.tr("The workshop was changed."),
        "attendance": req.tr("The attendance was recorded."),
        "skills": req.tr("The skills the workshop teaches were saved."),
    }
    statuses = [("", req.tr("all")), *((k.value, req.tr(v)) for k, v in STATUS_LABELS.items())]
    return req.page(
        "workshop.html",
        title=workshop.title,
        workshop=workshop,
        state=state_of(req, workshop, now),
        taken=taken,
        open=seats.open_for_answers(workshop, now),
        invitations=invitations,
        listing=listing,
        cells=shown(listing, req.translator),
        registrations=found,
        with_seat=WITH_SEAT,
        notice=notices.get(req.request.query_params.get("done", "")),
        filter_fields=[("status", req.tr("State"), statuses, listing.filters["status"])],
    )


async def attendees_export(req: DeskRequest) -> Response:
    workshop = await find_workshop(req)
    if workshop is None:
        return missing(req)
    listing, _found = await attendees_listing(req, workshop)
    return await export_listing(req, listing, "workshop_attendees")


async def attendance(req: DeskRequest) -> Response:
    """The form sends "r<registration id>" = present | absent for each attendee marked."""
    workshop = await find_workshop(req)
    if workshop is None:
        return missing(req)
    now = req.desk.clock.now()
    async with req.desk.db.write() as tx:
        mine = {r.id for r in await tx.registrations.of_workshop(workshop.id)}
        for key, value in req.form.items():
            number = key.removeprefix("r")
            if not (key.startswith("r") and number.isdigit() and value in ATTENDANCE):
                continue
            if int(number) not in mine:  # someone else's workshop: not through this page
                continue
            result = await seats.record_attendance(tx, int(number), ATTENDANCE[value], now)
            if result is not None and result.recorded:
                await accounts.audit(
                    tx, req.user_id, f"attendance.{value}", "registration", number, now
                )
    return redirect(f"/desk/workshops/{workshop.id}?done=attendance#attendees")
