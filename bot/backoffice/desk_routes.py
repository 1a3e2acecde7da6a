"""The route table of the back-office: every route declares the roles that may use it, and
whether it shows personal data. `desk_server` wraps each in the same server-side check."""

from __future__ import annotations

from dataclasses import dataclass

from bot.backoffice import desk_agenda, desk_outbox, desk_pages, desk_paths, desk_person
from bot.backoffice import desk_aggregates as agg
from bot.backoffice import desk_attendance as att
from bot.backoffice import desk_availability as avail
from bot.backoffice import desk_broadcasts as bc
from bot.backoffice import desk_companies as co
from bot.backoffice import desk_home as home
from bot.backoffice import desk_matching as ma
from bot.backoffice import desk_people as people
from bot.backoffice import desk_profiles as pr
from bot.backoffice import desk_report as rep
from bot.backoffice import desk_skills_gap as gap
from bot.backoffice import desk_workshop_skills as wsk
from bot.backoffice import desk_workshops as ws
from bot.backoffice.desk_auth import Handler
from bot.capabilities.accounts import Role
from bot.i18n import N_

ANYONE_LOGGED_IN = frozenset(Role)
ADMIN = frozenset({Role.ADMIN})
STAFF = frozenset({Role.STAFF, Role.ADMIN})
DESK = frozenset({Role.OPERATOR, Role.ADMIN})  # who meets people
COMPANIES = frozenset({Role.OPERATOR, Role.STAFF, Role.ADMIN})  # staff and admin also edit
AGGREGATES = frozenset({Role.STAFF, Role.ADMIN, Role.VIEWER})  # counts, never a name
FIGURES = frozenset({Role.VIEWER, Role.ADMIN})  # aggregates only: the Comune, and admins


@dataclass(frozen=True)
class DeskRoute:
    path: str  # under /desk
    handler: Handler
    methods: tuple[str, ...]
    roles: frozenset[Role] | None  # None: open to anyone (the login page)
    personal: bool  # shows or changes personal data
    label: str | None = None  # in the menu, for those roles


