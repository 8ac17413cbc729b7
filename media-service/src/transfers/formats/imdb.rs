//! IMDb's CSV exports, both shapes: ratings (`Const, Your Rating, Date
//! Rated, Title, …, Title Type`) and lists and the watchlist (`Position,
//! Const, …`), with old camelCase (`tvSeries`) and new (`TV Series`) title
//! types. `Const` is the OMDb id (a missing `tt` is added). Movies and
//! series import; episodes, games and the rest are skipped.

use super::{
    FileError, KnownItem, Parsed, ReadLimits, Record, RecordRun, Row, Target, archive, csv_rows,
    year,
};
use crate::domain::{ListStatus, MediaKind, Source};

pub(super) fn is_header(header: &[String]) -> bool {
    header.iter().any(|h| h == "const")
        && header
            .iter()
            .any(|h| h == "your rating" || h == "title type" || h == "titletype")
}

pub(super) fn read(
    files: &[archive::File<'_>],
    limits: &ReadLimits,
) -> Result<Vec<Row>, FileError> {
    let file = files
        .first()
        .ok_or_else(|| FileError::Unreadable("no file".into()))?;
    let table = csv_rows::read(&archive::text(&file.bytes), limits)?;
    if !table.has(&["const"]) {
        return Err(FileError::Unreadable(
            "not an IMDb export: no Const column".into(),
        ));
    }
    Ok(table.report("title", parse))
}

/// What a title type is on our list, if anything.
fn kind(title_type: &str) -> Option<MediaKind> {
    let normal: String = title_type
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_lowercase();
    match normal.as_str() {
        "movie" | "tvmovie" | "tvspecial" | "short" | "tvshort" | "video" | "" => {
            Some(MediaKind::Movie)
        }
        "tvseries" | "tvminiseries" => Some(MediaKind::Series),
        _ => None,
    }
}

fn parse(table: &csv_rows::Table, row: &csv_rows::CsvRow) -> Result<Parsed, String> {
    let get = |name| table.get(row, name);
    let title_type = table.any(row, &["title type", "titletype"]);
    let Some(kind) = kind(title_type) else {
        return Ok(Parsed::Skipped(format!(
            "a {title_type}: only movies and series are kept"
        )));
    };
    let raw = get("const");
    let id = if raw.chars().all(|c| c.is_ascii_digit()) && !raw.is_empty() {
        format!("tt{raw}")
    } else {
        raw.to_owned()
    };
    let rating: Option<i16> = match get("your rating") {
        "" => None,
        raw => Some(
            raw.parse()
                .map_err(|_| format!("Your Rating is not a number: {raw:?}"))?,
        ),
    };
    // A rating says it was seen; a list without one says it is wanted.
    let status = if rating.is_some() {
        ListStatus::Completed
    } else {
        ListStatus::Planned
    };
    let target = Target::Known(KnownItem {
        source: Source::Omdb,
        kind,
        external_id: id.clone(),
        title: get("title").to_owned(),
        year: year(get("year")),
        image_url: String::new(),
        summary: String::new(),
        total_units: (kind == MediaKind::Movie).then_some(1),
    });
    let mut record = Record::new(target, status);
    record.rating = rating;
    record.notes = get("description").to_owned();
    if status == ListStatus::Completed {
        record.progress = i32::from(kind == MediaKind::Movie);
        record.runs.push(RecordRun {
            start_date: None,
            finish_date: None,
            origin: format!("imdb:{id}"),
        });
    }
    Ok(record.checked())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(text: &str) -> Vec<Row> {
        let file = archive::File {
            name: "ratings.csv".into(),
            bytes: text.as_bytes().to_vec().into(),
        };
        read(&[file], &ReadLimits::rows(100)).unwrap()
    }

    #[test]
    fn reads_ratings_with_new_title_types_and_skips_episodes_and_games() {
        let rows = rows("Const,Your Rating,Date Rated,Title,Original Title,URL,Title Type,IMDb Rating,Runtime (mins),Year,Genres,Num Votes,Release Date,Directors
tt0133093,9,2020-01-02,The Matrix,The Matrix,https://www.imdb.com/title/tt0133093,Movie,8.7,136,1999,\"Action, Sci-Fi\",2000000,1999-03-31,Lana Wachowski
0903747,10,2020-01-03,Breaking Bad,Breaking Bad,,TV Series,9.5,49,2008,Drama,2000000,2008-01-20,
tt0959621,8,2020-01-04,Pilot,Pilot,,TV Episode,9.0,58,2008,Drama,30000,2008-01-20,
tt1234567,7,2020-01-05,Some Game,Some Game,,Video Game,7.0,,2015,Action,100,,
");
        let Parsed::Record(matrix) = &rows[0].parsed else {
            panic!("{:?}", rows[0]);
        };
        assert_eq!(
            (matrix.status, matrix.rating, matrix.progress),
            (ListStatus::Completed, Some(9), 1)
        );
        let Parsed::Record(bad) = &rows[1].parsed else {
            panic!("{:?}", rows[1]);
        };
        let Target::Known(item) = &bad.target else {
            panic!();
        };
        assert_eq!(
            (item.external_id.as_str(), item.kind),
            ("tt0903747", MediaKind::Series)
        );
        assert!(matches!(rows[2].parsed, Parsed::Skipped(_)));
        assert!(matches!(rows[3].parsed, Parsed::Skipped(_)));
    }

    #[test]
    fn reads_lists_with_old_camel_case_types_as_plans() {
        let rows = rows("Position,Const,Created,Modified,Description,Title,URL,Title Type,IMDb Rating,Runtime (mins),Year,Genres,Num Votes,Release Date,Directors
1,tt0944947,2019-01-01,2019-01-01,must see,Game of Thrones,,tvSeries,9.2,57,2011,Drama,2000000,2011-04-17,
2,tt0110912,2019-01-01,2019-01-01,,Pulp Fiction,,movie,8.9,154,1994,Crime,2000000,1994-10-14,Quentin Tarantino
");
        let statuses: Vec<_> = rows
            .iter()
            .map(|r| match &r.parsed {
                Parsed::Record(r) => (r.status, r.notes.clone()),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(
            statuses,
            [
                (ListStatus::Planned, "must see".into()),
                (ListStatus::Planned, String::new())
            ]
        );
    }
}
