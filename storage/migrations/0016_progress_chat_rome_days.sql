-- Where a broadcast's progress is shown: the Telegram chat of the staff member who started it
-- in the chat; NULL for one started on the back-office, whose page polls the counts. The
-- progress job reads this instead of guessing from the form of created_by.
ALTER TABLE broadcasts ADD COLUMN progress_chat TEXT;

-- Broadcasts started before: the chat ones were created by a Telegram id, the back-office's
-- by "desk:<user id>".
UPDATE broadcasts SET progress_chat = created_by WHERE created_by NOT LIKE 'desk:%';

-- The monitoring counters' day is the day in Lucca (Europe/Rome, daylight saving time
-- included), no longer UTC + 1 hour, which put the facts of 00:00-01:00 in summer on the day
-- before. SQL knows no Europe/Rome: storage/rome_days.py computes every day from 2024 to 2050
-- in Python (the UTC instants it starts and ends at) into rome_days, filled at the first start,
-- and the triggers look a time's day up there, by comparing ISO text (portable: no date
-- function). A time outside the table falls back to its UTC date. Counts already kept stay on
-- the day they were given.
CREATE TABLE rome_days (
    starts_at TEXT PRIMARY KEY,  -- the day's local midnight, in UTC ISO text like stored times
    ends_at   TEXT NOT NULL,     -- the next day's
    day       TEXT NOT NULL,     -- YYYY-MM-DD in Europe/Rome
    number    INTEGER NOT NULL   -- days since 2000-01-01, for differences between days
);

DROP TRIGGER IF EXISTS monitoring_contact;
CREATE TRIGGER monitoring_contact AFTER INSERT ON identities
BEGIN
    INSERT INTO monitoring_counts (day, event, channel, age_band, gender, status, duration, goal, value, count)
    SELECT COALESCE((SELECT d.day FROM rome_days d WHERE d.starts_at <= NEW.created_at AND d.ends_at > NEW.created_at ORDER BY d.starts_at DESC LIMIT 1), substr(NEW.created_at, 1, 10), ''), 'contact', NEW.channel, '', '', '', '', '', -1, 1
    WHERE true
    ON CONFLICT (day, event, channel, age_band, gender, status, duration, goal, value) DO UPDATE SET count = count + 1;
END;

DROP TRIGGER IF EXISTS monitoring_intake_started;
CREATE TRIGGER monitoring_intake_started AFTER INSERT ON answers
WHEN (SELECT COUNT(*) FROM answers a WHERE a.person_id = NEW.person_id) = 1
    AND (SELECT p.intake_confirmed_at FROM people p WHERE p.id = NEW.person_id) IS NULL
BEGIN
    INSERT INTO monitoring_counts (day, event, channel, age_band, gender, status, duration, goal, value, count)
    SELECT COALESCE((SELECT d.day FROM rome_days d WHERE d.starts_at <= NEW.answered_at AND d.ends_at > NEW.answered_at ORDER BY d.starts_at DESC LIMIT 1), substr(NEW.answered_at, 1, 10), ''), 'intake_started', COALESCE((SELECT i.channel FROM identities i WHERE i.person_id = NEW.person_id ORDER BY i.created_at LIMIT 1), ''), '', '', '', '', '', -1, 1
    WHERE true
    ON CONFLICT (day, event, channel, age_band, gender, status, duration, goal, value) DO UPDATE SET count = count + 1;
END;

