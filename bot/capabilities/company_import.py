"""Importing companies and their profiles from a file: every entry is checked first and every
problem reported with where it is; only a file without problems is written, all of it in one
transaction. Importing the same file again changes nothing: companies are found by name and
profiles by code."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from bot.capabilities import companies as co
from bot.content import Sector
from bot.i18n import N_
from storage.company_repos import JobProfile
from storage.session import Session


@dataclass(frozen=True)
class ProfileEntry:
    where: str  # "line 4", "company 2, profile 1": how the file's author finds it
    raw: Mapping[str, object]


@dataclass(frozen=True)
class CompanyEntry:
    where: str
    raw: Mapping[str, object]
    profiles: Sequence[ProfileEntry]


@dataclass(frozen=True)
class Located:
    where: str
    problem: co.Problem

    def __str__(self) -> str:
        return f"{self.where}: {self.problem}"


@dataclass
class ImportReport:
    problems: list[Located] = field(default_factory=list)
    companies_new: int = 0
    companies_changed: int = 0
    profiles_new: int = 0
    profiles_changed: int = 0
    profiles_same: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


def _same(profile: co.ProfileDraft, stored: JobProfile) -> bool:
    return (
        stored.title == profile.title
        and stored.openings == profile.openings
        and stored.state == profile.state
        and set(stored.essential) == set(profile.essential)
        and set(stored.desirable) == set(profile.desirable)
        and {k: set(v) for k, v in stored.conditions.items()}
        == {k: set(v) for k, v in profile.conditions.items()}
    )


async def import_entries(
    tx: Session,
    entries: Sequence[CompanyEntry],
    sectors: Sequence[Sector],
    now: datetime,
    check_only: bool = False,
) -> ImportReport:
    report = ImportReport()
    checked: list[tuple[co.CompanyDraft, list[co.ProfileDraft]]] = []
    names: dict[str, str] = {}
    codes: dict[str, str] = {}  # code -> where it first is
    for entry in entries:
        company: co.CompanyDraft | None = None
        try:
            company = co.check_company(entry.raw, sectors)
        except co.Invalid as exc:
            report.problems += [Located(entry.where, p) for p in exc.problems]
        key = co.name_key(company.name) if company else ""
        if company and key in names:
            message = N_("The same company is already at %(where)s.")
            problem = co.Problem("name", message, {"where": names[key]})
            report.problems.append(Located(entry.where, problem))
        names.setdefault(key, entry.where)
        drafts = []
        for item in entry.profiles:
            code = str(item.raw.get("code") or "").strip().lower()
            if code and code in codes:  # said even when the rest of either profile is wrong
                message = N_("The code %(code)s is already used at %(where)s.")
                args = {"code": code, "where": codes[code]}
                report.problems.append(Located(item.where, co.Problem("code", message, args)))
            codes.setdefault(code, item.where)
            try:
                draft = co.check_profile(item.raw, sectors)
            except co.Invalid as exc:
                report.problems += [Located(item.where, p) for p in exc.problems]
                continue
            stored = await tx.job_profiles.by_code(draft.code)
            owner = stored and await tx.companies.get(stored.company_id)
            if owner and co.name_key(owner.name) != key:
                message = N_("The code %(code)s belongs to a profile of %(company)s.")
                args = {"code": draft.code, "company": owner.name}
                report.problems.append(Located(item.where, co.Problem("code", message, args)))
            drafts.append(draft)
        if company is not None:
            checked.append((company, drafts))
    if report.problems or check_only:
        return report
    for company, drafts in checked:
        existing = await tx.companies.by_key(co.name_key(company.name))
        if existing is None:
            report.companies_new += 1
            company_id = await co.save_company(tx, company, now)
        else:
            company_id = existing.id
            if any(getattr(existing, k) != v for k, v in company.values().items()):
                report.companies_changed += 1
                await co.save_company(tx, company, now, company_id)
        for draft in drafts:
            stored = await tx.job_profiles.by_code(draft.code)
            if stored is not None and _same(draft, stored):
                report.profiles_same += 1
                continue
            if stored is None:
                report.profiles_new += 1
            else:
                report.profiles_changed += 1
            await co.save_profile(tx, company_id, draft, now)
    return report
