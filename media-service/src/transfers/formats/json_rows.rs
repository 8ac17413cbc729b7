//! JSON files read a row at a time: the elements of a list are handed on
//! one by one as the parser meets them, counted against the [`ReadLimits`]
//! as they come, so a file of millions of tiny rows is refused at the row
//! limit instead of being built into one huge value first.

use std::{cell::Cell, fmt};

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use super::{FileError, ReadLimits};

/// Calls `each` with every element of the JSON list `text`, in order.
/// `what` names the file for messages.
pub(super) fn each_element(
    text: &str,
    limits: &ReadLimits,
    what: &str,
    each: impl FnMut(Value),
) -> Result<(), FileError> {
    let stopped = Cell::new(None);
    let elements = Elements {
        limits,
        stopped: &stopped,
        each,
    };
    read(text, what, &stopped, |de| elements.deserialize(de))
}

/// The envelope of our own export: its `format` and `version`, wherever
/// they stand, with each of its `entries` handed to `each` as it is read.
pub(super) struct Envelope {
    pub(super) format: String,
    pub(super) version: u32,
}

pub(super) fn envelope(
    text: &str,
    limits: &ReadLimits,
    what: &str,
    each: impl FnMut(Value),
) -> Result<Envelope, FileError> {
    let stopped = Cell::new(None);
    let fields = EnvelopeFields {
        entries: Elements {
            limits,
            stopped: &stopped,
            each,
        },
    };
    read(text, what, &stopped, |de| de.deserialize_map(fields))
}

/// Runs `parse` over `text` to its end; a limit that stopped it is the
/// error, not the parser's message about being stopped.
fn read<T>(
    text: &str,
    what: &str,
    stopped: &Cell<Option<FileError>>,
    parse: impl FnOnce(
        &mut serde_json::Deserializer<serde_json::de::StrRead<'_>>,
    ) -> serde_json::Result<T>,
) -> Result<T, FileError> {
    let mut de = serde_json::Deserializer::from_str(text);
    let parsed = parse(&mut de).and_then(|value| de.end().map(|()| value));
    parsed.map_err(|e| {
        stopped
            .take()
            .unwrap_or_else(|| FileError::Unreadable(format!("not {what}: {e}")))
    })
}

struct Elements<'a, F> {
    limits: &'a ReadLimits,
    /// Set to the limit that stopped the reading.
    stopped: &'a Cell<Option<FileError>>,
    each: F,
}

impl<'de, F: FnMut(Value)> DeserializeSeed<'de> for Elements<'_, F> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de, F: FnMut(Value)> Visitor<'de> for Elements<'_, F> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON list")
    }

    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<(), A::Error> {
        while let Some(value) = seq.next_element::<Value>()? {
            if let Err(limit) = self.limits.row() {
                self.stopped.set(Some(limit));
                return Err(de::Error::custom("stopped at a limit"));
            }
            (self.each)(value);
        }
        Ok(())
    }
}

struct EnvelopeFields<'a, F> {
    entries: Elements<'a, F>,
}

impl<'de, F: FnMut(Value)> Visitor<'de> for EnvelopeFields<'_, F> {
    type Value = Envelope;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object with format, version and entries")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Envelope, A::Error> {
        let (mut format, mut version) = (None, None);
        let mut entries = Some(self.entries);
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "format" => format = Some(map.next_value::<String>()?),
                "version" => version = Some(map.next_value::<u32>()?),
                "entries" => match entries.take() {
                    Some(entries) => map.next_value_seed(entries)?,
                    None => return Err(de::Error::duplicate_field("entries")),
                },
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        if entries.is_some() {
            return Err(de::Error::missing_field("entries"));
        }
        Ok(Envelope {
            format: format.ok_or_else(|| de::Error::missing_field("format"))?,
            version: version.ok_or_else(|| de::Error::missing_field("version"))?,
        })
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn elements_come_one_by_one_and_the_limit_stops_the_reading() {
        let mut seen = Vec::new();
        each_element("[1, {\"a\": 2}, []]", &ReadLimits::rows(3), "a list", |v| {
            seen.push(v);
        })
        .unwrap();
        assert_eq!(seen.len(), 3);
        let huge = format!("[{}{{}}]", "{},".repeat(1_000_000));
        let mut count = 0;
        let refused = each_element(&huge, &ReadLimits::rows(10), "a list", |_| count += 1);
        assert_eq!(refused, Err(FileError::TooManyRows(10)));
        assert_eq!(count, 10, "nothing past the limit was handed on");
    }

    #[test]
    fn the_envelope_is_read_wherever_its_fields_stand() {
        let mut entries = 0;
        let envelope = envelope(
            r#"{"entries": [{}, {}], "x": [1], "version": 1, "format": "completionist"}"#,
            &ReadLimits::rows(5),
            "an export",
            |_| entries += 1,
        )
        .unwrap();
        assert_eq!(
            (envelope.format.as_str(), envelope.version, entries),
            ("completionist", 1, 2)
        );
        let missing = envelope_of(r#"{"format": "completionist", "version": 1}"#);
        assert!(matches!(missing, Err(FileError::Unreadable(why)) if why.contains("entries")));
        let trailing = envelope_of(r#"{"format": "c", "version": 1, "entries": []} x"#);
        assert!(matches!(trailing, Err(FileError::Unreadable(_))));
    }

    fn envelope_of(text: &str) -> Result<Envelope, FileError> {
        envelope(text, &ReadLimits::rows(5), "an export", |_| {})
    }

    proptest! {
        #[test]
        fn no_text_panics_the_readers(text in "\\PC{0,300}") {
            let _ = each_element(&text, &ReadLimits::rows(5), "a list", |_| {});
            let _ = envelope_of(&text);
        }
    }
}
