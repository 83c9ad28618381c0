-- Retention: when a case's time is up its sealed material is destroyed and the row stays as a
-- tombstone with the metadata the annual figures need. The identity may go sooner.
ALTER TABLE cases ADD COLUMN purged_on TEXT;
ALTER TABLE cases ADD COLUMN identity_purged_on TEXT;
