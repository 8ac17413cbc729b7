//! Letterboxd's export: the ZIP as downloaded, or one of its CSV files
//! alone (`watched.csv`, `ratings.csv`, `diary.csv`, `watchlist.csv`). Films
//! carry no ids: each is found on OMDb by title and year, by the worker.
//! Ratings are 0.5–5 in half steps (doubled, exactly, to our 1–10); each
//! diary row is a run (a `Rewatch` is another); diary links point at the
//! log entry, not the film, so files are joined on name and year.

use std::collections::HashMap;

use super::{
    FileError, Parsed, ReadLimits, Record, RecordRun, Row, Search, Target, archive, csv_rows, date,
    year,
};
use crate::domain::{ListStatus, MediaKind};

const FILES: [&str; 4] = ["watched.csv", "diary.csv", "ratings.csv", "watchlist.csv"];

pub(super) fn is_file(name: &str) -> bool {
    FILES.contains(&name.to_lowercase().as_str())
}

pub(super) fn is_header(header: &[String]) -> bool {
    ["name", "letterboxd uri"]
        .iter()
        .all(|c| header.iter().any(|h| h == c))
}

/// What one file of the export says of its films.
#[derive(Clone, Copy, PartialEq)]
enum Role {
    Watched,
    Diary,
    Ratings,
    Watchlist,
}

impl Role {
    /// By the member's name, or for a lone CSV by its columns and name.
    fn of(file: &archive::File<'_>, table: &csv_rows::Table) -> Self {
        let name = file.name.to_lowercase();
        if table.has(&["watched date"]) || name.contains("diary") {
            Self::Diary
        } else if name.contains("watchlist") {
            Self::Watchlist
        } else if table.has(&["rating"]) {
            Self::Ratings
        } else {
            Self::Watched
        }
    }
}

/// One film, gathered from every file.
struct Film {
    row: Row,
    name: String,
    year: Option<i32>,
    watched: bool,
    rating: Option<i16>,
    runs: Vec<RecordRun>,
}

