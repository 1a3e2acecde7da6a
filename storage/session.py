"""The repositories bound to one open transaction."""

from __future__ import annotations

import aiosqlite

from storage.availability_repos import Availability
from storage.booking_repos import Bookings, Waitlist
from storage.company_repos import Companies, JobProfiles, ScoutingVisits, WorkshopSkills
from storage.delivery_repos import Deliveries
from storage.lock_repos import Locks
from storage.matching_repos import Matching
from storage.monitoring_repos import MonitoringRepo
from storage.note_repos import Notes, Records
from storage.outbox_repos import Outbox
from storage.path_repos import FollowUps, PathSteps, Proposals
from storage.people_search_repos import PeopleSearch
from storage.reply_repos import RepliesDue
from storage.report_repos import ReportJobs
from storage.repositories import Answers, Consents, Conversations, Events, People, Stats
from storage.user_repos import Audit, DeskKeys, DeskSessions, DeskUsers, LoginFailures, OutboxAdmin
from storage.workshop_repos import Broadcasts, Registrations, Staff, Workshops


class Session:
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.events = Events(conn)
        self.people = People(conn)
        self.consents = Consents(conn)
        self.answers = Answers(conn)
        self.conversations = Conversations(conn)
        self.stats = Stats(conn)
        self.bookings = Bookings(conn)
        self.waitlist = Waitlist(conn)
        self.outbox = Outbox(conn)
        self.deliveries = Deliveries(conn)
        self.replies_due = RepliesDue(conn)
        self.staff = Staff(conn)
        self.workshops = Workshops(conn)
        self.registrations = Registrations(conn)
        self.broadcasts = Broadcasts(conn)
        self.desk_users = DeskUsers(conn)
        self.desk_sessions = DeskSessions(conn)
        self.login_failures = LoginFailures(conn)
        self.audit = Audit(conn)
        self.desk_keys = DeskKeys(conn)
        self.outbox_admin = OutboxAdmin(conn)
        self.monitoring = MonitoringRepo(conn)
        self.notes = Notes(conn)
        self.records = Records(conn)
        self.companies = Companies(conn)
        self.job_profiles = JobProfiles(conn)
        self.scouting_visits = ScoutingVisits(conn)
        self.workshop_skills = WorkshopSkills(conn)
        self.paths = PathSteps(conn)
        self.followups = FollowUps(conn)
        self.proposals = Proposals(conn)
        self.matching = Matching(conn)
        self.availability = Availability(conn)
        self.people_search = PeopleSearch(conn)
        self.report_jobs = ReportJobs(conn)
        self.locks = Locks(conn)
