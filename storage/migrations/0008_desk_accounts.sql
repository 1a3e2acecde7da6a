-- The back-office (/desk/): accounts, server-side sessions, login throttling, the audit log.

CREATE TABLE desk_users (
    id            INTEGER PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE COLLATE NOCASE,
    name          TEXT NOT NULL DEFAULT '',
    role          TEXT NOT NULL CHECK (role IN ('operator', 'staff', 'admin', 'viewer')),
    operator_id   TEXT,             -- the [[operator]] id of an operator account
    password_hash TEXT NOT NULL,    -- argon2id, with its parameters and salt
    disabled_at   TEXT,
    created_at    TEXT NOT NULL
);

-- A session is known by the SHA-256 of its random token: a copy of the file opens none.
CREATE TABLE desk_sessions (
    token_hash  TEXT PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES desk_users(id) ON DELETE CASCADE,
    csrf_token  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX desk_sessions_user ON desk_sessions(user_id);

-- Failed logins per key ("account:<hash of the e-mail>", "client:<address>").
CREATE TABLE desk_login_failures (
    key          TEXT PRIMARY KEY,
    failures     INTEGER NOT NULL,
    last_at      TEXT NOT NULL,
    locked_until TEXT
) WITHOUT ROWID;

-- Who did what to which subject, by internal id; never message text or personal data.
CREATE TABLE desk_audit (
    id           INTEGER PRIMARY KEY,
    at           TEXT NOT NULL,
    user_id      INTEGER REFERENCES desk_users(id) ON DELETE SET NULL,
    action       TEXT NOT NULL,
    subject_type TEXT,
    subject_id   TEXT
);
CREATE INDEX desk_audit_at ON desk_audit(at);

-- Secrets the back-office makes itself on first use (the cookie signing key).
CREATE TABLE desk_keys (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
