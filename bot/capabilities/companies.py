"""Companies, the job profiles they look for and the desk's scouting visits: the one set of
checks and writes for the command line, file imports and the back-office.

A problem is a field and a message id (plain English, translated where shown), so a form
puts it next to its field and the command line prints it with the row it came from."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache

from bot.clock import ROME
from bot.content import Sector
from bot.i18n import N_
from bot.placement import ConditionKind, ProfileState
from storage.company_repos import Company, CompanyRow, JobProfile, ScoutingVisit
from storage.session import Session

MAX_NAME, MAX_TITLE, MAX_CONTACT, MAX_AREA, MAX_NOTES = 120, 120, 200, 80, 4000
MAX_OPENINGS = 999
CODE = re.compile(r"^[a-z0-9][a-z0-9_-]{1,23}$")
ATECO = re.compile(r"^\d{2}(\.\d{1,2}){0,2}$")  # 17, 17.1, 17.12, 17.12.00
COMPANY_FIELDS = ("name", "sector", "ateco", "contact_name", "contact", "area")
PROFILE_FIELDS = ("code", "title", "openings", "state", "transport", "italian")
PROFILE_LISTS = ("essential", "desirable", "availability", "residence")


@dataclass(frozen=True)
class Problem:
    field: str
    message: str  # a message id: English on the command line, translated on a page
    args: Mapping[str, object] = dataclasses.field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.field}: {self.message % dict(self.args) if self.args else self.message}"


class Invalid(ValueError):
    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(str(p) for p in self.problems))


@dataclass(frozen=True)
class ConditionCodes:
    """The answer ids each condition may name: the intake's own questions own them."""

    availability: tuple[str, ...]
    transport: tuple[str, ...]  # licence kinds, least to most
    italian: tuple[str, ...]  # levels, best first
    residence: tuple[str, ...]

    def of(self, kind: ConditionKind) -> tuple[str, ...]:
        codes: tuple[str, ...] = getattr(self, kind.value)
        return codes


@cache
def condition_codes() -> ConditionCodes:
    from bot.flows.intake_questions import AVAILABILITY, ITALIAN, RESIDENCE, TRANSPORT

    return ConditionCodes(
        availability=tuple(i for i, _ in AVAILABILITY.choices),
        # "none" needs nothing, so it is no condition; the choices go car first.
        transport=tuple(reversed([i for i, _ in TRANSPORT.choices if i != "none"])),
        italian=tuple(i for i, _ in ITALIAN.choices),
        residence=tuple(i for i, _ in RESIDENCE.choices),
    )


def accepted(kind: ConditionKind, values: Sequence[str]) -> tuple[str, ...]:
    """The answers to the condition's question that meet it. For availability every value
    listed must be among the answer's (this is the set to find in it)."""
    codes = condition_codes()
    if kind is ConditionKind.ITALIAN:  # a minimum level: that level or better
        least = max(codes.italian.index(v) for v in values)
        return codes.italian[: least + 1]
    if kind is ConditionKind.TRANSPORT:  # licence: a licence with or without a car
        least = min(codes.transport.index(v) for v in values)
        return codes.transport[least:]
    return tuple(values)


@dataclass(frozen=True)
class CompanyDraft:
    name: str
    sector: str
    ateco: str | None
    contact_name: str | None
    contact: str | None
    area: str | None

    def values(self) -> dict[str, str | None]:
        return {k: getattr(self, k) for k in COMPANY_FIELDS}


@dataclass(frozen=True)
class ProfileDraft:
    code: str
    title: str
    openings: int
    state: ProfileState
    essential: tuple[str, ...]
    desirable: tuple[str, ...]
    conditions: Mapping[ConditionKind, tuple[str, ...]]


def name_key(name: str) -> str:
    """Two spellings of one company are one company: case and spaces do not count."""
    return " ".join(name.casefold().split())


def _text(value: object) -> str:
    return " ".join(str(value).split()) if value is not None else ""


def _codes(value: object) -> tuple[str, ...]:
    """A list from TOML, or a cell of codes separated by commas, semicolons, bars or spaces."""
    if value is None:
        return ()
    items = value if isinstance(value, list) else re.split(r"[,;|\s]+", str(value))
    return tuple(dict.fromkeys(str(i).strip().lower() for i in items if str(i).strip()))


