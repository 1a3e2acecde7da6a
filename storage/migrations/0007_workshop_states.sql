-- The states a registration or a broadcast can be in, and a broadcast's kinds, become CHECK
-- constraints (the same values as bot.domain's RegistrationStatus, BroadcastStatus and
-- BroadcastKind). SQLite cannot add a CHECK to a table, so both tables are rebuilt; rows,
-- ids and indexes are kept. Foreign keys stay on inside the migration's transaction, so
-- dropping `broadcasts` sets outbox.broadcast_id to NULL: it is saved first and put back.

CREATE TABLE registrations_checked (
    id          INTEGER PRIMARY KEY,
    workshop_id INTEGER NOT NULL REFERENCES workshops(id) ON DELETE CASCADE,
    person_id   INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    status      TEXT NOT NULL CHECK (status IN
                    ('registered', 'waiting', 'declined', 'cancelled', 'attended', 'absent')),
    seat        INTEGER CHECK (seat IS NULL OR seat > 0),
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    UNIQUE (workshop_id, person_id)
);
INSERT INTO registrations_checked
    SELECT id, workshop_id, person_id, status, seat, created_at, updated_at FROM registrations;
DROP TABLE registrations;
ALTER TABLE registrations_checked RENAME TO registrations;
CREATE UNIQUE INDEX registrations_seat ON registrations(workshop_id, seat) WHERE seat IS NOT NULL;
CREATE INDEX registrations_waiting ON registrations(workshop_id, status, updated_at);

CREATE TEMP TABLE outbox_broadcasts AS
    SELECT id, broadcast_id FROM outbox WHERE broadcast_id IS NOT NULL;
CREATE TABLE broadcasts_checked (
    id                  INTEGER PRIMARY KEY,
    kind                TEXT NOT NULL CHECK (kind IN ('workshop', 'announcement')),
    workshop_id         INTEGER REFERENCES workshops(id) ON DELETE SET NULL,
    text                TEXT,
    audience            TEXT NOT NULL,
    created_by          TEXT NOT NULL,
    created_at          TEXT NOT NULL,
    status              TEXT NOT NULL CHECK (status IN ('draft', 'sending', 'stopped', 'done')),
    total               INTEGER NOT NULL DEFAULT 0,
    progress_message_id TEXT,
    progress_shown      TEXT,
    finished_at         TEXT
);
INSERT INTO broadcasts_checked
    SELECT id, kind, workshop_id, text, audience, created_by, created_at, status, total,
           progress_message_id, progress_shown, finished_at
    FROM broadcasts;
DROP TABLE broadcasts;
ALTER TABLE broadcasts_checked RENAME TO broadcasts;
UPDATE outbox SET broadcast_id = (
    SELECT saved.broadcast_id FROM outbox_broadcasts AS saved WHERE saved.id = outbox.id
) WHERE id IN (SELECT id FROM outbox_broadcasts);
DROP TABLE outbox_broadcasts;
