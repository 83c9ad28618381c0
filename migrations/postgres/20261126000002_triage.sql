-- Triage: the outcome of a case as plaintext codes (they feed the annual figures), and every status
-- change with who, when (a date) and why (a code, and an optional note sealed like content).
ALTER TABLE cases ADD COLUMN outcome TEXT;
ALTER TABLE cases ADD COLUMN referred_to TEXT;
ALTER TABLE cases ADD COLUMN rejection_reason TEXT;
ALTER TABLE cases ADD COLUMN acknowledged_on TEXT;
ALTER TABLE cases ADD COLUMN closed_on TEXT;

CREATE TABLE case_events (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    case_id BIGINT NOT NULL REFERENCES cases(id),
    recorded_on TEXT NOT NULL,
    actor TEXT NOT NULL,
    from_status TEXT NOT NULL,
    to_status TEXT NOT NULL,
    detail_code TEXT,
    note BYTEA
);
CREATE INDEX case_events_case ON case_events (case_id, id);
