//! MyAnimeList's XML export (anime or manga): one `<anime>` or `<manga>`
//! element per entry. The MAL id is the Jikan id. Entities are never
//! expanded (a DOCTYPE's are ignored; the five XML ones and character
//! references are read), and a bare `&` in a title is just a character.

use std::collections::HashMap;

use quick_xml::{Reader, events::Event};

use super::{
    FileError, KnownItem, Parsed, ReadLimits, Record, RecordRun, Row, Target, archive, date,
};
use crate::domain::{ListStatus, MediaKind, Source};

pub(super) fn read(
    files: &[archive::File<'_>],
    limits: &ReadLimits,
) -> Result<Vec<Row>, FileError> {
    let file = files
        .iter()
        .find(|f| archive::text(&f.bytes[..f.bytes.len().min(4096)]).contains("<myanimelist"))
        .ok_or_else(|| {
            FileError::Unreadable("not a MyAnimeList export: no <myanimelist>".into())
        })?;
    rows(&archive::text(&file.bytes), limits)
}

/// The fields of one entry, by tag.
type Fields = HashMap<String, String>;

fn rows(text: &str, limits: &ReadLimits) -> Result<Vec<Row>, FileError> {
    let mut reader = Reader::from_str(text);
    reader.config_mut().allow_dangling_amp = true;
    let mut rows = Vec::new();
    let mut entry: Option<(MediaKind, u32, Fields)> = None;
    let mut tag = String::new();
    let mut value = String::new();
    let mut lines = LineCounter::default();
    loop {
        let at = reader.buffer_position();
        let event = reader.read_event().map_err(|e| {
            FileError::Unreadable(format!(
                "broken XML at line {}: {e}",
                lines.line_at(text, reader.error_position())
            ))
        })?;
        match event {
            Event::Start(start) => {
                let name =
                    String::from_utf8_lossy(start.local_name().as_ref().as_bytes()).into_owned();
                match (&entry, name.as_str()) {
                    (None, "anime") => {
                        entry = Some((MediaKind::Anime, lines.line_at(text, at), Fields::new()));
                    }
                    (None, "manga") => {
                        entry = Some((MediaKind::Manga, lines.line_at(text, at), Fields::new()));
                    }
                    _ => {
                        tag = name;
                        value.clear();
                    }
                }
            }
            Event::Text(t) => value.push_str(&t.xml10_content()),
            Event::CData(t) => value.push_str(&t.xml10_content()),
            Event::GeneralRef(r) => match r.resolve_char_ref() {
                Ok(Some(c)) => value.push(c),
                _ => match quick_xml::escape::resolve_predefined_entity(&r) {
                    Some(text) => value.push_str(text),
                    // Never expanded: kept as written.
                    None => value.push_str(&format!("&{};", &*r)),
                },
            },
            Event::End(end) => {
                let name = end.local_name();
                let name: &str = name.as_ref();
                if let Some((kind, line, fields)) = &mut entry {
                    if name == kind.as_str() {
                        limits.row()?;
                        rows.push(row(*kind, *line, fields));
                        entry = None;
                    } else if name == tag {
                        fields.insert(std::mem::take(&mut tag), value.trim().to_owned());
                    }
                }
                value.clear();
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(rows)
}

/// Finds line numbers of byte offsets that only grow.
#[derive(Default)]
struct LineCounter {
    offset: usize,
    line: u32,
}

impl LineCounter {
    fn line_at(&mut self, text: &str, at: u64) -> u32 {
        let at = usize::try_from(at).unwrap_or(usize::MAX).min(text.len());
        if at < self.offset {
            *self = Self::default();
        }
        let newlines = text.as_bytes()[self.offset..at]
            .iter()
            .filter(|b| **b == b'\n')
            .count();
        self.line += u32::try_from(newlines).unwrap_or(u32::MAX);
        self.offset = at;
        self.line + 1
    }
}

/// The fields of one kind's entries that are named for the kind.
struct KindFields {
    id: &'static str,
    title: &'static str,
    total: &'static str,
    done: &'static str,
    times: &'static str,
}

const ANIME_FIELDS: KindFields = KindFields {
    id: "series_animedb_id",
    title: "series_title",
    total: "series_episodes",
    done: "my_watched_episodes",
    times: "my_times_watched",
};

const MANGA_FIELDS: KindFields = KindFields {
    id: "manga_mangadb_id",
    title: "manga_title",
    total: "manga_chapters",
    done: "my_read_chapters",
    times: "my_times_read",
};

fn row(kind: MediaKind, line: u32, fields: &Fields) -> Row {
    let field = |name: &str| -> String { fields.get(name).cloned().unwrap_or_default() };
    let names = match kind {
        MediaKind::Anime => &ANIME_FIELDS,
        _ => &MANGA_FIELDS,
    };
    let title = field(names.title);
    let parsed = parse(kind, &field, names, &title).unwrap_or_else(Parsed::Failed);
    Row {
        line,
        file: String::new(),
        title,
        parsed,
    }
}

fn parse(
    kind: MediaKind,
    field: &dyn Fn(&str) -> String,
    names: &KindFields,
    title: &str,
) -> Result<Parsed, String> {
    let KindFields {
        id,
        total,
        done,
        times,
        ..
    } = *names;
    let external_id = field(id);
    let number = |name: &str| -> Result<i32, String> {
        match field(name).as_str() {
            "" => Ok(0),
            raw => raw
                .parse()
                .map_err(|_| format!("{name} is not a number: {raw:?}")),
        }
    };
    let status = status(&field("my_status"))?;
    let score = number("my_score")?;
    let total_units = Some(number(total)?).filter(|t| *t > 0);
    let progress = number(done)?;
    let again = usize::try_from(number(times)?).map_err(|_| format!("{times} is negative"))?;
    let start = date(&field("my_start_date")).map_err(|why| format!("my_start_date: {why}"))?;
    let finish = date(&field("my_finish_date")).map_err(|why| format!("my_finish_date: {why}"))?;
    let target = Target::Known(KnownItem {
        source: Source::Jikan,
        kind,
        external_id: external_id.clone(),
        title: title.to_owned(),
        year: None,
        image_url: String::new(),
        summary: String::new(),
        total_units,
    });
    let mut record = Record::new(target, status);
    record.rating = (score != 0).then(|| i16::try_from(score).unwrap_or(i16::MAX));
    record.progress = progress;
    record.notes = field("my_comments");
    record.start_date = start;
    record.finish_date = finish;
    let origin = |n: usize| format!("mal:{kind}:{external_id}:{n}");
    if status == ListStatus::Completed {
        record.runs.push(RecordRun {
            start_date: start,
            finish_date: finish,
            origin: origin(0),
        });
    }
    if again > super::MAX_RUNS {
        return Err(format!(
            "{times} is {again}; at most {} runs are kept",
            super::MAX_RUNS
        ));
    }
    record.runs.extend((1..=again).map(|n| RecordRun {
        start_date: None,
        finish_date: None,
        origin: origin(n),
    }));
    Ok(record.checked())
}

/// `my_status` as words (either list's) or as MAL's numbers.
fn status(raw: &str) -> Result<ListStatus, String> {
    Ok(match raw.trim().to_lowercase().as_str() {
        "watching" | "reading" | "1" => ListStatus::InProgress,
        "completed" | "2" => ListStatus::Completed,
        "on-hold" | "on hold" | "3" => ListStatus::OnHold,
        "dropped" | "4" => ListStatus::Dropped,
        "plan to watch" | "plan to read" | "6" => ListStatus::Planned,
        _ => return Err(format!("my_status {raw:?} is not a MyAnimeList status")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXPORT: &str = "\u{feff}<?xml version=\"1.0\" encoding=\"UTF-8\" ?>
<!DOCTYPE lolz [<!ENTITY lol \"lol\">]>
<myanimelist>
  <myinfo><user_export_type>1</user_export_type></myinfo>
  <anime>
    <series_animedb_id>1</series_animedb_id>
    <series_title><![CDATA[Cowboy Bebop]]></series_title>
    <series_episodes>26</series_episodes>
    <my_watched_episodes>26</my_watched_episodes>
    <my_start_date>1998-04-03</my_start_date>
    <my_finish_date>0000-00-00</my_finish_date>
    <my_score>9</my_score>
    <my_status>Completed</my_status>
    <my_comments><![CDATA[See you, space cowboy]]></my_comments>
    <my_times_watched>2</my_times_watched>
  </anime>
  <anime>
    <series_animedb_id>2</series_animedb_id>
    <series_title>Tom & Jerry &amp; &lol; &#233;</series_title>
    <series_episodes>0</series_episodes>
    <my_score>0</my_score>
    <my_status>Plan to Watch</my_status>
  </anime>
  <anime>
    <series_animedb_id>3</series_animedb_id>
    <series_title>Broken</series_title>
    <my_status>Binged</my_status>
  </anime>
</myanimelist>";

    fn records() -> Vec<Row> {
        rows(&archive::text(EXPORT.as_bytes()), &ReadLimits::rows(3)).unwrap()
    }

    #[test]
    fn reads_entries_with_runs_unknown_dates_and_unrated_scores() {
        let rows = records();
        assert_eq!(rows.iter().map(|r| r.line).collect::<Vec<_>>(), [5, 17, 24]);
        let Parsed::Record(bebop) = &rows[0].parsed else {
            panic!("{:?}", rows[0]);
        };
        assert_eq!(bebop.status, ListStatus::Completed);
        assert_eq!((bebop.rating, bebop.progress), (Some(9), 26));
        assert_eq!(bebop.finish_date, None);
        assert_eq!(bebop.notes, "See you, space cowboy");
        assert_eq!(bebop.runs.len(), 3, "the first watch and two more");
        let Target::Known(item) = &bebop.target else {
            panic!();
        };
        assert_eq!(
            (item.external_id.as_str(), item.total_units),
            ("1", Some(26))
        );
    }

    #[test]
    fn bare_ampersands_stay_and_entities_are_not_expanded() {
        let rows = records();
        assert_eq!(rows[1].title, "Tom & Jerry & &lol; é");
        let Parsed::Record(planned) = &rows[1].parsed else {
            panic!("{:?}", rows[1]);
        };
        assert_eq!(
            (planned.status, planned.rating),
            (ListStatus::Planned, None)
        );
        assert!(matches!(&rows[2].parsed, Parsed::Failed(why) if why.contains("Binged")));
    }
}
