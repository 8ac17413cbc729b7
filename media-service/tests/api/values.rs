//! Request values and provider fixtures the tests build with.

use completionist_proto::media as pb;

/// An update mask naming `paths`.
pub(crate) fn mask(paths: &[&str]) -> Option<prost_types::FieldMask> {
    Some(prost_types::FieldMask {
        paths: paths.iter().map(|p| (*p).to_owned()).collect(),
    })
}

/// Today (UTC) as a protobuf date.
pub(crate) fn today() -> pb::Date {
    use chrono::Datelike;
    let today = chrono::Utc::now().date_naive();
    pb::Date {
        year: today.year(),
        month: i32::try_from(today.month()).unwrap(),
        day: i32::try_from(today.day()).unwrap(),
    }
}

/// A fixture's text.
pub(crate) fn fixture(name: &str) -> String {
    let path = format!("{}/tests/api/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A fixture as a JSON response.
pub(crate) fn json_fixture(name: &str) -> wiremock::ResponseTemplate {
    wiremock::ResponseTemplate::new(200).set_body_raw(fixture(name), "application/json")
}

pub(crate) fn reference(
    source: pb::MediaSource,
    kind: pb::MediaKind,
    external_id: &str,
) -> pb::MediaReference {
    pb::MediaReference {
        source: source as i32,
        kind: kind as i32,
        external_id: external_id.into(),
    }
}
