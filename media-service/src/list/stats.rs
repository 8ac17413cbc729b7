//! GetListStats: counts over one user's list.

use completionist_common::db as common_db;
use completionist_proto::media as pb;
use tonic::Request;

use crate::{
    app::{App, Caller},
    db,
    domain::{ListStatus, MediaKind},
    error::Error,
};

/// Counts over one user's list.
#[derive(Debug, PartialEq)]
pub(crate) struct Stats {
    pub(crate) total: i64,
    pub(crate) by_status: Vec<(ListStatus, i64)>,
    pub(crate) by_kind: Vec<(MediaKind, i64)>,
    pub(crate) mean_rating: Option<f64>,
    pub(crate) completed_fraction: f64,
    /// Runs over the whole list.
    pub(crate) completions: i64,
    /// (year, month, runs finished that month), oldest first.
    pub(crate) by_month: Vec<(i32, i32, i64)>,
}

pub(crate) async fn get_list_stats(
    app: &App,
    request: Request<pb::GetListStatsRequest>,
) -> Result<pb::GetListStatsResponse, Error> {
    let pb::GetListStatsRequest {} = request.get_ref();
    let caller = Caller::of(&request)?;
    let user = caller.user_id;
    let (counts, mean_rating, (by_month, completions)) = common_db::read(&app.pool, |conn| {
        Box::pin(async move {
            let counts = db::entries::counts(conn, user).await?;
            let mean_rating = db::entries::mean_rating(conn, user).await?;
            Ok((counts, mean_rating, db::runs::by_month(conn, user).await?))
        })
    })
    .await?;
    Ok(Stats {
        completions,
        by_month,
        ..Stats::from_counts(&counts, mean_rating)
    }
    .into())
}

impl Stats {
    /// Every status and kind (zero where none), from counts per (status,
    /// kind); no runs.
    fn from_counts(counts: &[(ListStatus, MediaKind, i64)], mean_rating: Option<f64>) -> Self {
        let by_status: Vec<(ListStatus, i64)> = ListStatus::ALL
            .iter()
            .map(|s| (*s, counts.iter().filter(|c| c.0 == *s).map(|c| c.2).sum()))
            .collect();
        let by_kind: Vec<(MediaKind, i64)> = MediaKind::ALL
            .iter()
            .map(|k| (*k, counts.iter().filter(|c| c.1 == *k).map(|c| c.2).sum()))
            .collect();
        let total: i64 = counts.iter().map(|c| c.2).sum();
        let completed: i64 = counts
            .iter()
            .filter(|c| c.0 == ListStatus::Completed)
            .map(|c| c.2)
            .sum();
        let completed_fraction = if total == 0 {
            0.0
        } else {
            completed as f64 / total as f64
        };
        Self {
            total,
            by_status,
            by_kind,
            mean_rating,
            completed_fraction,
            completions: 0,
            by_month: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_every_status_and_kind() {
        let stats = Stats::from_counts(
            &[
                (ListStatus::Completed, MediaKind::Anime, 3),
                (ListStatus::Planned, MediaKind::Anime, 1),
            ],
            Some(7.5),
        );
        assert_eq!(stats.total, 4);
        assert_eq!(stats.by_status.len(), ListStatus::ALL.len());
        assert_eq!(stats.by_kind[2], (MediaKind::Anime, 4));
        assert!((stats.completed_fraction - 0.75).abs() < f64::EPSILON);
        assert_eq!(Stats::from_counts(&[], None).completed_fraction, 0.0);
    }
}
