-- PostgreSQL's version of 0016_progress_chat_rome_days.sql.

-- Where a broadcast's progress is shown (see the SQLite file).
ALTER TABLE broadcasts ADD COLUMN progress_chat TEXT;
UPDATE broadcasts SET progress_chat = created_by WHERE created_by NOT LIKE 'desk:%';

-- The counters' day is the day in Lucca, daylight saving time included. PostgreSQL knows
-- Europe/Rome, so the one function every trigger of 0009 calls says it, and the triggers stay
-- as they are. rome_days exists for the same schema as SQLite's, whose triggers read it; here
-- nothing reads it and it stays empty.
CREATE TABLE rome_days (
    starts_at TEXT PRIMARY KEY,
    ends_at   TEXT NOT NULL,
    day       TEXT NOT NULL,
    number    BIGINT NOT NULL
);

CREATE OR REPLACE FUNCTION monitoring_day(moment TEXT) RETURNS TEXT LANGUAGE sql STABLE STRICT AS $$
    SELECT to_char(moment::timestamptz AT TIME ZONE 'Europe/Rome', 'YYYY-MM-DD')
$$;
