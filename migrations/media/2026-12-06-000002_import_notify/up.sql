-- Every change to an import job a watcher can see (its state, its counts,
-- which move as rows' outcomes are recorded, its failure) is announced on
-- the `import_jobs` channel with the job's owner, so WatchImport streams
-- on any replica wake and read it instead of polling; lease claims and
-- renewals are not. Notifications are sent at commit and merged when
-- equal, so a batch's transaction announces once.
CREATE FUNCTION announce_import_job() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('import_jobs', NEW.user_id::text);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER import_jobs_announce
    AFTER INSERT OR UPDATE OF state, created_count, updated_count, unchanged_count,
        skipped_count, failed_count, failure ON import_jobs
    FOR EACH ROW EXECUTE FUNCTION announce_import_job();
