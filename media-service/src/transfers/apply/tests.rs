use chrono::NaiveDate;

use super::*;

fn fields(status: ListStatus, progress: i32, day: Option<u32>) -> EntryFields {
    EntryFields {
        status,
        rating: None,
        progress: Progress::parse(progress).unwrap(),
        notes: Notes::default(),
        start_date: None,
        finish_date: day.and_then(|d| NaiveDate::from_ymd_opt(2020, 1, d)),
    }
}

#[test]
fn merge_keeps_the_greater_progress_and_the_later_dates() {
    let mut entry = fields(ListStatus::InProgress, 10, Some(5));
    entry.rating = Rating::parse(7).ok();
    let mut file = fields(ListStatus::InProgress, 4, Some(9));
    file.rating = Rating::parse(3).ok();
    file.notes = Notes::parse("from the file").unwrap();
    let merged = merge(&entry, &file);
    assert_eq!(merged.progress.get(), 10);
    assert_eq!(merged.finish_date, NaiveDate::from_ymd_opt(2020, 1, 9));
    assert_eq!(merged.rating, entry.rating, "the entry's rating stays");
    assert_eq!(
        merged.notes.as_str(),
        "from the file",
        "fills what the entry lacks"
    );
    let done = merge(&entry, &fields(ListStatus::Completed, 12, None));
    assert_eq!(
        (done.status, done.progress.get()),
        (ListStatus::Completed, 12)
    );
}

#[test]
fn policies_settle_conflicts() {
    let item = Uuid::now_v7();
    let existing = || {
        HashMap::from([(
            item,
            EntryDraft {
                id: Uuid::now_v7(),
                fields: fields(ListStatus::InProgress, 3, None),
                file_item: None,
                created: false,
                changed: false,
            },
        )])
    };
    let file = fields(ListStatus::InProgress, 5, None);
    let same = fields(ListStatus::InProgress, 3, None);
    let outcome = |policy, file: &EntryFields| {
        resolve_conflict(&mut existing(), item, policy, file.clone()).0
    };
    assert_eq!(outcome(Policy::Skip, &file), Outcome::Skipped);
    assert_eq!(outcome(Policy::Skip, &same), Outcome::Unchanged);
    assert_eq!(outcome(Policy::Overwrite, &file), Outcome::Updated);
    assert_eq!(outcome(Policy::Overwrite, &same), Outcome::Unchanged);
    assert_eq!(outcome(Policy::Merge, &file), Outcome::Updated);
    assert_eq!(
        resolve_conflict(&mut HashMap::new(), item, Policy::Skip, file).0,
        Outcome::Created
    );
}
