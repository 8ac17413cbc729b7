//! What an entry's fields become: an update applied to the stored fields;
//! the completion rule — completing fills the progress (to the item's
//! total, where known) and the finish date (today), unless the same change
//! sets them, and records a run; the restart rule — taking a completed
//! entry back to in progress (a rewatch, a reread, a replay) begins a new
//! run from today and zero, unless the same change says otherwise; the
//! start rule — progress on a planned entry starts it (in progress, from
//! today), as in every tracker, unless the same change sets those; and
//! what every entry must be: progress never past the item's total, never
//! finished before it started.

use chrono::Utc;
use completionist_common::error::Violations;

use super::EntryUpdate;
use crate::{
    domain::{EntryFields, Item, ListStatus, Progress, RunDates},
    error::Error,
};

/// `before` with the masked changes of `update`.
pub(super) fn apply(before: &EntryFields, update: &EntryUpdate) -> EntryFields {
    EntryFields {
        status: update.status.unwrap_or(before.status),
        rating: update.rating.unwrap_or(before.rating),
        progress: update.progress.unwrap_or(before.progress),
        notes: update.notes.clone().unwrap_or_else(|| before.notes.clone()),
        start_date: update.start_date.unwrap_or(before.start_date),
        finish_date: update.finish_date.unwrap_or(before.finish_date),
    }
}

/// `fields` with what completing fills in, when they complete an entry
/// that was not complete (`previous`: the stored fields and the update, or
/// `None` for a new entry).
pub(super) fn complete(
    mut fields: EntryFields,
    previous: Option<(&EntryFields, &EntryUpdate)>,
    item: &Item,
) -> EntryFields {
    let was_completed = previous.is_some_and(|(before, _)| before.status == ListStatus::Completed);
    if fields.status != ListStatus::Completed || was_completed {
        return fields;
    }
    let (progress_given, finish_given) = match previous {
        Some((_, update)) => (update.progress.is_some(), update.finish_date.is_some()),
        None => (
            fields.progress != Progress::default(),
            fields.finish_date.is_some(),
        ),
    };
    if !progress_given && let Some(total) = item.total_units.and_then(|t| Progress::parse(t).ok()) {
        fields.progress = fields.progress.max(total);
    }
    if !finish_given && fields.finish_date.is_none() {
        fields.finish_date = Some(Utc::now().date_naive());
    }
    fields
}

/// `fields` begun again, when they take a completed entry back to in
/// progress: the old run stays in the history, the new one starts today at
/// zero, unless the same change sets those.
pub(super) fn restart(
    mut fields: EntryFields,
    before: &EntryFields,
    update: &EntryUpdate,
) -> EntryFields {
    if before.status != ListStatus::Completed || fields.status != ListStatus::InProgress {
        return fields;
    }
    if update.start_date.is_none() {
        fields.start_date = Some(Utc::now().date_naive());
    }
    if update.finish_date.is_none() {
        fields.finish_date = None;
    }
    if update.progress.is_none() {
        fields.progress = Progress::default();
    }
    fields
}

/// `fields` started, when they add progress to a planned entry and the
/// same change sets no status: in progress, and from today unless it has a
/// start date already or the change gives one.
pub(super) fn start(
    mut fields: EntryFields,
    before: &EntryFields,
    update: &EntryUpdate,
) -> EntryFields {
    let progressed = update.progress.is_some_and(|p| p > before.progress);
    if before.status != ListStatus::Planned || update.status.is_some() || !progressed {
        return fields;
    }
    fields.status = ListStatus::InProgress;
    if update.start_date.is_none() && fields.start_date.is_none() {
        fields.start_date = Some(Utc::now().date_naive());
    }
    fields
}

/// The run that a change from `before` (`None`: a new entry) to `after`
/// finishes, if it finishes one.
pub(crate) fn finished_run(before: Option<&EntryFields>, after: &EntryFields) -> Option<RunDates> {
    let was_completed = before.is_some_and(|b| b.status == ListStatus::Completed);
    (after.status == ListStatus::Completed && !was_completed).then_some(RunDates {
        start_date: after.start_date,
        finish_date: after.finish_date,
    })
}

/// Refuses a run that finishes before it starts.
pub(crate) fn check_run(dates: RunDates, prefix: &str) -> Result<(), Error> {
    let mut v = Violations::default();
    if let (Some(start), Some(finish)) = (dates.start_date, dates.finish_date)
        && finish < start
    {
        let why = format!("the finish date {finish} is before the start date {start}");
        v.add(&format!("{prefix}start_date"), &why);
        v.add(&format!("{prefix}finish_date"), why);
    }
    Ok(v.finish(())?)
}