ROUTES: tuple[DeskRoute, ...] = (
    DeskRoute("/login", desk_pages.login_form, ("GET",), None, False),
    DeskRoute("/login", desk_pages.login, ("POST",), None, False),
    DeskRoute("/language", desk_pages.language, ("POST",), None, False),
    DeskRoute("/logout", desk_pages.logout, ("POST",), ANYONE_LOGGED_IN, False),
    DeskRoute("/", home.home, ("GET",), ANYONE_LOGGED_IN, False, N_("Home")),
    DeskRoute("/outbox", desk_outbox.outbox, ("GET",), ADMIN, True, N_("Outbox")),
    DeskRoute("/outbox/export.{fmt}", desk_outbox.outbox_export, ("GET",), ADMIN, True),
    DeskRoute("/outbox/{item_id:int}/retry", desk_outbox.outbox_retry, ("POST",), ADMIN, True),
    DeskRoute("/users", desk_pages.users, ("GET",), ADMIN, True, N_("Users")),
    DeskRoute("/users", desk_pages.user_add, ("POST",), ADMIN, True),
    DeskRoute("/users/export.{fmt}", desk_pages.users_export, ("GET",), ADMIN, True),
    DeskRoute("/users/{user_id:int}/disable", desk_pages.user_disable, ("POST",), ADMIN, True),
    DeskRoute("/audit", desk_pages.audit, ("GET",), ADMIN, True, N_("Audit log")),
    DeskRoute("/audit/export.{fmt}", desk_pages.audit_export, ("GET",), ADMIN, True),
    # Workshops and announcements (staff and admin).
    DeskRoute("/workshops", ws.workshops, ("GET",), STAFF, False, N_("Workshops")),
    DeskRoute("/workshops/export.{fmt}", ws.workshops_export, ("GET",), STAFF, False),
    DeskRoute("/workshops/new", ws.workshop_new, ("GET",), STAFF, False),
    DeskRoute("/workshops/new", ws.workshop_create, ("POST",), STAFF, False),
    DeskRoute("/workshops/{workshop_id:int}", att.workshop_page, ("GET",), STAFF, True),
    DeskRoute("/workshops/{workshop_id:int}/edit", ws.workshop_edit, ("GET",), STAFF, False),
    DeskRoute("/workshops/{workshop_id:int}/edit", ws.workshop_update, ("POST",), STAFF, False),
    DeskRoute(
        "/workshops/{workshop_id:int}/attendees/export.{fmt}",
        att.attendees_export,
        ("GET",),
        STAFF,
        True,
    ),
    DeskRoute("/workshops/{workshop_id:int}/attendance", att.attendance, ("POST",), STAFF, True),
    DeskRoute("/workshops/{workshop_id:int}/skills", wsk.workshop_skills, ("GET",), STAFF, False),
    DeskRoute(
        "/workshops/{workshop_id:int}/skills", wsk.workshop_skills_save, ("POST",), STAFF, False
    ),
    DeskRoute("/workshops/{workshop_id:int}/invitation", bc.invitation, ("GET",), STAFF, False),
    DeskRoute(
        "/workshops/{workshop_id:int}/invitation", bc.invitation_send, ("POST",), STAFF, True
    ),
    DeskRoute("/announcements", bc.announcements, ("GET",), STAFF, False, N_("Announcements")),
    DeskRoute("/announcements", bc.announcement_send, ("POST",), STAFF, True),
    DeskRoute("/announcements/preview", bc.announcement_preview, ("POST",), STAFF, False),
    DeskRoute("/broadcasts/{broadcast_id:int}", bc.broadcast_page, ("GET",), STAFF, False),
    DeskRoute(
        "/broadcasts/{broadcast_id:int}/progress.json",
        bc.broadcast_progress,
        ("GET",),
        STAFF,
        False,
    ),
    DeskRoute("/broadcasts/{broadcast_id:int}/stop", bc.broadcast_stop, ("POST",), STAFF, True),
    DeskRoute("/agenda", desk_agenda.agenda, ("GET",), DESK, True, N_("Agenda")),
    DeskRoute("/agenda/export.{fmt}", desk_agenda.agenda_export, ("GET",), DESK, True),
    DeskRoute(
        "/agenda/{booking_id:int}/outcome", desk_agenda.record_outcome, ("POST",), DESK, True
    ),
    DeskRoute("/agenda/{booking_id:int}/step", desk_agenda.record_step, ("POST",), DESK, True),
    # Finding people: the terms travel in POST bodies, never in URLs.
    DeskRoute("/people", people.people, ("GET",), DESK, False, N_("People")),
    DeskRoute("/people", people.search, ("POST",), DESK, True),
    DeskRoute("/people/export.{fmt}", people.search_export, ("POST",), DESK, True),
    DeskRoute("/people/{person_id:int}", desk_person.person, ("GET",), DESK, True),
    DeskRoute("/people/{person_id:int}/notes", desk_person.note_add, ("POST",), DESK, True),
    DeskRoute("/people/{person_id:int}/data.{fmt}", desk_person.person_data, ("GET",), DESK, True),
    # A person's path and proposals (bot/backoffice/desk_paths.py).
    DeskRoute("/people/{person_id:int}/path/new", desk_paths.step_form, ("GET",), DESK, True),
    DeskRoute("/people/{person_id:int}/path/new", desk_paths.step_add, ("POST",), DESK, True),
    DeskRoute(
        "/people/{person_id:int}/path/{step_id:int}/end", desk_paths.end_form, ("GET",), DESK, True
    ),
    DeskRoute(
        "/people/{person_id:int}/path/{step_id:int}/end", desk_paths.end_save, ("POST",), DESK, True
    ),
    DeskRoute(
        "/people/{person_id:int}/path/{step_id:int}/delete",
        desk_paths.step_delete,
        ("POST",),
        DESK,
        True,
    ),
    DeskRoute("/people/{person_id:int}/propose", desk_paths.propose_form, ("GET",), DESK, True),
    DeskRoute("/people/{person_id:int}/propose", desk_paths.propose, ("POST",), DESK, True),
    DeskRoute("/people/{person_id:int}/erase", desk_person.erase_form, ("GET",), ADMIN, True),
    DeskRoute("/people/{person_id:int}/erase", desk_person.erase, ("POST",), ADMIN, True),
    # Companies and job profiles: operators read, staff and admin change; matching lists
    # people by number (their records keep their own access rule).
    DeskRoute("/companies", co.companies, ("GET",), COMPANIES, False, N_("Companies")),
    DeskRoute("/companies/export.{fmt}", co.companies_export, ("GET",), COMPANIES, False),
    DeskRoute("/companies/new", co.company_new, ("GET",), STAFF, False),
    DeskRoute("/companies/new", co.company_create, ("POST",), STAFF, False),
    DeskRoute("/companies/{company_id:int}", co.company_page, ("GET",), COMPANIES, False),
    DeskRoute("/companies/{company_id:int}/edit", co.company_edit, ("GET",), STAFF, False),
    DeskRoute("/companies/{company_id:int}/edit", co.company_update, ("POST",), STAFF, False),
    DeskRoute("/companies/{company_id:int}/visits", co.visit_add, ("POST",), STAFF, False),
    DeskRoute("/companies/{company_id:int}/profiles/new", pr.profile_new, ("GET",), STAFF, False),
    DeskRoute(
        "/companies/{company_id:int}/profiles/new", pr.profile_create, ("POST",), STAFF, False
    ),
    DeskRoute("/profiles", pr.profiles, ("GET",), COMPANIES, False),
    DeskRoute("/profiles/export.{fmt}", pr.profiles_export, ("GET",), COMPANIES, False),
    DeskRoute("/profiles/{profile_id:int}", ma.profile_page, ("GET",), COMPANIES, True),
    DeskRoute(
        "/profiles/{profile_id:int}/matches/export.{fmt}",
        ma.matches_export,
        ("GET",),
        COMPANIES,
        True,
    ),
    DeskRoute("/profiles/{profile_id:int}/edit", pr.profile_edit, ("GET",), STAFF, False),
    DeskRoute("/profiles/{profile_id:int}/edit", pr.profile_update, ("POST",), STAFF, False),
    DeskRoute("/skills-gap", gap.skills_gap_page, ("GET",), AGGREGATES, False, N_("Skills gap")),
    DeskRoute("/skills-gap/export.{fmt}", gap.skills_gap_export, ("GET",), AGGREGATES, False),
    DeskRoute("/skills-gap/chart.png", gap.skills_gap_chart, ("GET",), AGGREGATES, False),
    # Availability: operators' weekly hours and the closures (administrators).
    DeskRoute("/availability", avail.overview, ("GET",), ADMIN, False, N_("Availability")),
    DeskRoute("/availability/hours/{operator_id}", avail.hours_form, ("GET",), ADMIN, False),
    # Personal: the confirmation lists the appointments a change would cancel.
    DeskRoute("/availability/hours/{operator_id}", avail.hours_save, ("POST",), ADMIN, True),
    DeskRoute("/availability/closures", avail.closure_add, ("POST",), ADMIN, True),
    DeskRoute(
        "/availability/closures/{closure_id:int}/remove",
        avail.closure_remove,
        ("POST",),
        ADMIN,
        False,
    ),
    # The monitoring report and the aggregates: counts only, never a person.
    DeskRoute("/aggregates", agg.aggregates, ("GET",), FIGURES, False, N_("Aggregates")),
    DeskRoute("/aggregates/export.{fmt}", agg.aggregates_export, ("GET",), FIGURES, False),
    DeskRoute("/report", rep.report_form, ("GET",), FIGURES, False, N_("Report")),
    DeskRoute("/report", rep.report_make, ("POST",), FIGURES, False),
    DeskRoute("/report/{job_id:int}", rep.report_status, ("GET",), FIGURES, False),
    DeskRoute("/report/{job_id:int}/progress.json", rep.report_progress, ("GET",), FIGURES, False),
    DeskRoute("/report/{job_id:int}/download", rep.report_download, ("GET",), FIGURES, False),
)


@dataclass(frozen=True)
class NavItem:
    path: str
    label: str


def nav_for(role: str | None) -> list[NavItem]:
    """The menu of a role: the labelled routes it may open."""
    if role is None:
        return []
    return [
        NavItem("/desk" + r.path, r.label)
        for r in ROUTES
        if r.label and r.roles is not None and role in r.roles
    ]
