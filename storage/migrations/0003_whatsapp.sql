-- WhatsApp: the 24-hour window is counted from the person's last message on that channel,
-- and Twilio reports each message's fate later, by its MessageSid.

ALTER TABLE identities ADD COLUMN last_inbound_at TEXT;

-- One row per message handed to a provider that reports delivery later (Twilio).
CREATE TABLE deliveries (
    provider_id TEXT PRIMARY KEY,          -- Twilio's MessageSid
    outbox_id   INTEGER REFERENCES outbox(id) ON DELETE SET NULL,
    channel     TEXT NOT NULL,
    status      TEXT NOT NULL,             -- queued | sent | delivered | read | failed | undelivered
    error_code  TEXT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX deliveries_outbox ON deliveries(outbox_id);
