-- An account made or reset by someone else must set its own password, personal key and TOTP secret
-- at first sign-in; until then it receives no unit grants and no identities.
ALTER TABLE accounts ADD COLUMN pending_setup INTEGER NOT NULL DEFAULT 1;
