//! The results: a table and the targets, as Markdown and JSON.

use std::{collections::BTreeMap, fmt::Write};

use crate::{
    load::{Measured, Shape},
    saturation::SaturatedCase,
    seed::Seed,
};

/// One measured case: in a round, or (in the report) the median over rounds.
#[derive(serde::Serialize)]
pub(crate) struct Case {
    pub name: &'static str,
    pub measured: Measured,
    /// Peak resident memory of each process during the case.
    pub peak_memory_mib: BTreeMap<String, f64>,
    /// What each round measured (empty within a round).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rounds: Vec<Measured>,
}

/// The cases of several rounds as one: per case, the median of each figure
/// (req/s and every percentile separately), the worst maximum, all calls
/// and errors, the highest peak memory; argon2's ceiling of each round that
/// measured it.
pub(crate) fn median_of(rounds: Vec<(Vec<Case>, Option<f64>)>) -> (Vec<Case>, Vec<f64>) {
    let argon2 = rounds.iter().filter_map(|(_, a)| *a).collect();
    let mut merged: Vec<Case> = Vec::new();
    for case in rounds.into_iter().flat_map(|(cases, _)| cases) {
        match merged.iter_mut().find(|c| c.name == case.name) {
            Some(into) => {
                for (process, mib) in case.peak_memory_mib {
                    let peak = into.peak_memory_mib.entry(process).or_default();
                    *peak = peak.max(mib);
                }
                into.rounds.push(case.measured);
            }
            None => merged.push(Case {
                rounds: vec![case.measured.clone()],
                ..case
            }),
        }
    }
    for case in &mut merged {
        let all = &case.rounds;
        let of = |figure: fn(&Measured) -> f64| {
            median(all.iter().map(figure).collect()).unwrap_or_default()
        };
        let mut errors = BTreeMap::new();
        for (code, n) in all.iter().flat_map(|m| &m.errors) {
            *errors.entry(code.clone()).or_default() += n;
        }
        case.measured = Measured {
            rps: of(|m| m.rps),
            latency_rps: of(|m| m.latency_rps),
            p50_ms: of(|m| m.p50_ms),
            p90_ms: of(|m| m.p90_ms),
            p99_ms: of(|m| m.p99_ms),
            max_ms: all.iter().map(|m| m.max_ms).fold(0.0, f64::max),
            calls: all.iter().map(|m| m.calls).sum(),
            errors,
        };
    }
    (merged, argon2)
}

pub(crate) fn median(mut values: Vec<f64>) -> Option<f64> {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(values[n / 2]),
        _ => Some(f64::midpoint(values[n / 2 - 1], values[n / 2])),
    }
}

/// `min–max` of a figure over the rounds, or nothing for a single round.
fn spread(case: &Case, figure: fn(&Measured) -> f64, decimals: usize) -> String {
    if case.rounds.len() < 2 {
        return String::new();
    }
    let values = case.rounds.iter().map(figure);
    let low = values.clone().fold(f64::INFINITY, f64::min);
    let high = values.fold(f64::NEG_INFINITY, f64::max);
    format!(" ({low:.decimals$}–{high:.decimals$})")
}

/// A target and whether this run met it.
#[derive(serde::Serialize)]
pub(crate) struct Target {
    pub what: String,
    pub measured: String,
    pub met: bool,
}

#[derive(serde::Serialize)]
pub(crate) struct Report {
    pub commit: String,
    pub date: String,
    pub cores: usize,
    pub quick: bool,
    pub seed: Seed,
    pub concurrency: usize,
    pub duration_secs: u64,
    pub latency_load: f64,
    /// Rounds each case was measured in; figures are medians over them.
    pub rounds: usize,
    /// argon2id verifies per second at the service's parameters with every
    /// core verifying, measured right before the Login case.
    pub argon2_verifies_per_second: Option<f64>,
    pub cases: Vec<Case>,
    /// Cases with more callers than a service runs at once, measured once.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub saturated: Vec<SaturatedCase>,
    /// The rolling restarts, measured once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restarts: Option<crate::restarts::Restarts>,
    /// What each of our layers costs a call, measured once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub layers: Option<crate::layers::LayerCosts>,
    /// Where each kind of call's CPU goes, measured once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub budget: Option<crate::budget::Budget>,
    /// Answers' bytes and time by encoding, measured once.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub compression: Vec<crate::compression::Compressed>,
    pub targets: Vec<Target>,
}

