-- Workshops, their registrations, staff, and the broadcasts that announce them.

CREATE TABLE staff (
    telegram_id TEXT PRIMARY KEY,
    name        TEXT NOT NULL DEFAULT '',
    added_at    TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE workshops (
    id               INTEGER PRIMARY KEY,
    code             TEXT NOT NULL UNIQUE,  -- short and stable: deep links, QR codes, commands
    title            TEXT NOT NULL,
    description      TEXT NOT NULL,
    starts_at        TEXT NOT NULL,
    duration_minutes INTEGER NOT NULL CHECK (duration_minutes > 0),
    place            TEXT,
    online_url       TEXT,
    capacity         INTEGER NOT NULL CHECK (capacity > 0),
    audience         TEXT NOT NULL,         -- JSON: goals, age_bands, sectors, languages
    created_by       TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    cancelled_at     TEXT
);
CREATE INDEX workshops_starts ON workshops(starts_at);

-- A registered person holds a numbered seat from 1 to the capacity; the unique index on
-- (workshop, seat) is what makes "never over capacity" hold whatever the timing of taps.
CREATE TABLE registrations (
    id          INTEGER PRIMARY KEY,
    workshop_id INTEGER NOT NULL REFERENCES workshops(id) ON DELETE CASCADE,
    person_id   INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    status      TEXT NOT NULL,  -- registered | waiting | declined | cancelled | attended | absent
    seat        INTEGER,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    UNIQUE (workshop_id, person_id)
);
CREATE UNIQUE INDEX registrations_seat ON registrations(workshop_id, seat) WHERE seat IS NOT NULL;
CREATE INDEX registrations_waiting ON registrations(workshop_id, status, updated_at);

CREATE TABLE broadcasts (
    id                  INTEGER PRIMARY KEY,
    kind                TEXT NOT NULL,      -- workshop | announcement
    workshop_id         INTEGER REFERENCES workshops(id) ON DELETE SET NULL,
    text                TEXT,               -- the announcement's own text
    audience            TEXT NOT NULL,
    created_by          TEXT NOT NULL,
    created_at          TEXT NOT NULL,
    status              TEXT NOT NULL,      -- draft | sending | stopped | done
    total               INTEGER NOT NULL DEFAULT 0,
    progress_message_id TEXT,               -- the staff member's progress message, edited
    progress_shown      TEXT,               -- last progress text shown, to edit only on change
    finished_at         TEXT
);

ALTER TABLE deliveries ADD COLUMN template INTEGER NOT NULL DEFAULT 0;

-- Outbox rows that belong to a broadcast (progress, stop) or to a workshop (reminders).
ALTER TABLE outbox ADD COLUMN broadcast_id INTEGER REFERENCES broadcasts(id) ON DELETE SET NULL;
ALTER TABLE outbox ADD COLUMN workshop_id INTEGER REFERENCES workshops(id) ON DELETE CASCADE;
CREATE INDEX outbox_broadcast ON outbox(broadcast_id, status);
CREATE INDEX outbox_workshop ON outbox(workshop_id, person_id, status);
