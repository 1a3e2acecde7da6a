"""The repositories bound to one open transaction."""

from __future__ import annotations

import aiosqlite

from storage.booking_repos import Bookings, Outbox, Waitlist
from storage.delivery_repos import Deliveries
from storage.monitoring_repos import MonitoringRepo
from storage.repositories import Answers, Consents, Conversations, Events, People, Stats
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
        self.staff = Staff(conn)
        self.workshops = Workshops(conn)
        self.registrations = Registrations(conn)
        self.broadcasts = Broadcasts(conn)
        self.monitoring = MonitoringRepo(conn)
