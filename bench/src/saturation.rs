//! More callers than a service runs at once: is the wait fair (p99 within
//! 3× p50 at 128 calls in flight), and is overload shed cleanly (twice what
//! media-service runs and queues: only RESOURCE_EXHAUSTED, and health checks
//! still answered quickly)?

use std::{fmt::Write, time::Duration};

use completionist_proto::{
    auth::{self as auth_pb, auth_service_client::AuthServiceClient},
    media::{self as pb, media_service_client::MediaServiceClient},
};
use test_support::authed;

use crate::{
    cases::{Call, Ctx},
    client::pick,
    load::{self, CallResult, Saturated},
    report::Target,
};

/// Calls in flight for the fairness cases.
const FAIR_CONCURRENCY: usize = 128;

/// media-service runs its pool size (16) at once and queues eight times
/// that (`common::admission`); twice the sum is overload.
const OVERLOAD_CONCURRENCY: usize = 2 * (16 + 16 * 8);

/// GetListEntry at [`FAIR_CONCURRENCY`]: what overload's goodput is held
/// to.
pub(crate) const FAIR_ENTRY: &str = "GetListEntry, 128 in flight";

/// One saturated case.
#[derive(serde::Serialize)]
pub(crate) struct SaturatedCase {
    pub name: &'static str,
    pub measured: Saturated,
    /// p99 of health checks sent at a steady 100/s during the case.
    pub health_p99_ms: Option<f64>,
    /// In an overload case, how its callers retry.
    pub retry: Option<Retry>,
}

/// The wanted saturated cases, each measured once.
pub(crate) async fn run(ctx: &Ctx, wanted: &dyn Fn(&str) -> bool) -> Vec<SaturatedCase> {
    let mut cases = Vec::new();
    if wanted("fair") {
        eprintln!("measuring GetCurrentUser and GetListEntry at {FAIR_CONCURRENCY} in flight...");
        let current_user = load::saturate(FAIR_CONCURRENCY, ctx.shape.duration, current_user(ctx));
        cases.push(SaturatedCase {
            name: "GetCurrentUser, 128 in flight",
            measured: current_user.await,
            health_p99_ms: None,
            retry: None,
        });
        tokio::time::sleep(SETTLE).await;
        let call = get_list_entry(ctx);
        let entry = load::saturate(FAIR_CONCURRENCY, ctx.shape.duration, move |i| {
            coded(call(i))
        });
        cases.push(SaturatedCase {
            name: FAIR_ENTRY,
            measured: entry.await,
            health_p99_ms: None,
            retry: None,
        });
    }
    if wanted("overload") {
        for retry in [Retry::AtOnce, Retry::AsTold] {
            tokio::time::sleep(SETTLE).await;
            eprintln!(
                "measuring overload: GetListEntry at {OVERLOAD_CONCURRENCY} in flight, {}...",
                retry.clients()
            );
            cases.push(overload(ctx, retry).await);
        }
    }
    cases
}

/// How the overloaded callers retry a refused call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub(crate) enum Retry {
    /// At once: the next call goes out as the refusal comes back.
    AtOnce,
    /// After the refusal's `RetryInfo` delay.
    AsTold,
}

impl Retry {
    fn clients(self) -> &'static str {
        match self {
            Self::AtOnce => "clients that retry at once",
            Self::AsTold => "clients that wait as RetryInfo says",
        }
    }

    /// The name of the overload case with such callers.
    fn case(self) -> &'static str {
        match self {
            Self::AtOnce => "GetListEntry, overload (288 in flight, retrying at once)",
            Self::AsTold => "GetListEntry, overload (288 in flight, honouring RetryInfo)",
        }
    }
}

async fn overload(ctx: &Ctx, retry: Retry) -> SaturatedCase {
    let duration = ctx.shape.duration;
    let media = ctx.media.clone();
    let health = tokio::spawn(async move {
        let call = crate::cases::health_check(media);
        load::open_loop(4, 100.0, duration, call, std::sync::Arc::default()).await
    });
    let call = get_list_entry(ctx);
    let measured = match retry {
        Retry::AtOnce => {
            load::saturate(OVERLOAD_CONCURRENCY, duration, move |i| coded(call(i))).await
        }
        Retry::AsTold => {
            load::saturate(OVERLOAD_CONCURRENCY, duration, move |i| {
                waiting_as_told(call(i))
            })
            .await
        }
    };
    let health = health.await.ok();
    SaturatedCase {
        name: retry.case(),
        measured,
        health_p99_ms: health.map(|h| h.value_at_quantile(0.99) as f64 / 1000.0),
        retry: Some(retry),
    }
}

pub(crate) fn current_user(ctx: &Ctx) -> impl Fn(u64) -> Call + Clone + Send + Sync + 'static {
    let (auth, users) = (ctx.auth.clone(), ctx.users.clone());
    move |i| {
        let channel = auth[pick(i)].clone();
        let token = users.user(i).token.clone();
        Box::pin(async move {
            AuthServiceClient::new(channel)
                .get_current_user(authed(&token, auth_pb::GetCurrentUserRequest {}))
                .await
                .map(drop)
                .map_err(|s| format!("{:?}", s.code()))
        })
    }
}

