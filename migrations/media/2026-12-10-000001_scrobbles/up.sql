-- Scrobbling: the tokens media servers post with, every event they posted
-- and what became of it, and the server shows people pinned to theirs.

CREATE TABLE scrobble_tokens (
    id uuid PRIMARY KEY,
    user_id uuid NOT NULL,
    name text NOT NULL,
    -- SHA-256 of the secret, which is shown once and never kept.
    token_hash bytea NOT NULL UNIQUE,
    -- Only this media-server user's plays are recorded; everyone's when NULL.
    server_user text,
    created_at timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz
);

CREATE INDEX scrobble_tokens_user_id_idx ON scrobble_tokens (user_id, created_at, id);

CREATE TRIGGER scrobble_tokens_refuse_removed BEFORE INSERT ON scrobble_tokens
    FOR EACH ROW EXECUTE FUNCTION refuse_removed_user('user_id');

-- Each user's webhook rates, counted here so that every replica counts the
-- same, whichever of the user's tokens a delivery came with: deliveries
-- since the current minute began, and provider lookups (items not yet in
-- the catalog) since the current hour began.
CREATE TABLE scrobble_rates (
    user_id uuid PRIMARY KEY,
    minute_started_at timestamptz NOT NULL,
    deliveries integer NOT NULL,
    hour_started_at timestamptz NOT NULL,
    lookups integer NOT NULL
);

CREATE TABLE scrobble_events (
    id uuid PRIMARY KEY,
    user_id uuid NOT NULL,
    token_id uuid REFERENCES scrobble_tokens (id) ON DELETE SET NULL,
    server text NOT NULL CHECK (server IN ('plex', 'jellyfin', 'emby', 'kodi')),
    server_user text NOT NULL,
    event text NOT NULL,
    kind text NOT NULL CHECK (kind IN ('movie', 'episode', 'other')),
    title text NOT NULL,
    series_title text NOT NULL,
    year integer,
    season integer,
    episode integer,
    last_episode integer,
    -- The ids the server gave, as `PlayedIds` for the item and its series.
    ids jsonb NOT NULL,
    item_key text NOT NULL,
    -- When the server says it happened; when it was received otherwise.
    watched_at timestamptz NOT NULL,
    -- Digest of the delivery's body: a retried delivery is the same.
    delivery_digest bytea NOT NULL,
    outcome text NOT NULL CHECK (outcome IN ('watched', 'duplicate', 'ignored', 'unmatched')),
    reason text NOT NULL,
    list_entry_id uuid REFERENCES list_entries (id) ON DELETE SET NULL,
    media_item_id uuid,
    received_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX scrobble_events_token_id_idx ON scrobble_events (token_id);
CREATE TRIGGER scrobble_events_refuse_removed BEFORE INSERT ON scrobble_events
    FOR EACH ROW EXECUTE FUNCTION refuse_removed_user('user_id');

-- A retried delivery is recorded once (the key holds the hour it came in
-- when the server gives no time of its own).
CREATE UNIQUE INDEX scrobble_events_delivery_key
    ON scrobble_events (user_id, server, delivery_digest);
-- Newest first, a page at a time.
CREATE INDEX scrobble_events_user_id_idx ON scrobble_events (user_id, received_at DESC, id DESC);
-- Retention removes the oldest first.
CREATE INDEX scrobble_events_received_at_idx ON scrobble_events (received_at);
-- The same play again within the window (the watched events of an entry),
-- and an entry's removal setting its events' entry to NULL.
CREATE INDEX scrobble_events_list_entry_id_idx ON scrobble_events (list_entry_id, received_at);

CREATE TABLE scrobble_pins (
    id uuid PRIMARY KEY,
    user_id uuid NOT NULL,
    server text NOT NULL,
    -- The server's series, by its title in lower case.
    show_key text NOT NULL,
    -- The server's season this pin is for; NULL: every season, numbered
    -- as the server numbers them.
    server_season integer,
    list_entry_id uuid NOT NULL REFERENCES list_entries (id) ON DELETE CASCADE,
    -- Where the season's episodes are here: this season, their numbers
    -- plus the offset.
    season integer NOT NULL,
    episode_offset integer NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE UNIQUE INDEX scrobble_pins_show_key
    ON scrobble_pins (user_id, server, show_key, coalesce(server_season, -1));
CREATE INDEX scrobble_pins_list_entry_id_idx ON scrobble_pins (list_entry_id);
CREATE TRIGGER scrobble_pins_refuse_removed BEFORE INSERT ON scrobble_pins
    FOR EACH ROW EXECUTE FUNCTION refuse_removed_user('user_id');
