//! The runs of list entries: every time an entry was finished. Every query
//! goes through the entry, so one user can never reach another's runs.

use chrono::{DateTime, NaiveDate, Utc};
use completionist_common::sql::cached;
use diesel::{dsl::count_star, prelude::*};
use diesel_async::RunQueryDsl;
use uuid::Uuid;

use super::{Conn, QueryResult};
use crate::{
    domain::{Run, RunDates},
    schema::{list_entries, list_entry_runs},
};

#[derive(Queryable, Selectable)]
#[diesel(table_name = list_entry_runs, check_for_backend(diesel::pg::Pg))]
struct RunRow {
    id: Uuid,
    list_entry_id: Uuid,
    start_date: Option<NaiveDate>,
    finish_date: Option<NaiveDate>,
    created_at: DateTime<Utc>,
}

impl From<RunRow> for Run {
    fn from(row: RunRow) -> Self {
        let RunRow {
            id,
            list_entry_id,
            start_date,
            finish_date,
            created_at,
        } = row;
        Self {
            id,
            entry_id: list_entry_id,
            dates: RunDates {
                start_date,
                finish_date,
            },
            created_at,
        }
    }
}

/// A run to record; `origin` names where an imported run came from, so that
/// recording it again does nothing.
#[derive(Insertable)]
#[diesel(table_name = list_entry_runs)]
pub(crate) struct NewRun {
    pub(crate) id: Uuid,
    pub(crate) list_entry_id: Uuid,
    pub(crate) start_date: Option<NaiveDate>,
    pub(crate) finish_date: Option<NaiveDate>,
    pub(crate) origin: Option<String>,
}

impl NewRun {
    pub(crate) fn new(entry: Uuid, dates: RunDates, origin: Option<String>) -> Self {
        Self {
            id: Uuid::now_v7(),
            list_entry_id: entry,
            start_date: dates.start_date,
            finish_date: dates.finish_date,
            origin,
        }
    }
}

/// Records a run of an entry the caller has already found (and so owns).
pub(crate) async fn insert(conn: &mut Conn, run: &NewRun) -> QueryResult<Run> {
    diesel::insert_into(list_entry_runs::table)
        .values(run)
        .returning(RunRow::as_returning())
        .get_result(conn)
        .await
        .map(Run::from)
}

/// Records runs, leaving out those whose (entry, origin) is already there;
/// answers how many were new.
pub(crate) async fn insert_new(conn: &mut Conn, runs: &[NewRun]) -> QueryResult<usize> {
    let mut inserted = 0;
    for chunk in runs.chunks(8_000) {
        inserted += diesel::insert_into(list_entry_runs::table)
            .values(chunk)
            .on_conflict((list_entry_runs::list_entry_id, list_entry_runs::origin))
            .do_nothing()
            .execute(conn)
            .await?;
    }
    Ok(inserted)
}

/// The ids and origins of the runs of `entries`: what an import must not
/// add again.
pub(crate) async fn keys(
    conn: &mut Conn,
    entries: &[Uuid],
) -> QueryResult<Vec<(Uuid, Uuid, Option<String>)>> {
    list_entry_runs::table
        .filter(list_entry_runs::list_entry_id.eq_any(entries))
        .select((
            list_entry_runs::list_entry_id,
            list_entry_runs::id,
            list_entry_runs::origin,
        ))
        .load(conn)
        .await
}

/// The runs of `entries`, by entry then finish date.
pub(crate) async fn of_entries(conn: &mut Conn, entries: &[Uuid]) -> QueryResult<Vec<Run>> {
    use list_entry_runs::dsl as r;
    list_entry_runs::table
        .filter(r::list_entry_id.eq_any(entries))
        .order((r::list_entry_id, r::finish_date.asc().nulls_first(), r::id))
        .select(RunRow::as_select())
        .load(conn)
        .await
        .map(|rows| rows.into_iter().map(Run::from).collect())
}

/// `user`'s run `id`, locked (with its entry) for an update in the same
/// transaction.
pub(crate) async fn find_for_update(
    conn: &mut Conn,
    user: Uuid,
    id: Uuid,
) -> QueryResult<Option<Run>> {
    list_entry_runs::table
        .inner_join(list_entries::table)
        .filter(list_entry_runs::id.eq(id))
        .filter(list_entries::user_id.eq(user))
        .select(RunRow::as_select())
        .for_update()
        .first(conn)
        .await
        .optional()
        .map(|row| row.map(Run::from))
}