impl Report {
    pub(crate) fn new(
        cases: Vec<Case>,
        cores: usize,
        argon2_rounds: &[f64],
        seed: Seed,
        shape: Shape,
        quick: bool,
        rounds: usize,
    ) -> Self {
        let commit = std::process::Command::new("git")
            .args(["rev-parse", "--short", "HEAD"])
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
            .unwrap_or_default();
        let targets = crate::targets::targets(&cases, cores, argon2_rounds);
        Self {
            commit,
            date: chrono::Utc::now().format("%Y-%m-%d %H:%M UTC").to_string(),
            cores,
            quick,
            seed,
            concurrency: shape.concurrency,
            duration_secs: shape.duration.as_secs(),
            latency_load: shape.latency_load,
            rounds,
            argon2_verifies_per_second: median(argon2_rounds.to_vec()),
            cases,
            saturated: Vec::new(),
            restarts: None,
            layers: None,
            budget: None,
            compression: Vec::new(),
            targets,
        }
    }

    /// Adds the saturated cases and their targets.
    pub(crate) fn with_saturated(mut self, saturated: Vec<SaturatedCase>) -> Self {
        self.targets.extend(crate::saturation::targets(&saturated));
        self.saturated = saturated;
        self
    }

    /// Adds the rolling restarts and their targets.
    pub(crate) fn with_restarts(mut self, restarts: crate::restarts::Restarts) -> Self {
        self.targets.extend(restarts.targets());
        self.restarts = Some(restarts);
        self
    }

    /// Adds the layer table.
    pub(crate) fn with_layers(mut self, layers: crate::layers::LayerCosts) -> Self {
        self.layers = Some(layers);
        self
    }

    /// Adds where each kind of call's CPU goes.
    pub(crate) fn with_budget(mut self, budget: crate::budget::Budget) -> Self {
        self.budget = Some(budget);
        self
    }

    /// Adds the compression figures.
    pub(crate) fn with_compression(
        mut self,
        compression: Vec<crate::compression::Compressed>,
    ) -> Self {
        self.compression = compression;
        self
    }

    pub(crate) fn markdown(&self) -> String {
        let mut out = self.header();
        self.write_cases(&mut out);
        crate::saturation::write_table(&self.saturated, &mut out);
        if let Some(layers) = &self.layers {
            layers.write_table(&mut out);
        }
        if let Some(budget) = &self.budget {
            budget.write_table(&mut out);
        }
        crate::compression::write_table(&self.compression, &mut out);
        if let Some(restarts) = &self.restarts {
            restarts.write_table(&mut out);
        }
        self.write_targets(&mut out);
        out
    }

    fn header(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            concat!(
                "# Completionist benchmark{}\n\n",
                "commit `{}`, {}, {} cores, seed {} users / {} items / {} entries per user; ",
                "{} s per case after warm-up; latency measured open-loop at {:.0}% of the ",
                "closed-loop rate, from when each call was due. {}\n",
            ),
            if self.quick { " (quick)" } else { "" },
            self.commit,
            self.date,
            self.cores,
            self.seed.users,
            self.seed.items,
            self.seed.entries_per_user,
            self.duration_secs,
            self.latency_load * 100.0,
            if self.rounds > 1 {
                format!(
                    "Each case ran in {} rounds; figures are medians, {}",
                    self.rounds, "with the rounds' range in brackets."
                )
            } else {
                "One round.".to_owned()
            },
        );
        out
    }

    /// The table of cases.
    fn write_cases(&self, out: &mut String) {
        let floor = self.cases.first().map_or(1.0, |c| c.measured.rps);
        out.push_str(concat!(
            "| case | req/s | × floor | p50 ms | p90 ms | p99 ms | max ms | errors ",
            "| peak MiB auth / media / gateway |\n",
        ));
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
                concat!(
                    "| {} | {:.0}{} | {:.2} | {:.2} | {:.2} | {:.2}{} | {:.2} | {} ",
                    "| {:.0} / {:.0} / {:.0} |",
                ),
                case.name,
                m.rps,
                spread(case, |m| m.rps, 0),
                m.rps / floor,
                m.p50_ms,
                m.p90_ms,
                m.p99_ms,
                spread(case, |m| m.p99_ms, 2),
                m.max_ms,
                errors,
                mem("auth-service"),
                mem("media-service"),
                mem("gateway"),
            );
        }
    }

    /// argon2's ceiling and the table of targets.
    fn write_targets(&self, out: &mut String) {
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
    }
}

#[cfg(test)]
mod tests;
