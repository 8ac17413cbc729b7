-- Accounts. Emails are stored trimmed and lower-cased.
CREATE TABLE users (
    id uuid PRIMARY KEY,
    email text NOT NULL CONSTRAINT users_email_key UNIQUE,
    display_name text NOT NULL,
    password_hash text NOT NULL,
    role text NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'admin')),
    disabled boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- ListUsers pages through (created_at, id).
CREATE INDEX users_created_at_id_idx ON users (created_at, id);

-- Refresh tokens, stored only as SHA-256 hashes. Each login starts a family
-- (a session); Refresh supersedes a token with the next of its family.
CREATE TABLE refresh_tokens (
    id uuid PRIMARY KEY,
    family_id uuid NOT NULL,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash bytea NOT NULL CONSTRAINT refresh_tokens_token_hash_key UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    superseded_at timestamptz,
    revoked_at timestamptz
);

CREATE INDEX refresh_tokens_family_id_idx ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user_id_idx ON refresh_tokens (user_id);
CREATE INDEX refresh_tokens_expires_at_idx ON refresh_tokens (expires_at);

-- Revoked access tokens: one token (by jti), one session (by family), every
-- token of a user issued before a time, or every token issued before a time.
-- Each replica keeps these in memory; inserts are announced on the
-- `auth_revocations` channel so every replica applies them at once.
CREATE TABLE revocations (
    id bigserial PRIMARY KEY,
    kind text NOT NULL CHECK (kind IN ('token', 'family', 'user', 'all')),
    -- The jti, family id or user id; NULL for 'all'.
    subject uuid,
    -- For 'user' and 'all': tokens issued before this are refused.
    issued_before timestamptz,
    -- After this, every token the record covers has expired anyway.
    expires_at timestamptz NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    CHECK ((kind = 'all') = (subject IS NULL)),
    CHECK ((kind IN ('user', 'all')) = (issued_before IS NOT NULL))
);

CREATE INDEX revocations_expires_at_idx ON revocations (expires_at);

CREATE FUNCTION notify_revocation() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('auth_revocations', NEW.id::text);
    RETURN NEW;
END;
$$;

CREATE TRIGGER revocations_notify
AFTER INSERT ON revocations
FOR EACH ROW EXECUTE FUNCTION notify_revocation();

-- Consecutive failed logins per email (known or not, so throttling does not
-- reveal which accounts exist).
CREATE TABLE login_failures (
    email text PRIMARY KEY,
    failures integer NOT NULL,
    locked_until timestamptz,
    updated_at timestamptz NOT NULL DEFAULT now()
);
