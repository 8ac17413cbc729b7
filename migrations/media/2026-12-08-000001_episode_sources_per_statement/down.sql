CREATE OR REPLACE FUNCTION episode_sources_track() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO episode_sources (media_item_id)
    SELECT i.id FROM media_items i
    WHERE i.id = NEW.media_item_id
      AND ((i.kind = 'series' AND i.source = 'omdb') OR (i.kind = 'anime' AND i.source = 'jikan'))
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$;

DROP TRIGGER list_entries_episode_sources ON list_entries;
CREATE TRIGGER list_entries_episode_sources AFTER INSERT ON list_entries
FOR EACH ROW EXECUTE FUNCTION episode_sources_track();
