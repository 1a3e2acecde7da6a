-- Private notes by back-office users about a person. They go with the person when the
-- person is erased; the audit log names a note by its id, never its text.

CREATE TABLE person_notes (
    id         INTEGER PRIMARY KEY,
    person_id  INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    author_id  INTEGER REFERENCES desk_users(id) ON DELETE SET NULL,
    body       TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX person_notes_person ON person_notes(person_id, id);

-- The agenda of one operator, and a person's appointments, without scanning the table.
CREATE INDEX bookings_operator_starts ON bookings(operator_id, starts_at);
CREATE INDEX bookings_person_starts ON bookings(person_id, starts_at);