DROP TRIGGER IF EXISTS monitoring_booking_new;
CREATE TRIGGER monitoring_booking_new AFTER INSERT ON bookings
WHEN NEW.status IN ('booked', 'attended', 'no_show')
BEGIN
    INSERT INTO monitoring_counts (day, event, channel, age_band, gender, status, duration, goal, value, count)
    SELECT COALESCE((SELECT d.day FROM rome_days d WHERE d.starts_at <= NEW.starts_at AND d.ends_at > NEW.starts_at ORDER BY d.starts_at DESC LIMIT 1), substr(NEW.starts_at, 1, 10), ''), 'booked', '', COALESCE(v.age_band, ''), COALESCE(v.gender, ''), COALESCE(v.status, ''), COALESCE(v.duration, ''), COALESCE(v.goal, ''), -1, 1
    FROM (SELECT 1) LEFT JOIN monitoring_profile v ON v.person_id = NEW.person_id
    WHERE true
    ON CONFLICT (day, event, channel, age_band, gender, status, duration, goal, value) DO UPDATE SET count = count + 1;
END;

DROP TRIGGER IF EXISTS monitoring_booking_new_outcome;
CREATE TRIGGER monitoring_booking_new_outcome AFTER INSERT ON bookings
WHEN NEW.status IN ('attended', 'no_show')
BEGIN
    INSERT INTO monitoring_counts (day, event, channel, age_band, gender, status, duration, goal, value, count)
    SELECT COALESCE((SELECT d.day FROM rome_days d WHERE d.starts_at <= NEW.starts_at AND d.ends_at > NEW.starts_at ORDER BY d.starts_at DESC LIMIT 1), substr(NEW.starts_at, 1, 10), ''), NEW.status, '', COALESCE(v.age_band, ''), COALESCE(v.gender, ''), COALESCE(v.status, ''), COALESCE(v.duration, ''), COALESCE(v.goal, ''), -1, 1
    FROM (SELECT 1) LEFT JOIN monitoring_profile v ON v.person_id = NEW.person_id
    WHERE true
    ON CONFLICT (day, event, channel, age_band, gender, status, duration, goal, value) DO UPDATE SET count = count + 1;
END;

DROP TRIGGER IF EXISTS monitoring_hold_offered;
CREATE TRIGGER monitoring_hold_offered AFTER INSERT ON bookings
WHEN NEW.status = 'held'
BEGIN
    INSERT INTO monitoring_counts (day, event, channel, age_band, gender, status, duration, goal, value, count)
    SELECT COALESCE((SELECT d.day FROM rome_days d WHERE d.starts_at <= NEW.starts_at AND d.ends_at > NEW.starts_at ORDER BY d.starts_at DESC LIMIT 1), substr(NEW.starts_at, 1, 10), ''), 'waitlist_offered', '', COALESCE(v.age_band, ''), COALESCE(v.gender, ''), COALESCE(v.status, ''), COALESCE(v.duration, ''), COALESCE(v.goal, ''), -1, 1
    FROM (SELECT 1) LEFT JOIN monitoring_profile v ON v.person_id = NEW.person_id
    WHERE true
    ON CONFLICT (day, event, channel, age_band, gender, status, duration, goal, value) DO UPDATE SET count = count + 1;
END;

DROP TRIGGER IF EXISTS monitoring_hold_taken;
CREATE TRIGGER monitoring_hold_taken AFTER UPDATE OF status ON bookings
WHEN OLD.status = 'held' AND NEW.status = 'booked'
BEGIN
    INSERT INTO monitoring_counts (day, event, channel, age_band, gender, status, duration, goal, value, count)
    SELECT COALESCE((SELECT d.day FROM rome_days d WHERE d.starts_at <= NEW.starts_at AND d.ends_at > NEW.starts_at ORDER BY d.starts_at DESC LIMIT 1), substr(NEW.starts_at, 1, 10), ''), 'booked', '', COALESCE(v.age_band, ''), COALESCE(v.gender, ''), COALESCE(v.status, ''), COALESCE(v.duration, ''), COALESCE(v.goal, ''), -1, 1
    FROM (SELECT 1) LEFT JOIN monitoring_profile v ON v.person_id = NEW.person_id
    WHERE true
    ON CONFLICT (day, event, channel, age_band, gender, status, duration, goal, value) DO UPDATE SET count = count + 1;
    INSERT INTO monitoring_counts (day, event, channel, age_band, gender, status, duration, goal, value, count)
    SELECT COALESCE((SELECT d.day FROM rome_days d WHERE d.starts_at <= NEW.starts_at AND d.ends_at > NEW.starts_at ORDER BY d.starts_at DESC LIMIT 1), substr(NEW.starts_at, 1, 10), ''), 'waitlist_placed', '', COALESCE(v.age_band, ''), COALESCE(v.gender, ''), COALESCE(v.status, ''), COALESCE(v.duration, ''), COALESCE(v.goal, ''), -1, 1
    FROM (SELECT 1) LEFT JOIN monitoring_profile v ON v.person_id = NEW.person_id
    WHERE true
    ON CONFLICT (day, event, channel, age_band, gender, status, duration, goal, value) DO UPDATE SET count = count + 1;
