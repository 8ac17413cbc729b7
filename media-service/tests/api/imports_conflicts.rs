//! The same file twice (one after the other, and at once), and what each
//! conflict policy does to entries already on the list.

use completionist_proto::media as pb;
use pb::{ConflictPolicy, RowOutcome};

use crate::{
    helpers::TestApp,
    imports::{import_fixture, outcomes},
};

#[tokio::test]
async fn importing_the_same_file_twice_changes_nothing() {
    let app = TestApp::spawn().await;
    let token = app.user().await;
    let file = import_fixture("mal-anime.xml");
    let first = app
        .start_import(&token, file.clone(), "a.xml", ConflictPolicy::Skip)
        .await
        .unwrap();
    app.watch_import(&token, &first.id, 0).await;
    let before = app.all_entries(&token).await;

    for policy in [
        ConflictPolicy::Skip,
        ConflictPolicy::Overwrite,
        ConflictPolicy::Merge,
    ] {
        let again = app
            .start_import(&token, file.clone(), "a.xml", policy)
            .await
            .unwrap();
        let (rows, done) = app.watch_import(&token, &again.id, 0).await;
        assert_eq!(
            outcomes(&rows[..3]),
            [RowOutcome::Unchanged; 3],
            "{policy:?}: {rows:?}"
        );
        assert_eq!(
            (done.unchanged_count, done.created_count, done.updated_count),
            (3, 0, 0)
        );
    }
    let after = app.all_entries(&token).await;
    let view = |entries: &[pb::ListEntry]| -> Vec<_> {
        entries
            .iter()
            .map(|e| (e.id.clone(), e.progress, e.completion_count, e.update_time))
            .collect()
    };
    assert_eq!(view(&after), view(&before));
}

#[tokio::test]
async fn conflict_policies_skip_overwrite_or_merge() {
    let app = TestApp::spawn().await;
    let token = app.user().await;
    let file = import_fixture("mal-anime.xml");
    let first = app
        .start_import(&token, file.clone(), "a.xml", ConflictPolicy::Skip)
        .await
        .unwrap();
    app.watch_import(&token, &first.id, 0).await;
    let fma = app.all_entries(&token).await.remove(1);
    let edit = |progress: i32, notes: &str| pb::ListEntry {
        id: fma.id.clone(),
        progress,
        notes: notes.into(),
        ..Default::default()
    };
    app.update(&token, edit(20, "mine"), &["progress", "notes"])
        .await
        .unwrap();

    let run = |policy| {
        let (app, token, file) = (&app, &token, file.clone());
        async move {
            let job = app
                .start_import(token, file, "a.xml", policy)
                .await
                .unwrap();
            let (rows, _) = app.watch_import(token, &job.id, 0).await;
            (
                rows[1].outcome(),
                app.get_entry(token, &rows[1].list_entry_id).await.unwrap(),
            )
        }
    };
    let (outcome, entry) = run(ConflictPolicy::Skip).await;
    assert_eq!(
        (outcome, entry.progress, entry.notes.as_str()),
        (RowOutcome::Skipped, 20, "mine")
    );
    let (outcome, entry) = run(ConflictPolicy::Merge).await;
    assert_eq!(
        (outcome, entry.progress, entry.notes.as_str()),
        (RowOutcome::Unchanged, 20, "mine"),
        "the greater progress and the entry's own notes stay"
    );
    let (outcome, entry) = run(ConflictPolicy::Overwrite).await;
    assert_eq!(
        (outcome, entry.progress, entry.notes.as_str()),
        (RowOutcome::Updated, 12, "")
    );
}

#[tokio::test]
async fn two_imports_of_one_file_at_once_add_each_custom_item_once() {
    use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};

    let app = TestApp::spawn().await;
    let token = app.user().await;
    for n in 0..40 {
        let item = app
            .custom_item(&token, pb::MediaKind::Book, &format!("Zine {n}"), None)
            .await;
        app.add(&token, &item.id, pb::ListStatus::Planned, None)
            .await;
    }
    let (json, _, _) = app.export(&token, pb::ExportFormat::Unspecified).await;

    let fresh = app.user().await;
    // Both jobs meet at their first write of an item: items are held off
    // until two transactions wait (both jobs' batches, or one batch and
    // the other waiting for it).
    let mut holder = AsyncPgConnection::establish(app.media_db.url())
        .await
        .unwrap();
    holder
        .batch_execute("BEGIN; LOCK TABLE media_items IN SHARE ROW EXCLUSIVE MODE")
        .await
        .unwrap();
    let mut jobs = Vec::new();
    for _ in 0..2 {
        let job = app
            .start_import(&fresh, json.clone(), "export.json", ConflictPolicy::Skip)
            .await
            .unwrap();
        jobs.push(job);
    }
    let waiting = "SELECT count(*) AS count FROM pg_locks WHERE NOT granted AND database = \
                   (SELECT oid FROM pg_database WHERE datname = current_database())";
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while app.media_db.count(waiting).await < 2 {
        assert!(std::time::Instant::now() < deadline, "the jobs never met");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    holder.batch_execute("COMMIT").await.unwrap();
    for job in jobs {
        app.watch_import(&fresh, &job.id, 0).await;
    }
    assert_eq!(app.all_entries(&fresh).await.len(), 40);
    let items = app
        .media_db
        .count("SELECT count(*) AS count FROM media_items WHERE source = 'custom'")
        .await;
    assert_eq!(items, 80, "the importer's custom items: 40, each once");
}
