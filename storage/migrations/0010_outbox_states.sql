-- The outbox's vocabulary (bot.domain's OutboxKind and OutboxStatus) becomes a database
-- fact: a kind or status the code does not know is refused. SQLite adds a CHECK only by
-- rebuilding the table; rows, ids, links and indexes are kept. Foreign keys stay on inside
-- the migration's transaction, so dropping the old table would set deliveries.outbox_id to
-- NULL (ON DELETE SET NULL): those links are saved first and put back. The new table is
-- renamed to `outbox`, so the deliveries' REFERENCES outbox(id) points at it.
CREATE TEMP TABLE deliveries_outbox_links AS
    SELECT provider_id, outbox_id FROM deliveries WHERE outbox_id IS NOT NULL;

CREATE TABLE outbox_checked (
    id             INTEGER PRIMARY KEY,
    kind           TEXT NOT NULL CHECK (kind IN (
        'reminder', 'reminder_confirm', 'zoom_link', 'waitlist_offer', 'closure_notice',
        'noshow', 'survey', 'workshop_invitation', 'workshop_reminder', 'workshop_seat',
        'announcement', 'resend', 'digest', 'operator_notice', 'outcome_prompt',
        'zoom_create', 'zoom_update', 'zoom_delete'
    )),
    person_id      INTEGER REFERENCES people(id) ON DELETE CASCADE,
    operator_id    TEXT,
    booking_id     INTEGER REFERENCES bookings(id) ON DELETE CASCADE,
    payload        TEXT NOT NULL DEFAULT '{}',
    due_at         TEXT NOT NULL,
    not_after      TEXT,   -- past this moment the message means nothing: dropped, not sent
    status         TEXT NOT NULL DEFAULT 'pending' CHECK (status IN (
        'pending', 'sending', 'sent', 'delivered', 'read', 'failed', 'dropped', 'no_template'
    )),
    attempts       INTEGER NOT NULL DEFAULT 0,
    claimed_until  TEXT,
    sent_at        TEXT,
    last_error     TEXT,
    created_at     TEXT NOT NULL,
    broadcast_id   INTEGER REFERENCES broadcasts(id) ON DELETE SET NULL,
    workshop_id    INTEGER REFERENCES workshops(id) ON DELETE CASCADE,
    CHECK (person_id IS NOT NULL OR operator_id IS NOT NULL)
);

INSERT INTO outbox_checked (id, kind, person_id, operator_id, booking_id, payload, due_at,
    not_after, status, attempts, claimed_until, sent_at, last_error, created_at,
    broadcast_id, workshop_id)
SELECT id, kind, person_id, operator_id, booking_id, payload, due_at,
    not_after, status, attempts, claimed_until, sent_at, last_error, created_at,
    broadcast_id, workshop_id
FROM outbox;

DROP TABLE outbox;
ALTER TABLE outbox_checked RENAME TO outbox;

UPDATE deliveries SET outbox_id = (
    SELECT saved.outbox_id FROM deliveries_outbox_links AS saved
    WHERE saved.provider_id = deliveries.provider_id
) WHERE provider_id IN (SELECT provider_id FROM deliveries_outbox_links);
DROP TABLE deliveries_outbox_links;

CREATE INDEX outbox_due ON outbox(status, due_at);
CREATE INDEX outbox_booking ON outbox(booking_id, status);
CREATE INDEX outbox_broadcast ON outbox(broadcast_id, status);
CREATE INDEX outbox_workshop ON outbox(workshop_id, person_id, status);
CREATE INDEX outbox_reply_due ON outbox(person_id) WHERE kind = 'resend' AND status = 'pending';