pub(super) fn read(
    files: &[archive::File<'_>],
    limits: &ReadLimits,
) -> Result<Vec<Row>, FileError> {
    let mut ordered: Vec<&archive::File<'_>> = files
        .iter()
        .filter(|f| files.len() == 1 || is_file(&f.name))
        .collect();
    ordered.sort_by_key(|f| FILES.iter().position(|n| f.name.eq_ignore_ascii_case(n)));
    if ordered.is_empty() {
        return Err(FileError::Unreadable(
            "not a Letterboxd export: none of watched.csv, diary.csv, ratings.csv, watchlist.csv"
                .into(),
        ));
    }
    let mut films: Vec<Film> = Vec::new();
    let mut failed: Vec<Row> = Vec::new();
    let mut index: HashMap<(String, Option<i32>), usize> = HashMap::new();
    for file in ordered {
        let table = csv_rows::read(&archive::text(&file.bytes), limits)?;
        if !table.has(&["name"]) {
            return Err(FileError::Unreadable(format!(
                "not a Letterboxd export: {} has no Name column",
                file.name
            )));
        }
        let role = Role::of(file, &table);
        let label = if files.len() > 1 {
            file.name.clone()
        } else {
            String::new()
        };
        for row in &table.rows {
            let row = match row {
                Ok(row) => row,
                Err((line, why)) => {
                    failed.push(failure(*line, &label, "", why.clone()));
                    continue;
                }
            };
            let name = table.get(row, "name").to_owned();
            let released = year(table.get(row, "year"));
            let at = *index
                .entry((name.to_lowercase(), released))
                .or_insert_with(|| {
                    films.push(Film {
                        row: failure(row.line, &label, &name, String::new()),
                        name: name.clone(),
                        year: released,
                        watched: false,
                        rating: None,
                        runs: Vec::new(),
                    });
                    films.len() - 1
                });
            if let Err(why) = gather(&mut films[at], role, &table, row) {
                failed.push(failure(row.line, &label, &name, why));
            }
        }
    }
    let mut rows: Vec<Row> = films.into_iter().map(finish).collect();
    rows.extend(failed);
    Ok(rows)
}

fn failure(line: u32, file: &str, title: &str, why: String) -> Row {
    Row {
        line,
        file: file.to_owned(),
        title: title.to_owned(),
        parsed: Parsed::Failed(why),
    }
}

fn gather(
    film: &mut Film,
    role: Role,
    table: &csv_rows::Table,
    row: &csv_rows::CsvRow,
) -> Result<(), String> {
    let rating = match table.get(row, "rating") {
        "" => None,
        raw => Some(stars(raw)?),
    };
    match role {
        Role::Watchlist => {}
        Role::Watched => film.watched = true,
        Role::Ratings => {
            film.watched = true;
            film.rating = rating.or(film.rating);
        }
        Role::Diary => {
            film.watched = true;
            film.rating = film.rating.or(rating);
            let watched = table.get(row, "watched date");
            let day = date(watched).map_err(|why| format!("Watched Date: {why}"))?;
            let uri = table.get(row, "letterboxd uri");
            film.runs.push(RecordRun {
                start_date: None,
                finish_date: day,
                origin: format!("letterboxd:{uri}:{watched}"),
            });
        }
    }
    Ok(())
}

/// `0.5`–`5` stars in half steps as 1–10.
fn stars(raw: &str) -> Result<i16, String> {
    let halves = raw
        .parse::<f64>()
        .ok()
        .map(|stars| stars * 2.0)
        .filter(|h| h.fract() == 0.0 && (1.0..=10.0).contains(h))
        .ok_or_else(|| format!("Rating must be 0.5 to 5 in half steps, got {raw:?}"))?;
    Ok(halves as i16)
}

fn finish(film: Film) -> Row {
    let Film {
        mut row,
        name,
        year,
        watched,
        rating,
        mut runs,
    } = film;
    let status = if watched {
        ListStatus::Completed
    } else {
        ListStatus::Planned
    };
    let target = Target::Search(Search {
        kind: MediaKind::Movie,
        title: name.clone(),
        year,
        author: None,
        isbn: None,
    });
    let mut record = Record::new(target, status);
    record.rating = rating;
    if watched {
        record.progress = 1;
        if runs.is_empty() {
            runs.push(RecordRun {
                start_date: None,
                finish_date: None,
                origin: format!(
                    "letterboxd:watched:{}:{}",
                    name.to_lowercase(),
                    year.unwrap_or(0)
                ),
            });
        }
        record.finish_date = runs.iter().filter_map(|r| r.finish_date).max();
    }
    record.runs = runs;
    row.parsed = record.checked();
    row
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str, text: &str) -> archive::File<'static> {
        archive::File::text(name, text)
    }

    #[test]
    fn joins_files_on_name_and_year_with_rewatches_as_runs() {
        let files = [
            file(
                "watched.csv",
                "Date,Name,Year,Letterboxd URI\n2020-01-01,Heat,1995,https://boxd.it/2bf0\n2020-01-02,Alien,1979,https://boxd.it/2b0k\n",
            ),
            file(
                "diary.csv",
                "Date,Name,Year,Letterboxd URI,Rating,Rewatch,Tags,Watched Date\n2020-01-01,Heat,1995,https://boxd.it/a1,4.5,,,2019-12-31\n2021-01-01,Heat,1995,https://boxd.it/a2,5,Yes,,2021-01-01\n",
            ),
            file(
                "ratings.csv",
                "Date,Name,Year,Letterboxd URI,Rating\n2021-01-01,Heat,1995,https://boxd.it/2bf0,5\n2021-01-01,Alien,1979,https://boxd.it/2b0k,7\n",
            ),
            file(
                "watchlist.csv",
                "Date,Name,Year,Letterboxd URI\n2020-01-01,\"Crash, The\",1996,https://boxd.it/x\n",
            ),
        ];
        let rows = read(&files, &ReadLimits::rows(100)).unwrap();
        let titles: Vec<_> = rows.iter().map(|r| r.title.as_str()).collect();
        assert_eq!(titles, ["Heat", "Alien", "Crash, The", "Alien"]);
        let Parsed::Record(heat) = &rows[0].parsed else {
            panic!("{:?}", rows[0]);
        };
        assert_eq!(
            (heat.status, heat.rating, heat.runs.len()),
            (ListStatus::Completed, Some(10), 2)
        );
        assert!(matches!(&rows[2].parsed, Parsed::Record(r) if r.status == ListStatus::Planned));
        assert_eq!((rows[3].line, rows[3].file.as_str()), (3, "ratings.csv"));
        assert!(matches!(&rows[3].parsed, Parsed::Failed(why) if why.contains("half steps")));
    }

    #[test]
    fn half_stars_double_exactly() {
        assert_eq!(stars("0.5"), Ok(1));
        assert_eq!(stars("3.5"), Ok(7));
        assert!(stars("0").is_err());
        assert!(stars("3.25").is_err());
        assert!(stars("NaN").is_err());
    }
}
