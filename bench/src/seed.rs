//! The seed: users, catalog items and entries written straight to the
//! databases (registering a thousand users through argon2 would take the
//! whole run).

use diesel::{QueryableByName, sql_types::Text};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};

use crate::stack::PASSWORD;

/// Seed sizes.
#[derive(Clone, Copy, Debug, serde::Serialize)]
pub(crate) struct Seed {
    pub users: u32,
    pub items: u32,
    pub entries_per_user: u32,
}

impl Seed {
    pub(crate) fn new(users: u32, items: u32, entries_per_user: u32) -> Self {
        Self {
            users,
            items,
            entries_per_user,
        }
    }
}

#[derive(QueryableByName)]
struct Id {
    #[diesel(sql_type = Text)]
    id: String,
}

/// Users (one argon2 hash shared by all), catalog items, and each user's
/// entries over distinct items, written with set-based SQL.
pub(crate) async fn seed_data(auth_db: &str, media_db: &str, seed: Seed) -> anyhow::Result<()> {
    let hash = {
        use argon2::password_hash::PasswordHasher;
        let params =
            argon2::Params::new(19 * 1024, 2, 1, None).map_err(|e| anyhow::anyhow!("{e}"))?;
        argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
            .hash_password(PASSWORD.as_bytes())
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .to_string()
    };
    let mut auth = AsyncPgConnection::establish(auth_db).await?;
    auth.batch_execute(&format!(
        "INSERT INTO users (id, email, display_name, password_hash, role, created_at)
         SELECT gen_random_uuid(), 'bench' || g || '@example.com', 'Bench ' || g, '{hash}', 'user',
                now() - (g || ' seconds')::interval
         FROM generate_series(1, {}) g",
        seed.users
    ))
    .await?;
    let ids: Vec<Id> = diesel::sql_query("SELECT id::text AS id FROM users ORDER BY email")
        .load(&mut auth)
        .await?;
    let ids = ids
        .iter()
        .map(|i| i.id.as_str())
        .collect::<Vec<_>>()
        .join(",");

    let mut media = AsyncPgConnection::establish(media_db).await?;
    media
        .batch_execute(&format!(
            "INSERT INTO media_items (id, kind, source, external_id, title, year, total_units, created_at)
             SELECT gen_random_uuid(),
                    (ARRAY['movie','series','anime','manga','game','book'])[1 + g % 6],
                    'custom', NULL, 'Bench item ' || g, 1950 + g % 75, 1 + g % 500,
                    now() - (g || ' seconds')::interval
             FROM generate_series(1, {items}) g;
             CREATE TEMP TABLE numbered AS
               SELECT id, (row_number() OVER (ORDER BY created_at, id) - 1)::int AS n FROM media_items;
             INSERT INTO list_entries (id, user_id, media_item_id, status, rating, progress, updated_at)
             SELECT gen_random_uuid(), u.id, i.id,
                    (ARRAY['planned','in_progress','completed','on_hold','dropped'])[1 + (u.n + k) % 5],
                    CASE WHEN k % 4 = 0 THEN NULL ELSE 1 + (u.n * 7 + k) % 10 END,
                    0, now() - (k || ' minutes')::interval
             FROM unnest('{{{ids}}}'::uuid[]) WITH ORDINALITY AS u(id, n)
             CROSS JOIN generate_series(0, {per_user} - 1) k
             JOIN numbered i ON i.n = ((u.n - 1) * {per_user} + k) % {items}",
            items = seed.items,
            per_user = seed.entries_per_user,
        ))
        .await?;
    flush_seed(&mut auth).await?;
    flush_seed(&mut media).await
}

/// After a seed's write burst, before measuring: vacuums (so autovacuum is
/// unlikely to start mid-case) and checkpoints (so a checkpoint is too).
pub(crate) async fn flush_seed(conn: &mut AsyncPgConnection) -> anyhow::Result<()> {
    // One statement each: VACUUM may not share an implicit transaction.
    conn.batch_execute("VACUUM ANALYZE").await?;
    conn.batch_execute("CHECKPOINT").await?;
    Ok(())
}
