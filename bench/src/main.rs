//! `loadgen` — what `make bench` (and, briefly, `make bench-quick`) runs:
//! starts its own stack, seeds it, measures each case and writes
//! `bench/results/latest.md` and `latest.json`.
//!
//!     loadgen [--quick] [--rounds N] [--cases validate,login,...]
//!
//! Every case is measured in each of `--rounds` rounds (3, or 1 with
//! `--quick`), one round after the other, and the report gives the median of
//! each figure with its spread: on a shared machine a single run's tail
//! swings with the neighbours.
//!
//! `--cases` measures only the named cases (and always the floor, which the
//! others are compared with): validate, get, list, update, gateway, login,
//! flood (compared with validate). Such a run writes `partial.md`, not
//! `latest.md`.

mod load;
mod report;
mod stack;

use std::{
    path::PathBuf,
    sync::Arc,
    time::{Duration, Instant},
};

use completionist_proto::{
    auth::{self as auth_pb, auth_service_client::AuthServiceClient},
    media::{self as pb, media_service_client::MediaServiceClient},
};
use load::{CallResult, Shape};
use prost::Message;
use tonic::{Request, transport::Channel};

use crate::{
    report::{Case, Report},
    stack::{Seed, Stack},
};

/// The names `--cases` takes (the floor always runs).
const CASES: &[&str] = &[
    "validate", "get", "list", "update", "gateway", "login", "flood",
];

/// Connections from the load generator to each server.
const CONNECTIONS: usize = 32;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let quick = args.iter().any(|a| a == "--quick");
    let only: Option<Vec<String>> = args
        .iter()
        .position(|a| a == "--cases")
        .map(|i| args.get(i + 1).map_or("", String::as_str))
        .map(|list| list.split(',').map(str::to_owned).collect());
    if let Some(unknown) = only
        .iter()
        .flatten()
        .find(|key| !CASES.contains(&key.as_str()))
    {
        anyhow::bail!(
            "--cases: no case {unknown:?}; the cases are {}",
            CASES.join(",")
        );
    }
    let wanted = |key: &str| {
        only.as_ref()
            .is_none_or(|keys| keys.iter().any(|k| k == key))
    };
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .canonicalize()?;
    let bin_dir = std::env::current_exe()?
        .parent()
        .ok_or_else(|| anyhow::anyhow!("no binary directory"))?
        .to_path_buf();
    let rounds_wanted: usize = match args.iter().position(|a| a == "--rounds") {
        Some(i) => args
            .get(i + 1)
            .and_then(|n| n.parse().ok())
            .filter(|n| *n > 0)
            .ok_or_else(|| anyhow::anyhow!("--rounds takes a positive number"))?,
        None if quick => 1,
        None => 3,
    };
    let (seed, shape, logins) = if quick {
        let seed = Seed {
            users: 200,
            items: 2_000,
            entries_per_user: 20,
        };
        (seed, shape(64, 1, 2), 10)
    } else {
        let seed = Seed {
            users: 1_000,
            items: 10_000,
            entries_per_user: 100,
        };
        (seed, shape(64, 3, 10), 100)
    };

    eprintln!("starting the stack and seeding {seed:?}...");
    let stack = Stack::start(&root, &bin_dir, seed).await?;
    let auth = channels(&stack.auth.url()).await?;
    let media = channels(&stack.media_url).await?;
    let users = Arc::new(log_in(&auth[0], &media[0], logins).await?);
    let cores = std::thread::available_parallelism().map_or(1, usize::from);

    let ctx = Ctx {
        stack,
        auth,
        media,
        users,
        shape,
        seed,
        cores,
    };
    let mut rounds = Vec::new();
    for n in 1..=rounds_wanted {
        eprintln!("round {n} of {rounds_wanted}");
        rounds.push(round(&ctx, &wanted).await?);
    }
    let (cases, argon2_rps) = report::median_of(rounds);

    let report = Report::new(
        cases,
        ctx.cores,
        argon2_rps,
        ctx.seed,
        ctx.shape,
        quick,
        rounds_wanted,
    );
    let text = report.markdown();
    println!("{text}");
    let out = root.join("bench/results");
    std::fs::create_dir_all(&out)?;
    // Only a full run of every case is the figure of record.
    let name = match (quick, &only) {
        (true, _) => "quick",
        (false, Some(_)) => "partial",
        (false, None) => "latest",
    };
    std::fs::write(out.join(format!("{name}.md")), &text)?;
    std::fs::write(
        out.join(format!("{name}.json")),
        serde_json::to_string_pretty(&report)?,
    )?;
    eprintln!("written to bench/results/{name}.md and {name}.json");
    Ok(())
}

