"""The administrator's outbox page: what waits or failed, with the reason, and retry."""

from __future__ import annotations

from starlette.responses import Response

from bot.backoffice.desk_auth import DeskRequest, redirect
from bot.backoffice.desk_export import Listing, shown
from bot.backoffice.desk_pages import export_listing
from bot.capabilities import outbox_admin
from bot.capabilities.outbox_admin import RetryOutcome
from bot.i18n import N_

STATUS_LABELS = {
    "": N_("waiting or failed"),
    "pending": N_("waiting"),
    "sending": N_("being sent"),
    "failed": N_("failed"),
    "sent": N_("sent"),
    "delivered": N_("delivered"),
    "read": N_("read"),
    "dropped": N_("dropped"),
}


async def outbox_listing(req: DeskRequest) -> tuple[Listing, list[int], list[bool], list[str]]:
    status = req.request.query_params.get("status", "")
    status = status if status in STATUS_LABELS else ""
    kind = req.request.query_params.get("kind", "")
    async with req.desk.db.read() as tx:
        kinds = await tx.outbox_admin.kinds()
        kind = kind if kind in kinds else ""
        items = await outbox_admin.listing(tx, status or None, kind or None)
    listing = Listing(
        name="outbox",
        title=req.tr("Messages"),
        columns=[
            req.tr(c)
            for c in (
                N_("Number"),
                N_("Kind"),
                N_("To"),
                N_("Due"),
                N_("State"),
                N_("Tries"),
                N_("Reason"),
            )
        ],
        rows=[
            [
                i.id,
                i.kind,
                _recipient(req, i.person_id, i.operator_id),
                i.due_at,
                req.tr(STATUS_LABELS.get(i.status, i.status)),
                i.attempts,
                i.last_error,
            ]
            for i in items
        ],
        filters={"status": status, "kind": kind},
        filter_labels=[
            (req.tr("State"), req.tr(STATUS_LABELS[status])),
            (req.tr("Kind"), kind or req.tr("all")),
        ],
    )
    return listing, [i.id for i in items], [i.status == "failed" for i in items], kinds


def _recipient(req: DeskRequest, person_id: int | None, operator_id: str | None) -> str:
    if operator_id:
        return req.tr("operator %(id)s", id=operator_id)
    if person_id is not None:
        return req.tr("person #%(id)s", id=person_id)
    return "Zoom"


async def outbox(req: DeskRequest) -> Response:
    listing, ids, retryable, kinds = await outbox_listing(req)
    notices = {
        "retried": req.tr("The message is back in the queue."),
        "not_failed": req.tr("That message had not failed: nothing to retry."),
        "missing": req.tr("That message no longer exists."),
    }
    statuses = [(k, req.tr(v)) for k, v in STATUS_LABELS.items()]
    return req.page(
        "outbox.html",
        title=req.tr("Outbox"),
        listing=listing,
        cells=shown(listing, req.translator),
        ids=ids,
        retryable=retryable,
        notice=notices.get(req.request.query_params.get("done", "")),
        filter_fields=[
            ("status", req.tr("State"), statuses, listing.filters["status"]),
            (
                "kind",
                req.tr("Kind"),
                [("", req.tr("all")), *((k, k) for k in kinds)],
                listing.filters["kind"],
            ),
        ],
    )


async def outbox_export(req: DeskRequest) -> Response:
    listing, _ids, _retryable, _kinds = await outbox_listing(req)
    return await export_listing(req, listing, "outbox")


async def outbox_retry(req: DeskRequest) -> Response:
    item_id = int(req.request.path_params["item_id"])
    async with req.desk.db.write() as tx:
        outcome = await outbox_admin.retry(tx, item_id, req.desk.clock.now(), by=req.user_id)
    done = {RetryOutcome.RETRIED: "retried", RetryOutcome.NOT_FAILED: "not_failed"}
    return redirect(f"/desk/outbox?status=failed&done={done.get(outcome, 'missing')}")
