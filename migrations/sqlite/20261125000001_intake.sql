-- The citizen's channel: units and their keys, cases (plaintext metadata + age ciphertext),
-- reporter/officer messages, per-year reference counters and the hash-chained audit trail.
CREATE TABLE installation (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE units (
    code TEXT PRIMARY KEY,
    recipient TEXT NOT NULL,
    -- the unit's age secret, sealed to the escrow key (and later to each member's personal key)
    escrow_wrapped_secret BLOB NOT NULL,
    created_on TEXT NOT NULL
);

CREATE TABLE case_counters (
    fiscal_year INTEGER PRIMARY KEY,
    last_sequence INTEGER NOT NULL
);

CREATE TABLE cases (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    reference TEXT NOT NULL UNIQUE,
    fiscal_year INTEGER NOT NULL,
    sequence INTEGER NOT NULL,
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
    token_hash BLOB NOT NULL UNIQUE,
    reporter_recipient TEXT NOT NULL,
    content BLOB NOT NULL,
    identity BLOB,
    UNIQUE (fiscal_year, sequence)
);
CREATE INDEX cases_unit_status ON cases (unit_code, status);
CREATE INDEX cases_fiscal_year ON cases (fiscal_year);

CREATE TABLE case_messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id INTEGER NOT NULL REFERENCES cases(id),
    author TEXT NOT NULL CHECK (author IN ('reporter', 'staff')),
    sent_on TEXT NOT NULL,
    body BLOB NOT NULL
);
CREATE INDEX case_messages_case ON case_messages (case_id, id);

CREATE TABLE audit_head (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    entries INTEGER NOT NULL,
    last_hash BLOB NOT NULL
);
INSERT INTO audit_head (id, entries, last_hash) VALUES (1, 0, X'0000000000000000000000000000000000000000000000000000000000000000');

CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    position INTEGER NOT NULL UNIQUE,
    recorded_on TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    case_id INTEGER REFERENCES cases(id),
    detail TEXT NOT NULL,
    prev_hash BLOB NOT NULL,
    entry_hash BLOB NOT NULL
);