/// What every round measures with.
struct Ctx {
    stack: Stack,
    auth: Vec<Channel>,
    media: Vec<Channel>,
    users: Arc<Users>,
    shape: Shape,
    seed: Seed,
    cores: usize,
}

/// One round: each wanted case once, in order; with argon2's ceiling when
/// Login was measured.
async fn round(
    ctx: &Ctx,
    wanted: &dyn Fn(&str) -> bool,
) -> anyhow::Result<(Vec<Case>, Option<f64>)> {
    let Ctx {
        auth,
        media,
        users,
        shape,
        seed,
        cores,
        ..
    } = ctx;
    let (shape, seed, cores) = (*shape, *seed, *cores);
    let mut cases = Vec::new();

    // 1. The floor: a call that does nothing.
    cases.push(
        case(&ctx.stack, "health check (auth-service)", shape, {
            let auth = auth.clone();
            move |i| {
                let channel = auth[pick(i)].clone();
                async move {
                    tonic_health::pb::health_client::HealthClient::new(channel)
                        .check(tonic_health::pb::HealthCheckRequest::default())
                        .await
                        .map(drop)
                        .map_err(|s| format!("{:?}", s.code()))
                }
            }
        })
        .await,
    );
    // 2. ValidateToken.
    let validate = {
        let (auth, users) = (auth.clone(), users.clone());
        move |i: u64| {
            let channel = auth[pick(i)].clone();
            let token = users[pick(i) % users.len()].token.clone();
            async move {
                AuthServiceClient::new(channel)
                    .validate_token(auth_pb::ValidateTokenRequest {
                        access_token: token,
                    })
                    .await
                    .map(drop)
                    .map_err(|s| format!("{:?}", s.code()))
            }
        }
    };
    if wanted("validate") {
        cases.push(case(&ctx.stack, "ValidateToken", shape, validate.clone()).await);
    }
    // 3. GetListEntry, direct.
    if wanted("get") {
        cases.push(
            case(&ctx.stack, "GetListEntry", shape, {
                let (media, users) = (media.clone(), users.clone());
                move |i| {
                    let channel = media[pick(i)].clone();
                    let (token, id) = users.entry(i);
                    async move {
                        MediaServiceClient::new(channel)
                            .get_list_entry(authed(&token, pb::GetListEntryRequest { id }))
                            .await
                            .map(drop)
                            .map_err(|s| format!("{:?}", s.code()))
                    }
                }
            })
            .await,
        );
    }
    // 4. ListListEntries, a page of 50.
    if wanted("list") {
        cases.push(
            case(&ctx.stack, "ListListEntries (50)", shape, {
                let (media, users) = (media.clone(), users.clone());
                move |i| {
                    let channel = media[pick(i)].clone();
                    let token = users.user(i).token.clone();
                    async move {
                        MediaServiceClient::new(channel)
                            .list_list_entries(authed(
                                &token,
                                pb::ListListEntriesRequest {
                                    page_size: 50,
                                    ..Default::default()
                                },
                            ))
                            .await
                            .map(drop)
                            .map_err(|s| format!("{:?}", s.code()))
                    }
                }
            })
            .await,
        );
    }
    // 5. UpdateListEntry, a write in a transaction.
    if wanted("update") {
        cases.push(
            case(&ctx.stack, "UpdateListEntry", shape, {
                let (media, users) = (media.clone(), users.clone());
                move |i| {
                    let channel = media[pick(i)].clone();
                    let (token, id) = users.entry(i);
                    async move {
                        let rating = i32::try_from(1 + i % 10).unwrap_or(1);
                        MediaServiceClient::new(channel)
                            .update_list_entry(authed(
                                &token,
                                pb::UpdateListEntryRequest {
                                    list_entry: Some(pb::ListEntry {
                                        id,
                                        rating: Some(rating),
                                        ..Default::default()
                                    }),
                                    update_mask: Some(prost_types_mask(&["rating"])),
                                },
                            ))
                            .await
                            .map(drop)
                            .map_err(|s| format!("{:?}", s.code()))
                    }
                }
            })
            .await,
        );
    }
    // 6. GetListEntry through the gateway, gRPC-Web over HTTP/1.1.
    let web = reqwest::Client::builder()
        .http1_only()
        .pool_max_idle_per_host(CONNECTIONS)
        .build()?;
    let web_url = format!(
        "{}/completionist.media.v1.MediaService/GetListEntry",
        ctx.stack.gateway.url()
    );
    if wanted("gateway") {
        cases.push(
            case(
                &ctx.stack,
                "GetListEntry via gateway (gRPC-Web, HTTP/1.1)",
                Shape {
                    concurrency: CONNECTIONS,
                    ..shape
                },
                {
                    let users = users.clone();
                    move |i| {
                        let (token, id) = users.entry(i);
                        let request = web
                            .post(&web_url)
                            .header("content-type", "application/grpc-web+proto")
                            .header("x-grpc-web", "1")
                            .header("authorization", format!("Bearer {token}"))
                            .body(frame(&pb::GetListEntryRequest { id }));
                        async move { grpc_web_call(request).await }
                    }
                },
            )
            .await,
        );
    }
    // 7. Login alone, then ValidateToken beside a login flood.
    let login = {
        let auth = auth.clone();
        move |i: u64| {
            let channel = auth[pick(i)].clone();
            let email = format!("bench{}@example.com", 1 + i % u64::from(seed.users));
            async move {
                AuthServiceClient::new(channel)
                    .login(auth_pb::LoginRequest {
                        email,
                        password: stack::PASSWORD.into(),
                    })
                    .await
                    .map(drop)
                    .map_err(|s| format!("{:?}", s.code()))
            }
        }
    };
    // argon2's ceiling is measured right before the logins it bounds: this
    // machine's memory bandwidth (shared with its neighbours) moves it from
    // minute to minute.
    let mut argon2_rps = None;
    if wanted("login") {
        eprintln!("measuring argon2id on {cores} cores...");
        argon2_rps = Some(argon2_capacity(
            cores,
            shape.duration.min(Duration::from_secs(5)),
        ));
        cases.push(
            case(
                &ctx.stack,
                "Login",
                Shape {
                    concurrency: CONNECTIONS,
                    ..shape
                },
                login.clone(),
            )
            .await,
        );
    }
    if wanted("flood") {
        let flood_for = shape.warmup + shape.duration * 3;
        let flood = tokio::spawn(load::closed_loop(
            CONNECTIONS,
            flood_for,
            login,
            Arc::default(),
        ));
        tokio::time::sleep(Duration::from_millis(500)).await;
        cases.push(
            case(
                &ctx.stack,
                "ValidateToken during a login flood",
                shape,
                validate,
            )
            .await,
        );
        let _ = flood.await;
    }
    Ok((cases, argon2_rps))
}

