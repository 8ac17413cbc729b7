//! Series and the calendar: marking a whole 100-episode show watched (or
//! unwatched) in one call; ListUpcoming for a user following 200 shows; the
//! same user's `.ics` feed through the gateway; and the background refresh
//! of 1,000 shows against the stand-in, which keeps TVmaze's limit (20
//! calls in any 10 s) and refuses what goes past it. Each round seeds its
//! own shows straight through SQL, already fetched, so only the refresh
//! case asks the stand-in anything.

use std::time::{Duration, Instant};

use completionist_proto::{
    auth::{self as auth_pb, auth_service_client::AuthServiceClient},
    media::{self as pb, media_service_client::MediaServiceClient},
};
use diesel::sql_types::Text;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
use test_support::authed;

use crate::{
    bulk::fresh_user,
    cases::{Ctx, code, measure},
    client::pick,
    load::Measured,
    report::Case,
    seed::flush_seed,
};

/// Shows the calendar's user follows.
pub(crate) const FOLLOWED: usize = 200;
/// Calendar apps reading the feed at once (a user may have 10 feeds).
const FEEDS: usize = 10;
/// Shows the refresh case refreshes.
pub(crate) const REFRESHED: usize = 1_000;

#[derive(diesel::QueryableByName)]
struct Id {
    #[diesel(sql_type = Text)]
    id: String,
}

/// A user's id, as auth-service says.
pub(crate) async fn user_id(ctx: &Ctx, token: &str) -> anyhow::Result<String> {
    let user = AuthServiceClient::new(ctx.auth[0].clone())
        .get_current_user(authed(token, auth_pb::GetCurrentUserRequest {}))
        .await?
        .into_inner()
        .user
        .unwrap_or_default();
    Ok(user.id)
}

/// Seeds `count` fetched shows tagged `tag` ("Bench show 1 {tag}"…), each with 100 weekly episodes
/// (90 aired), on the list of each user in `users`: answers each user's
/// entry of the first show.
pub(crate) async fn seed_shows(
    conn: &mut AsyncPgConnection,
    tag: &str,
    count: usize,
    status: &str,
    users: &[String],
) -> anyhow::Result<Vec<String>> {
    let users = users.join(",");
    conn.batch_execute(&format!(
        "CREATE TEMP TABLE shows ON COMMIT DROP AS
           SELECT gen_random_uuid() AS id, g FROM generate_series(1, {count}) g;
         INSERT INTO media_items (id, kind, source, external_id, title, year, total_units, provider_check)
           SELECT id, 'series', 'omdb', '{tag}' || g, 'Bench show ' || g || ' {tag}', 2020, 100, 'confirmed' FROM shows;
         INSERT INTO episode_sources (media_item_id, show_id, show_status, refreshed_at, refresh_due_at)
           SELECT id, g::text, '{status}', now(), now() + interval '1 day' FROM shows;
         INSERT INTO episodes (id, media_item_id, provider_id, season, number, special, title,
                               air_date, air_time, runtime_minutes)
           SELECT gen_random_uuid(), s.id, n::text, 1 + (n - 1) / 25, 1 + (n - 1) % 25, false,
                  'Episode ' || n, t::date, t, 45
           FROM shows s CROSS JOIN generate_series(1, 100) n,
                LATERAL (SELECT now() - interval '90 weeks' + n * interval '1 week'
                                + (s.g % 24) * interval '1 hour' AS t) at;
         INSERT INTO list_entries (id, user_id, media_item_id, status, progress)
           SELECT gen_random_uuid(), u, s.id, 'in_progress', 0
           FROM unnest('{{{users}}}'::uuid[]) u CROSS JOIN shows s;"
    ))
    .await?;
    let entries: Vec<Id> = diesel::sql_query(format!(
        "SELECT e.id::text AS id FROM list_entries e JOIN media_items i ON i.id = e.media_item_id
         JOIN unnest('{{{users}}}'::uuid[]) WITH ORDINALITY AS u(id, n) ON u.id = e.user_id
         WHERE i.external_id = '{tag}1' ORDER BY u.n"
    ))
    .load(conn)
    .await?;
    Ok(entries.into_iter().map(|e| e.id).collect())
}

