//! Catalog and list values parsed once at the edge: kinds, sources,
//! statuses, ratings and ids, with their database and protobuf names.

use std::fmt;

use chrono::NaiveDate;
use completionist_proto::media as pb;
use uuid::Uuid;

macro_rules! text_enum {
    ($(#[$meta:meta])* $name:ident, $pb:ty, $what:literal { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        pub enum $name { $($variant),+ }

        impl $name {
            #[allow(dead_code, reason = "generated for every enum; sources are never listed")]
            pub const ALL: &[Self] = &[$(Self::$variant),+];

            /// The name stored in the database.
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $text),+ }
            }

            /// Parses a stored name.
            pub fn from_db(text: &str) -> Option<Self> {
                match text { $($text => Some(Self::$variant),)+ _ => None }
            }

            /// The protobuf value; `UNSPECIFIED` and unknown numbers are refused.
            pub fn from_proto(value: i32) -> Result<Self, String> {
                match <$pb>::try_from(value) {
                    $(Ok(<$pb>::$variant) => Ok(Self::$variant),)+
                    _ => Err(format!("must be a {} other than UNSPECIFIED, got {value}", $what)),
                }
            }

            /// The protobuf value, `None` for `UNSPECIFIED` (a filter not set).
            #[allow(dead_code, reason = "generated for every enum; sources are never filtered on")]
            pub fn filter_from_proto(value: i32) -> Result<Option<Self>, String> {
                if value == 0 { Ok(None) } else { Self::from_proto(value).map(Some) }
            }

            pub fn to_proto(self) -> i32 {
                match self { $(Self::$variant => <$pb>::$variant as i32),+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

text_enum!(
    /// What a catalog item is.
    MediaKind, pb::MediaKind, "media kind" {
        Movie = "movie",
        Series = "series",
        Anime = "anime",
        Manga = "manga",
        Game = "game",
        Book = "book",
    }
);

text_enum!(
    /// Where a catalog item comes from.
    Source, pb::MediaSource, "media source" {
        Omdb = "omdb",
        Jikan = "jikan",
        OpenLibrary = "open_library",
        Rawg = "rawg",
        Custom = "custom",
    }
);

text_enum!(
    /// Where an entry stands on a user's list.
    ListStatus, pb::ListStatus, "list status" {
        Planned = "planned",
        InProgress = "in_progress",
        Completed = "completed",
        OnHold = "on_hold",
        Dropped = "dropped",
    }
);

impl MediaKind {
    /// The provider that serves this kind.
    pub fn provider(self) -> Source {
        match self {
            Self::Movie | Self::Series => Source::Omdb,
            Self::Anime | Self::Manga => Source::Jikan,
            Self::Book => Source::OpenLibrary,
            Self::Game => Source::Rawg,
        }
    }
}

/// A provider's item: source, kind and the provider's id.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Reference {
    pub source: Source,
    pub kind: MediaKind,
    pub external_id: String,
}

impl Reference {
    /// Checks a reference: a provider source, a kind it serves, an id.
    pub fn parse(reference: &pb::MediaReference) -> Result<Self, Vec<(&'static str, String)>> {
        let mut problems = Vec::new();
        let source = Source::from_proto(reference.source)
            .map_err(|e| problems.push(("source", e)))
            .ok();
        let kind = MediaKind::from_proto(reference.kind)
            .map_err(|e| problems.push(("kind", e)))
            .ok();
        let external_id = reference.external_id.trim();
        if external_id.is_empty() {
            problems.push(("external_id", "must not be empty".into()));
        } else if external_id.len() > 64
            || !external_id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            problems.push((
                "external_id",
                "must be at most 64 letters, digits, '-' or '_'".into(),
            ));
        }
        if let (Some(source), Some(kind)) = (source, kind)
            && kind.provider() != source
        {
            problems.push(("kind", format!("{source} does not serve {kind}")));
        }
        match (source, kind, problems.is_empty()) {
            (Some(source), Some(kind), true) => Ok(Self {
                source,
                kind,
                external_id: external_id.to_owned(),
            }),
            _ => Err(problems),
        }
    }
}

/// A rating from 1 to 10.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rating(i16);

impl Rating {
    pub fn parse(value: i32) -> Result<Self, String> {
        i16::try_from(value)
            .ok()
            .filter(|v| (1..=10).contains(v))
            .map(Self)
            .ok_or_else(|| format!("must be between 1 and 10, got {value}"))
    }

    pub fn get(self) -> i16 {
        self.0
    }
}

/// Parses a UUID field.
pub fn parse_id(raw: &str) -> Result<Uuid, String> {
    Uuid::parse_str(raw.trim()).map_err(|_| "must be a UUID".into())
}

/// A title: trimmed, 1 to 500 characters.
pub fn parse_title(raw: &str) -> Result<String, String> {
    let title = raw.trim();
    match title.chars().count() {
        0 => Err("must not be empty".into()),
        n if n > 500 => Err("must be at most 500 characters".into()),
        _ => Ok(title.to_owned()),
    }
}

/// A protobuf date; all zeros means "not set".
pub fn parse_date(date: Option<&pb::Date>) -> Result<Option<NaiveDate>, String> {
    match date {
        None => Ok(None),
        Some(d) if d.year == 0 && d.month == 0 && d.day == 0 => Ok(None),
        Some(d) => u32::try_from(d.month)
            .ok()
            .zip(u32::try_from(d.day).ok())
            .and_then(|(month, day)| NaiveDate::from_ymd_opt(d.year, month, day))
            .map(Some)
            .ok_or_else(|| format!("{}-{}-{} is not a date", d.year, d.month, d.day)),
    }
}

pub fn date_to_proto(date: NaiveDate) -> pb::Date {
    use chrono::Datelike;
    pb::Date {
        year: date.year(),
        month: i32::try_from(date.month()).unwrap_or_default(),
        day: i32::try_from(date.day()).unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enums_round_trip_through_db_and_proto() {
        for kind in MediaKind::ALL {
            assert_eq!(MediaKind::from_db(kind.as_str()), Some(*kind));
            assert_eq!(MediaKind::from_proto(kind.to_proto()), Ok(*kind));
        }
        assert!(ListStatus::from_proto(0).is_err());
        assert_eq!(ListStatus::filter_from_proto(0), Ok(None));
        assert!(Source::from_proto(99).is_err());
    }

    #[test]
    fn references_must_name_a_kind_the_source_serves() {
        let reference = |source: Source, kind: MediaKind, id: &str| pb::MediaReference {
            source: source.to_proto(),
            kind: kind.to_proto(),
            external_id: id.into(),
        };
        assert!(Reference::parse(&reference(Source::Omdb, MediaKind::Movie, "tt0133093")).is_ok());
        let problems =
            Reference::parse(&reference(Source::Jikan, MediaKind::Movie, "")).unwrap_err();
        let fields: Vec<_> = problems.iter().map(|p| p.0).collect();
        assert_eq!(fields, ["external_id", "kind"]);
        assert!(Reference::parse(&reference(Source::Rawg, MediaKind::Game, "../etc")).is_err());
    }

    #[test]
    fn ratings_and_dates() {
        assert!(Rating::parse(0).is_err());
        assert!(Rating::parse(11).is_err());
        assert_eq!(Rating::parse(10).unwrap().get(), 10);
        assert_eq!(parse_date(Some(&pb::Date::default())), Ok(None));
        assert!(
            parse_date(Some(&pb::Date {
                year: 2024,
                month: 2,
                day: 30
            }))
            .is_err()
        );
        assert_eq!(
            parse_date(Some(&pb::Date {
                year: 2024,
                month: 2,
                day: 29
            }))
            .unwrap(),
            NaiveDate::from_ymd_opt(2024, 2, 29)
        );
    }
}
