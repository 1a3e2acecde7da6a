-- People, their channel identities, consents, intake answers and conversation state.
-- Times are ISO 8601 strings in UTC.

CREATE TABLE people (
    id                  INTEGER PRIMARY KEY,
    created_at          TEXT NOT NULL,
    last_seen_at        TEXT NOT NULL,
    language            TEXT,
    source              TEXT,
    unreachable_at      TEXT,
    intake_confirmed_at TEXT
);

-- A person may reach us on several channels; each (channel, external id) is one identity.
CREATE TABLE identities (
    channel     TEXT NOT NULL,
    external_id TEXT NOT NULL,
    person_id   INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    created_at  TEXT NOT NULL,
    PRIMARY KEY (channel, external_id)
);
CREATE INDEX identities_person ON identities(person_id);

-- History of what the person was told and agreed to: the information notice (kind 'notice',
-- granted 0 records a refusal) and the optional announcements opt-in (kind 'announcements').
CREATE TABLE consents (
    id        INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    kind      TEXT NOT NULL,
    version   TEXT NOT NULL,
    granted   INTEGER NOT NULL CHECK (granted IN (0, 1)),
    at        TEXT NOT NULL
);
CREATE INDEX consents_person_kind ON consents(person_id, kind, id);

CREATE TABLE answers (
    person_id   INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    question    TEXT NOT NULL,
    value       TEXT NOT NULL, -- JSON; null means "skipped"
    answered_at TEXT NOT NULL,
    PRIMARY KEY (person_id, question)
);

CREATE TABLE conversations (
    person_id  INTEGER PRIMARY KEY REFERENCES people(id) ON DELETE CASCADE,
    step       TEXT NOT NULL,
    seq        INTEGER NOT NULL,
    data       TEXT NOT NULL, -- JSON object
    updated_at TEXT NOT NULL
);

-- Inbound events already handled (Telegram update_id, Twilio MessageSid...), so that a
-- re-delivered update is handled once. Keys carry no personal data.
CREATE TABLE processed_events (
    dedupe_key   TEXT PRIMARY KEY,
    processed_at TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX processed_events_at ON processed_events(processed_at);

-- One row per confirmed intake, with coarse answers only and no link to the person: the
-- anonymous counts the annual monitoring report needs, kept after erasure.
CREATE TABLE intake_stats (
    id          INTEGER PRIMARY KEY,
    month       TEXT NOT NULL,
    channel     TEXT NOT NULL,
    residence   TEXT,
    age_band    TEXT,
    gender      TEXT,
    citizenship TEXT,
    status      TEXT,
    duration    TEXT,
    education   TEXT,
    goal        TEXT
);

-- Anonymous count of erasures per month, for the data-protection register.
CREATE TABLE erasure_stats (
    month TEXT PRIMARY KEY,
    count INTEGER NOT NULL
) WITHOUT ROWID;
