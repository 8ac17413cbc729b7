-- A series put on a list gets its source due once per statement, not once
-- per row: an import writes thousands of entries in a few statements.
CREATE OR REPLACE FUNCTION episode_sources_track() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO episode_sources (media_item_id)
    SELECT DISTINCT i.id FROM media_items i JOIN added a ON a.media_item_id = i.id
    WHERE (i.kind = 'series' AND i.source = 'omdb') OR (i.kind = 'anime' AND i.source = 'jikan')
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$;

DROP TRIGGER list_entries_episode_sources ON list_entries;
CREATE TRIGGER list_entries_episode_sources AFTER INSERT ON list_entries
REFERENCING NEW TABLE AS added
FOR EACH STATEMENT EXECUTE FUNCTION episode_sources_track();
