-- Evidence files. The file itself is age ciphertext in the evidence store under object_key (a
-- random name); its name, kind, size and hash are sealed in meta (to the case's unit and escrow,
-- and to the reporter's key for the reporter's own files). Only the day it was added is plain.
CREATE TABLE attachments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    public_id TEXT NOT NULL UNIQUE,
    case_id INTEGER NOT NULL REFERENCES cases(id),
    added_on TEXT NOT NULL,
    added_by TEXT NOT NULL CHECK (added_by IN ('reporter', 'staff')),
    object_key TEXT NOT NULL UNIQUE,
    meta BLOB NOT NULL
);
CREATE INDEX attachments_case ON attachments (case_id, id);
