-- The citizen's channel: units and their keys, cases (plaintext metadata + age ciphertext),
-- reporter/officer messages, per-year reference counters and the hash-chained audit trail.
CREATE TABLE installation (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE units (
    code TEXT PRIMARY KEY,
    recipient TEXT NOT NULL,
    escrow_wrapped_secret BYTEA NOT NULL,
    created_on TEXT NOT NULL
);

CREATE TABLE case_counters (
    fiscal_year BIGINT PRIMARY KEY,
    last_sequence BIGINT NOT NULL
);

CREATE TABLE cases (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    reference TEXT NOT NULL UNIQUE,
    fiscal_year BIGINT NOT NULL,
    sequence BIGINT NOT NULL,
    received_on TEXT NOT NULL,
    channel TEXT NOT NULL,
    track TEXT NOT NULL,
    category TEXT NOT NULL,
    anonymous BOOLEAN NOT NULL,
    status TEXT NOT NULL,
    status_changed_on TEXT NOT NULL,
    unit_code TEXT NOT NULL REFERENCES units(code),
    routing_rule TEXT NOT NULL,
    acknowledge_due TEXT NOT NULL,
    result_due TEXT NOT NULL,
    token_hash BYTEA NOT NULL UNIQUE,
    reporter_recipient TEXT NOT NULL,
    content BYTEA NOT NULL,
    identity BYTEA,
    UNIQUE (fiscal_year, sequence)
);
CREATE INDEX cases_unit_status ON cases (unit_code, status);
CREATE INDEX cases_fiscal_year ON cases (fiscal_year);

CREATE TABLE case_messages (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    case_id BIGINT NOT NULL REFERENCES cases(id),
    author TEXT NOT NULL CHECK (author IN ('reporter', 'staff')),
    sent_on TEXT NOT NULL,
    body BYTEA NOT NULL
);
CREATE INDEX case_messages_case ON case_messages (case_id, id);

CREATE TABLE audit_head (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    entries BIGINT NOT NULL,
    last_hash BYTEA NOT NULL
);
INSERT INTO audit_head (id, entries, last_hash) VALUES (1, 0, '\x0000000000000000000000000000000000000000000000000000000000000000');

CREATE TABLE audit_log (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    position BIGINT NOT NULL UNIQUE,
    recorded_on TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    case_id BIGINT REFERENCES cases(id),
    detail TEXT NOT NULL,
    prev_hash BYTEA NOT NULL,
    entry_hash BYTEA NOT NULL
);