/// Every case of the round.
pub(crate) async fn cases(ctx: &Ctx) -> anyhow::Result<Vec<Case>> {
    let mut conn = AsyncPgConnection::establish(&ctx.stack.media_db).await?;
    let tag = format!("bench{}x", uuid::Uuid::new_v4().simple());
    let mut cases = vec![marking(ctx, &mut conn, &tag).await?];
    cases.extend(calendar(ctx, &mut conn, &tag).await?);
    cases.extend(refresh(ctx, &mut conn).await?);
    Ok(cases)
}

/// A whole show's 100 episodes marked, or unmarked, in one call: each
/// user's calls alternate, so every call writes 100 watches or removes them.
async fn marking(ctx: &Ctx, conn: &mut AsyncPgConnection, tag: &str) -> anyhow::Result<Case> {
    let mut ids = Vec::new();
    let users = ctx.users.len();
    for n in 0..users {
        ids.push(user_id(ctx, &ctx.users[n].token).await?);
    }
    conn.batch_execute("BEGIN").await?;
    let entries = seed_shows(conn, &format!("{tag}m"), 1, "ended", &ids).await?;
    conn.batch_execute("COMMIT").await?;
    flush_seed(conn).await?;
    anyhow::ensure!(entries.len() == users, "an entry per user");
    let (media, tokens) = (ctx.media.clone(), ctx.users.clone());
    let call = move |i: u64| {
        let channel = media[pick(i)].clone();
        let n = usize::try_from(i).unwrap_or_default() % users;
        let (token, entry) = (tokens[n].token.clone(), entries[n].clone());
        let mark = (i / users as u64).is_multiple_of(2);
        async move {
            let mut client = MediaServiceClient::new(channel);
            let selection = Some(pb::EpisodeSelection {
                selection: Some(pb::episode_selection::Selection::UpTo(pb::EpisodeNumber {
                    season: 4,
                    number: 25,
                })),
            });
            let answer = if mark {
                let request = pb::MarkEpisodesWatchedRequest {
                    list_entry_id: entry,
                    selection,
                    watch_time: None,
                };
                client
                    .mark_episodes_watched(authed(&token, request))
                    .await
                    .map(drop)
            } else {
                let request = pb::UnmarkEpisodesWatchedRequest {
                    list_entry_id: entry,
                    selection,
                };
                client
                    .unmark_episodes_watched(authed(&token, request))
                    .await
                    .map(drop)
            };
            answer.map_err(code)
        }
    };
    Ok(measure(
        ctx,
        "Mark/UnmarkEpisodesWatched, 100 episodes",
        ctx.shape,
        call,
    )
    .await)
}

/// ListUpcoming and the `.ics` feed of a user following 200 shows.
async fn calendar(ctx: &Ctx, conn: &mut AsyncPgConnection, tag: &str) -> anyhow::Result<[Case; 2]> {
    let token = fresh_user(ctx).await?;
    let id = user_id(ctx, &token).await?;
    conn.batch_execute("BEGIN").await?;
    seed_shows(conn, &format!("{tag}c"), FOLLOWED, "running", &[id]).await?;
    conn.batch_execute("COMMIT").await?;
    flush_seed(conn).await?;
    let media = ctx.media.clone();
    let upcoming_token = token.clone();
    let upcoming = move |i: u64| {
        let channel = media[pick(i)].clone();
        let token = upcoming_token.clone();
        async move {
            let request = pb::ListUpcomingRequest {
                time_zone: "Europe/Berlin".into(),
                ..Default::default()
            };
            MediaServiceClient::new(channel)
                .list_upcoming(authed(&token, request))
                .await
                .map(drop)
                .map_err(code)
        }
    };
    let upcoming = measure(ctx, "ListUpcoming, 200 shows", ctx.shape, upcoming).await;
    // Calendar apps, each with a feed of its own (the gateway reads one
    // feed four times at once at most).
    let mut urls = Vec::new();
    for n in 0..FEEDS {
        let request = pb::CreateCalendarFeedRequest {
            name: format!("app {n}"),
        };
        let path = MediaServiceClient::new(ctx.media[0].clone())
            .create_calendar_feed(authed(&token, request))
            .await?
            .into_inner()
            .path;
        urls.push(format!("{}{path}", ctx.stack.gateway.url()));
    }
    let client = reqwest::Client::new();
    let feed = move |i: u64| {
        let request = client.get(&urls[usize::try_from(i).unwrap_or_default() % FEEDS]);
        async move {
            let response = request.send().await.map_err(|e| e.to_string())?;
            if !response.status().is_success() {
                return Err(response.status().to_string());
            }
            response.bytes().await.map(drop).map_err(|e| e.to_string())
        }
    };
    let apps = crate::load::Shape {
        concurrency: FEEDS,
        ..ctx.shape
    };
    let feed = measure(ctx, ".ics feed via gateway, 200 shows", apps, feed).await;
    Ok([upcoming, feed])
}