pub(crate) fn get_list_entry(
    ctx: &Ctx,
) -> impl Fn(u64) -> StatusCall + Clone + Send + Sync + 'static {
    let (media, users) = (ctx.media.clone(), ctx.users.clone());
    move |i| {
        let channel = media[pick(i)].clone();
        let (token, id) = users.entry(i);
        Box::pin(async move {
            MediaServiceClient::new(channel)
                .get_list_entry(authed(&token, pb::GetListEntryRequest { id }))
                .await
                .map(drop)
        })
    }
}

/// A call that answers with the status itself, for callers that read it.
pub(crate) type StatusCall =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), tonic::Status>> + Send>>;

/// `call`, answered with its code's name.
pub(crate) async fn coded(call: StatusCall) -> CallResult {
    call.await.map_err(crate::cases::code)
}

/// `call`, its refusal answered only after the wait its `RetryInfo` asks
/// for (the caller's next call goes out after it).
async fn waiting_as_told(call: StatusCall) -> CallResult {
    use tonic_types::StatusExt;
    let Err(status) = call.await else {
        return Ok(());
    };
    let delay = status
        .get_details_retry_info()
        .and_then(|info| info.retry_delay);
    if let Some(delay) = delay {
        tokio::time::sleep(delay).await;
    }
    Err(format!("{:?}", status.code()))
}

/// A short pause between saturated cases, so one's queue drains first.
pub(crate) const SETTLE: Duration = Duration::from_secs(2);

/// The table of saturated cases, if any ran.
pub(crate) fn write_table(cases: &[SaturatedCase], out: &mut String) {
    if cases.is_empty() {
        return;
    }
    out.push_str(concat!(
        "\nMore callers than the service runs at once (closed loop, one round; ",
        "latency of the successful calls):\n\n",
        "| case | goodput req/s | p50 ms | p99 ms | p99 / p50 | failed calls | ",
        "health p99 ms |\n|---|---:|---:|---:|---:|---|---:|\n",
    ));
    for case in cases {
        let m = &case.measured;
        let errors = if m.errors.is_empty() {
            "none".to_owned()
        } else {
            let share = |n: u64| 100.0 * n as f64 / m.calls.max(1) as f64;
            m.errors
                .iter()
                .map(|(code, n)| format!("{code}: {n} ({:.0}%)", share(*n)))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let health = case
            .health_p99_ms
            .map_or_else(|| "–".to_owned(), |ms| format!("{ms:.2}"));
        let _ = writeln!(
            out,
            "| {} | {:.0} | {:.2} | {:.2} | {:.1} | {} | {} |",
            case.name,
            m.ok_rps,
            m.p50_ms,
            m.p99_ms,
            m.p99_ms / m.p50_ms.max(0.001),
            errors,
            health,
        );
    }
}

/// Fair waits at 128 in flight; overload shed as RESOURCE_EXHAUSTED only,
/// with health checks still quick.
pub(crate) fn targets(cases: &[SaturatedCase]) -> Vec<Target> {
    let mut targets = Vec::new();
    for case in cases {
        let m = &case.measured;
        match case.health_p99_ms {
            None => targets.push(Target {
                what: format!("{}: p99 ≤ 3× p50", case.name),
                measured: format!(
                    "{:.2} ms vs {:.2} ms ({:.1}×)",
                    m.p99_ms,
                    m.p50_ms,
                    m.p99_ms / m.p50_ms.max(0.001)
                ),
                met: m.p99_ms <= 3.0 * m.p50_ms,
            }),
            Some(health_p99) => {
                targets.extend(overload_goodput(case, cases));
                let others: Vec<&String> = m
                    .errors
                    .keys()
                    .filter(|code| *code != "ResourceExhausted")
                    .collect();
                targets.push(Target {
                    what: format!(
                        "{}: shed as RESOURCE_EXHAUSTED only, goodput kept",
                        case.name
                    ),
                    measured: format!("{:.0} req/s served; other codes: {others:?}", m.ok_rps),
                    met: others.is_empty() && m.ok_rps > 0.0,
                });
                targets.push(Target {
                    what: format!("{}: health p99 < 20 ms (issue 24)", case.name),
                    measured: format!("{health_p99:.2} ms"),
                    met: health_p99 < 20.0,
                });
            }
        }
    }
    targets
}

/// An overload case's goodput against the 128-in-flight case's: 90% kept
/// by callers that wait as `RetryInfo` says, 60% by those that retry at
/// once.
fn overload_goodput(case: &SaturatedCase, cases: &[SaturatedCase]) -> Option<Target> {
    let fair = cases.iter().find(|c| c.name == FAIR_ENTRY)?;
    let min = match case.retry? {
        Retry::AtOnce => 0.6,
        Retry::AsTold => 0.9,
    };
    let share = case.measured.ok_rps / fair.measured.ok_rps.max(1.0);
    Some(crate::targets::ratio(
        &format!(
            "{}: goodput ≥ {:.0}% of the 128-in-flight rate (issue 24)",
            case.name,
            min * 100.0
        ),
        share,
        min,
    ))
}
