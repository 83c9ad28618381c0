-- Custody of reporters' identities. Identities are sealed to one identity-custody key and escrow;
-- the custody key's secret is stored wrapped to escrow and to each identity custodian's personal key
-- (never to an account whose holder has not completed setup).
CREATE TABLE custody_key (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    recipient TEXT NOT NULL,
    escrow_wrapped_secret BYTEA NOT NULL,
    created_on TEXT NOT NULL
);

CREATE TABLE custody_members (
    account_id BIGINT PRIMARY KEY REFERENCES accounts(id),
    wrapped_custody_key BYTEA NOT NULL,
    granted_on TEXT NOT NULL
);

-- An officer's request to see a case's reporter identity (kind 'request'), or a custodian's own
-- opening (kind 'custodian'). Reasons and decision notes are sealed to the custody key, escrow and
-- the requester; an approved identity is sealed to the requester's personal key only. Dates only.
CREATE TABLE identity_requests (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    case_id BIGINT NOT NULL REFERENCES cases(id),
    kind TEXT NOT NULL CHECK (kind IN ('request', 'custodian')),
    requested_by BIGINT NOT NULL REFERENCES accounts(id),
    requested_on TEXT NOT NULL,
    reason BYTEA NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'denied', 'opened')),
    decided_by BIGINT REFERENCES accounts(id),
    decided_on TEXT,
    decision_note BYTEA,
    disclosed_identity BYTEA
);
CREATE INDEX identity_requests_case ON identity_requests (case_id);
CREATE INDEX identity_requests_status ON identity_requests (status);
-- One open request (pending or approved) per officer and case.
CREATE UNIQUE INDEX identity_requests_open ON identity_requests (case_id, requested_by)
    WHERE kind = 'request' AND status IN ('pending', 'approved');