/// Refuses progress past the item's total and a finish before the start,
/// naming every field involved (each prefixed with `prefix`).
pub(super) fn check(fields: &EntryFields, item: &Item, prefix: &str) -> Result<(), Error> {
    let mut v = Violations::default();
    if let Some(total) = item.total_units
        && fields.progress.get() > total
    {
        v.add(
            &format!("{prefix}progress"),
            format!("must not exceed the item's {total} units"),
        );
    }
    v.finish(())?;
    check_run(
        RunDates {
            start_date: fields.start_date,
            finish_date: fields.finish_date,
        },
        prefix,
    )
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;
    use uuid::Uuid;

    use super::*;
    use crate::domain::{MediaKind, Notes, Source};

    fn item(total_units: Option<i32>) -> Item {
        Item {
            id: Uuid::now_v7(),
            kind: MediaKind::Anime,
            source: Source::Jikan,
            external_id: Some("1".into()),
            title: "Cowboy Bebop".into(),
            year: Some(1998),
            image_url: String::new(),
            summary: String::new(),
            total_units,
            provider_check: crate::domain::ProviderCheck::Confirmed,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    fn fields(status: ListStatus, progress: i32) -> EntryFields {
        EntryFields {
            status,
            rating: None,
            progress: Progress::parse(progress).unwrap(),
            notes: Notes::default(),
            start_date: None,
            finish_date: None,
        }
    }

    fn completing() -> EntryUpdate {
        EntryUpdate {
            status: Some(ListStatus::Completed),
            ..EntryUpdate::default()
        }
    }

    #[test]
    fn progress_on_a_planned_entry_starts_it_unless_a_status_is_given() {
        let planned = fields(ListStatus::Planned, 0);
        let plus_one = EntryUpdate {
            progress: Some(Progress::parse(1).unwrap()),
            ..EntryUpdate::default()
        };
        let started = start(apply(&planned, &plus_one), &planned, &plus_one);
        assert_eq!(started.status, ListStatus::InProgress);
        assert_eq!(started.start_date, Some(Utc::now().date_naive()));

        let kept_planned = EntryUpdate {
            status: Some(ListStatus::Planned),
            progress: Some(Progress::parse(1).unwrap()),
            ..EntryUpdate::default()
        };
        let kept = start(apply(&planned, &kept_planned), &planned, &kept_planned);
        assert_eq!(kept.status, ListStatus::Planned);
        let on_hold = fields(ListStatus::OnHold, 0);
        let same = start(apply(&on_hold, &plus_one), &on_hold, &plus_one);
        assert_eq!(
            same.status,
            ListStatus::OnHold,
            "only planned entries start"
        );
    }

    #[test]
    fn completing_fills_progress_and_finish_date() {
        let before = fields(ListStatus::InProgress, 3);
        let update = completing();
        let done = complete(
            apply(&before, &update),
            Some((&before, &update)),
            &item(Some(26)),
        );
        assert_eq!(done.progress.get(), 26);
        assert_eq!(done.finish_date, Some(Utc::now().date_naive()));
    }

    #[test]
    fn completing_keeps_what_the_same_change_sets() {
        let before = fields(ListStatus::InProgress, 3);
        let day = NaiveDate::from_ymd_opt(2020, 1, 2);
        let update = EntryUpdate {
            progress: Some(Progress::parse(20).unwrap()),
            finish_date: Some(day),
            ..completing()
        };
        let done = complete(
            apply(&before, &update),
            Some((&before, &update)),
            &item(Some(26)),
        );
        assert_eq!(done.progress.get(), 20);
        assert_eq!(done.finish_date, day);
    }

    #[test]
    fn completing_finishes_a_run_and_restarting_begins_another() {
        let done = fields(ListStatus::Completed, 26);
        assert_eq!(
            finished_run(None, &done),
            Some(RunDates::default()),
            "a new completed entry is one run"
        );
        assert_eq!(finished_run(Some(&done), &done), None);
        let update = EntryUpdate {
            status: Some(ListStatus::InProgress),
            ..EntryUpdate::default()
        };
        let mut before = done.clone();
        before.finish_date = NaiveDate::from_ymd_opt(2020, 1, 2);
        let again = restart(apply(&before, &update), &before, &update);
        assert_eq!(again.progress.get(), 0);
        assert_eq!(again.finish_date, None);
        assert_eq!(again.start_date, Some(Utc::now().date_naive()));
        assert_eq!(finished_run(Some(&before), &again), None);
        let held = EntryUpdate {
            status: Some(ListStatus::OnHold),
            ..EntryUpdate::default()
        };
        assert_eq!(
            restart(apply(&before, &held), &before, &held)
                .progress
                .get(),
            26
        );
    }

    #[test]
    fn unknown_totals_leave_progress_alone() {
        let done = complete(fields(ListStatus::Completed, 0), None, &item(None));
        assert_eq!(done.progress.get(), 0);
        assert!(done.finish_date.is_some());
    }

    #[test]
    fn progress_cannot_pass_the_total() {
        let verdict =
            |progress, total| check(&fields(ListStatus::InProgress, progress), &item(total), "");
        assert!(verdict(27, Some(26)).is_err());
        assert!(verdict(26, Some(26)).is_ok());
        assert!(verdict(9999, None).is_ok());
    }

    #[test]
    fn an_entry_cannot_finish_before_it_starts() {
        let mut entry = fields(ListStatus::Completed, 0);
        entry.start_date = NaiveDate::from_ymd_opt(2024, 5, 2);
        entry.finish_date = NaiveDate::from_ymd_opt(2024, 5, 1);
        let Err(Error::Common(completionist_common::error::CommonError::InvalidArgument(v))) =
            check(&entry, &item(None), "list_entry.")
        else {
            panic!("expected InvalidArgument");
        };
        let fields: Vec<_> = v.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(fields, ["list_entry.start_date", "list_entry.finish_date"]);
        entry.finish_date = entry.start_date;
        assert!(
            check(&entry, &item(None), "").is_ok(),
            "the same day is fine"
        );
    }
}
