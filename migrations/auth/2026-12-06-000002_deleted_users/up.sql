-- Deleted accounts, kept so that a service which missed the live event
-- (media-service, removing a deleted account's list, while its revocation
-- feed was down) catches up: TokenService.ListDeletedUsers pages through
-- them by `sequence`. One small row per deleted account, kept for good.
CREATE TABLE deleted_users (
    sequence bigserial PRIMARY KEY,
    user_id uuid NOT NULL UNIQUE,
    deleted_at timestamptz NOT NULL DEFAULT now()
);

-- A deletion is also a revocation of every token of the account, of its
-- own kind so that the feed can tell services the account is gone.
ALTER TABLE revocations
    DROP CONSTRAINT revocations_kind_check,
    ADD CONSTRAINT revocations_kind_check
        CHECK (kind IN ('token', 'family', 'user', 'all', 'deleted')),
    DROP CONSTRAINT revocations_check1,
    ADD CONSTRAINT revocations_check1
        CHECK ((kind IN ('user', 'all', 'deleted')) = (issued_before IS NOT NULL));