pub(crate) async fn update(conn: &mut Conn, id: Uuid, dates: RunDates) -> QueryResult<Run> {
    cached(
        diesel::update(list_entry_runs::table.find(id))
            .set((
                list_entry_runs::start_date.eq(dates.start_date),
                list_entry_runs::finish_date.eq(dates.finish_date),
            ))
            .returning(RunRow::as_returning()),
    )
    .get_result(conn)
    .await
    .map(Run::from)
}

/// Forgets the run that completing entry `entry` on `finish_date` recorded
/// (the newest such run the list made, not one imported or entered), when
/// the completion is undone.
pub(crate) async fn forget_completion(
    conn: &mut Conn,
    entry: Uuid,
    finish_date: Option<NaiveDate>,
) -> QueryResult<()> {
    let newest = list_entry_runs::table
        .filter(list_entry_runs::list_entry_id.eq(entry))
        .filter(list_entry_runs::origin.is_null())
        .filter(list_entry_runs::finish_date.is_not_distinct_from(finish_date))
        .order(list_entry_runs::created_at.desc())
        .select(list_entry_runs::id)
        .first::<Uuid>(conn)
        .await
        .optional()?;
    if let Some(id) = newest {
        diesel::delete(list_entry_runs::table.find(id))
            .execute(conn)
            .await?;
    }
    Ok(())
}

/// Deletes `user`'s run `id`; false when there is none.
pub(crate) async fn delete(conn: &mut Conn, user: Uuid, id: Uuid) -> QueryResult<bool> {
    let theirs = list_entries::table
        .filter(list_entries::user_id.eq(user))
        .select(list_entries::id);
    let deleted = diesel::delete(
        list_entry_runs::table
            .filter(list_entry_runs::id.eq(id))
            .filter(list_entry_runs::list_entry_id.eq_any(theirs)),
    )
    .execute(conn)
    .await?;
    Ok(deleted > 0)
}

/// Where a page of runs resumes: after this run, by finish date (unknown
/// first), then id.
pub(crate) type RunPosition = (Option<NaiveDate>, Uuid);

/// A page of the runs of `user`'s entry `entry`.
pub(crate) async fn list(
    conn: &mut Conn,
    user: Uuid,
    entry: Uuid,
    after: Option<RunPosition>,
    limit: i64,
) -> QueryResult<Vec<Run>> {
    use list_entry_runs::dsl as r;
    let mut query = list_entry_runs::table
        .inner_join(list_entries::table)
        .filter(r::list_entry_id.eq(entry))
        .filter(list_entries::user_id.eq(user))
        .select(RunRow::as_select())
        .order((r::finish_date.asc().nulls_first(), r::id.asc()))
        .limit(limit)
        .into_boxed();
    query = match after {
        None => query,
        Some((Some(finish), id)) => query.filter(
            r::finish_date
                .gt(finish)
                .or(r::finish_date.eq(finish).and(r::id.gt(id))),
        ),
        Some((None, id)) => query.filter(r::finish_date.is_not_null().or(r::id.gt(id))),
    };
    let rows = query.load(conn).await?;
    Ok(rows.into_iter().map(Run::from).collect())
}

/// `user`'s runs per month of their finish date, oldest first, and the
/// number of all their runs (those with no finish date too).
pub(crate) async fn by_month(
    conn: &mut Conn,
    user: Uuid,
) -> QueryResult<(Vec<(i32, i32, i64)>, i64)> {
    use diesel::{dsl::sql, sql_types::Integer};
    let theirs = list_entries::table
        .filter(list_entries::user_id.eq(user))
        .select(list_entries::id);
    let year = sql::<Integer>("extract(year FROM finish_date)::int");
    let month = sql::<Integer>("extract(month FROM finish_date)::int");
    let months = list_entry_runs::table
        .filter(list_entry_runs::list_entry_id.eq_any(theirs))
        .filter(list_entry_runs::finish_date.is_not_null())
        .group_by((year.clone(), month.clone()))
        .select((year.clone(), month.clone(), count_star()))
        .order((year, month))
        .load(conn)
        .await?;
    let total = list_entries::table
        .filter(list_entries::user_id.eq(user))
        .select(diesel::dsl::sum(list_entries::completion_count))
        .first::<Option<i64>>(conn)
        .await?;
    Ok((months, total.unwrap_or(0)))
}