/// The background refresh of 1,000 shows due at once, watched for a while:
/// shows refreshed per second, the busiest 10 s of calls the stand-in took
/// (TVmaze allows 20), and the calls it refused (429).
async fn refresh(ctx: &Ctx, conn: &mut AsyncPgConnection) -> anyhow::Result<[Case; 2]> {
    eprintln!("measuring the episode refresh of {REFRESHED} shows...");
    let token = fresh_user(ctx).await?;
    let id = user_id(ctx, &token).await?;
    let first =
        1_000_000 + ROUND.fetch_add(1, std::sync::atomic::Ordering::Relaxed) * REFRESHED as u64;
    let started = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs_f64();
    // Not yet fetched: their entries make them due at once (a trigger).
    conn.batch_execute(&format!(
        "WITH items AS (
           INSERT INTO media_items (id, kind, source, external_id, title, provider_check)
           SELECT gen_random_uuid(), 'series', 'omdb', 'tt' || ({first} + g), 'Refreshed ' || g, 'confirmed'
           FROM generate_series(1, {REFRESHED}) g RETURNING id)
         INSERT INTO list_entries (id, user_id, media_item_id, status, progress)
           SELECT gen_random_uuid(), '{id}', id, 'in_progress', 0 FROM items;"
    ))
    .await?;
    let clock = Instant::now();
    let window = (ctx.shape.duration * 3).max(Duration::from_secs(12));
    tokio::time::sleep(window).await;
    let elapsed = clock.elapsed().as_secs_f64();
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        count: i64,
    }
    let done: Vec<Count> = diesel::sql_query(format!(
        "SELECT count(*) AS count FROM episode_sources s JOIN list_entries e
           ON e.media_item_id = s.media_item_id
         WHERE e.user_id = '{id}' AND s.refreshed_at IS NOT NULL"
    ))
    .load(conn)
    .await?;
    // The rest wait a day: later cases run without refreshes beside them.
    conn.batch_execute("UPDATE episode_sources SET refresh_due_at = now() + interval '1 day'")
        .await?;
    let stats = ctx.stack.stand_in.tvmaze_stats().await?;
    let calls: Vec<f64> = stats.calls.into_iter().filter(|t| *t >= started).collect();
    let busiest = calls
        .iter()
        .map(|t| calls.iter().filter(|u| **u >= *t && **u < t + 10.0).count())
        .max()
        .unwrap_or(0);
    let shows = done.iter().map(|c| c.count).sum::<i64>();
    Ok(refresh_cases(
        ctx,
        shows as f64 / elapsed,
        busiest,
        stats.refused,
    ))
}

/// The refresh's figures as cases: shows per second, and the busiest 10 s
/// of calls, each with the calls refused.
fn refresh_cases(ctx: &Ctx, shows_per_second: f64, busiest: usize, refused: u64) -> [Case; 2] {
    let one = |rps: f64, refused: u64| Measured {
        rps,
        calls: 1,
        errors: if refused > 0 {
            [("429".to_owned(), refused)].into()
        } else {
            Default::default()
        },
        ..Measured::default()
    };
    let media = ctx.stack.processes()[1];
    let memory = [(media.name.to_owned(), media.peak_memory_mib())];
    [
        Case {
            name: "episode refresh: shows per second",
            measured: one(shows_per_second, refused),
            peak_memory_mib: memory.clone().into(),
            rounds: Vec::new(),
        },
        Case {
            name: "episode refresh: TVmaze calls in the busiest 10 s",
            measured: one(busiest as f64, refused),
            peak_memory_mib: memory.into(),
            rounds: Vec::new(),
        },
    ]
}

/// Rounds so far: each refreshes shows of its own.
static ROUND: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
