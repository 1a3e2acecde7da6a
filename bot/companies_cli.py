"""`sportello companies import FILE`, `sportello companies list` and `sportello match CODE`.
`bot/cli.py` adds these parsers and hands the commands here; the work is in
bot/capabilities/companies.py, company_import.py and matching.py."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from pathlib import Path

from bot.app import App
from bot.capabilities import companies as co
from bot.capabilities import company_import as ci
from bot.capabilities import matching
from bot.importfile import ImportFileError, Row, read_rows, shape_problem
from bot.terminal import shown

COMMANDS = ("companies", "match")
FORMAT_HELP = """\
The file is TOML, one [[company]] table each with its [[company.profile]] tables:
  [[company]]
  name = "Cartiera Esempio"        (required; a company is found again by its name)
  sector = "paper"                 (a sector id of bot/data/sectors.toml)
  ateco = "17.12"  contact_name = "..."  contact = "phone or e-mail"  area = "Capannori"
  [[company.profile]]
  code = "cart-op"                 (required, 2-24 letters, digits, - or _; unique)
  title = "Conduttore di macchina continua"
  essential = ["paper.machine_operator"]   desirable = ["paper.reel_handling"]
  openings = 2                     state = "open" (open, filled, closed)
  availability = ["shifts"]        (full_time, part_time, shifts, weekends: all needed)
  transport = "licence"            (licence, licence_car: the least needed)
  italian = "basic"                (native, good, basic, learning: the least needed)
  residence = ["lucca", "province"] (lucca, province, elsewhere: the areas accepted)
or CSV with the same column names, one profile a line (lists separated by spaces or |);
lines with the same company name are one company. Nothing is written unless every line is
right; importing the same file again changes nothing."""


def add_parsers(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    companies = commands.add_parser(
        "companies",
        help="companies and their job profiles: import a file, list them",
        description="The companies the desk scouts, and the profiles they look for.",
    )
    actions = companies.add_subparsers(dest="action", metavar="ACTION", required=True)
    actions.add_parser(
        "import",
        help="create or update companies and profiles from a TOML or CSV file",
        epilog=FORMAT_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    ).add_argument("file", type=Path)
    actions.add_parser("list", help="every company with its profiles")
    match = commands.add_parser(
        "match",
        help="everyone who meets a job profile's essential skills and conditions",
        description="Lists everyone with a confirmed intake who has every essential skill of "
        "the profile and meets its conditions, in the order of their internal number: no "
        "score, no ranking. The operator decides; the back-office lets them choose what to "
        "require. Internal numbers only, unless --names.",
    )
    match.add_argument("code", help="the profile's code")
    match.add_argument("--names", action="store_true", help="also print each person's name")


def _say(lines: Iterable[str], ok: bool = True) -> int:
    stream = sys.stdout if ok else sys.stderr
    for line in lines:
        print(shown(line), file=stream)
    return 0 if ok else 1


async def run(app: App, args: argparse.Namespace) -> int:
    if args.command == "match":
        return _say(*await match_lines(app, args.code, args.names))
    if args.action == "list":
        return _say(await company_lines(app))
    return _say(*await import_file(app, args.file))


def entries_of(path: Path, rows: list[Row]) -> tuple[list[ci.CompanyEntry], list[str]]:
    """The file's rows as companies with profiles, and what makes a row unreadable."""
    fields = (*co.COMPANY_FIELDS, *co.PROFILE_FIELDS)
    if path.suffix.lower() == ".toml":
        return _toml_entries(rows, fields)
    return _csv_entries(rows, fields)


def _toml_entries(
    rows: list[Row], fields: tuple[str, ...]
) -> tuple[list[ci.CompanyEntry], list[str]]:
    entries, problems = [], []
    for number, row in enumerate(rows, 1):
        where = f"company {number}"
        profiles = row.pop("profile", [])
        odd = shape_problem(row, co.COMPANY_FIELDS, ())
        if odd is not None:
            problems.append(f"{where}: {odd}")
        if not isinstance(profiles, list) or not all(isinstance(p, dict) for p in profiles):
            problems.append(f"{where}: 'profile' must be [[company.profile]] tables")
            profiles = []
        items = []
        for index, raw in enumerate(profiles, 1):
            at = f"{where}, profile {index}"
            odd = shape_problem(raw, co.PROFILE_FIELDS, co.PROFILE_LISTS)
            if odd is not None:
                problems.append(f"{at}: {odd}")
            items.append(ci.ProfileEntry(at, {str(k): v for k, v in raw.items()}))
        entries.append(ci.CompanyEntry(where, {str(k): v for k, v in row.items()}, items))
    return entries, problems


