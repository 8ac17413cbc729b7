//! Reading a media server's JSON: each server writes numbers as numbers or
//! as strings, flags as booleans or as "True", and anything may be missing;
//! every string kept is cleaned of control characters (NUL among them) and
//! cut to a length a title can have.

use serde_json::Value;

/// Characters a string from a payload keeps at most.
const MAX_TEXT: usize = 300;

/// The value at `path` (object keys, one level each).
pub(super) fn at<'v>(value: &'v Value, path: &[&str]) -> Option<&'v Value> {
    path.iter().try_fold(value, |v, key| v.get(key))
}

/// The text at `path`: a string, or a number written out; cleaned.
pub(super) fn text(value: &Value, path: &[&str]) -> String {
    match at(value, path) {
        Some(Value::String(s)) => clean(s),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

/// The whole number at `path`: a number, or a string holding one, in `i32`.
pub(super) fn number(value: &Value, path: &[&str]) -> Option<i32> {
    match at(value, path)? {
        Value::Number(n) => n.as_i64().and_then(|n| i32::try_from(n).ok()),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A fraction at `path` (0 to 100, as Kodi's add-ons give progress).
pub(super) fn percent(value: &Value, path: &[&str]) -> Option<f64> {
    let n = match at(value, path)? {
        Value::Number(n) => n.as_f64()?,
        Value::String(s) => s.trim().trim_end_matches('%').parse().ok()?,
        _ => return None,
    };
    n.is_finite().then_some(n)
}

/// The flag at `path`: `true`, or a string saying so ("True", "true").
pub(super) fn flag(value: &Value, path: &[&str]) -> bool {
    match at(value, path) {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s.trim().eq_ignore_ascii_case("true"),
        _ => false,
    }
}

/// `s` without control characters, trimmed, at most [`MAX_TEXT`] characters.
pub(super) fn clean(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_control())
        .take(MAX_TEXT)
        .collect::<String>()
        .trim()
        .to_owned()
}

/// An IMDb id ("tt" and digits), or nothing.
pub(super) fn imdb(s: &str) -> String {
    let s = s.trim();
    let digits = s.strip_prefix("tt").unwrap_or_default();
    if !digits.is_empty() && digits.len() <= 12 && digits.bytes().all(|b| b.is_ascii_digit()) {
        s.to_owned()
    } else {
        String::new()
    }
}

/// A TMDB or TVDB id (digits), or nothing.
pub(super) fn numeric_id(s: &str) -> String {
    let s = s.trim();
    if !s.is_empty() && s.len() <= 12 && s.bytes().all(|b| b.is_ascii_digit()) {
        s.to_owned()
    } else {
        String::new()
    }
}

/// The time at `path`, an RFC 3339 string ("2026-12-06T20:15:00.000Z").
pub(super) fn time(value: &Value, path: &[&str]) -> Option<prost_types::Timestamp> {
    let Some(Value::String(s)) = at(value, path) else {
        return None;
    };
    let at = chrono::DateTime::parse_from_rfc3339(s.trim()).ok()?;
    Some(completionist_common::time::timestamp(at.to_utc()))
}
