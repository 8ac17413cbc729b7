//! The cases, one function each, and a round that runs the wanted ones in
//! order. Each case measures one kind of call against the running stack
//! (see `bench/README.md` for what each one shows).

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use completionist_proto::{
    auth::{
        self as auth_pb, auth_service_client::AuthServiceClient,
        token_service_client::TokenServiceClient,
    },
    media::{self as pb, media_service_client::MediaServiceClient},
};
use test_support::authed;
use tonic::transport::Channel;

use crate::{
    client::{CONNECTIONS, Users, frame, grpc_web_call, mask, pick},
    load::{self, CallResult, Shape},
    report::Case,
    seed::Seed,
    stack::{self, Stack},
};

/// What every round measures with.
pub(crate) struct Ctx {
    pub(crate) stack: Stack,
    pub(crate) auth: Vec<Channel>,
    pub(crate) media: Vec<Channel>,
    /// To the bare tonic server.
    pub(crate) bare: Vec<Channel>,
    pub(crate) users: Arc<Users>,
    pub(crate) shape: Shape,
    pub(crate) seed: Seed,
    pub(crate) cores: usize,
    /// WatchListEntries streams open through a round with the fan-out.
    pub(crate) fanout_streams: usize,
}

/// One round: each wanted case once, in order; with argon2's ceiling when
/// Login was measured.
pub(crate) async fn round(
    ctx: &Ctx,
    wanted: &dyn Fn(&str) -> bool,
) -> anyhow::Result<(Vec<Case>, Option<f64>)> {
    // Open first, so every other case runs with the streams open.
    let fanout = if wanted("fanout") {
        Some(crate::fanout::Fanout::open(ctx, ctx.fanout_streams).await?)
    } else {
        None
    };
    let mut cases = vec![floor(ctx).await, crate::layers::bare_floor(ctx).await];
    if wanted("validate") {
        cases.push(measure(ctx, "ValidateToken", ctx.shape, validate_call(ctx)).await);
    }
    if wanted("current") {
        let call = crate::saturation::current_user(ctx);
        cases.push(measure(ctx, "GetCurrentUser", ctx.shape, call).await);
    }
    if wanted("get") {
        cases.push(get_list_entry(ctx).await);
    }
    if wanted("list") {
        cases.push(list_list_entries(ctx).await);
    }
    if wanted("update") {
        cases.push(update_list_entry(ctx).await);
    }
    if wanted("gateway") {
        cases.push(gateway(ctx).await?);
    }
    let mut argon2_rps = None;
    if wanted("login") {
        // Measured right before the logins it bounds: this machine's memory
        // bandwidth (shared with its neighbours) moves it from minute to
        // minute.
        eprintln!("measuring argon2id on {} cores...", ctx.cores);
        let window = ctx.shape.duration.min(Duration::from_secs(5));
        argon2_rps = Some(argon2_capacity(ctx.cores, window));
        cases.push(measure(ctx, "Login", wide(ctx.shape), login_call(ctx)).await);
    }
    if wanted("flood") {
        cases.push(validate_in_a_login_flood(ctx).await);
    }
    if let Some(fanout) = &fanout {
        cases.push(fanout.measure(ctx, ctx.shape.duration).await);
    }
    if wanted("series") {
        cases.extend(crate::series::cases(ctx).await?);
    }
    if wanted("scrobbles") {
        cases.push(crate::scrobbles::scrobbles(ctx).await?);
    }
    if wanted("bulk") {
        cases.extend(crate::bulk::import_then_export(ctx).await?);
        cases.extend(crate::uploads::large_uploads(ctx).await?);
    }
    drop(fanout);
    Ok((cases, argon2_rps))
}

/// The floor's name in the report.
pub(crate) const FLOOR: &str = "health check (auth-service)";

/// The floor: a health check, a call that does nothing.
async fn floor(ctx: &Ctx) -> Case {
    measure(ctx, FLOOR, ctx.shape, health_check(ctx.auth.clone())).await
}