def _long(name: str, value: str, most: int, problems: list[Problem]) -> None:
    if len(value) > most:
        problems.append(Problem(name, N_("At most %(max)d characters."), {"max": most}))


def check_company(raw: Mapping[str, object], sectors: Sequence[Sector]) -> CompanyDraft:
    problems: list[Problem] = []
    name, sector = _text(raw.get("name")), _text(raw.get("sector")).lower()
    ateco, area = _text(raw.get("ateco")), _text(raw.get("area"))
    contact_name, contact = _text(raw.get("contact_name")), _text(raw.get("contact"))
    if not name:
        problems.append(Problem("name", N_("Write the company's name.")))
    _long("name", name, MAX_NAME, problems)
    if sector not in {s.id for s in sectors}:
        problems.append(
            Problem(
                "sector",
                N_("Choose one of the sectors: %(codes)s."),
                {"codes": ", ".join(s.id for s in sectors)},
            )
        )
    if ateco and not ATECO.match(ateco):
        problems.append(Problem("ateco", N_("An ATECO code looks like 17.12 or 17.12.00.")))
    _long("contact_name", contact_name, MAX_CONTACT, problems)
    _long("contact", contact, MAX_CONTACT, problems)
    _long("area", area, MAX_AREA, problems)
    if problems:
        raise Invalid(problems)
    return CompanyDraft(
        name, sector, ateco or None, contact_name or None, contact or None, area or None
    )


def _openings(value: object, problems: list[Problem]) -> int:
    text = _text(value)
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif text.isdigit():
        number = int(text)
    elif not text:
        return 1
    else:
        number = -1
    if not 0 <= number <= MAX_OPENINGS:
        problems.append(
            Problem("openings", N_("A whole number from 0 to %(max)d."), {"max": MAX_OPENINGS})
        )
    return number


def check_profile(raw: Mapping[str, object], sectors: Sequence[Sector]) -> ProfileDraft:
    problems: list[Problem] = []
    code, title = _text(raw.get("code")).lower(), _text(raw.get("title"))
    if not CODE.match(code):
        problems.append(
            Problem(
                "code",
                N_("A short code of 2 to 24 letters, digits, - or _ (like cart-op)."),
            )
        )
    if not title:
        problems.append(Problem("title", N_("Write the profile's title.")))
    _long("title", title, MAX_TITLE, problems)
    openings = _openings(raw.get("openings"), problems)
    state_text = _text(raw.get("state")).lower() or ProfileState.OPEN
    if state_text not in set(ProfileState):
        problems.append(Problem("state", N_("One of: open, filled, closed.")))
    known = {k.id for s in sectors for k in s.skills}
    essential, desirable = _codes(raw.get("essential")), _codes(raw.get("desirable"))
    for name, skills in (("essential", essential), ("desirable", desirable)):
        unknown = [s for s in skills if s not in known]
        if unknown:
            problems.append(
                Problem(
                    name,
                    N_("Unknown skills: %(codes)s (see the ids in sectors.toml)."),
                    {"codes": ", ".join(unknown)},
                )
            )
    both = [s for s in essential if s in desirable]
    if both:
        problems.append(
            Problem(
                "desirable",
                N_("A skill is either essential or desirable, not both: %(codes)s."),
                {"codes": ", ".join(both)},
            )
        )
    conditions: dict[ConditionKind, tuple[str, ...]] = {}
    codes = condition_codes()
    for kind in ConditionKind:
        values = _codes(raw.get(kind.value))
        wrong = [v for v in values if v not in codes.of(kind)]
        if wrong:
            problems.append(
                Problem(
                    kind.value,
                    N_("Choose among: %(codes)s."),
                    {"codes": ", ".join(codes.of(kind))},
                )
            )
        elif kind in (ConditionKind.TRANSPORT, ConditionKind.ITALIAN) and len(values) > 1:
            problems.append(Problem(kind.value, N_("Give only one: the least that is needed.")))
        elif values:
            conditions[kind] = values
    if problems:
        raise Invalid(problems)
    return ProfileDraft(
        code, title, openings, ProfileState(state_text), essential, desirable, conditions
    )


async def save_company(
    tx: Session, draft: CompanyDraft, now: datetime, company_id: int | None = None
) -> int:
    """Create a company (company_id None) or change one; Invalid if the name is another's."""
    key = name_key(draft.name)
    other = await tx.companies.by_key(key)
    if other is not None and other.id != company_id:
        raise Invalid([Problem("name", N_("Another company already has this name."))])
    if company_id is None:
        return await tx.companies.create(draft.values(), key, now)
    await tx.companies.update(company_id, draft.values(), key, now)
    return company_id