fn shape(concurrency: usize, warmup_secs: u64, secs: u64) -> Shape {
    Shape {
        concurrency,
        warmup: Duration::from_secs(warmup_secs),
        duration: Duration::from_secs(secs),
        latency_load: 0.5,
    }
}

/// Measures one case, with each process's peak memory during it.
async fn case<F, Fut>(stack: &Stack, name: &'static str, shape: Shape, call: F) -> Case
where
    F: Fn(u64) -> Fut + Clone + Send + Sync + 'static,
    Fut: std::future::Future<Output = CallResult> + Send + 'static,
{
    eprintln!("measuring {name}...");
    for process in stack.processes() {
        process.reset_peak_memory();
    }
    let measured = load::measure(shape, call).await;
    let memory = stack
        .processes()
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

fn pick(i: u64) -> usize {
    usize::try_from(i).unwrap_or_default() % CONNECTIONS
}

async fn channels(url: &str) -> anyhow::Result<Vec<Channel>> {
    let mut channels = Vec::with_capacity(CONNECTIONS);
    for _ in 0..CONNECTIONS {
        channels.push(
            tonic::transport::Endpoint::from_shared(url.to_owned())?
                .tcp_nodelay(true)
                .connect()
                .await?,
        );
    }
    Ok(channels)
}

/// A logged-in user and some of its entries.
struct User {
    token: String,
    entries: Vec<String>,
}

struct Users(Vec<User>);

impl Users {
    fn len(&self) -> usize {
        self.0.len()
    }

    fn user(&self, i: u64) -> &User {
        &self.0[usize::try_from(i).unwrap_or_default() % self.0.len()]
    }

    /// A user's token and one of its entries.
    fn entry(&self, i: u64) -> (String, String) {
        let user = self.user(i);
        let n = usize::try_from(i / self.0.len() as u64).unwrap_or_default();
        (
            user.token.clone(),
            user.entries[n % user.entries.len()].clone(),
        )
    }
}

impl std::ops::Index<usize> for Users {
    type Output = User;
    fn index(&self, i: usize) -> &User {
        &self.0[i]
    }
}

async fn log_in(auth: &Channel, media: &Channel, count: u32) -> anyhow::Result<Users> {
    let mut users = Vec::new();
    for n in 1..=count {
        let token = AuthServiceClient::new(auth.clone())
            .login(auth_pb::LoginRequest {
                email: format!("bench{n}@example.com"),
                password: stack::PASSWORD.into(),
            })
            .await?
            .into_inner()
            .tokens
            .ok_or_else(|| anyhow::anyhow!("no tokens"))?
            .access_token;
        let entries = MediaServiceClient::new(media.clone())
            .list_list_entries(authed(
                &token,
                pb::ListListEntriesRequest {
                    page_size: 100,
                    ..Default::default()
                },
            ))
            .await?
            .into_inner()
            .list_entries
            .into_iter()
            .map(|e| e.id)
            .collect::<Vec<_>>();
        anyhow::ensure!(!entries.is_empty(), "bench{n} has no entries");
        users.push(User { token, entries });
    }
    Ok(Users(users))
}

fn authed<T>(token: &str, message: T) -> Request<T> {
    let mut request = Request::new(message);
    if let Ok(value) = format!("Bearer {token}").parse() {
        request.metadata_mut().insert("authorization", value);
    }
    request
}

fn prost_types_mask(paths: &[&str]) -> prost_types::FieldMask {
    prost_types::FieldMask {
        paths: paths.iter().map(|p| (*p).to_owned()).collect(),
    }
}

/// A gRPC-Web frame around `message`.
fn frame(message: &impl Message) -> Vec<u8> {
    let body = message.encode_to_vec();
    let mut framed = Vec::with_capacity(body.len() + 5);
    framed.push(0);
    framed.extend_from_slice(&u32::try_from(body.len()).unwrap_or(u32::MAX).to_be_bytes());
    framed.extend(body);
    framed
}

/// Sends a gRPC-Web call and reads its status: from the headers of a
/// trailers-only answer, else from the trailer frame.
async fn grpc_web_call(request: reqwest::RequestBuilder) -> CallResult {
    let response = request.send().await.map_err(|_| "Transport".to_owned())?;
    if let Some(status) = response.headers().get("grpc-status") {
        return match status.to_str().unwrap_or("2") {
            "0" => Ok(()),
            code => Err(format!("{:?}", tonic::Code::from_bytes(code.as_bytes()))),
        };
    }
    let body = response.bytes().await.map_err(|_| "Transport".to_owned())?;
    let trailers = String::from_utf8_lossy(&body);
    if trailers.contains("grpc-status:0") {
        Ok(())
    } else {
        Err("Unknown".into())
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
