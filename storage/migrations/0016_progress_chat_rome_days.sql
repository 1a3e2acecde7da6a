-- Where a broadcast's progress is shown: the Telegram chat of the staff member who started it
-- in the chat; NULL for one started on the back-office, whose page polls the counts. The
-- progress job reads this instead of guessing from the form of created_by.
ALTER TABLE broadcasts ADD COLUMN progress_chat TEXT;

-- Broadcasts started before: the chat ones were created by a Telegram id, the back-office's
-- by "desk:<user id>".
UPDATE broadcasts SET progress_chat = created_by WHERE created_by NOT LIKE 'desk:%';