END;

DROP TRIGGER IF EXISTS monitoring_booking_outcome;
CREATE TRIGGER monitoring_booking_outcome AFTER UPDATE OF status ON bookings
WHEN OLD.status = 'booked' AND NEW.status IN ('attended', 'no_show', 'cancelled')
BEGIN
    INSERT INTO monitoring_counts (day, event, channel, age_band, gender, status, duration, goal, value, count)
    SELECT COALESCE((SELECT d.day FROM rome_days d WHERE d.starts_at <= NEW.starts_at AND d.ends_at > NEW.starts_at ORDER BY d.starts_at DESC LIMIT 1), substr(NEW.starts_at, 1, 10), ''), NEW.status, '', COALESCE(v.age_band, ''), COALESCE(v.gender, ''), COALESCE(v.status, ''), COALESCE(v.duration, ''), COALESCE(v.goal, ''), -1, 1
    FROM (SELECT 1) LEFT JOIN monitoring_profile v ON v.person_id = NEW.person_id
    WHERE true
    ON CONFLICT (day, event, channel, age_band, gender, status, duration, goal, value) DO UPDATE SET count = count + 1;
END;

DROP TRIGGER IF EXISTS monitoring_first_appointment;
CREATE TRIGGER monitoring_first_appointment AFTER UPDATE OF status ON bookings
WHEN OLD.status <> 'attended' AND NEW.status = 'attended'
BEGIN
    INSERT INTO monitoring_counts (day, event, channel, age_band, gender, status, duration, goal, value, count)
    SELECT COALESCE((SELECT d.day FROM rome_days d WHERE d.starts_at <= NEW.starts_at AND d.ends_at > NEW.starts_at ORDER BY d.starts_at DESC LIMIT 1), substr(NEW.starts_at, 1, 10), ''), 'first_appointment', '', COALESCE(v.age_band, ''), COALESCE(v.gender, ''), COALESCE(v.status, ''), COALESCE(v.duration, ''), COALESCE(v.goal, ''), COALESCE((SELECT CASE WHEN a.number > c.number THEN a.number - c.number ELSE 0 END FROM rome_days a, rome_days c WHERE a.starts_at <= NEW.starts_at AND a.ends_at > NEW.starts_at AND c.starts_at <= (SELECT p.intake_confirmed_at FROM people p WHERE p.id = NEW.person_id) AND c.ends_at > (SELECT p.intake_confirmed_at FROM people p WHERE p.id = NEW.person_id)), -1), 1
    FROM (SELECT 1) LEFT JOIN monitoring_profile v ON v.person_id = NEW.person_id
    WHERE NOT EXISTS (SELECT 1 FROM bookings b WHERE b.person_id = NEW.person_id AND b.status = 'attended' AND b.id <> NEW.id) AND (SELECT p.intake_confirmed_at FROM people p WHERE p.id = NEW.person_id) IS NOT NULL
    ON CONFLICT (day, event, channel, age_band, gender, status, duration, goal, value) DO UPDATE SET count = count + 1;
END;

