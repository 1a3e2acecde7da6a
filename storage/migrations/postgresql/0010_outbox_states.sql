-- PostgreSQL's version of 0010_outbox_states.sql: the same CHECK constraints, added in place.
ALTER TABLE outbox
    ADD CHECK (kind IN (
        'reminder', 'reminder_confirm', 'zoom_link', 'waitlist_offer', 'closure_notice',
        'noshow', 'survey', 'workshop_invitation', 'workshop_reminder', 'workshop_seat',
        'announcement', 'resend', 'digest', 'operator_notice', 'outcome_prompt',
        'zoom_create', 'zoom_update', 'zoom_delete'
    )),
    ADD CHECK (status IN (
        'pending', 'sending', 'sent', 'delivered', 'read', 'failed', 'dropped', 'no_template'
    ));
