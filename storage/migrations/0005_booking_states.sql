-- The booking vocabulary (bot/domain.py: BookingStatus, MeetingMode, NextStep) becomes a
-- database fact: a status, meeting mode or next step the code does not know is refused.
--
-- SQLite adds CHECK constraints only by rebuilding the table: create the new one, copy the
-- rows, drop the old one, rename. Migrations run in one transaction with foreign keys on,
-- where PRAGMA foreign_keys cannot be turned off: dropping the old table would then delete,
-- by ON DELETE CASCADE, every outbox row pointing at it, and renaming the old table would
-- rewrite the outbox's REFERENCES to follow it. So the outbox's links to bookings are set
-- aside in a temporary table and cleared while the old table goes, then put back: the new
-- table keeps every id. Indexes go with the old table and are created again.
CREATE TEMP TABLE outbox_booking_links AS
    SELECT id, booking_id FROM outbox WHERE booking_id IS NOT NULL;
UPDATE outbox SET booking_id = NULL WHERE booking_id IS NOT NULL;

CREATE TABLE bookings_with_checks (
    id              INTEGER PRIMARY KEY,
    person_id       INTEGER REFERENCES people(id) ON DELETE SET NULL,
    operator_id     TEXT NOT NULL,
    starts_at       TEXT NOT NULL,
    ends_at         TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (
        status IN ('held', 'booked', 'cancelled', 'expired', 'attended', 'no_show')
    ),
    hold_expires_at TEXT,
    uid             TEXT NOT NULL UNIQUE,  -- calendar UID, stable across reschedules
    sequence        INTEGER NOT NULL DEFAULT 0,
    meeting_mode    TEXT NOT NULL CHECK (meeting_mode IN ('room', 'api')),
    zoom_meeting_id TEXT,
    join_url        TEXT,
    start_url       TEXT,
    confirmed_at    TEXT,   -- the person answered "Confermi?" with yes
    next_step       TEXT CHECK (next_step IN (
        'training', 'internship', 'job_offer', 'self_employment', 'cpi', 'none'
    )),
    satisfaction    INTEGER CHECK (satisfaction BETWEEN 1 AND 5),
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    -- only a hold has an expiry
    CHECK (hold_expires_at IS NULL OR status = 'held')
);

INSERT INTO bookings_with_checks (id, person_id, operator_id, starts_at, ends_at, status,
    hold_expires_at, uid, sequence, meeting_mode, zoom_meeting_id, join_url, start_url, confirmed_at, next_step,
    satisfaction, created_at, updated_at)
SELECT id, person_id, operator_id, starts_at, ends_at, status,
    hold_expires_at, uid, sequence, meeting_mode, zoom_meeting_id, join_url, start_url, confirmed_at, next_step,
    satisfaction, created_at, updated_at
FROM bookings;

DROP TABLE bookings;
ALTER TABLE bookings_with_checks RENAME TO bookings;

UPDATE outbox SET booking_id = (
    SELECT l.booking_id FROM outbox_booking_links l WHERE l.id = outbox.id
) WHERE id IN (SELECT id FROM outbox_booking_links);
DROP TABLE outbox_booking_links;

-- The guarantee that a slot is never given twice, whatever the timing of two taps.
CREATE UNIQUE INDEX bookings_slot_taken ON bookings(operator_id, starts_at)
    WHERE status IN ('held', 'booked');
CREATE INDEX bookings_person ON bookings(person_id, status);
CREATE INDEX bookings_starts ON bookings(starts_at, status);