DROP TRIGGER IF EXISTS monitoring_first_appointment_new;
CREATE TRIGGER monitoring_first_appointment_new AFTER INSERT ON bookings
WHEN NEW.status = 'attended'
BEGIN
    INSERT INTO monitoring_counts (day, event, channel, age_band, gender, status, duration, goal, value, count)
    SELECT COALESCE((SELECT d.day FROM rome_days d WHERE d.starts_at <= NEW.starts_at AND d.ends_at > NEW.starts_at ORDER BY d.starts_at DESC LIMIT 1), substr(NEW.starts_at, 1, 10), ''), 'first_appointment', '', COALESCE(v.age_band, ''), COALESCE(v.gender, ''), COALESCE(v.status, ''), COALESCE(v.duration, ''), COALESCE(v.goal, ''), COALESCE((SELECT CASE WHEN a.number > c.number THEN a.number - c.number ELSE 0 END FROM rome_days a, rome_days c WHERE a.starts_at <= NEW.starts_at AND a.ends_at > NEW.starts_at AND c.starts_at <= (SELECT p.intake_confirmed_at FROM people p WHERE p.id = NEW.person_id) AND c.ends_at > (SELECT p.intake_confirmed_at FROM people p WHERE p.id = NEW.person_id)), -1), 1
    FROM (SELECT 1) LEFT JOIN monitoring_profile v ON v.person_id = NEW.person_id
    WHERE NOT EXISTS (SELECT 1 FROM bookings b WHERE b.person_id = NEW.person_id AND b.status = 'attended' AND b.id <> NEW.id) AND (SELECT p.intake_confirmed_at FROM people p WHERE p.id = NEW.person_id) IS NOT NULL
    ON CONFLICT (day, event, channel, age_band, gender, status, duration, goal, value) DO UPDATE SET count = count + 1;
END;

DROP TRIGGER IF EXISTS monitoring_satisfaction;
CREATE TRIGGER monitoring_satisfaction AFTER UPDATE OF satisfaction ON bookings
WHEN OLD.satisfaction IS NULL AND NEW.satisfaction IS NOT NULL
BEGIN
    INSERT INTO monitoring_counts (day, event, channel, age_band, gender, status, duration, goal, value, count)
    SELECT COALESCE((SELECT d.day FROM rome_days d WHERE d.starts_at <= NEW.starts_at AND d.ends_at > NEW.starts_at ORDER BY d.starts_at DESC LIMIT 1), substr(NEW.starts_at, 1, 10), ''), 'satisfaction', '', COALESCE(v.age_band, ''), COALESCE(v.gender, ''), COALESCE(v.status, ''), COALESCE(v.duration, ''), COALESCE(v.goal, ''), NEW.satisfaction, 1
    FROM (SELECT 1) LEFT JOIN monitoring_profile v ON v.person_id = NEW.person_id
    WHERE true
    ON CONFLICT (day, event, channel, age_band, gender, status, duration, goal, value) DO UPDATE SET count = count + 1;
END;

DROP TRIGGER IF EXISTS monitoring_waitlist;
CREATE TRIGGER monitoring_waitlist AFTER INSERT ON waitlist
BEGIN
    INSERT INTO monitoring_counts (day, event, channel, age_band, gender, status, duration, goal, value, count)
    SELECT COALESCE((SELECT d.day FROM rome_days d WHERE d.starts_at <= NEW.joined_at AND d.ends_at > NEW.joined_at ORDER BY d.starts_at DESC LIMIT 1), substr(NEW.joined_at, 1, 10), ''), 'waitlist_joined', '', COALESCE(v.age_band, ''), COALESCE(v.gender, ''), COALESCE(v.status, ''), COALESCE(v.duration, ''), COALESCE(v.goal, ''), -1, 1
    FROM (SELECT 1) LEFT JOIN monitoring_profile v ON v.person_id = NEW.person_id
    WHERE true
    ON CONFLICT (day, event, channel, age_band, gender, status, duration, goal, value) DO UPDATE SET count = count + 1;
END;

