-- One-time nonces of submitted forms, so a reload of the receipt page cannot file the same complaint
-- twice. Only a hash and the date are kept.
CREATE TABLE used_form_nonces (
    nonce_hash BYTEA PRIMARY KEY,
    used_on TEXT NOT NULL
);
