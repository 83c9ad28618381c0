-- E-mail notifications: a durable outbox written in the same transaction as the event, sent by a
-- background worker. A sent mail's row is deleted (no lasting record of when a case arrived); rows
-- that keep failing stay for administrators to see. Mails carry a reference and a link, never
-- content or identity.
ALTER TABLE accounts ADD COLUMN email TEXT;

CREATE TABLE outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_on TEXT NOT NULL,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    next_attempt_at INTEGER NOT NULL,
    last_error TEXT
);
CREATE INDEX outbox_due ON outbox (next_attempt_at);

-- Which deadline reminders were sent, so each is sent once.
CREATE TABLE deadline_reminders (
    case_id INTEGER NOT NULL REFERENCES cases(id),
    kind TEXT NOT NULL,
    due TEXT NOT NULL,
    PRIMARY KEY (case_id, kind, due)
);
