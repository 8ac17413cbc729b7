//! What an entry's watches make of it. Progress is the number of regular
//! episodes watched in the current run (specials never count); watching
//! starts an entry that was not in progress; watching every aired regular
//! episode of a show that has ended completes it, while a show still
//! airing stays in progress ("caught up"); unwatching an episode of a
//! completed entry takes it back to in progress.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::{
    db::watches::Seen,
    domain::{EntryFields, Episode, ListStatus, Progress, ShowStatus},
};

/// Where a run stands in a show.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct Summary {
    /// Regular episodes watched in the run.
    pub(super) watched: i32,
    /// Regular episodes aired.
    pub(super) aired: i32,
    /// Regular episodes aired and not watched in the run.
    pub(super) new: i32,
    /// The first regular episode not watched in the run.
    pub(super) next: Option<Uuid>,
    /// Every aired regular episode watched, and the show still airs.
    pub(super) caught_up: bool,
    /// Every aired regular episode watched, and the show has ended.
    pub(super) finished: bool,
    /// Any episode, special or not, watched in the run.
    pub(super) started: bool,
}

impl Summary {
    pub(super) fn of(
        episodes: &[Episode],
        seen: &HashMap<Uuid, Seen>,
        status: ShowStatus,
        now: DateTime<Utc>,
    ) -> Self {
        let in_run = |e: &Episode| seen.get(&e.id).is_some_and(|s| s.in_run);
        let counted = || episodes.iter().filter(|e| e.counts());
        let watched = counted().filter(|e| in_run(e)).count();
        let aired = counted().filter(|e| e.aired(now)).count();
        let new = counted().filter(|e| e.aired(now) && !in_run(e)).count();
        let all_aired_watched = aired > 0 && counted().filter(|e| e.aired(now)).all(in_run);
        Self {
            watched: i32::try_from(watched).unwrap_or(i32::MAX),
            aired: i32::try_from(aired).unwrap_or(i32::MAX),
            new: i32::try_from(new).unwrap_or(i32::MAX),
            next: counted().find(|e| !in_run(e)).map(|e| e.id),
            caught_up: all_aired_watched && status == ShowStatus::Running,
            finished: all_aired_watched && status == ShowStatus::Ended,
            started: episodes.iter().any(in_run),
        }
    }
}

/// `before` with what the run's watches make of it, as of `at`.
pub(super) fn fields(
    before: &EntryFields,
    summary: &Summary,
    at: DateTime<Utc>,
    unmarking: bool,
) -> EntryFields {
    let mut fields = before.clone();
    let today = at.date_naive();
    fields.progress = Progress::parse(summary.watched).unwrap_or(before.progress);
    let done = before.status == ListStatus::Completed;
    if summary.started && !done && fields.status != ListStatus::InProgress {
        fields.status = ListStatus::InProgress;
    }
    if summary.started && fields.start_date.is_none() {
        fields.start_date = Some(today);
    }
    if summary.finished && !done && !unmarking {
        fields.status = ListStatus::Completed;
        fields.finish_date = Some(today.max(fields.start_date.unwrap_or(today)));
    }
    if done && unmarking && !summary.finished {
        fields.status = ListStatus::InProgress;
        fields.finish_date = None;
    }
    fields
}

#[cfg(test)]
mod tests {
    use chrono::TimeDelta;

    use super::*;

    fn episode(number: Option<i32>, special: bool, aired_days_ago: i64) -> Episode {
        Episode {
            id: Uuid::now_v7(),
            season: 1,
            number,
            special,
            title: String::new(),
            air_date: None,
            air_time: Some(Utc::now() - TimeDelta::days(aired_days_ago)),
            runtime_minutes: None,
            missing_upstream: false,
            updated_at: Utc::now(),
        }
    }

    fn watched(episodes: &[&Episode]) -> HashMap<Uuid, Seen> {
        episodes
            .iter()
            .map(|e| {
                let seen = Seen {
                    count: 1,
                    in_run: true,
                    last: None,
                };
                (e.id, seen)
            })
            .collect()
    }

    #[test]
    fn specials_never_count_and_an_ended_show_completes() {
        let one = episode(Some(1), false, 10);
        let special = episode(None, true, 9);
        let two = episode(Some(2), false, 8);
        let list = [one.clone(), special.clone(), two.clone()];
        let now = Utc::now();
        let partly = Summary::of(&list, &watched(&[&one, &special]), ShowStatus::Ended, now);
        assert_eq!(
            (partly.watched, partly.aired, partly.next),
            (1, 2, Some(two.id))
        );
        let after = fields(&EntryFields::planned(), &partly, now, false);
        assert_eq!(after.status, ListStatus::InProgress);
        assert_eq!(after.progress.get(), 1);

        let all = Summary::of(&list, &watched(&[&one, &two]), ShowStatus::Ended, now);
        assert!(all.finished);
        let done = fields(&after, &all, now, false);
        assert_eq!(done.status, ListStatus::Completed);
        assert_eq!(done.finish_date, Some(now.date_naive()));

        let running = Summary::of(&list, &watched(&[&one, &two]), ShowStatus::Running, now);
        assert!(running.caught_up && !running.finished);
        assert_eq!(
            fields(&after, &running, now, false).status,
            ListStatus::InProgress
        );

        let undone = fields(&done, &partly, now, true);
        assert_eq!(
            (undone.status, undone.finish_date),
            (ListStatus::InProgress, None)
        );
    }

    #[test]
    fn unaired_episodes_are_next_but_not_due() {
        let one = episode(Some(1), false, 10);
        let later = episode(Some(2), false, -3);
        let summary = Summary::of(
            &[one.clone(), later.clone()],
            &watched(&[&one]),
            ShowStatus::Running,
            Utc::now(),
        );
        assert_eq!(summary.next, Some(later.id));
        assert!(summary.caught_up);
        assert_eq!(summary.aired, 1);
    }
}
