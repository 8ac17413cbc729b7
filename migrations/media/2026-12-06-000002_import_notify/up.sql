-- Every change to an import job (its state, its counts, a row's outcome
-- recorded with them) is announced on the `import_jobs` channel with the
-- job's owner, so WatchImport streams on any replica wake and read it
-- instead of polling. Notifications are sent at commit and merged when
-- equal, so a batch's transaction announces once.
CREATE FUNCTION announce_import_job() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('import_jobs', NEW.user_id::text);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER import_jobs_announce
    AFTER INSERT OR UPDATE ON import_jobs
    FOR EACH ROW EXECUTE FUNCTION announce_import_job();
