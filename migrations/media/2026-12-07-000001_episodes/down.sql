DROP TRIGGER list_entries_episode_sources ON list_entries;
DROP FUNCTION episode_sources_track();
DROP TABLE calendar_feeds;
DROP TABLE pending_episode_watches;
DROP TABLE episode_watches;
ALTER TABLE list_entries DROP COLUMN current_run;
DROP TABLE episodes;
DROP TABLE episode_sources;