/// A health check over one of `channels`: call `i` over the `i`th.
pub(crate) fn health_check(
    channels: Vec<Channel>,
) -> impl Fn(u64) -> Call + Clone + Send + Sync + 'static {
    move |i| {
        let channel = channels[pick(i)].clone();
        Box::pin(async move {
            tonic_health::pb::health_client::HealthClient::new(channel)
                .check(tonic_health::pb::HealthCheckRequest::default())
                .await
                .map(drop)
                .map_err(code)
        })
    }
}

pub(crate) fn validate_call(ctx: &Ctx) -> impl Fn(u64) -> Call + Clone + Send + Sync + 'static {
    let (auth, users) = (ctx.auth.clone(), ctx.users.clone());
    move |i| {
        let channel = auth[pick(i)].clone();
        let access_token = users[pick(i) % users.len()].token.clone();
        Box::pin(async move {
            TokenServiceClient::new(channel)
                .validate_token(auth_pb::ValidateTokenRequest { access_token })
                .await
                .map(drop)
                .map_err(code)
        })
    }
}

/// GetListEntry, straight to media-service.
async fn get_list_entry(ctx: &Ctx) -> Case {
    let call = crate::saturation::get_list_entry(ctx);
    let call = move |i| crate::saturation::coded(call(i));
    measure(ctx, "GetListEntry", ctx.shape, call).await
}

/// ListListEntries, a page of 50.
async fn list_list_entries(ctx: &Ctx) -> Case {
    let (media, users) = (ctx.media.clone(), ctx.users.clone());
    let call = move |i| {
        let channel = media[pick(i)].clone();
        let token = users.user(i).token.clone();
        let request = pb::ListListEntriesRequest {
            page_size: 50,
            ..Default::default()
        };
        async move {
            MediaServiceClient::new(channel)
                .list_list_entries(authed(&token, request))
                .await
                .map(drop)
                .map_err(code)
        }
    };
    measure(ctx, "ListListEntries (50)", ctx.shape, call).await
}

/// UpdateListEntry: a write in a transaction, under a row lock.
async fn update_list_entry(ctx: &Ctx) -> Case {
    let (media, users) = (ctx.media.clone(), ctx.users.clone());
    let call = move |i| {
        let channel = media[pick(i)].clone();
        let (token, id) = users.entry(i);
        let request = pb::UpdateListEntryRequest {
            list_entry: Some(pb::ListEntry {
                id,
                rating: Some(i32::try_from(1 + i % 10).unwrap_or(1)),
                ..Default::default()
            }),
            update_mask: Some(mask(&["rating"])),
            progress_increment: 0,
        };
        async move {
            MediaServiceClient::new(channel)
                .update_list_entry(authed(&token, request))
                .await
                .map(drop)
                .map_err(code)
        }
    };
    measure(ctx, "UpdateListEntry", ctx.shape, call).await
}

/// GetListEntry through the gateway, as gRPC-Web over HTTP/1.1.
async fn gateway(ctx: &Ctx) -> anyhow::Result<Case> {
    let name = "GetListEntry via gateway (gRPC-Web, HTTP/1.1)";
    Ok(measure(ctx, name, wide(ctx.shape), gateway_call(ctx)?).await)
}

/// GetListEntry as a browser sends it: gRPC-Web over HTTP/1.1 to the
/// gateway.
pub(crate) fn gateway_call(
    ctx: &Ctx,
) -> anyhow::Result<impl Fn(u64) -> Call + Clone + Send + Sync + 'static> {
    let web = reqwest::Client::builder()
        .http1_only()
        .pool_max_idle_per_host(CONNECTIONS)
        .build()?;
    let url = format!(
        "{}/completionist.media.v1.MediaService/GetListEntry",
        ctx.stack.gateway.url()
    );
    let users = ctx.users.clone();
    Ok(move |i| -> Call {
        let (token, id) = users.entry(i);
        let request = web
            .post(&url)
            .header("content-type", "application/grpc-web+proto")
            .header("x-grpc-web", "1")
            .header("authorization", format!("Bearer {token}"))
            .body(frame(&pb::GetListEntryRequest { id }));
        Box::pin(async move { grpc_web_call(request).await })
    })
}