def _csv_entries(
    rows: list[Row], fields: tuple[str, ...]
) -> tuple[list[ci.CompanyEntry], list[str]]:
    grouped: dict[str, tuple[str, dict[str, object], list[ci.ProfileEntry]]] = {}
    problems = []
    for number, row in enumerate(rows, 2):  # line 1 is the header
        where = f"line {number}"
        odd = shape_problem(row, fields, co.PROFILE_LISTS)
        if odd is not None:
            problems.append(f"{where}: {odd}")
            continue
        values = {str(k): v for k, v in row.items() if isinstance(v, str) and v.strip()}
        key = co.name_key(str(values.get("name", ""))) or where
        first, company, profiles = grouped.setdefault(key, (where, {}, []))
        for name in co.COMPANY_FIELDS:
            value = values.get(name)
            if value is None:
                continue
            if company.setdefault(name, value) != value:
                problems.append(f"{where}: {name}: differs from {first} for the same company")
        if any(values.get(name) for name in (*co.PROFILE_FIELDS, *co.PROFILE_LISTS)):
            profile = {k: v for k, v in values.items() if k not in co.COMPANY_FIELDS}
            profiles.append(ci.ProfileEntry(where, profile))
    entries = [ci.CompanyEntry(w, c, p) for w, c, p in grouped.values()]
    return entries, problems


async def import_file(app: App, path: Path) -> tuple[list[str], bool]:
    fields = (*co.COMPANY_FIELDS, *co.PROFILE_FIELDS, *co.PROFILE_LISTS)
    try:
        rows = read_rows(path, "company", fields)
    except ImportFileError as exc:
        return [f"Cannot import {path}: {exc}"], False
    entries, unreadable = entries_of(path, rows)
    sectors = app.engine.content.sectors
    async with app.db.write() as tx:
        # An unreadable row is still a problem of the file: the others are checked, not written.
        report = await ci.import_entries(
            tx, entries, sectors, app.clock.now(), check_only=bool(unreadable)
        )
    problems = [*unreadable, *(str(p) for p in report.problems)]
    if problems:
        return [
            f"Nothing imported from {path}: {len(problems)} problem(s) to fix.",
            *(f"  {p}" for p in problems),
        ], False
    return [
        f"{path}: companies {report.companies_new} new, {report.companies_changed} changed; "
        f"profiles {report.profiles_new} new, {report.profiles_changed} changed, "
        f"{report.profiles_same} unchanged."
    ], True


async def company_lines(app: App) -> list[str]:
    lines = []
    async with app.db.read() as tx:
        for row in await co.company_list(tx):
            c = row.company
            visit = row.last_visit.isoformat() if row.last_visit else "never visited"
            lines.append(f"{c.name}  [{c.sector}]  {c.area or '-'}  last visit: {visit}")
            for p in await tx.job_profiles.of_company(c.id):
                lines.append(f"  {p.code}  {p.state}  openings {p.openings}  {p.title}")
    return lines or ["no companies yet"]


async def match_lines(app: App, code: str, names: bool) -> tuple[list[str], bool]:
    async with app.db.read() as tx:
        result = await matching.match_code(tx, code, app.clock.now())
        if result is None:
            return [f"no profile with the code {code}"], False
        named = {}
        if names:
            for c in result.candidates:
                found = (await tx.matching.answers_of(c.person_id, ["name"])).get("name")
                named[c.person_id] = found if isinstance(found, str) else "-"
    p = result.profile
    lines = [
        f"{p.code}  {p.title}  ({p.state}, openings {p.openings})",
        f"required: {', '.join(result.requirement.skills) or 'no skill'}; conditions: "
        + (
            "; ".join(f"{k} {'/'.join(v)}" for k, v in result.requirement.conditions.items())
            or "none"
        ),
        f"{_people_meet(len(result.candidates))} (in the order of their number, not ranked)",
    ]
    for c in result.candidates:
        who = f"#{c.person_id}" + (f"  {named[c.person_id]}" if names else "")
        lacking = ", ".join(g.skill_id for g in c.lacking) or "-"
        lines.append(
            f"{who}  has: {', '.join(c.required) or '-'}  desirable: "
            f"{', '.join(c.desirable) or '-'}  lacks: {lacking}"
        )
    return lines, True


def _people_meet(count: int) -> str:
    return "1 person meets it" if count == 1 else f"{count} people meet it"
