-- Each new audit entry moves the head's hash to its own in the same statement, one round trip
-- fewer for every write (src/storage/audit.rs appends the entry after taking the head row).
CREATE FUNCTION audit_log_moves_head() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE audit_head SET last_hash = NEW.entry_hash WHERE id = 1;
    RETURN NEW;
END
$$;
CREATE TRIGGER audit_log_moves_head AFTER INSERT ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_moves_head();
