-- Companies the desk scouts, the job profiles they look for broken into the intake's skills,
-- and the visits. No job seeker's data lives here: the contact person is the company's, a
-- visit names the desk's operator. States and kinds are CHECKed with the same values as
-- bot.domain's ProfileState, SkillImportance and ConditionKind.

CREATE TABLE companies (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL,
    name_key     TEXT NOT NULL UNIQUE,  -- the name folded (case, spaces): re-imports find it
    sector       TEXT NOT NULL,         -- a sector id of bot/data/sectors.toml
    ateco        TEXT,                  -- ATECO 2007/2025 code, e.g. 17.12 or 17.12.00
    contact_name TEXT,                  -- the company's contact, only what the desk needs
    contact      TEXT,                  -- how to reach them: a phone number or an e-mail
    area         TEXT,                  -- where it is (comune or zone), free text
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);

CREATE TABLE job_profiles (
    id         INTEGER PRIMARY KEY,
    company_id INTEGER NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
    code       TEXT NOT NULL UNIQUE,   -- short and stable: imports, `sportello match CODE`
    title      TEXT NOT NULL,
    openings   INTEGER NOT NULL CHECK (openings >= 0),
    state      TEXT NOT NULL CHECK (state IN ('open', 'filled', 'closed')),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX job_profiles_company ON job_profiles(company_id, id);
CREATE INDEX job_profiles_state ON job_profiles(state, id);

CREATE TABLE job_profile_skills (
    profile_id INTEGER NOT NULL REFERENCES job_profiles(id) ON DELETE CASCADE,
    skill_id   TEXT NOT NULL,          -- a skill id of bot/data/sectors.toml
    importance TEXT NOT NULL CHECK (importance IN ('essential', 'desirable')),
    PRIMARY KEY (profile_id, skill_id)
);
CREATE INDEX job_profile_skills_skill ON job_profile_skills(skill_id, importance);

-- One row per value, named after the intake question it reads and with that question's own
-- answer ids: availability (full_time, part_time, shifts, weekends: all those listed are
-- needed), transport (licence, licence_car: the least needed), italian (native, good, basic,
-- learning: the least needed), residence (the areas accepted).
CREATE TABLE job_profile_conditions (
    profile_id INTEGER NOT NULL REFERENCES job_profiles(id) ON DELETE CASCADE,
    kind       TEXT NOT NULL CHECK (kind IN ('availability', 'transport', 'italian', 'residence')),
    value      TEXT NOT NULL,
    PRIMARY KEY (profile_id, kind, value)
);

CREATE TABLE scouting_visits (
    id          INTEGER PRIMARY KEY,
    company_id  INTEGER NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
    visited_on  TEXT NOT NULL,         -- ISO date, Europe/Rome
    operator_id TEXT NOT NULL,         -- the [[operator]] id of who went
    notes       TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL
);
CREATE INDEX scouting_visits_company ON scouting_visits(company_id, visited_on);

-- The skills a workshop teaches, so that matching can point at training for a lacking skill.
CREATE TABLE workshop_skills (
    workshop_id INTEGER NOT NULL REFERENCES workshops(id) ON DELETE CASCADE,
    skill_id    TEXT NOT NULL,
    PRIMARY KEY (workshop_id, skill_id)
);
CREATE INDEX workshop_skills_skill ON workshop_skills(skill_id, workshop_id);

-- Matching reads a few intake answers of everyone by question: without this index it scans
-- every answer of every person.
CREATE INDEX answers_question ON answers(question, person_id);
