//! Statements that Postgres prepares once per connection. Diesel never
//! keeps `sql_query`, an UPDATE or an upsert prepared: each call sends its
//! text to be parsed and planned again, one more round trip, which for a
//! statement run on each request costs more than running it (a scrobble's
//! token statement: 0.16 ms planning, 0.08 ms executing). Two ways keep a
//! statement in Diesel's cache of prepared statements, by its text and its
//! parameters' types:
//!
//! - [`prepared`]: hand-written SQL;
//! - [`cached`]: an UPDATE built with Diesel whose text is the same on
//!   every call (a list of rows to insert is [`prepared`] SQL over
//!   `unnest`, one text for any number of rows).
//!
//! The text is given in pieces with each bound value between two, numbered
//! `$1`, `$2`, … in the order they are bound:
//!
//! ```ignore
//! prepared("SELECT id FROM users WHERE email = ")
//!     .bind::<Text, _>(email)
//!     .sql(" AND active")
//! ```

use std::marker::PhantomData;

use diesel::{
    QueryResult,
    backend::Backend,
    query_builder::{AstPass, Query, QueryFragment, QueryId, UpdateStatement},
    serialize::ToSql,
    sql_types::{HasSqlType, Untyped},
};

/// A statement's text so far, ending in a piece of SQL.
#[must_use = "a statement runs only when loaded or executed"]
pub struct Prepared<Before> {
    before: Before,
    sql: &'static str,
}

/// A statement's text so far, ending in a bound value of SQL type `ST`.
#[must_use = "a statement runs only when loaded or executed"]
pub struct Bound<Before, ST, T> {
    before: Before,
    value: T,
    sql_type: PhantomData<ST>,
}

/// A statement starting with `sql`.
pub fn prepared(sql: &'static str) -> Prepared<()> {
    Prepared { before: (), sql }
}

impl<Before> Prepared<Before> {
    /// `value` as the next parameter.
    pub fn bind<ST, T>(self, value: T) -> Bound<Self, ST, T> {
        Bound {
            before: self,
            value,
            sql_type: PhantomData,
        }
    }
}

impl<Before, ST, T> Bound<Before, ST, T> {
    /// `sql` after the value.
    pub fn sql(self, sql: &'static str) -> Prepared<Self> {
        Prepared { before: self, sql }
    }
}

impl<DB: Backend, Before: QueryFragment<DB>> QueryFragment<DB> for Prepared<Before> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        self.before.walk_ast(out.reborrow())?;
        out.push_sql(self.sql);
        Ok(())
    }
}

impl<DB, Before, ST, T> QueryFragment<DB> for Bound<Before, ST, T>
where
    DB: Backend + HasSqlType<ST>,
    Before: QueryFragment<DB>,
    T: ToSql<ST, DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        self.before.walk_ast(out.reborrow())?;
        out.push_bind_param::<ST, T>(&self.value)
    }
}

// No type identifies the statement: Diesel keeps it by its text (and its
// parameters' types), which is the same on every call.
impl<Before> QueryId for Prepared<Before> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Before, ST, T> QueryId for Bound<Before, ST, T> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

/// `update`, kept prepared by its text (see the module's doc). Only an
/// UPDATE: Diesel keeps every other statement of one text prepared itself,
/// and the text of an UPDATE is the same on every call unless its
/// changeset skips `None` fields (use `treat_none_as_null`).
pub fn cached<T: diesel::QuerySource, U, V, Ret>(
    update: UpdateStatement<T, U, V, Ret>,
) -> Cached<UpdateStatement<T, U, V, Ret>> {
    Cached(update)
}

/// A statement built with Diesel, kept prepared (see [`cached`]).
#[must_use = "a statement runs only when loaded or executed"]
pub struct Cached<Q>(Q);

impl<DB: Backend, Q: QueryFragment<DB>> QueryFragment<DB> for Cached<Q> {
    fn walk_ast<'b>(&'b self, out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        self.0.walk_ast(out)
    }

    // Diesel says no for every UPDATE, in case its text changes with the
    // values set; keyed by the text, a statement of one text is safe.
    fn is_safe_to_cache_prepared(&self, _backend: &DB) -> QueryResult<bool> {
        Ok(true)
    }
}

impl<Q> QueryId for Cached<Q> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q: Query> Query for Cached<Q> {
    type SqlType = Q::SqlType;
}

// Rows are read by name (`QueryableByName`), as `sql_query`'s are.
impl<Before> Query for Prepared<Before> {
    type SqlType = Untyped;
}

impl<Before, ST, T> Query for Bound<Before, ST, T> {
    type SqlType = Untyped;
}

#[cfg(test)]
mod tests {
    use diesel::{
        pg::Pg,
        prelude::*,
        query_builder::QueryFragment,
        sql_types::{Integer, Nullable, Text},
    };

    use super::{cached, prepared};

    diesel::table! {
        t (a) {
            a -> Integer,
            b -> Nullable<Text>,
        }
    }

    #[test]
    fn parameters_are_numbered_in_the_order_they_are_bound() {
        let query = prepared("SELECT a FROM t WHERE b = ")
            .bind::<Integer, _>(7)
            .sql(" AND c = ")
            .bind::<Nullable<Text>, _>(Some("x"))
            .sql(" LIMIT 1");
        assert_eq!(
            diesel::debug_query::<Pg, _>(&query).to_string(),
            r#"SELECT a FROM t WHERE b = $1 AND c = $2 LIMIT 1 -- binds: [7, Some("x")]"#
        );
    }

    #[test]
    fn a_cached_update_is_kept_prepared_with_the_same_text() {
        let update = |b: Option<&'static str>| diesel::update(t::table.find(1)).set(t::b.eq(b));
        assert!(!update(Some("x")).is_safe_to_cache_prepared(&Pg).unwrap());
        assert!(
            cached(update(Some("x")))
                .is_safe_to_cache_prepared(&Pg)
                .unwrap()
        );
        let text = |b| {
            let query = cached(update(b));
            let shown = diesel::debug_query::<Pg, _>(&query).to_string();
            shown.split(" -- ").next().unwrap_or_default().to_owned()
        };
        assert_eq!(
            text(Some("x")),
            "UPDATE \"t\" SET \"b\" = $1 WHERE (\"t\".\"a\" = $2)"
        );
        assert_eq!(text(None), text(Some("x")), "one text, whatever the values");
    }
}
