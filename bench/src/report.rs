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
    /// core verifying, measured right before the Login case.
    pub argon2_verifies_per_second: Option<f64>,
    pub cases: Vec<Case>,
    pub targets: Vec<Target>,
}

impl Report {
    pub fn new(
        cases: Vec<Case>,
        cores: usize,
        argon2_rps: Option<f64>,
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
        if let Some(argon2) = self.argon2_verifies_per_second {
            let _ = writeln!(
                out,
                "\nargon2id on all {} cores (right before Login): {argon2:.0} verifies/s",
                self.cores
            );
        }
        out.push_str("\n| target | measured | met |\n|---|---|---|\n");
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

/// The targets whose cases were measured (`--cases` may leave some out).
fn targets(cases: &[Case], cores: usize, argon2_rps: Option<f64>) -> Vec<Target> {
    let find = |name: &str| cases.iter().find(|c| c.name == name).map(|c| &c.measured);
    let floor = find("health check (auth-service)");
    let validate = find("ValidateToken");
    let get = find("GetListEntry");
    let web = find("GetListEntry via gateway (gRPC-Web, HTTP/1.1)");
    let login = find("Login");
    let flooded = find("ValidateToken during a login flood");
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
    let mut targets = Vec::new();
    if let (Some(floor), Some(validate)) = (floor, validate) {
        targets.push(ratio(
            "ValidateToken ≥ 60% of the floor",
            validate.rps / floor.rps,
            0.6,
        ));
    }
    if let (Some(floor), Some(get)) = (floor, get) {
        targets.push(ratio(
            "GetListEntry ≥ 25% of the floor",
            get.rps / floor.rps,
            0.25,
        ));
        targets.push(Target {
            what: "GetListEntry p99 < 5 ms".into(),
            measured: format!("{:.2} ms", get.p99_ms),
            met: get.p99_ms < 5.0,
        });
    }
    if let (Some(get), Some(web)) = (get, web) {
        targets.push(ratio(
            "gateway GetListEntry ≥ 60% of direct",
            web.rps / get.rps,
            0.6,
        ));
    }
    if let (Some(login), Some(argon2)) = (login, argon2_rps) {
        targets.push(ratio(
            &format!("Login ≥ 80% of argon2's {argon2:.0}/s on {cores} cores"),
            login.rps / argon2,
            0.8,
        ));
    }
    if let (Some(validate), Some(flooded)) = (validate, flooded) {
        targets.push(Target {
            what: "ValidateToken p99 in a login flood ≤ 2× without".into(),
            measured: format!("{:.2} ms vs {:.2} ms", flooded.p99_ms, validate.p99_ms),
            met: flooded.p99_ms <= 2.0 * validate.p99_ms,
        });
    }
    for (name, limit) in [
        ("auth-service", 96.0),
        ("media-service", 48.0),
        ("gateway", 48.0),
    ] {
        targets.push(Target {
            what: format!("peak memory: {name} < {limit:.0} MiB"),
            measured: format!("{:.0} MiB", peak(name)),
            met: peak(name) < limit,
        });
    }
    targets
}
