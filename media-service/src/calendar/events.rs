//! A feed's events, each written by the `icalendar` crate: its UID the
//! episode's own (stable across refreshes), DTSTAMP the time the episode
//! last changed, times in UTC, a day-only episode an all-day event, one
//! without a date none. Writing an event costs more than all else in a
//! feed, and the same episode is in every follower's feed, read again on
//! every refresh: the text is kept by episode ([`EventCache`]) and written
//! again only when the show's title or the episode's `updated_at` has
//! changed (every change to an episode moves it: `CHANGED_AT` in
//! `db/episodes.rs`).

use std::{fmt::Write, sync::Arc};

use chrono::{DateTime, Datelike, Days, NaiveDate, TimeDelta, Timelike, Utc};
use icalendar::{Component, Event, Property};
use moka::sync::Cache;
use uuid::Uuid;

use crate::db::calendar::Airing;

/// How long an event lasts when the provider gives no runtime.
const DEFAULT_RUNTIME: i64 = 30;
/// Bytes of event text kept at most (some 16,000 events).
const KEPT_BYTES: u64 = 4 << 20;

/// Events already written, by episode id.
pub(crate) struct EventCache(Cache<Uuid, Arc<Kept>>);

/// An event's text and what it was written from: the episode's last
/// change and the show's title (the rest of the event is the episode's).
struct Kept {
    updated_at: DateTime<Utc>,
    show: String,
    text: String,
}

impl Default for EventCache {
    fn default() -> Self {
        // The texts' room, and the entry's own.
        let weight = |_: &Uuid, kept: &Arc<Kept>| {
            u32::try_from(kept.text.capacity() + kept.show.capacity() + 128).unwrap_or(u32::MAX)
        };
        Self(
            Cache::builder()
                .max_capacity(KEPT_BYTES)
                .weigher(weight)
                .build(),
        )
    }
}

impl EventCache {
    /// Appends `airing`'s event to `text` (nothing for an episode without
    /// a date), written now unless kept from an earlier feed.
    pub(crate) fn append(&self, text: &mut String, airing: &Airing) {
        let episode = &airing.episode;
        let key = episode.id;
        if let Some(kept) = self.0.get(&key)
            && kept.updated_at == episode.updated_at
            && kept.show == airing.show.title
        {
            text.push_str(&kept.text);
            return;
        }
        let Some(event) = event(airing) else {
            return;
        };
        let mut written = String::with_capacity(256);
        // Writing to a String cannot fail.
        let _ = event.fmt_write(&mut written);
        text.push_str(&written);
        written.shrink_to_fit();
        let kept = Kept {
            updated_at: episode.updated_at,
            show: airing.show.title.clone(),
            text: written,
        };
        self.0.insert(key, Arc::new(kept));
    }
}

fn event(airing: &Airing) -> Option<Event> {
    let episode = &airing.episode;
    let title = if episode.title.is_empty() {
        String::new()
    } else {
        format!(" {}", episode.title)
    };
    let mut event = Event::new();
    event
        .uid(&format!("{}@completionist", episode.id))
        .add_property("DTSTAMP", utc(episode.updated_at))
        .summary(&format!(
            "{} — {}{title}",
            airing.show.title,
            episode.label()
        ));
    match (episode.air_time, episode.air_date) {
        (Some(at), _) => {
            let minutes = episode.runtime_minutes.map_or(DEFAULT_RUNTIME, i64::from);
            event
                .add_property("DTSTART", utc(at))
                .add_property("DTEND", utc(at + TimeDelta::minutes(minutes)));
        }
        (None, Some(day)) => {
            event
                .append_property(all_day("DTSTART", day))
                .append_property(all_day("DTEND", day + Days::new(1)));
        }
        (None, None) => return None,
    }
    Some(event.done())
}

/// A time in UTC as RFC 5545 writes it (`20261207T203000Z`). Written here,
/// not by the crate (`starts`, `timestamp`): it parses chrono's pattern for
/// every value, which cost more than the rest of the event.
fn utc(at: DateTime<Utc>) -> String {
    let mut text = String::with_capacity(16);
    push_date(&mut text, at.date_naive());
    let _ = write!(
        text,
        "T{:02}{:02}{:02}Z",
        at.hour(),
        at.minute(),
        at.second()
    );
    text
}

/// A date as RFC 5545 writes it (`20261207`).
fn push_date(text: &mut String, day: NaiveDate) {
    let _ = write!(text, "{:04}{:02}{:02}", day.year(), day.month(), day.day());
}

fn all_day(key: &str, day: NaiveDate) -> Property {
    let mut text = String::with_capacity(8);
    push_date(&mut text, day);
    Property::new(key, text)
        .add_parameter("VALUE", "DATE")
        .done()
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use chrono::{DateTime, TimeDelta, Utc};
    use proptest::prelude::*;
    use uuid::Uuid;

    use super::{EventCache, all_day, utc};
    use crate::{
        db::calendar::{Airing, Show},
        domain::{Episode, MediaKind},
    };

    fn airing(show: &str, changed: DateTime<Utc>) -> Airing {
        let at = DateTime::<Utc>::from_timestamp(1_796_000_000, 0).unwrap();
        Airing {
            show: Arc::new(Show {
                entry_id: Uuid::nil(),
                item_id: Uuid::nil(),
                kind: MediaKind::Series,
                title: show.into(),
                image_url: String::new(),
            }),
            episode: Episode {
                id: Uuid::from_u128(7),
                season: 2,
                number: Some(5),
                special: false,
                title: "Pilot".into(),
                air_date: Some(at.date_naive()),
                air_time: Some(at),
                runtime_minutes: Some(45),
                missing_upstream: false,
                updated_at: changed,
            },
        }
    }

    fn written(kept: &EventCache, airing: &Airing) -> String {
        let mut text = String::new();
        kept.append(&mut text, airing);
        text
    }

    #[test]
    fn a_kept_event_is_written_again_when_what_it_says_changes() {
        let kept = EventCache::default();
        let changed = DateTime::<Utc>::from_timestamp(1_795_000_000, 0).unwrap();
        let first = written(&kept, &airing("Show", changed));
        assert!(first.contains("SUMMARY:Show — S2E5 Pilot\r\n"), "{first}");
        assert!(first.contains("DTSTART:20261130T"), "{first}");
        assert_eq!(written(&kept, &airing("Show", changed)), first);
        let renamed = written(&kept, &airing("Renamed", changed));
        assert!(
            renamed.contains("SUMMARY:Renamed — S2E5 Pilot\r\n"),
            "{renamed}"
        );
        let mut moved = airing("Renamed", changed + TimeDelta::hours(1));
        moved.episode.air_time = moved.episode.air_time.map(|t| t + TimeDelta::days(1));
        let text = written(&kept, &moved);
        assert!(text.contains("DTSTART:20261201T"), "{text}");
    }

    proptest! {
        /// Our writing of times and dates is chrono's, as RFC 5545 wants.
        #[test]
        fn times_and_dates_are_written_as_chrono_writes_them(
            seconds in -62_135_596_800i64..253_402_300_799,
        ) {
            let at = DateTime::<Utc>::from_timestamp(seconds, 0).unwrap();
            prop_assert_eq!(utc(at), at.format("%Y%m%dT%H%M%SZ").to_string());
            let day = at.date_naive();
            let line: String = all_day("DTSTART", day).try_into().unwrap();
            prop_assert_eq!(
                line,
                format!("DTSTART;VALUE=DATE:{}\r\n", day.format("%Y%m%d"))
            );
        }
    }
}