fn login_call(ctx: &Ctx) -> impl Fn(u64) -> Call + Clone + Send + Sync + 'static {
    let auth = ctx.auth.clone();
    let users = u64::from(ctx.seed.users);
    move |i| {
        let channel = auth[pick(i)].clone();
        let email = format!("bench{}@example.com", 1 + i % users);
        Box::pin(async move {
            AuthServiceClient::new(channel)
                .login(auth_pb::LoginRequest {
                    email,
                    password: stack::PASSWORD.into(),
                })
                .await
                .map(drop)
                .map_err(code)
        })
    }
}

/// ValidateToken while logins flood the same service.
async fn validate_in_a_login_flood(ctx: &Ctx) -> Case {
    let flood_for = ctx.shape.warmup + ctx.shape.duration * 3;
    let flood = tokio::spawn(load::closed_loop(
        CONNECTIONS,
        flood_for,
        login_call(ctx),
        Arc::default(),
    ));
    tokio::time::sleep(Duration::from_millis(500)).await;
    let name = "ValidateToken during a login flood";
    let case = measure(ctx, name, ctx.shape, validate_call(ctx)).await;
    let _ = flood.await;
    case
}

pub(crate) type Call = std::pin::Pin<Box<dyn std::future::Future<Output = CallResult> + Send>>;

pub(crate) fn code(status: tonic::Status) -> String {
    format!("{:?}", status.code())
}

/// `shape` with one call in flight per connection.
fn wide(shape: Shape) -> Shape {
    Shape {
        concurrency: CONNECTIONS,
        ..shape
    }
}

/// Measures one case, with each process's peak memory during it.
pub(crate) async fn measure<F, Fut>(ctx: &Ctx, name: &'static str, shape: Shape, call: F) -> Case
where
    F: Fn(u64) -> Fut + Clone + Send + Sync + 'static,
    Fut: std::future::Future<Output = CallResult> + Send + 'static,
{
    eprintln!("measuring {name}...");
    let processes = ctx.stack.processes();
    for process in &processes {
        process.reset_peak_memory();
    }
    let measured = load::measure(shape, call).await;
    let memory = processes
        .iter()
        .map(|p| (p.name.to_owned(), p.peak_memory_mib()))
        .collect();
    Case {
        name,
        measured,
        peak_memory_mib: memory,
        rounds: Vec::new(),
    }
}

/// What argon2id allows here: verifies per second with every core verifying
/// at once for `duration` (two hashes on two vCPUs do not run at twice the
/// speed of one, so one thread's time would overstate it).
fn argon2_capacity(cores: usize, duration: Duration) -> f64 {
    use argon2::password_hash::{PasswordHasher, PasswordVerifier, phc::PasswordHash};
    let Ok(params) = argon2::Params::new(19 * 1024, 2, 1, None) else {
        return f64::NAN;
    };
    let argon2 = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let Ok(hash) = argon2.hash_password(b"measure me").map(|h| h.to_string()) else {
        return f64::NAN;
    };
    let started = Instant::now();
    let verified: u32 = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..cores)
            .map(|_| {
                scope.spawn(|| {
                    let Ok(parsed) = PasswordHash::new(&hash) else {
                        return 0;
                    };
                    let mut count = 0;
                    while started.elapsed() < duration {
                        let _ = argon2.verify_password(b"measure me", &parsed);
                        count += 1;
                    }
                    count
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap_or(0)).sum()
    });
    f64::from(verified) / started.elapsed().as_secs_f64()
}