async def save_profile(tx: Session, company_id: int, draft: ProfileDraft, now: datetime) -> int:
    """Create the profile, or update the one with the same code (re-imports, the edit form).
    Invalid if the code belongs to another company's profile."""
    same = await tx.job_profiles.by_code(draft.code)
    if same is not None and same.company_id != company_id:
        raise Invalid([Problem("code", N_("Another company's profile has this code."))])
    profile_id = await tx.job_profiles.save(
        company_id, draft.code, draft.title, draft.openings, draft.state, now
    )
    await tx.job_profiles.set_skills(profile_id, draft.essential, draft.desirable)
    await tx.job_profiles.set_conditions(profile_id, draft.conditions)
    return profile_id


async def create_profile(tx: Session, company_id: int, draft: ProfileDraft, now: datetime) -> int:
    """A new profile (the back-office's form): its code must be free, where an import or an
    edit updates the profile that has it."""
    if await tx.job_profiles.by_code(draft.code) is not None:
        raise Invalid([Problem("code", N_("Another profile has this code."))])
    return await save_profile(tx, company_id, draft, now)


async def set_state(tx: Session, profile_id: int, state: ProfileState, now: datetime) -> bool:
    return await tx.job_profiles.set_state(profile_id, state, now)


async def add_visit(
    tx: Session,
    company_id: int,
    raw_date: str,
    operator_id: str,
    notes: str,
    operators: Iterable[str],
    now: datetime,
) -> int:
    """A scouting visit, by one of the configured operators, not in the future."""
    problems: list[Problem] = []
    try:
        visited_on = date.fromisoformat(raw_date.strip())
    except ValueError:
        visited_on = None
        problems.append(Problem("visited_on", N_("Write a date like 2026-12-02.")))
    if visited_on is not None and visited_on > now.astimezone(ROME).date():
        problems.append(Problem("visited_on", N_("A visit cannot be in the future.")))
    if operator_id not in set(operators):
        problems.append(Problem("operator_id", N_("Choose one of the desk's operators.")))
    notes = notes.strip()
    _long("notes", notes, MAX_NOTES, problems)
    if await tx.companies.get(company_id) is None:
        problems.append(Problem("company", N_("There is no such company.")))
    if problems:
        raise Invalid(problems)
    assert visited_on is not None
    return await tx.scouting_visits.add(company_id, visited_on, operator_id, notes, now)


@dataclass(frozen=True)
class CompanyView:
    company: Company
    profiles: list[JobProfile]
    visits: list[ScoutingVisit]


async def company_list(tx: Session) -> list[CompanyRow]:
    return await tx.companies.listing()


async def company_view(tx: Session, company_id: int) -> CompanyView | None:
    company = await tx.companies.get(company_id)
    if company is None:
        return None
    profiles = await tx.job_profiles.of_company(company_id)
    return CompanyView(company, profiles, await tx.scouting_visits.of_company(company_id))


async def profile_by_code(tx: Session, code: str) -> JobProfile | None:
    return await tx.job_profiles.by_code(code.strip().lower())


async def profile(tx: Session, profile_id: int) -> JobProfile | None:
    return await tx.job_profiles.get(profile_id)


async def all_profiles(tx: Session) -> list[tuple[JobProfile, Company]]:
    """Every profile with its company, for lists and exports."""
    found = []
    for p in await tx.job_profiles.every():
        company = await tx.companies.get(p.company_id)
        assert company is not None
        found.append((p, company))
    return found


async def tag_workshop(
    tx: Session, workshop_id: int, skills: object, sectors: Sequence[Sector]
) -> None:
    """The skills a workshop teaches (a list, or codes in one text as a file's cell; unknown
    ids are refused), for matching's gaps."""
    wanted = _codes(list(skills) if isinstance(skills, tuple | set) else skills)
    known = {k.id for s in sectors for k in s.skills}
    unknown = [s for s in wanted if s not in known]
    if unknown:
        raise Invalid(
            [
                Problem(
                    "skills",
                    N_("Unknown skills: %(codes)s (see the ids in sectors.toml)."),
                    {"codes": ", ".join(unknown)},
                )
            ]
        )
    await tx.workshop_skills.set_for(workshop_id, wanted)
