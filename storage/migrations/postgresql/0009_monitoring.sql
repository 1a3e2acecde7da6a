-- PostgreSQL's version of 0009_monitoring.sql: the same tables, view and counters; SQLite's
-- triggers become PL/pgSQL trigger functions of the same names, date(t, '+1 hours') becomes
-- monitoring_day(t), json_extract(v, '$') becomes v::jsonb #>> '{}'.
CREATE FUNCTION monitoring_day(moment TEXT) RETURNS TEXT LANGUAGE sql STABLE STRICT AS $$
    SELECT to_char((moment::timestamptz AT TIME ZONE 'UTC') + interval '1 hour', 'YYYY-MM-DD')
$$;

-- The monitoring report's anonymous counters (issue 14).
--
-- The report must stay right after people erase their data, and no row may lead back to a
-- person. So the facts it counts are folded, when they happen, into counters keyed by day, event
-- and the five answers the target groups and lines of action are computed from: no person id,
-- no booking id, no time finer than the day, and one row stands for everyone who shares the key.
-- Triggers do the counting, so every code path that books, cancels, records an outcome or takes
-- a seat is counted once, in its own transaction, without another round trip.
--
-- Days are UTC shifted by one hour (Italian winter time): SQLite knows no Europe/Rome, and the
-- desk's hours never fall in the summer hour this gets wrong.

ALTER TABLE intake_stats ADD COLUMN day TEXT;  -- YYYY-MM-DD, Europe/Rome; NULL on older rows
ALTER TABLE intake_stats ADD COLUMN cpi TEXT;  -- registered at the Centro per l'Impiego
CREATE INDEX intake_stats_month ON intake_stats(month);

CREATE TABLE monitoring_counts (
    day       TEXT NOT NULL,             -- YYYY-MM-DD
    -- contact | intake_started | booked | attended | no_show | cancelled | first_appointment
    -- | satisfaction | waitlist_joined | waitlist_offered | waitlist_placed | seat_taken
    -- | workshop_attended | workshop_absent
    event     TEXT NOT NULL,
    channel   TEXT NOT NULL DEFAULT '',  -- telegram | whatsapp, for contacts and intakes
    age_band  TEXT NOT NULL DEFAULT '',  -- '' = not answered (yet)
    gender    TEXT NOT NULL DEFAULT '',
    status    TEXT NOT NULL DEFAULT '',
    duration  TEXT NOT NULL DEFAULT '',
    goal      TEXT NOT NULL DEFAULT '',
    value     BIGINT NOT NULL DEFAULT -1,  -- days to the first appointment, or the 1-5 score
    count     BIGINT NOT NULL,
    PRIMARY KEY (day, event, channel, age_band, gender, status, duration, goal, value)
);

