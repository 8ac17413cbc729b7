-- The catalog: one row per thing, shared by every user. Provider items are
-- imported once: (source, kind, external_id) is unique. Jikan needs the kind
-- in the key (anime 1 and manga 1 are different works).
CREATE TABLE media_items (
    id uuid PRIMARY KEY,
    kind text NOT NULL CHECK (kind IN ('movie', 'series', 'anime', 'manga', 'game', 'book')),
    source text NOT NULL CHECK (source IN ('omdb', 'jikan', 'open_library', 'rawg', 'custom')),
    -- NULL for custom items.
    external_id text,
    title text NOT NULL,
    year integer,
    image_url text NOT NULL DEFAULT '',
    summary text NOT NULL DEFAULT '',
    total_units integer CHECK (total_units > 0),
    -- Who made a custom item.
    created_by uuid,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT media_items_source_kind_external_id_key UNIQUE (source, kind, external_id),
    CHECK ((source = 'custom') = (external_id IS NULL))
);

-- ListMediaItems pages through (created_at, id), optionally by kind.
CREATE INDEX media_items_created_at_id_idx ON media_items (created_at, id);
CREATE INDEX media_items_kind_created_at_id_idx ON media_items (kind, created_at, id);

-- A user's record of one catalog item; one per user and item.
CREATE TABLE list_entries (
    id uuid PRIMARY KEY,
    user_id uuid NOT NULL,
    media_item_id uuid NOT NULL REFERENCES media_items (id),
    status text NOT NULL CHECK (status IN ('planned', 'in_progress', 'completed', 'on_hold', 'dropped')),
    rating smallint CHECK (rating BETWEEN 1 AND 10),
    progress integer NOT NULL DEFAULT 0 CHECK (progress >= 0),
    notes text NOT NULL DEFAULT '',
    start_date date,
    finish_date date,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT list_entries_user_id_media_item_id_key UNIQUE (user_id, media_item_id)
);

-- ListListEntries orders by recency (and filters by status); stats group
-- by status per user.
CREATE INDEX list_entries_user_id_updated_at_id_idx ON list_entries (user_id, updated_at DESC, id DESC);
CREATE INDEX list_entries_user_id_status_idx ON list_entries (user_id, status);
CREATE INDEX list_entries_user_id_rating_idx ON list_entries (user_id, rating DESC NULLS LAST, id);
CREATE INDEX list_entries_media_item_id_idx ON list_entries (media_item_id);
