"""People with a confirmed intake and company profiles, written straight through the
repositories: matching tests need many of them, not the conversation."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from bot.app import App
from bot.capabilities import companies as co
from bot.domain import JSON, Channel

BASE: dict[str, JSON] = {
    "name": "Someone",
    "residence": "lucca",
    "age_band": "30_39",
    "gender": "female",
    "citizenship": "it",
    "status": "unemployed",
    "italian": "good",
    "transport": "licence_car",
    "availability": ["full_time", "shifts"],
    "support": "no",
}


async def person(app: App, who: str, answers: Mapping[str, JSON], now: datetime) -> int:
    async with app.db.write() as tx:
        found = await tx.people.create(Channel.TELEGRAM, who, now, "it")
        for question, value in {**BASE, **answers}.items():
            await tx.answers.save(found.id, question, value, now)
        await tx.people.confirm_intake(found.id, now)
    return found.id


async def profile(app: App, raw: Mapping[str, object], company: str = "Cartiera Esempio") -> int:
    sectors = app.engine.content.sectors
    now = app.clock.now()
    async with app.db.write() as tx:
        existing = await tx.companies.by_key(co.name_key(company))
        if existing is None:
            draft = co.check_company({"name": company, "sector": "paper"}, sectors)
            company_id = await co.save_company(tx, draft, now)
        else:
            company_id = existing.id
        return await co.save_profile(tx, company_id, co.check_profile(raw, sectors), now)
