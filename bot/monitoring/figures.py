"""Every number of the monitoring report, counted from the anonymous rows of one period.

This is the one module that counts: the PDF, the HTML, the CSV and XLSX files and the charts
all show the tables built here (after suppression). Counts are of people or facts, never
suppressed here; medians keep the count they stand on, so suppression can judge them.

Every table that splits by profile has the same columns: everyone, the protocol's target groups
(which overlap: a young woman is in both columns) and the three lines of action (what the person
said they look for; "guidance or training" is in none of them).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date

from bot.i18n import N_, Translator
from bot.languages import LANGUAGES, language_name
from storage.company_repos import GapRow
from storage.monitoring_repos import EventGroup, IntakeGroup, SectorActivity, WorkshopRow

Profile = tuple[str, str, str, str, str]
"""age_band, gender, status, duration, goal: what target groups and lines come from."""


@dataclass(frozen=True)
class Column:
    key: str
    label: str  # a message id
    member: Callable[[Profile], bool]


def _always(_: Profile) -> bool:
    return True


COLUMNS: tuple[Column, ...] = (
    Column("all", N_("Total"), _always),
    Column("young", N_("Young people"), lambda p: p[0] in ("u18", "18_29")),
    Column("women", N_("Women"), lambda p: p[1] == "female"),
    Column("long_term", N_("Long-term unemployed (12+ months)"), lambda p: p[3] == "gt12"),
    Column("over_50", N_("Over 50"), lambda p: p[0] in ("50_54", "55_plus")),
    Column("crisis_workers", N_("Workers of companies in crisis"), lambda p: p[2] == "crisis"),
    Column("aspiring_self_employed", N_("Aspiring self-employed"), lambda p: p[4] == "business"),
    Column("line_dependent", N_("Line: dependent work"), lambda p: p[4] == "employee"),
    Column("line_self_employment", N_("Line: self-employment"), lambda p: p[4] == "business"),
    Column("line_company_crises", N_("Line: company crises"), lambda p: p[4] == "crisis"),
)


Cell = int | float


@dataclass
class Row:
    key: str
    label: str  # already translated
    values: list[Cell]
    # A median or other figure that is not a count: shown only when the count in row `basis`
    # of the same column may be shown.
    basis: int | None = None


@dataclass
class Table:
    key: str  # file name stem, also the XLSX sheet
    title: str
    row_header: str
    columns: list[str]  # translated labels
    rows: list[Row]
    # The last row is the sum of the rows above it in every column (secondary suppression).
    total: bool = False
    # Cells count people (suppressed under 5); False for workshops and seats offered.
    people: bool = True
    # When only some columns count people (the skills gap: profiles, openings, people).
    people_columns: tuple[int, ...] | None = None
    note: str = ""
    column_keys: list[str] = field(default_factory=list)
    # A column that is the sum of the others in every row (secondary suppression), if any.
    row_total_column: int | None = None
    # Other rows that are the sum of some rows, in every column (secondary suppression):
    # (the parts' row indexes, the sum's row index), e.g. the answers adding up to "answered".
    row_sums: tuple[tuple[tuple[int, ...], int], ...] = ()
    # What the chart shows: "column" (the first column, by row), "grouped" (every column but
    # a row total, by row) or "row:N" (row N, by column).
    chart: str = "column"

    def cell(self, row_key: str, column_key: str) -> Cell:
        row = next(r for r in self.rows if r.key == row_key)
        return row.values[self.column_keys.index(column_key)]


@dataclass(frozen=True)
class Data:
    """The anonymous rows of one period, as storage returns them."""

    first: date
    last: date
    intakes: list[IntakeGroup]
    events: list[EventGroup]
    workshops: list[WorkshopRow]
    # The skills gap as it is when the report is made (open profiles have no history).
    skills: list[GapRow] = field(default_factory=list)
    # The companies' activity of the period, by sector (companies are not people).
    companies: list[SectorActivity] = field(default_factory=list)

    def months(self) -> list[str]:
        months, year, month = [], self.first.year, self.first.month
        while (year, month) <= (self.last.year, self.last.month):
            months.append(f"{year:04d}-{month:02d}")
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return months

    def of(self, *events: str) -> list[EventGroup]:
        return [e for e in self.events if e.event in events]


def intake_profile(group: IntakeGroup) -> Profile:
    a = group.answers
    return (a["age_band"], a["gender"], a["status"], a["duration"], a["goal"])


def split_by_profile(
    tr: Translator, counted: Iterable[tuple[str, Profile, int]], rows: list[tuple[str, str]]
) -> list[Row]:
    """Rows (key, label msgid) x COLUMNS from (row key, profile, count) triples."""
    index = {key: i for i, (key, _) in enumerate(rows)}
    sums = [[0] * len(COLUMNS) for _ in rows]
    members: dict[Profile, list[int]] = {}
    for row_key, profile, count in counted:
        if row_key not in index:
            continue
        if profile not in members:
            members[profile] = [i for i, c in enumerate(COLUMNS) if c.member(profile)]
        line = sums[index[row_key]]
        for i in members[profile]:
            line[i] += count
    return [
        Row(key, tr.tr(label), list(values))
        for (key, label), values in zip(rows, sums, strict=True)
    ]


def with_total(tr: Translator, rows: list[Row]) -> list[Row]:
    totals: list[Cell] = [sum(r.values[i] for r in rows) for i in range(len(rows[0].values))]
    return [*rows, Row("total", tr.tr(N_("Total")), totals)]


def profile_table(tr: Translator, key: str, title: str, header: str, rows: list[Row]) -> Table:
    return Table(
        key=key,
        title=tr.tr(title),
        row_header=tr.tr(header),
        columns=[tr.tr(c.label) for c in COLUMNS],
        column_keys=[c.key for c in COLUMNS],
        rows=rows,
    )


def month_label(tr: Translator, month: str) -> str:
    from babel.dates import format_date

    year, number = month.split("-")
    return format_date(date(int(year), int(number), 1), "MMMM y", locale=tr.language)


def weighted_median(values: list[tuple[int, int]]) -> float:
    """The median of values given as (value, how many times); 0 when there are none."""
    ordered = sorted(values)
    n = sum(c for _, c in ordered)
    if n == 0:
        return 0
    positions = ((n - 1) // 2, n // 2)
    found: list[int] = []
    seen = 0
    for value, count in ordered:
        for p in positions:
            if seen <= p < seen + count:
                found.append(value)
        seen += count
    return (found[0] + found[1]) / 2


def months_table(
    tr: Translator,
    data: Data,
    key: str,
    title: str,
    columns: list[tuple[str, str]],
    counted: Iterable[tuple[str, str, int]],
) -> Table:
    """Rows by month (and a total), columns given: from (month, column key, count)."""
    index = {k: i for i, (k, _) in enumerate(columns)}
    by_month = {m: [0] * len(columns) for m in data.months()}
    for month, column, count in counted:
        if month in by_month and column in index:
            by_month[month][index[column]] += count
    rows = [Row(m, month_label(tr, m), list(v)) for m, v in by_month.items()]
    return Table(
        key=key,
        title=tr.tr(title),
        row_header=tr.tr(N_("Month")),
        columns=[tr.tr(label) for _, label in columns],
        column_keys=[k for k, _ in columns],
        rows=with_total(tr, rows),
        total=True,
        chart="grouped",
    )


CHANNELS = [("telegram", N_("Telegram")), ("whatsapp", N_("WhatsApp"))]
APPOINTMENT_EVENTS = [
    ("booked", N_("Booked")),
    ("attended", N_("Held")),
    ("no_show", N_("Not attended")),
    ("cancelled", N_("Cancelled")),
]
WAITLIST_EVENTS = [
    ("waitlist_joined", N_("Joined the waiting list")),
    ("waitlist_offered", N_("Offered a freed slot")),
    ("waitlist_placed", N_("Took the offered slot")),
]
SEAT_EVENTS = [
    ("seat_taken", N_("Seats taken")),
    ("workshop_attended", N_("Present")),
    ("workshop_absent", N_("Absent")),
]


def events_by_profile(data: Data, events: list[tuple[str, str]]) -> list[tuple[str, Profile, int]]:
    wanted = {k for k, _ in events}
    return [(e.event, e.profile, e.count) for e in data.events if e.event in wanted]


def contacts_table(tr: Translator, data: Data) -> Table:
    table = months_table(
        tr,
        data,
        "activity_contacts",
        N_("Contacts by month and channel"),
        [*CHANNELS, ("all", N_("Total"))],
        ((e.month, column, e.count) for e in data.of("contact") for column in (e.channel, "all")),
    )
    table.row_total_column = len(CHANNELS)
    return table


def intakes_table(tr: Translator, data: Data) -> Table:
    started = ((e.month, "started", e.count) for e in data.of("intake_started"))
    completed = ((g.month, "completed", g.count) for g in data.intakes)
    return months_table(
        tr,
        data,
        "activity_intakes",
        N_("Intakes started and completed"),
        [("started", N_("Started")), ("completed", N_("Completed"))],
        [*started, *completed],
    )


def appointments_table(tr: Translator, data: Data) -> Table:
    rows = split_by_profile(tr, events_by_profile(data, APPOINTMENT_EVENTS), APPOINTMENT_EVENTS)
    return profile_table(tr, "activity_appointments", N_("Appointments"), N_("Appointments"), rows)


def appointments_by_month_table(tr: Translator, data: Data) -> Table:
    return months_table(
        tr,
        data,
        "activity_appointments_month",
        N_("Appointments by month"),
        APPOINTMENT_EVENTS,
        ((e.month, e.event, e.count) for e in data.of(*(k for k, _ in APPOINTMENT_EVENTS))),
    )


def first_appointment_table(tr: Translator, data: Data) -> Table:
    firsts = data.of("first_appointment")
    people = split_by_profile(
        tr,
        (("n", e.profile, e.count) for e in firsts),
        [("n", N_("People at their first appointment"))],
    )[0]
    medians: list[Cell] = []
    for column in COLUMNS:
        values = [(e.value, e.count) for e in firsts if column.member(e.profile)]
        medians.append(weighted_median(values))
    median = Row("median_days", tr.tr(N_("Median days from intake")), medians, basis=0)
    table = profile_table(
        tr,
        "activity_first_appointment",
        N_("Days from intake to the first appointment"),
        N_("Figure"),
        [people, median],
    )
    table.chart = "row:1"
    return table


def waitlist_table(tr: Translator, data: Data) -> Table:
    rows = split_by_profile(tr, events_by_profile(data, WAITLIST_EVENTS), WAITLIST_EVENTS)
    return profile_table(tr, "activity_waitlist", N_("The waiting list"), N_("Step"), rows)


def workshops_table(tr: Translator, data: Data) -> Table:
    counted = [(w.month, "held", 1) for w in data.workshops]
    counted += [(w.month, "seats", w.capacity) for w in data.workshops]
    table = months_table(
        tr,
        data,
        "activity_workshops",
        N_("Workshops held and seats offered"),
        [("held", N_("Workshops")), ("seats", N_("Seats offered"))],
        counted,
    )
    table.people = False
    return table


def seats_table(tr: Translator, data: Data) -> Table:
    rows = split_by_profile(tr, events_by_profile(data, SEAT_EVENTS), SEAT_EVENTS)
    return profile_table(
        tr, "activity_seats", N_("Workshop seats and attendance"), N_("Seats"), rows
    )


def activity(tr: Translator, data: Data) -> list[Table]:
    return [
        contacts_table(tr, data),
        intakes_table(tr, data),
        appointments_table(tr, data),
        appointments_by_month_table(tr, data),
        first_appointment_table(tr, data),
        waitlist_table(tr, data),
        workshops_table(tr, data),
        seats_table(tr, data),
    ]


def answers_table(
    tr: Translator, data: Data, question: str, choices: tuple[tuple[str, str], ...], title: str
) -> Table:
    """Confirmed intakes by one answer, with a row for those who skipped or were not asked."""
    rows = [*choices, ("", N_("Not answered or not asked"))]
    counted = (
        (
            g.answers[question] if g.answers[question] in dict(choices) else "",
            intake_profile(g),
            g.count,
        )
        for g in data.intakes
    )
    table = profile_table(
        tr, f"people_{question}", title, title, with_total(tr, split_by_profile(tr, counted, rows))
    )
    table.total = True
    return table


def people(tr: Translator, data: Data) -> list[Table]:
    from bot.flows import intake_questions as intake

    questions = (
        (intake.AGE_BAND, N_("Age band")),
        (intake.GENDER, N_("Gender")),
        (intake.CITIZENSHIP, N_("Citizenship")),
        (intake.RESIDENCE, N_("Residence")),
        (intake.EDUCATION, N_("Education")),
        (intake.STATUS, N_("Work situation")),
        (intake.DURATION, N_("Time looking for work")),
        (intake.CPI, N_("Registered at the Centro per l'Impiego")),
    )
    tables = [answers_table(tr, data, q.id, q.choices, title) for q, title in questions]
    # Each language by its name in the report's language (CLDR, via Babel): the chart's font
    # has no Sinhala letters, and matplotlib would draw Arabic unjoined.
    languages = tuple((code, language_name(code, tr.language)) for code in LANGUAGES)
    title = N_("Language of the conversation")
    return [*tables, answers_table(tr, data, "language", languages, title)]


SCORES = [(str(n), str(n)) for n in range(1, 6)]


def satisfaction(tr: Translator, data: Data) -> list[Table]:
    counted = ((str(e.value), e.profile, e.count) for e in data.of("satisfaction"))
    rows = with_total(tr, split_by_profile(tr, counted, SCORES))
    for row in rows[:-1]:
        row.label = row.key  # the score itself, not a message
    table = profile_table(
        tr,
        "satisfaction_scores",
        N_("How useful was the meeting (1 = not at all, 5 = very)"),
        N_("Score"),
        rows,
    )
    table.total = True
    return [table]