DROP TRIGGER IF EXISTS monitoring_seat_new;
CREATE TRIGGER monitoring_seat_new AFTER INSERT ON registrations
WHEN NEW.status = 'registered'
BEGIN
    INSERT INTO monitoring_counts (day, event, channel, age_band, gender, status, duration, goal, value, count)
    SELECT COALESCE((SELECT d.day FROM rome_days d WHERE d.starts_at <= (SELECT w.starts_at FROM workshops w WHERE w.id = NEW.workshop_id) AND d.ends_at > (SELECT w.starts_at FROM workshops w WHERE w.id = NEW.workshop_id) ORDER BY d.starts_at DESC LIMIT 1), substr((SELECT w.starts_at FROM workshops w WHERE w.id = NEW.workshop_id), 1, 10), ''), 'seat_taken', '', COALESCE(v.age_band, ''), COALESCE(v.gender, ''), COALESCE(v.status, ''), COALESCE(v.duration, ''), COALESCE(v.goal, ''), -1, 1
    FROM (SELECT 1) LEFT JOIN monitoring_profile v ON v.person_id = NEW.person_id
    WHERE true
    ON CONFLICT (day, event, channel, age_band, gender, status, duration, goal, value) DO UPDATE SET count = count + 1;
END;

DROP TRIGGER IF EXISTS monitoring_seat_taken;
CREATE TRIGGER monitoring_seat_taken AFTER UPDATE OF status ON registrations
WHEN NEW.status = 'registered' AND OLD.status NOT IN ('registered', 'attended', 'absent')
BEGIN
    INSERT INTO monitoring_counts (day, event, channel, age_band, gender, status, duration, goal, value, count)
    SELECT COALESCE((SELECT d.day FROM rome_days d WHERE d.starts_at <= (SELECT w.starts_at FROM workshops w WHERE w.id = NEW.workshop_id) AND d.ends_at > (SELECT w.starts_at FROM workshops w WHERE w.id = NEW.workshop_id) ORDER BY d.starts_at DESC LIMIT 1), substr((SELECT w.starts_at FROM workshops w WHERE w.id = NEW.workshop_id), 1, 10), ''), 'seat_taken', '', COALESCE(v.age_band, ''), COALESCE(v.gender, ''), COALESCE(v.status, ''), COALESCE(v.duration, ''), COALESCE(v.goal, ''), -1, 1
    FROM (SELECT 1) LEFT JOIN monitoring_profile v ON v.person_id = NEW.person_id
    WHERE true
    ON CONFLICT (day, event, channel, age_band, gender, status, duration, goal, value) DO UPDATE SET count = count + 1;
END;

DROP TRIGGER IF EXISTS monitoring_attendance;
CREATE TRIGGER monitoring_attendance AFTER UPDATE OF status ON registrations
WHEN NEW.status IN ('attended', 'absent') AND OLD.status = 'registered'
BEGIN
    INSERT INTO monitoring_counts (day, event, channel, age_band, gender, status, duration, goal, value, count)
    SELECT COALESCE((SELECT d.day FROM rome_days d WHERE d.starts_at <= (SELECT w.starts_at FROM workshops w WHERE w.id = NEW.workshop_id) AND d.ends_at > (SELECT w.starts_at FROM workshops w WHERE w.id = NEW.workshop_id) ORDER BY d.starts_at DESC LIMIT 1), substr((SELECT w.starts_at FROM workshops w WHERE w.id = NEW.workshop_id), 1, 10), ''), 'workshop_' || NEW.status, '', COALESCE(v.age_band, ''), COALESCE(v.gender, ''), COALESCE(v.status, ''), COALESCE(v.duration, ''), COALESCE(v.goal, ''), -1, 1
    FROM (SELECT 1) LEFT JOIN monitoring_profile v ON v.person_id = NEW.person_id
    WHERE true
    ON CONFLICT (day, event, channel, age_band, gender, status, duration, goal, value) DO UPDATE SET count = count + 1;
END;
