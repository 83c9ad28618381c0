-- Staff accounts, their sessions and unit memberships. Personal age keys are stored only wrapped
-- under a key derived from the password; a session holds the personal key sealed to a key that only
-- the session cookie carries; unit secrets are wrapped to each member's personal key.
CREATE TABLE accounts (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    -- comma-separated role codes
    roles TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    key_salt BYTEA NOT NULL,
    wrapped_personal_key BYTEA NOT NULL,
    personal_recipient TEXT NOT NULL,
    -- the TOTP secret, sealed to a key derived from the server's secret files
    totp_secret BYTEA NOT NULL,
    totp_last_step BIGINT NOT NULL,
    disabled BOOLEAN NOT NULL,
    created_on TEXT NOT NULL
);

CREATE TABLE sessions (
    id_hash BYTEA PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts(id),
    created_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    sealed_personal_key BYTEA NOT NULL
);
CREATE INDEX sessions_account ON sessions (account_id);

CREATE TABLE unit_members (
    unit_code TEXT NOT NULL REFERENCES units(code),
    account_id BIGINT NOT NULL REFERENCES accounts(id),
    wrapped_unit_key BYTEA NOT NULL,
    granted_on TEXT NOT NULL,
    PRIMARY KEY (unit_code, account_id)
);
