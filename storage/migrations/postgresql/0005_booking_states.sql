-- PostgreSQL's version of 0005_booking_states.sql: the same CHECK constraints, added to the
-- table in place (SQLite can only rebuild it).
ALTER TABLE bookings
    ADD CHECK (status IN ('held', 'booked', 'cancelled', 'expired', 'attended', 'no_show')),
    ADD CHECK (meeting_mode IN ('room', 'api')),
    ADD CHECK (next_step IN (
        'training', 'internship', 'job_offer', 'self_employment', 'cpi', 'none'
    )),
    ADD CHECK (hold_expires_at IS NULL OR status = 'held');