-- The five answers the target groups and lines come from, per person (a lookup by key each).
CREATE VIEW monitoring_profile AS
SELECT p.id AS person_id,
    (SELECT (a.value::jsonb #>> '{}') FROM answers a WHERE a.person_id = p.id AND a.question = 'age_band') AS age_band,
    (SELECT (a.value::jsonb #>> '{}') FROM answers a WHERE a.person_id = p.id AND a.question = 'gender') AS gender,
    (SELECT (a.value::jsonb #>> '{}') FROM answers a WHERE a.person_id = p.id AND a.question = 'status') AS status,
    (SELECT (a.value::jsonb #>> '{}') FROM answers a WHERE a.person_id = p.id AND a.question = 'duration') AS duration,
    (SELECT (a.value::jsonb #>> '{}') FROM answers a WHERE a.person_id = p.id AND a.question = 'goal') AS goal
FROM people p;

CREATE FUNCTION monitoring_contact() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
        INSERT INTO monitoring_counts (day, event, channel, age_band, gender, status, duration, goal, value, count)
        SELECT COALESCE(monitoring_day(NEW.created_at), substr(NEW.created_at, 1, 10), ''), 'contact', NEW.channel, '', '', '', '', '', -1, 1
        WHERE true
        ON CONFLICT (day, event, channel, age_band, gender, status, duration, goal, value) DO UPDATE SET count = monitoring_counts.count + 1;
    RETURN NULL;
END
$$;
CREATE TRIGGER monitoring_contact AFTER INSERT ON identities FOR EACH ROW EXECUTE FUNCTION monitoring_contact();

CREATE FUNCTION monitoring_intake_started() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (SELECT COUNT(*) FROM answers a WHERE a.person_id = NEW.person_id) = 1 AND (SELECT p.intake_confirmed_at FROM people p WHERE p.id = NEW.person_id) IS NULL THEN
            INSERT INTO monitoring_counts (day, event, channel, age_band, gender, status, duration, goal, value, count)
            SELECT COALESCE(monitoring_day(NEW.answered_at), substr(NEW.answered_at, 1, 10), ''), 'intake_started', COALESCE((SELECT i.channel FROM identities i WHERE i.person_id = NEW.person_id ORDER BY i.created_at LIMIT 1), ''), '', '', '', '', '', -1, 1
            WHERE true
            ON CONFLICT (day, event, channel, age_band, gender, status, duration, goal, value) DO UPDATE SET count = monitoring_counts.count + 1;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER monitoring_intake_started AFTER INSERT ON answers FOR EACH ROW EXECUTE FUNCTION monitoring_intake_started();

CREATE FUNCTION monitoring_booking_new() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status IN ('booked', 'attended', 'no_show') THEN
            INSERT INTO monitoring_counts (day, event, channel, age_band, gender, status, duration, goal, value, count)
            SELECT COALESCE(monitoring_day(NEW.starts_at), substr(NEW.starts_at, 1, 10), ''), 'booked', '', COALESCE(v.age_band, ''), COALESCE(v.gender, ''), COALESCE(v.status, ''), COALESCE(v.duration, ''), COALESCE(v.goal, ''), -1, 1
            FROM (SELECT 1) AS one LEFT JOIN monitoring_profile v ON v.person_id = NEW.person_id
            WHERE true
            ON CONFLICT (day, event, channel, age_band, gender, status, duration, goal, value) DO UPDATE SET count = monitoring_counts.count + 1;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER monitoring_booking_new AFTER INSERT ON bookings FOR EACH ROW EXECUTE FUNCTION monitoring_booking_new();

CREATE FUNCTION monitoring_booking_new_outcome() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status IN ('attended', 'no_show') THEN
            INSERT INTO monitoring_counts (day, event, channel, age_band, gender, status, duration, goal, value, count)
            SELECT COALESCE(monitoring_day(NEW.starts_at), substr(NEW.starts_at, 1, 10), ''), NEW.status, '', COALESCE(v.age_band, ''), COALESCE(v.gender, ''), COALESCE(v.status, ''), COALESCE(v.duration, ''), COALESCE(v.goal, ''), -1, 1
            FROM (SELECT 1) AS one LEFT JOIN monitoring_profile v ON v.person_id = NEW.person_id
            WHERE true
            ON CONFLICT (day, event, channel, age_band, gender, status, duration, goal, value) DO UPDATE SET count = monitoring_counts.count + 1;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER monitoring_booking_new_outcome AFTER INSERT ON bookings FOR EACH ROW EXECUTE FUNCTION monitoring_booking_new_outcome();

CREATE FUNCTION monitoring_hold_offered() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status = 'held' THEN
            INSERT INTO monitoring_counts (day, event, channel, age_band, gender, status, duration, goal, value, count)
            SELECT COALESCE(monitoring_day(NEW.starts_at), substr(NEW.starts_at, 1, 10), ''), 'waitlist_offered', '', COALESCE(v.age_band, ''), COALESCE(v.gender, ''), COALESCE(v.status, ''), COALESCE(v.duration, ''), COALESCE(v.goal, ''), -1, 1
            FROM (SELECT 1) AS one LEFT JOIN monitoring_profile v ON v.person_id = NEW.person_id
            WHERE true
            ON CONFLICT (day, event, channel, age_band, gender, status, duration, goal, value) DO UPDATE SET count = monitoring_counts.count + 1;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER monitoring_hold_offered AFTER INSERT ON bookings FOR EACH ROW EXECUTE FUNCTION monitoring_hold_offered();

CREATE FUNCTION monitoring_hold_taken() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.status = 'held' AND NEW.status = 'booked' THEN
            INSERT INTO monitoring_counts (day, event, channel, age_band, gender, status, duration, goal, value, count)
            SELECT COALESCE(monitoring_day(NEW.starts_at), substr(NEW.starts_at, 1, 10), ''), 'booked', '', COALESCE(v.age_band, ''), COALESCE(v.gender, ''), COALESCE(v.status, ''), COALESCE(v.duration, ''), COALESCE(v.goal, ''), -1, 1
            FROM (SELECT 1) AS one LEFT JOIN monitoring_profile v ON v.person_id = NEW.person_id
            WHERE true
            ON CONFLICT (day, event, channel, age_band, gender, status, duration, goal, value) DO UPDATE SET count = monitoring_counts.count + 1;
            INSERT INTO monitoring_counts (day, event, channel, age_band, gender, status, duration, goal, value, count)
            SELECT COALESCE(monitoring_day(NEW.starts_at), substr(NEW.starts_at, 1, 10), ''), 'waitlist_placed', '', COALESCE(v.age_band, ''), COALESCE(v.gender, ''), COALESCE(v.status, ''), COALESCE(v.duration, ''), COALESCE(v.goal, ''), -1, 1
            FROM (SELECT 1) AS one LEFT JOIN monitoring_profile v ON v.person_id = NEW.person_id
            WHERE true
            ON CONFLICT (day, event, channel, age_band, gender, status, duration, goal, value) DO UPDATE SET count = monitoring_counts.count + 1;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER monitoring_hold_taken AFTER UPDATE OF status ON bookings FOR EACH ROW EXECUTE FUNCTION monitoring_hold_taken();

CREATE FUNCTION monitoring_booking_outcome() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.status = 'booked' AND NEW.status IN ('attended', 'no_show', 'cancelled') THEN
            INSERT INTO monitoring_counts (day, event, channel, age_band, gender, status, duration, goal, value, count)
            SELECT COALESCE(monitoring_day(NEW.starts_at), substr(NEW.starts_at, 1, 10), ''), NEW.status, '', COALESCE(v.age_band, ''), COALESCE(v.gender, ''), COALESCE(v.status, ''), COALESCE(v.duration, ''), COALESCE(v.goal, ''), -1, 1
            FROM (SELECT 1) AS one LEFT JOIN monitoring_profile v ON v.person_id = NEW.person_id
            WHERE true
            ON CONFLICT (day, event, channel, age_band, gender, status, duration, goal, value) DO UPDATE SET count = monitoring_counts.count + 1;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER monitoring_booking_outcome AFTER UPDATE OF status ON bookings FOR EACH ROW EXECUTE FUNCTION monitoring_booking_outcome();

CREATE FUNCTION monitoring_first_appointment() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.status <> 'attended' AND NEW.status = 'attended' THEN
            INSERT INTO monitoring_counts (day, event, channel, age_band, gender, status, duration, goal, value, count)
            SELECT COALESCE(monitoring_day(NEW.starts_at), substr(NEW.starts_at, 1, 10), ''), 'first_appointment', '', COALESCE(v.age_band, ''), COALESCE(v.gender, ''), COALESCE(v.status, ''), COALESCE(v.duration, ''), COALESCE(v.goal, ''), COALESCE(GREATEST(0, monitoring_day(NEW.starts_at)::date - monitoring_day((SELECT p.intake_confirmed_at FROM people p WHERE p.id = NEW.person_id))::date), -1), 1
            FROM (SELECT 1) AS one LEFT JOIN monitoring_profile v ON v.person_id = NEW.person_id
            WHERE NOT EXISTS (SELECT 1 FROM bookings b WHERE b.person_id = NEW.person_id AND b.status = 'attended' AND b.id <> NEW.id) AND (SELECT p.intake_confirmed_at FROM people p WHERE p.id = NEW.person_id) IS NOT NULL
            ON CONFLICT (day, event, channel, age_band, gender, status, duration, goal, value) DO UPDATE SET count = monitoring_counts.count + 1;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER monitoring_first_appointment AFTER UPDATE OF status ON bookings FOR EACH ROW EXECUTE FUNCTION monitoring_first_appointment();

CREATE FUNCTION monitoring_first_appointment_new() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status = 'attended' THEN
            INSERT INTO monitoring_counts (day, event, channel, age_band, gender, status, duration, goal, value, count)
            SELECT COALESCE(monitoring_day(NEW.starts_at), substr(NEW.starts_at, 1, 10), ''), 'first_appointment', '', COALESCE(v.age_band, ''), COALESCE(v.gender, ''), COALESCE(v.status, ''), COALESCE(v.duration, ''), COALESCE(v.goal, ''), COALESCE(GREATEST(0, monitoring_day(NEW.starts_at)::date - monitoring_day((SELECT p.intake_confirmed_at FROM people p WHERE p.id = NEW.person_id))::date), -1), 1
            FROM (SELECT 1) AS one LEFT JOIN monitoring_profile v ON v.person_id = NEW.person_id
            WHERE NOT EXISTS (SELECT 1 FROM bookings b WHERE b.person_id = NEW.person_id AND b.status = 'attended' AND b.id <> NEW.id) AND (SELECT p.intake_confirmed_at FROM people p WHERE p.id = NEW.person_id) IS NOT NULL
            ON CONFLICT (day, event, channel, age_band, gender, status, duration, goal, value) DO UPDATE SET count = monitoring_counts.count + 1;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER monitoring_first_appointment_new AFTER INSERT ON bookings FOR EACH ROW EXECUTE FUNCTION monitoring_first_appointment_new();

CREATE FUNCTION monitoring_satisfaction() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.satisfaction IS NULL AND NEW.satisfaction IS NOT NULL THEN
            INSERT INTO monitoring_counts (day, event, channel, age_band, gender, status, duration, goal, value, count)
            SELECT COALESCE(monitoring_day(NEW.starts_at), substr(NEW.starts_at, 1, 10), ''), 'satisfaction', '', COALESCE(v.age_band, ''), COALESCE(v.gender, ''), COALESCE(v.status, ''), COALESCE(v.duration, ''), COALESCE(v.goal, ''), NEW.satisfaction, 1
            FROM (SELECT 1) AS one LEFT JOIN monitoring_profile v ON v.person_id = NEW.person_id
            WHERE true
            ON CONFLICT (day, event, channel, age_band, gender, status, duration, goal, value) DO UPDATE SET count = monitoring_counts.count + 1;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER monitoring_satisfaction AFTER UPDATE OF satisfaction ON bookings FOR EACH ROW EXECUTE FUNCTION monitoring_satisfaction();

CREATE FUNCTION monitoring_waitlist() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
        INSERT INTO monitoring_counts (day, event, channel, age_band, gender, status, duration, goal, value, count)
        SELECT COALESCE(monitoring_day(NEW.joined_at), substr(NEW.joined_at, 1, 10), ''), 'waitlist_joined', '', COALESCE(v.age_band, ''), COALESCE(v.gender, ''), COALESCE(v.status, ''), COALESCE(v.duration, ''), COALESCE(v.goal, ''), -1, 1
        FROM (SELECT 1) AS one LEFT JOIN monitoring_profile v ON v.person_id = NEW.person_id
        WHERE true
        ON CONFLICT (day, event, channel, age_band, gender, status, duration, goal, value) DO UPDATE SET count = monitoring_counts.count + 1;
    RETURN NULL;
END
$$;
CREATE TRIGGER monitoring_waitlist AFTER INSERT ON waitlist FOR EACH ROW EXECUTE FUNCTION monitoring_waitlist();

CREATE FUNCTION monitoring_seat_new() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status = 'registered' THEN
            INSERT INTO monitoring_counts (day, event, channel, age_band, gender, status, duration, goal, value, count)
            SELECT COALESCE(monitoring_day((SELECT w.starts_at FROM workshops w WHERE w.id = NEW.workshop_id)), substr((SELECT w.starts_at FROM workshops w WHERE w.id = NEW.workshop_id), 1, 10), ''), 'seat_taken', '', COALESCE(v.age_band, ''), COALESCE(v.gender, ''), COALESCE(v.status, ''), COALESCE(v.duration, ''), COALESCE(v.goal, ''), -1, 1
            FROM (SELECT 1) AS one LEFT JOIN monitoring_profile v ON v.person_id = NEW.person_id
            WHERE true
            ON CONFLICT (day, event, channel, age_band, gender, status, duration, goal, value) DO UPDATE SET count = monitoring_counts.count + 1;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER monitoring_seat_new AFTER INSERT ON registrations FOR EACH ROW EXECUTE FUNCTION monitoring_seat_new();

CREATE FUNCTION monitoring_seat_taken() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status = 'registered' AND OLD.status NOT IN ('registered', 'attended', 'absent') THEN
            INSERT INTO monitoring_counts (day, event, channel, age_band, gender, status, duration, goal, value, count)
            SELECT COALESCE(monitoring_day((SELECT w.starts_at FROM workshops w WHERE w.id = NEW.workshop_id)), substr((SELECT w.starts_at FROM workshops w WHERE w.id = NEW.workshop_id), 1, 10), ''), 'seat_taken', '', COALESCE(v.age_band, ''), COALESCE(v.gender, ''), COALESCE(v.status, ''), COALESCE(v.duration, ''), COALESCE(v.goal, ''), -1, 1
            FROM (SELECT 1) AS one LEFT JOIN monitoring_profile v ON v.person_id = NEW.person_id
            WHERE true
            ON CONFLICT (day, event, channel, age_band, gender, status, duration, goal, value) DO UPDATE SET count = monitoring_counts.count + 1;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER monitoring_seat_taken AFTER UPDATE OF status ON registrations FOR EACH ROW EXECUTE FUNCTION monitoring_seat_taken();

CREATE FUNCTION monitoring_attendance() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status IN ('attended', 'absent') AND OLD.status = 'registered' THEN
            INSERT INTO monitoring_counts (day, event, channel, age_band, gender, status, duration, goal, value, count)
            SELECT COALESCE(monitoring_day((SELECT w.starts_at FROM workshops w WHERE w.id = NEW.workshop_id)), substr((SELECT w.starts_at FROM workshops w WHERE w.id = NEW.workshop_id), 1, 10), ''), 'workshop_' || NEW.status, '', COALESCE(v.age_band, ''), COALESCE(v.gender, ''), COALESCE(v.status, ''), COALESCE(v.duration, ''), COALESCE(v.goal, ''), -1, 1
            FROM (SELECT 1) AS one LEFT JOIN monitoring_profile v ON v.person_id = NEW.person_id
            WHERE true
            ON CONFLICT (day, event, channel, age_band, gender, status, duration, goal, value) DO UPDATE SET count = monitoring_counts.count + 1;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER monitoring_attendance AFTER UPDATE OF status ON registrations FOR EACH ROW EXECUTE FUNCTION monitoring_attendance();
