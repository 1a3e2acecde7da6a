-- Operators' weekly hours and the desk's closures, edited in the back-office. The TOML file
-- seeds them: a scope ('operator:<id>' or 'closures') is seeded once, at the first start that
-- knows it, and from then on these tables, not the file, are the truth.

CREATE TABLE availability_seeded (
    scope      TEXT PRIMARY KEY,
    seeded_at  TEXT NOT NULL
);

-- Wall-clock times in Europe/Rome, 'HH:MM'; weekday 0 = Monday ... 6 = Sunday.
CREATE TABLE operator_hours (
    operator_id TEXT NOT NULL,
    weekday     INTEGER NOT NULL CHECK (weekday BETWEEN 0 AND 6),
    starts      TEXT NOT NULL,
    ends        TEXT NOT NULL,
    CHECK (starts < ends),
    PRIMARY KEY (operator_id, weekday, starts)
);

-- Whole days the desk is closed, inclusive ('YYYY-MM-DD'); the note is the desk's own word
-- ("Christmas"), never about a person.
CREATE TABLE desk_closures (
    id         INTEGER PRIMARY KEY,
    first_day  TEXT NOT NULL,
    last_day   TEXT NOT NULL,
    note       TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    CHECK (first_day <= last_day)
);
