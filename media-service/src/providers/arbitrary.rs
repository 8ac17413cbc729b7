//! Replies a provider could send: any status, with arbitrary bytes or
//! arbitrary JSON in the providers' own vocabulary, for the property tests
//! of every parser.

use proptest::prelude::*;
use reqwest::StatusCode;
use serde_json::Value;

use super::http::Reply;

/// The keys the providers' bodies use, so generated JSON reaches every
/// branch of the parsers.
const KEYS: &[&str] = &[
    "Search",
    "totalResults",
    "Response",
    "Error",
    "Title",
    "Year",
    "imdbID",
    "Type",
    "Poster",
    "Plot",
    "data",
    "pagination",
    "last_visible_page",
    "has_next_page",
    "items",
    "total",
    "mal_id",
    "title",
    "title_english",
    "images",
    "jpg",
    "image_url",
    "type",
    "episodes",
    "chapters",
    "volumes",
    "status",
    "score",
    "year",
    "synopsis",
    "aired",
    "published",
    "from",
    "numFound",
    "start",
    "docs",
    "key",
    "author_name",
    "cover_i",
    "first_publish_year",
    "number_of_pages_median",
    "description",
    "value",
    "covers",
    "authors",
    "count",
    "next",
    "previous",
    "results",
    "id",
    "slug",
    "name",
    "released",
    "tba",
    "background_image",
    "rating",
    "metacritic",
    "playtime",
    "genres",
    "description_raw",
    "season",
    "number",
    "airdate",
    "airtime",
    "airstamp",
    "runtime",
    "filler",
    "recap",
];

fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        ".{0,24}".prop_map(Value::from),
        Just(Value::from("N/A")),
        Just(Value::from("True")),
    ];
    leaf.prop_recursive(4, 96, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(prop::sample::select(KEYS), inner, 0..10).prop_map(
                |fields| {
                    Value::Object(fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
                }
            ),
        ]
    })
}

pub(super) fn reply() -> impl Strategy<Value = Reply> {
    let body = prop_oneof![
        prop::collection::vec(any::<u8>(), 0..512).prop_map(bytes::Bytes::from),
        json().prop_map(|json| bytes::Bytes::from(json.to_string())),
    ];
    let location = prop::option::of(".{0,40}");
    (100_u16..600, body, location).prop_map(|(status, body, location)| Reply {
        status: StatusCode::from_u16(status).unwrap_or(StatusCode::OK),
        body,
        location,
    })
}
