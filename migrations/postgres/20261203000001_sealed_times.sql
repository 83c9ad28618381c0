-- Staff sign-in times to the second could bracket an anonymous submission's audit position; they
-- are sealed with a server secret from now on. Sessions from before are ended (officers sign in
-- again); the last TOTP step is forgotten (a code of the current 30 seconds could be used once
-- more right after the upgrade).
DELETE FROM sessions;
ALTER TABLE sessions ADD COLUMN sealed_times BYTEA;
ALTER TABLE sessions ADD COLUMN expires_on TEXT;
ALTER TABLE accounts ADD COLUMN sealed_totp_step BYTEA;
UPDATE accounts SET totp_last_step = 0;
