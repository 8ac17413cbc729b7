DROP TRIGGER media_items_refuse_removed ON media_items;
DROP TRIGGER import_jobs_refuse_removed ON import_jobs;
DROP TRIGGER list_entries_refuse_removed ON list_entries;
DROP FUNCTION refuse_removed_user();
DROP TABLE removed_users;
