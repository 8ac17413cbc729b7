//! The results: a table and the targets, as Markdown and JSON.

use std::{collections::BTreeMap, fmt::Write};

use crate::{
    load::{Measured, Shape},
    stack::Seed,
};

/// One measured case.
#[derive(serde::Serialize)]
pub struct Case {
    pub name: &'static str,
    pub measured: Measured,
    /// Peak resident memory of each process during the case.
    pub peak_memory_mib: BTreeMap<String, f64>,
}

/// A target and whether this run met it.
#[derive(serde::Serialize)]
pub struct Target {
    pub what: String,
    pub measured: String,
    pub met: bool,
}

#[derive(serde::Serialize)]
pub struct Report {
    pub commit: String,
    pub date: String,
    pub cores: usize,
    pub quick: bool,
    pub seed: Seed,
    pub concurrency: usize,
    pub duration_secs: u64,
    pub latency_load: f64,
    /// argon2id verifies per second at the service's parameters with every
    /// core verifying, measured here.
    pub argon2_verifies_per_second: f64,
    pub cases: Vec<Case>,
    pub targets: Vec<Target>,
}

impl Report {
    pub fn new(
        cases: Vec<Case>,
        cores: usize,
        argon2_rps: f64,
        seed: Seed,
        shape: Shape,
        quick: bool,
    ) -> Self {
        let commit = std::process::Command::new("git")
            .args(["rev-parse", "--short", "HEAD"])
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
            .unwrap_or_default();
        let targets = targets(&cases, cores, argon2_rps);
        Self {
            commit,
            date: chrono::Utc::now().format("%Y-%m-%d %H:%M UTC").to_string(),
            cores,
            quick,
            seed,
            concurrency: shape.concurrency,
            duration_secs: shape.duration.as_secs(),
            latency_load: shape.latency_load,
            argon2_verifies_per_second: argon2_rps,
            cases,
            targets,
        }
    }

    pub fn markdown(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# Completionist benchmark{}\n\ncommit `{}`, {}, {} cores, seed {} users / {} items / {} entries per user; \
             {} s per case after warm-up; latency measured open-loop at {:.0}% of the closed-loop rate, \
             from when each call was due.\n",
            if self.quick { " (quick)" } else { "" },
            self.commit,
            self.date,
            self.cores,
            self.seed.users,
            self.seed.items,
            self.seed.entries_per_user,
            self.duration_secs,
            self.latency_load * 100.0,
        );
        let floor = self.cases.first().map_or(1.0, |c| c.measured.rps);
        out.push_str("| case | req/s | × floor | p50 ms | p90 ms | p99 ms | max ms | errors | peak MiB auth / media / gateway |\n");
        out.push_str("|---|---:|---:|---:|---:|---:|---:|---|---|\n");
        for case in &self.cases {
            let m = &case.measured;
            let errors = if m.errors.is_empty() {
                "none".to_owned()
            } else {
                m.errors
                    .iter()
                    .map(|(code, n)| format!("{code}: {n}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let mem = |name: &str| case.peak_memory_mib.get(name).copied().unwrap_or_default();
            let _ = writeln!(
                out,
                "| {} | {:.0} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {} | {:.0} / {:.0} / {:.0} |",
                case.name,
                m.rps,
                m.rps / floor,
                m.p50_ms,
                m.p90_ms,
                m.p99_ms,
                m.max_ms,
                errors,
                mem("auth-service"),
                mem("media-service"),
                mem("gateway"),
            );
        }
        let _ = writeln!(
            out,
            "\nargon2id on all {} cores: {:.0} verifies/s\n\n| target | measured | met |\n|---|---|---|",
            self.cores, self.argon2_verifies_per_second
        );
        for target in &self.targets {
            let _ = writeln!(
                out,
                "| {} | {} | {} |",
                target.what,
                target.measured,
                if target.met { "yes" } else { "**no**" }
            );
        }
        out
    }
}

fn targets(cases: &[Case], cores: usize, argon2_rps: f64) -> Vec<Target> {
    let find = |name: &str| cases.iter().find(|c| c.name == name).map(|c| &c.measured);
    let (Some(floor), Some(validate), Some(get), Some(web), Some(login), Some(flooded)) = (
        find("health check (auth-service)"),
        find("ValidateToken"),
        find("GetListEntry"),
        find("GetListEntry via gateway (gRPC-Web, HTTP/1.1)"),
        find("Login"),
        find("ValidateToken during a login flood"),
    ) else {
        return Vec::new();
    };
    let peak = |name: &str| {
        cases
            .iter()
            .filter_map(|c| c.peak_memory_mib.get(name))
            .fold(0.0_f64, |a, b| a.max(*b))
    };
    let ratio = |what: &str, value: f64, min: f64| Target {
        what: what.to_owned(),
        measured: format!("{:.0}%", value * 100.0),
        met: value >= min,
    };
    vec![
        ratio(
            "ValidateToken ≥ 60% of the floor",
            validate.rps / floor.rps,
            0.6,
        ),
        ratio("GetListEntry ≥ 25% of the floor", get.rps / floor.rps, 0.25),
        Target {
            what: "GetListEntry p99 < 5 ms".into(),
            measured: format!("{:.2} ms", get.p99_ms),
            met: get.p99_ms < 5.0,
        },
        ratio(
            "gateway GetListEntry ≥ 60% of direct",
            web.rps / get.rps,
            0.6,
        ),
        ratio(
            &format!("Login ≥ 80% of argon2's {argon2_rps:.0}/s on {cores} cores"),
            login.rps / argon2_rps,
            0.8,
        ),
        Target {
            what: "ValidateToken p99 in a login flood ≤ 2× without".into(),
            measured: format!("{:.2} ms vs {:.2} ms", flooded.p99_ms, validate.p99_ms),
            met: flooded.p99_ms <= 2.0 * validate.p99_ms,
        },
        Target {
            what: "peak memory: auth-service < 96 MiB".into(),
            measured: format!("{:.0} MiB", peak("auth-service")),
            met: peak("auth-service") < 96.0,
        },
        Target {
            what: "peak memory: media-service < 48 MiB".into(),
            measured: format!("{:.0} MiB", peak("media-service")),
            met: peak("media-service") < 48.0,
        },
        Target {
            what: "peak memory: gateway < 48 MiB".into(),
            measured: format!("{:.0} MiB", peak("gateway")),
            met: peak("gateway") < 48.0,
        },
    ]
}
