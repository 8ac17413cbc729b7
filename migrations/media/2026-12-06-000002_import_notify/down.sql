DROP TRIGGER import_jobs_announce ON import_jobs;
DROP FUNCTION announce_import_job();
