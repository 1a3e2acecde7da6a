"""The one check of a report's period, as the command line and the back-office's Report form
use it: every problem is found at once, each on its field, in the same words."""

from __future__ import annotations

from datetime import date

import pytest

from bot.capabilities import monitoring, report_jobs
from bot.capabilities.monitoring import PeriodProblem
from bot.capabilities.report_jobs import ReportRequest
from bot.domain import ReportFormat
from bot.i18n import load_translators

EN = load_translators()["en"]
IT = load_translators()["it"]


def fields(problems: object) -> dict[str, str]:
    assert isinstance(problems, list)
    return {p.name: p.text(EN) for p in problems if isinstance(p, PeriodProblem)}


def test_an_empty_period_is_the_whole_year() -> None:
    assert monitoring.read_period("2026") == (date(2026, 1, 1), date(2026, 12, 31))
    assert monitoring.read_period(" 2026 ", "", "") == (date(2026, 1, 1), date(2026, 12, 31))


def test_part_of_a_year_in_either_way_of_writing_a_day() -> None:
    assert monitoring.read_period("2026", "2026-03-01", "30/06/2026") == (
        date(2026, 3, 1),
        date(2026, 6, 30),
    )
    assert monitoring.read_period("2026", "", "2026-06-30") == (date(2026, 1, 1), date(2026, 6, 30))


@pytest.mark.parametrize("year", ["", "twenty", "26.0", "-2026", "2026a", "²⁰²⁶", "0", "9" * 5000])
def test_a_year_that_is_not_a_number(year: str) -> None:
    assert fields(monitoring.read_period(year)) == {
        "year": "Write the year with four digits, like 2026."
    }


@pytest.mark.parametrize("year", ["1999", "2101", "0001"])
def test_a_year_the_desk_cannot_have_worked_in(year: str) -> None:
    assert fields(monitoring.read_period(year)) == {
        "year": f"{int(year)} is not a year the desk can have worked in."
    }


def test_days_that_are_not_days() -> None:
    problems = fields(monitoring.read_period("2026", "2026-02-30", "yesterday"))
    message = "Write a day of the calendar, like 2026-12-09 or 09/12/2026."
    assert problems == {"start": message, "end": message}


def test_days_outside_the_year_are_each_named() -> None:
    problems = fields(monitoring.read_period("2026", "2025-12-01", "2027-01-01"))
    assert problems == {
        "start": "2025-12-01 is not in 2026.",
        "end": "2027-01-01 is not in 2026.",
    }


def test_a_period_that_ends_before_it_starts() -> None:
    assert fields(monitoring.read_period("2026", "2026-05-01", "2026-04-01")) == {
        "end": "The period ends (2026-04-01) before it starts (2026-05-01)."
    }


def test_the_command_line_gets_the_same_problem_as_the_form() -> None:
    with pytest.raises(monitoring.PeriodError) as raised:
        monitoring.period(2026, date(2026, 5, 1), date(2026, 4, 1))
    assert [raised.value.problem] == monitoring.read_period("2026", "2026-05-01", "2026-04-01")


def test_the_problems_are_translated() -> None:
    [problem] = monitoring.read_period("2026", "2026-05-01", "2026-04-01")  # type: ignore[misc]
    assert problem.text(IT) != problem.text(EN)


def test_a_good_request() -> None:
    asked = report_jobs.read_request("2026", "2026-01-01", "2026-03-31", "en", "xlsx")
    assert asked == ReportRequest(date(2026, 1, 1), date(2026, 3, 31), "en", ReportFormat.XLSX)


def test_every_problem_of_a_request_at_once() -> None:
    problems = fields(report_jobs.read_request("20x6", "nope", "", "de", "docx"))
    assert set(problems) == {"year", "start", "language", "format"}
    assert problems["language"] == "Choose one of the languages offered."
    assert problems["format"] == "Choose one of the formats offered."


def test_a_bad_language_alone_still_refuses_a_good_period() -> None:
    assert set(fields(report_jobs.read_request("2026", "", "", "xx", "pdf"))) == {"language"}
