//! The provider stand-in (`scripts/fake-providers.py`) for the cases that
//! need one: TVmaze with its rate limit kept (a call beyond 20 in 10 s is
//! refused with 429), and a record of every call it took.

use std::{
    io::{BufRead, BufReader},
    path::Path,
    process::{Child, Command, Stdio},
};

use anyhow::Context;

/// The running stand-in; stopped when dropped.
pub(crate) struct StandIn {
    /// Its base URL (`{base}/tvmaze` is TVmaze).
    pub(crate) base: String,
    child: Child,
}

/// What the stand-in's TVmaze took.
#[derive(serde::Deserialize)]
pub(crate) struct TvmazeStats {
    /// Every call's time (Unix seconds).
    pub(crate) calls: Vec<f64>,
    /// Calls refused for going past the limit.
    pub(crate) refused: u64,
}

impl StandIn {
    pub(crate) fn start(root: &Path) -> anyhow::Result<Self> {
        let mut child = Command::new("python3")
            .arg(root.join("scripts/fake-providers.py"))
            // Only the limit's own refusals: the bench counts them.
            .env("FAKE_TVMAZE_429_EVERY", "0")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .context("start scripts/fake-providers.py")?;
        let stdout = child.stdout.take().context("the stand-in's output")?;
        let mut base = String::new();
        BufReader::new(stdout).read_line(&mut base)?;
        Ok(Self {
            base: base.trim().to_owned(),
            child,
        })
    }

    pub(crate) async fn tvmaze_stats(&self) -> anyhow::Result<TvmazeStats> {
        let url = format!("{}/tvmaze-stats", self.base);
        Ok(reqwest::get(url).await?.json().await?)
    }
}

impl Drop for StandIn {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
