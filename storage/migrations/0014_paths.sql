-- A person's path after the meeting, recorded by operators; the follow-up answers people
-- give themselves; proposals of a person for a company's job profile. Every row belongs to a
-- person and goes with them on erasure (ON DELETE CASCADE). Enum columns CHECK the values of
-- bot.domain's PathStepKind, InternshipEnd, ContractType, WorkStatus and ProposalAnswer.

CREATE TABLE path_steps (
    id             INTEGER PRIMARY KEY,
    person_id      INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    kind           TEXT NOT NULL CHECK (kind IN (
        'cpi_referral', 'training', 'internship', 'hire', 'self_employment'
    )),
    started_on     TEXT NOT NULL,          -- ISO date, Europe/Rome
    title          TEXT NOT NULL DEFAULT '',
    provider       TEXT NOT NULL DEFAULT '',
    qualification  TEXT NOT NULL DEFAULT '',
    completed      INTEGER CHECK (completed IS NULL OR completed IN (0, 1)),
    company_name   TEXT NOT NULL DEFAULT '',
    company_id     INTEGER REFERENCES companies(id) ON DELETE SET NULL,
    planned_end_on TEXT,
    ended_on       TEXT,
    end_reason     TEXT CHECK (end_reason IS NULL OR end_reason IN (
        'term_reached', 'by_person', 'by_company', 'hired'
    )),
    contract       TEXT CHECK (contract IS NULL OR contract IN (
        'permanent', 'fixed_12', 'fixed_6_12', 'fixed_under_6', 'apprenticeship'
    )),
    internship_id  INTEGER REFERENCES path_steps(id) ON DELETE SET NULL,
    recorded_by    INTEGER REFERENCES desk_users(id) ON DELETE SET NULL,
    created_at     TEXT NOT NULL
);
CREATE INDEX path_steps_person ON path_steps(person_id, started_on);

CREATE TABLE followup_answers (
    id           INTEGER PRIMARY KEY,
    person_id    INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    months       INTEGER NOT NULL CHECK (months IN (3, 6, 12)),
    asked_at     TEXT NOT NULL,
    working      TEXT CHECK (working IS NULL OR working IN (
        'employed', 'self_employed', 'not_working'
    )),
    contract     TEXT CHECK (contract IS NULL OR contract IN (
        'permanent', 'fixed_12', 'fixed_6_12', 'fixed_under_6', 'apprenticeship'
    )),
    same_company INTEGER CHECK (same_company IS NULL OR same_company IN (0, 1)),
    answered_at  TEXT,
    UNIQUE (person_id, months)
);

CREATE TABLE proposals (
    id          INTEGER PRIMARY KEY,
    person_id   INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    profile_id  INTEGER NOT NULL REFERENCES job_profiles(id) ON DELETE CASCADE,
    reason      TEXT NOT NULL,
    proposed_by INTEGER REFERENCES desk_users(id) ON DELETE SET NULL,
    created_at  TEXT NOT NULL,
    answer      TEXT CHECK (answer IS NULL OR answer IN (
        'interested', 'not_interested', 'objected'
    )),
    answered_at TEXT
);
CREATE INDEX proposals_person ON proposals(person_id, id);
CREATE INDEX proposals_profile ON proposals(profile_id, id);

-- Two new outbox kinds (bot.domain's OutboxKind): the table is rebuilt as in 0010.
CREATE TEMP TABLE deliveries_outbox_links AS
    SELECT provider_id, outbox_id FROM deliveries WHERE outbox_id IS NOT NULL;

CREATE TABLE outbox_checked (
    id             INTEGER PRIMARY KEY,
    kind           TEXT NOT NULL CHECK (kind IN (
        'reminder', 'reminder_confirm', 'zoom_link', 'waitlist_offer', 'closure_notice',
        'noshow', 'survey', 'workshop_invitation', 'workshop_reminder', 'workshop_seat',
        'announcement', 'resend', 'digest', 'operator_notice', 'outcome_prompt',
        'followup', 'proposal', 'zoom_create', 'zoom_update', 'zoom_delete'
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
