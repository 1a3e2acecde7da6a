"""When the desk is open: operators' weekly hours and the closures as stored in the database.

The TOML file seeds them once per operator (and once for the closures); after that the
back-office edits them (bot/capabilities/availability.py) and everything that computes slots
or closed days reads them here, in its own transaction, so a change counts at once in every
process serving the database, with nothing cached to refresh.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from bot.agenda import Agenda
from storage.availability_repos import CLOSURES_SCOPE, Closure, operator_scope
from storage.session import Session


async def seed(tx: Session, desk: Agenda, now: datetime) -> list[str]:
    """The file's hours and closures, for the scopes never seeded before (a first start, an
    operator added to the file later). The scopes seeded now."""
    done = []
    for operator in desk.operators:
        scope = operator_scope(operator.id)
        if await tx.availability.mark_seeded(scope, now):
            await tx.availability.replace_hours(operator.id, operator.windows, now)
            done.append(scope)
    if await tx.availability.mark_seeded(CLOSURES_SCOPE, now):
        for first, last in desk.rules.closures:
            await tx.availability.add_closure(first, last, "", now)
        done.append(CLOSURES_SCOPE)
    return done


async def current(tx: Session, desk: Agenda) -> Agenda:
    """The agenda with the stored weekly hours and closures. A scope not seeded yet (a
    database opened without start-up, as some tools do) keeps the file's."""
    if desk.stored:
        return desk
    stored = await tx.availability.stored()
    operators = tuple(
        replace(op, windows=stored.windows.get(op.id, ()))
        if operator_scope(op.id) in stored.seeded
        else op
        for op in desk.operators
    )
    rules = desk.rules
    if CLOSURES_SCOPE in stored.seeded:
        rules = replace(rules, closures=tuple((c.first, c.last) for c in stored.closures))
    return Agenda(rules, operators, stored=True)


async def closures(tx: Session) -> tuple[Closure, ...]:
    return (await tx.availability.stored()).closures
