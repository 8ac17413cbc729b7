//! Values parsed once at the edge: each constructor is the only way to make
//! one, and says why a value is refused.

use diesel::{
    deserialize::{self, FromSql, FromSqlRow},
    expression::AsExpression,
    pg::{Pg, PgValue},
    serialize::{self, Output, ToSql},
    sql_types::{Integer, SmallInt},
};
use uuid::Uuid;

/// Parses a UUID field.
pub(crate) fn parse_id(raw: &str) -> Result<Uuid, String> {
    Uuid::parse_str(raw.trim()).map_err(|_| "must be a UUID".into())
}

/// Text trimmed and between `min` and `max` characters.
fn bounded(raw: &str, min: usize, max: usize) -> Result<String, String> {
    let text = raw.trim();
    match text.chars().count() {
        0 if min > 0 => Err("must not be empty".into()),
        n if n > max => Err(format!("must be at most {max} characters")),
        _ => Ok(text.to_owned()),
    }
}

/// A catalog title: trimmed, 1 to 500 characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Title(String);

impl Title {
    pub(crate) fn parse(raw: &str) -> Result<Self, String> {
        bounded(raw, 1, 500).map(Self)
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

/// A search query: trimmed, 1 to 200 characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SearchQuery(String);

impl SearchQuery {
    pub(crate) fn parse(raw: &str) -> Result<Self, String> {
        bounded(raw, 1, 200).map(Self)
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

/// A filter on titles: trimmed, at most 200 characters; empty is no filter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct TitleQuery(String);

impl TitleQuery {
    pub(crate) fn parse(raw: &str) -> Result<Option<Self>, String> {
        bounded(raw, 0, 200).map(|q| (!q.is_empty()).then_some(Self(q)))
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

/// A summary: trimmed, at most 4,000 characters.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Summary(String);

impl Summary {
    pub(crate) fn parse(raw: &str) -> Result<Self, String> {
        // The length is checked before trimming, as the API always has.
        if raw.chars().count() > 4000 {
            return Err("must be at most 4000 characters".into());
        }
        Ok(Self(raw.trim().to_owned()))
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

/// An image address: empty, or an `https://` URL.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct ImageUrl(String);

impl ImageUrl {
    pub(crate) fn parse(raw: &str) -> Result<Self, String> {
        let url = raw.trim();
        // Pages load images over https only (their Content-Security-Policy).
        if url.is_empty() || url.starts_with("https://") {
            Ok(Self(url.to_owned()))
        } else {
            Err("must be an https:// URL".into())
        }
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

/// A release year, 1000 to 2200.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Year(i32);

impl Year {
    pub(crate) fn parse(year: i32) -> Result<Self, String> {
        if (1000..=2200).contains(&year) {
            Ok(Self(year))
        } else {
            Err(format!("must be between 1000 and 2200, got {year}"))
        }
    }

    pub(crate) fn get(self) -> i32 {
        self.0
    }
}

/// How many episodes, chapters or pages an item has: 1 to 1,000,000.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Units(i32);

impl Units {
    pub(crate) fn parse(units: i32) -> Result<Self, String> {
        if (1..=1_000_000).contains(&units) {
            Ok(Self(units))
        } else {
            Err(format!("must be between 1 and 1000000, got {units}"))
        }
    }

    pub(crate) fn get(self) -> i32 {
        self.0
    }
}

/// How far into an item a user is: not negative. Stored as `integer`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, AsExpression, FromSqlRow)]
#[diesel(sql_type = Integer)]
pub(crate) struct Progress(i32);

impl Progress {
    pub(crate) fn parse(progress: i32) -> Result<Self, String> {
        if progress < 0 {
            Err("must not be negative".into())
        } else {
            Ok(Self(progress))
        }
    }

    pub(crate) fn get(self) -> i32 {
        self.0
    }
}

/// A user's notes on an entry: at most 10,000 characters.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Notes(String);

impl Notes {
    pub(crate) const MAX_CHARS: usize = 10_000;

    pub(crate) fn parse(raw: &str) -> Result<Self, String> {
        if raw.chars().count() > Self::MAX_CHARS {
            Err(format!("must be at most {} characters", Self::MAX_CHARS))
        } else {
            Ok(Self(raw.to_owned()))
        }
    }

    /// Notes read back from the database, which holds only parsed ones.
    pub(crate) fn stored(text: String) -> Self {
        Self(text)
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

/// A rating from 1 to 10; stored as `smallint`, and read back through
/// [`Rating::parse`] so a stored value out of range fails the query.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, AsExpression, FromSqlRow)]
#[diesel(sql_type = SmallInt)]
pub(crate) struct Rating(i16);

impl Rating {
    pub(crate) fn parse(value: i32) -> Result<Self, String> {
        i16::try_from(value)
            .ok()
            .filter(|v| (1..=10).contains(v))
            .map(Self)
            .ok_or_else(|| format!("must be between 1 and 10, got {value}"))
    }

    pub(crate) fn get(self) -> i16 {
        self.0
    }
}

impl ToSql<SmallInt, Pg> for Rating {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
        <i16 as ToSql<SmallInt, Pg>>::to_sql(&self.0, out)
    }
}

impl FromSql<SmallInt, Pg> for Rating {
    fn from_sql(value: PgValue<'_>) -> deserialize::Result<Self> {
        let stored = <i16 as FromSql<SmallInt, Pg>>::from_sql(value)?;
        Ok(Self::parse(i32::from(stored))?)
    }
}

impl ToSql<Integer, Pg> for Progress {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
        <i32 as ToSql<Integer, Pg>>::to_sql(&self.0, out)
    }
}

impl FromSql<Integer, Pg> for Progress {
    fn from_sql(value: PgValue<'_>) -> deserialize::Result<Self> {
        Ok(Self::parse(<i32 as FromSql<Integer, Pg>>::from_sql(
            value,
        )?)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_are_trimmed_and_bounded() {
        assert_eq!(Title::parse("  Dune ").unwrap().as_str(), "Dune");
        assert!(Title::parse(" ").is_err());
        assert!(Title::parse(&"t".repeat(501)).is_err());
        assert!(SearchQuery::parse("").is_err());
        assert_eq!(TitleQuery::parse("  ").unwrap(), None);
        assert!(TitleQuery::parse(&"q".repeat(201)).is_err());
        assert!(Summary::parse(&"s".repeat(4001)).is_err());
        assert!(Notes::parse(&"n".repeat(10_001)).is_err());
        assert!(ImageUrl::parse("ftp://x").is_err());
        assert!(ImageUrl::parse("http://covers.example/a.jpg").is_err());
        assert_eq!(ImageUrl::parse(" ").unwrap().as_str(), "");
    }

    #[test]
    fn numbers_are_bounded() {
        assert!(Rating::parse(0).is_err());
        assert!(Rating::parse(11).is_err());
        assert_eq!(Rating::parse(10).unwrap().get(), 10);
        assert!(Year::parse(99).is_err());
        assert!(Units::parse(0).is_err());
        assert!(Progress::parse(-1).is_err());
        assert_eq!(Progress::parse(0).unwrap().get(), 0);
    }
}
