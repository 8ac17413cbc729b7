//! Reading the dates, years and heads of text that files hold.

use chrono::NaiveDate;

/// A date as `YYYY-MM-DD` (or `YYYY/MM/DD`), where unknown parts (`0000`,
/// `00`) or an empty text mean "not known".
pub(crate) fn date(raw: &str) -> Result<Option<NaiveDate>, String> {
    let raw = raw.trim();
    let head = raw.get(..10).unwrap_or(raw);
    if raw.is_empty() || head.starts_with("0000") {
        return Ok(None);
    }
    let parts: Vec<&str> = head.split(['-', '/']).collect();
    let [y, m, d] = parts[..] else {
        return Err(format!("{raw:?} is not a date"));
    };
    let (Ok(y), Ok(m), Ok(d)) = (y.parse::<i32>(), m.parse::<u32>(), d.parse::<u32>()) else {
        return Err(format!("{raw:?} is not a date"));
    };
    if m == 0 || d == 0 {
        return Ok(None);
    }
    NaiveDate::from_ymd_opt(y, m, d)
        .map(Some)
        .ok_or_else(|| format!("{raw:?} is not a date"))
}

/// At most the first `max` bytes of `text`, cut at a character boundary.
pub(crate) fn head(text: &str, max: usize) -> &str {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// A year at the start of `raw`, if there is one.
pub(crate) fn year(raw: &str) -> Option<i32> {
    let digits: String = raw
        .trim()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    (digits.len() == 4).then(|| digits.parse().ok()).flatten()
}
