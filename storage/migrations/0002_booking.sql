-- Appointments, the waitlist, and the durable outbox of everything sent later.

-- A booking row lives on after the person erases their data (person_id becomes NULL): the
-- notice says booking records are kept 24 months, without the person's identity.
CREATE TABLE bookings (
    id              INTEGER PRIMARY KEY,
    person_id       INTEGER REFERENCES people(id) ON DELETE SET NULL,
    operator_id     TEXT NOT NULL,
    starts_at       TEXT NOT NULL,
    ends_at         TEXT NOT NULL,
    -- held (offered to someone from the waitlist) | booked | cancelled | expired
    -- | attended | no_show
    status          TEXT NOT NULL,
    hold_expires_at TEXT,
    uid             TEXT NOT NULL UNIQUE,  -- calendar UID, stable across reschedules
    sequence        INTEGER NOT NULL DEFAULT 0,
    meeting_mode    TEXT NOT NULL,
    zoom_meeting_id TEXT,
    join_url        TEXT,
    start_url       TEXT,
    confirmed_at    TEXT,   -- the person answered "Confermi?" with yes
    next_step       TEXT,   -- recorded by the operator with the outcome
    satisfaction    INTEGER CHECK (satisfaction BETWEEN 1 AND 5),
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
-- The guarantee that a slot is never given twice, whatever the timing of two taps.
CREATE UNIQUE INDEX bookings_slot_taken ON bookings(operator_id, starts_at)
    WHERE status IN ('held', 'booked');
CREATE INDEX bookings_person ON bookings(person_id, status);
CREATE INDEX bookings_starts ON bookings(starts_at, status);

CREATE TABLE waitlist (
    person_id INTEGER PRIMARY KEY REFERENCES people(id) ON DELETE CASCADE,
    joined_at TEXT NOT NULL
);
CREATE INDEX waitlist_order ON waitlist(joined_at);

-- Every message sent later is a row here, written in the same transaction as the change
-- that causes it; the dispatcher claims due rows, sends them, and records the result.
CREATE TABLE outbox (
    id             INTEGER PRIMARY KEY,
    kind           TEXT NOT NULL,
    person_id      INTEGER REFERENCES people(id) ON DELETE CASCADE,
    operator_id    TEXT,
    booking_id     INTEGER REFERENCES bookings(id) ON DELETE CASCADE,
    payload        TEXT NOT NULL DEFAULT '{}',
    due_at         TEXT NOT NULL,
    not_after      TEXT,   -- past this moment the message means nothing: dropped, not sent
    -- pending | sending | sent | failed | dropped
    status         TEXT NOT NULL DEFAULT 'pending',
    attempts       INTEGER NOT NULL DEFAULT 0,
    claimed_until  TEXT,
    sent_at        TEXT,
    last_error     TEXT,
    created_at     TEXT NOT NULL,
    CHECK (person_id IS NOT NULL OR operator_id IS NOT NULL)
);
CREATE INDEX outbox_due ON outbox(status, due_at);
CREATE INDEX outbox_booking ON outbox(booking_id, status);
