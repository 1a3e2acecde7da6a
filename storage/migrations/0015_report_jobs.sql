-- Reports the back-office makes in the background (issue 14): what was asked, how far the
-- work got, and the finished file. A report is aggregates with small cells suppressed, so it
-- holds nothing about any person and may be kept; finished rows are forgotten after 30 days.
-- The state is here, not in the process, so the status page survives the request that
-- started the work, and a row left 'running' by a stopped process is shown as interrupted.

CREATE TABLE report_jobs (
    id           INTEGER PRIMARY KEY,
    requested_by INTEGER REFERENCES desk_users(id) ON DELETE SET NULL,
    first_day    TEXT NOT NULL,  -- YYYY-MM-DD
    last_day     TEXT NOT NULL,
    language     TEXT NOT NULL,
    format       TEXT NOT NULL CHECK (format IN ('pdf', 'html', 'xlsx', 'csv')),
    status       TEXT NOT NULL CHECK (status IN ('running', 'done', 'failed')),
    step         TEXT NOT NULL DEFAULT '',  -- what is being written now, in the report's language
    steps_done   INTEGER NOT NULL DEFAULT 0,
    steps_total  INTEGER NOT NULL DEFAULT 0,
    file_name    TEXT,
    media_type   TEXT,
    content      BLOB,
    created_at   TEXT NOT NULL,
    finished_at  TEXT
);
CREATE INDEX report_jobs_created ON report_jobs(created_at);

-- Two more anonymous figures for the report and the Comune's aggregates page: the language of
-- the conversation, kept on the intake's anonymous row when it is confirmed (NULL on older
-- rows), and the next step agreed at a meeting, counted in monitoring_counts as the event
-- 'next_step_<step>' (training, internship, job_offer, self_employment, cpi, none) by
-- bot/capabilities/appointments.record_next_step on the meeting's day.
ALTER TABLE intake_stats ADD COLUMN language TEXT;
