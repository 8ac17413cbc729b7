//! Every conversion between media-service's protobuf messages and its
//! domain: requests destructured whole (a new field breaks the build until
//! it is handled here), every invalid field reported at once. Enums and
//! shared values here; `catalog`, `list` and `runs` for their messages.

mod catalog;
mod imports;
mod list;
mod runs;
pub(crate) mod series;
mod watch;

use chrono::{Datelike, NaiveDate};
use completionist_proto::media as pb;
use tonic_types::FieldViolation;

use crate::{
    domain::{ListStatus, MediaKind, Reference, Source},
    error::Error,
};

/// A domain enum with a protobuf twin whose zero is `UNSPECIFIED`.
pub(crate) trait ProtoEnum: Sized {
    /// Refuses `UNSPECIFIED` and unknown numbers.
    fn from_proto(value: i32) -> Result<Self, String>;

    fn to_proto(self) -> i32;

    /// `None` for `UNSPECIFIED`: a filter not set.
    fn filter_from_proto(value: i32) -> Result<Option<Self>, String> {
        if value == 0 {
            Ok(None)
        } else {
            Self::from_proto(value).map(Some)
        }
    }
}

/// Maps a domain enum to its protobuf twin, variant by variant; `Pb =>
/// Domain` where the names differ.
macro_rules! proto_enum {
    ($domain:ident, $pb:ty, $what:literal { $($pbv:ident $(=> $variant:ident)?),+ $(,)? }) => {
        impl ProtoEnum for $domain {
            fn from_proto(value: i32) -> Result<Self, String> {
                match <$pb>::try_from(value) {
                    $(Ok(<$pb>::$pbv) => Ok(proto_enum!(@domain $pbv $($variant)?)),)+
                    _ => Err(format!("must be a {} other than UNSPECIFIED, got {value}", $what)),
                }
            }

            fn to_proto(self) -> i32 {
                match self {
                    $(proto_enum!(@domain $pbv $($variant)?) => <$pb>::$pbv as i32),+
                }
            }
        }
    };
    (@domain $pbv:ident $variant:ident) => { Self::$variant };
    (@domain $pbv:ident) => { Self::$pbv };
}
pub(crate) use proto_enum;

proto_enum!(MediaKind, pb::MediaKind, "media kind" { Movie, Series, Anime, Manga, Game, Book });
proto_enum!(Source, pb::MediaSource, "media source" { Omdb, Jikan, OpenLibrary, Rawg, Custom });
proto_enum!(ListStatus, pb::ListStatus, "list status" {
    Planned, InProgress, Completed, OnHold, Dropped,
});

/// A reference's problems, each under `field.<its field>`.
fn reference(
    reference: Option<pb::MediaReference>,
    field: &str,
) -> Result<Reference, Vec<FieldViolation>> {
    let Some(pb::MediaReference {
        source,
        kind,
        external_id,
    }) = reference
    else {
        return Err(vec![FieldViolation::new(field, "is required")]);
    };
    let mut problems = Vec::new();
    let source = Source::from_proto(source)
        .map_err(|why| problems.push(("source", why)))
        .ok();
    let kind = MediaKind::from_proto(kind)
        .map_err(|why| problems.push(("kind", why)))
        .ok();
    let parsed = match (source, kind) {
        (Some(source), Some(kind)) => Reference::new(source, kind, &external_id),
        _ => Err(Reference::external_id(&external_id)
            .err()
            .map(|why| vec![("external_id", why)])
            .unwrap_or_default()),
    };
    parsed.map_err(|more| {
        problems
            .into_iter()
            .chain(more)
            .map(|(f, why)| FieldViolation::new(format!("{field}.{f}"), why))
            .collect()
    })
}

impl TryFrom<pb::ImportMediaRequest> for Reference {
    type Error = Error;

    fn try_from(request: pb::ImportMediaRequest) -> Result<Self, Error> {
        let pb::ImportMediaRequest { reference: r } = request;
        Ok(reference(r, "reference")?)
    }
}

/// A protobuf date; absent or all zeros means "not set".
pub(crate) fn date(date: Option<&pb::Date>) -> Result<Option<NaiveDate>, String> {
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

pub(crate) fn date_to_proto(date: NaiveDate) -> pb::Date {
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
    fn enums_round_trip_through_protobuf() {
        for kind in MediaKind::ALL {
            assert_eq!(MediaKind::from_proto(kind.to_proto()), Ok(*kind));
        }
        for status in ListStatus::ALL {
            assert_eq!(ListStatus::from_proto(status.to_proto()), Ok(*status));
        }
        assert!(ListStatus::from_proto(0).is_err());
        assert_eq!(ListStatus::filter_from_proto(0), Ok(None));
        assert!(Source::from_proto(99).is_err());
    }

    #[test]
    fn references_report_every_problem_under_their_field() {
        let problems = reference(
            Some(pb::MediaReference {
                source: 0,
                kind: pb::MediaKind::Movie as i32,
                external_id: String::new(),
            }),
            "reference",
        )
        .unwrap_err();
        let fields: Vec<_> = problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(fields, ["reference.source", "reference.external_id"]);
        assert!(reference(None, "reference").is_err());
    }

    #[test]
    fn dates() {
        assert_eq!(date(Some(&pb::Date::default())), Ok(None));
        let day = |year, month, day| pb::Date { year, month, day };
        assert!(date(Some(&day(2024, 2, 30))).is_err());
        assert_eq!(
            date(Some(&day(2024, 2, 29))).unwrap(),
            NaiveDate::from_ymd_opt(2024, 2, 29)
        );
        let leap = NaiveDate::from_ymd_opt(2024, 2, 29).unwrap();
        assert_eq!(date(Some(&date_to_proto(leap))), Ok(Some(leap)));
    }
}
