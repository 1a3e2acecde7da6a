-- Replies at least once: every turn that answers a platform's event writes a `resend` outbox
-- row (the "reply due"), deleted once the platform has taken the answers, and replaced by the
-- next turn's. This index makes finding a person's pending one a lookup, not a scan.
CREATE INDEX outbox_reply_due ON outbox(person_id) WHERE kind = 'resend' AND status = 'pending';
