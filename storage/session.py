"""The repositories bound to one open transaction."""

from __future__ import annotations

import aiosqlite

from storage.booking_repos import Bookings, Outbox, Waitlist
from storage.delivery_repos import Deliveries
from storage.lock_repos import Locks
from storage.monitoring_repos import MonitoringRepo
from storage.note_repos import Notes, Records
from storage.reply_repos import RepliesDue
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
        self.locks = Locks(conn)
