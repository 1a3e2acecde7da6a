"""Which operator rows go by e-mail, and the e-mail twin of a row for an operator who wants
both channels.

An outbox row goes to one channel. For an operator with digest = "both", the first claim of a
digest or same-day notice adds its e-mail twin (payload "via": "email") in the claim's own
transaction, so each copy has its own retries and a mail server that is down never holds up
Telegram, nor the other way round.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.agenda import Agenda
from bot.capabilities import messaging
from bot.domain import OutboxItem
from storage.session import Session

EMAIL_KINDS = ("digest", "operator_notice")
VIA_EMAIL = "email"


def goes_by_email(agenda: Agenda, item: OutboxItem) -> bool:
    """Whether this operator row is sent as an e-mail rather than on Telegram."""
    if item.kind not in EMAIL_KINDS or item.person_id is not None:
        return False
    operator = agenda.operator(item.operator_id or "")
    if operator is None or operator.email is None:
        return False
    via = item.payload.get("via")
    if via is not None:
        return bool(via == VIA_EMAIL)
    return operator.digest == VIA_EMAIL


async def plan_email_copies(
    tx: Session, agenda: Agenda, items: Sequence[OutboxItem], now: datetime
) -> None:
    """The e-mail twin of each just-claimed row for an operator who wants both channels.
    Only at a row's first claim (attempts is then 1), in the claim's transaction: a retry or
    a claim after a crash never adds a second twin."""
    for item in items:
        if item.attempts != 1 or item.kind not in EMAIL_KINDS or "via" in item.payload:
            continue
        operator = agenda.operator(item.operator_id or "")
        if operator is None or operator.digest != "both" or operator.email is None:
            continue
        links: messaging.Links = {
            "operator_id": operator.id,
            "payload": {**item.payload, "via": VIA_EMAIL},
            "not_after": item.not_after,
        }
        if item.booking_id is not None:
            links["booking_id"] = item.booking_id
        await messaging.plan(tx, item.kind, now, now, **links)
