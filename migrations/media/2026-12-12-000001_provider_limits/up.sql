-- The providers' rate limits, shared by every replica: for each limit, the
-- time its next request would be due at the steady rate (GCRA's
-- "theoretical arrival time"). A request reserves its slot by moving it on.
CREATE TABLE provider_limits (
    name text PRIMARY KEY,
    next_at timestamptz NOT NULL
);
