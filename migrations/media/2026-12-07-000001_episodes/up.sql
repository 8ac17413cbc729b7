-- Series by season and episode, each user's watches of them, and calendar
-- feeds.

-- Where a series' episodes come from (TVmaze for OMDb series, Jikan for
-- anime) and when they are fetched again. Any replica refreshes a show
-- whose turn has come: it claims the row (SKIP LOCKED) with a lease
-- (`fetching_until`), so no two replicas fetch one show at once; a person
-- opening a series never fetched claims it the same way.
CREATE TABLE episode_sources (
    media_item_id uuid PRIMARY KEY REFERENCES media_items (id) ON DELETE CASCADE,
    -- The provider's show id, once looked up; NULL before, or when the
    -- provider has no such show (`show_status` 'not_found').
    show_id text,
    show_status text NOT NULL DEFAULT 'unknown'
        CHECK (show_status IN ('unknown', 'running', 'ended', 'not_found')),
    refreshed_at timestamptz,
    refresh_due_at timestamptz NOT NULL DEFAULT now(),
    -- Set while a replica fetches it; past, the replica is presumed gone.
    fetching_until timestamptz,
    -- Failed refreshes in a row: each waits longer before the next.
    failures integer NOT NULL DEFAULT 0,
    last_failure text NOT NULL DEFAULT ''
);

CREATE INDEX episode_sources_refresh_due_at_idx ON episode_sources (refresh_due_at);

-- A show's episodes, as the provider last listed them. An episode the
-- provider no longer lists is kept, flagged `missing_upstream`, with its
-- watches: never deleted.
CREATE TABLE episodes (
    id uuid PRIMARY KEY,
    media_item_id uuid NOT NULL REFERENCES media_items (id) ON DELETE CASCADE,
    -- The provider's id of the episode: the same episode keeps its row
    -- (and its calendar UID) across refreshes, even when renumbered.
    provider_id text NOT NULL,
    season integer NOT NULL,
    -- NULL for specials without a number.
    number integer,
    special boolean NOT NULL,
    title text NOT NULL,
    -- The day it airs where it is broadcast; NULL is "to be announced".
    air_date date,
    -- When it airs, in UTC; NULL when only the day is known.
    air_time timestamptz,
    runtime_minutes integer,
    -- air_time, or the start of air_date (UTC) when only the day is known:
    -- what the calendar looks episodes up by.
    airs_at timestamptz GENERATED ALWAYS AS
        (coalesce(air_time, air_date::timestamp AT TIME ZONE 'UTC')) STORED,
    missing_upstream boolean NOT NULL DEFAULT false,
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (media_item_id, provider_id)
);

CREATE INDEX episodes_media_item_id_season_number_idx ON episodes (media_item_id, season, number);
CREATE INDEX episodes_airs_at_idx ON episodes (media_item_id, airs_at);

-- An entry's runs are numbered; rewatching a completed entry begins the
-- next one. Watches belong to the run they were made in.
ALTER TABLE list_entries ADD COLUMN current_run integer NOT NULL DEFAULT 1;

-- One row per watch of an episode.
CREATE TABLE episode_watches (
    id uuid PRIMARY KEY,
    user_id uuid NOT NULL,
    list_entry_id uuid NOT NULL REFERENCES list_entries (id) ON DELETE CASCADE,
    episode_id uuid NOT NULL REFERENCES episodes (id) ON DELETE CASCADE,
    run integer NOT NULL,
    watched_at timestamptz NOT NULL,
    -- An episode is watched once per run.
    UNIQUE (list_entry_id, run, episode_id)
);

CREATE INDEX episode_watches_episode_id_idx ON episode_watches (episode_id);
CREATE INDEX episode_watches_history_idx ON episode_watches (user_id, watched_at DESC, id DESC);

CREATE TRIGGER episode_watches_refuse_removed BEFORE INSERT ON episode_watches
FOR EACH ROW EXECUTE FUNCTION refuse_removed_user('user_id');

-- Episode watches an import brought (by season and number), until the
-- show's episodes are fetched: then they become watches, and those that
-- match no episode are dropped.
CREATE TABLE pending_episode_watches (
    list_entry_id uuid NOT NULL REFERENCES list_entries (id) ON DELETE CASCADE,
    user_id uuid NOT NULL,
    season integer NOT NULL,
    number integer NOT NULL,
    watched_at timestamptz NOT NULL,
    PRIMARY KEY (list_entry_id, season, number, watched_at)
);

CREATE TRIGGER pending_episode_watches_refuse_removed BEFORE INSERT ON pending_episode_watches
FOR EACH ROW EXECUTE FUNCTION refuse_removed_user('user_id');

-- A calendar feed: read-only access to one user's calendar by a token in
-- its URL. Only the token's SHA-256 is kept.
CREATE TABLE calendar_feeds (
    id uuid PRIMARY KEY,
    user_id uuid NOT NULL,
    name text NOT NULL,
    token_hash bytea NOT NULL UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now(),
    last_read_at timestamptz
);

CREATE INDEX calendar_feeds_user_id_idx ON calendar_feeds (user_id, created_at);

CREATE TRIGGER calendar_feeds_refuse_removed BEFORE INSERT ON calendar_feeds
FOR EACH ROW EXECUTE FUNCTION refuse_removed_user('user_id');

-- A series put on a list (by any writer: AddListEntry, an import) gets its
-- episodes fetched: its source is due at once.
CREATE FUNCTION episode_sources_track() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO episode_sources (media_item_id)
    SELECT i.id FROM media_items i
    WHERE i.id = NEW.media_item_id
      AND ((i.kind = 'series' AND i.source = 'omdb') OR (i.kind = 'anime' AND i.source = 'jikan'))
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$;

CREATE TRIGGER list_entries_episode_sources AFTER INSERT ON list_entries
FOR EACH ROW EXECUTE FUNCTION episode_sources_track();

-- The series already on someone's list get their episodes at once.
INSERT INTO episode_sources (media_item_id)
SELECT DISTINCT i.id FROM media_items i JOIN list_entries e ON e.media_item_id = i.id
WHERE (i.kind = 'series' AND i.source = 'omdb') OR (i.kind = 'anime' AND i.source = 'jikan');
