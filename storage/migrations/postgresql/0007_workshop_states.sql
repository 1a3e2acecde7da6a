-- PostgreSQL's version of 0007_workshop_states.sql: the same CHECK constraints, added in place.
ALTER TABLE registrations
    ADD CHECK (status IN ('registered', 'waiting', 'declined', 'cancelled', 'attended', 'absent')),
    ADD CHECK (seat IS NULL OR seat > 0);
ALTER TABLE broadcasts
    ADD CHECK (kind IN ('workshop', 'announcement')),
    ADD CHECK (status IN ('draft', 'sending', 'stopped', 'done'));
