//! Goodreads' library CSV. ISBNs come as `="0439023483"` and stay text
//! (leading zeros and an `X` check digit survive); `My Rating` is 0–5 with
//! 0 unrated (our scale is 1–10); any shelf not read or currently-reading is
//! a plan; `Read Count` is how many runs; dates are `YYYY/MM/DD`. Books are
//! found on Open Library by the worker: ISBN first, then title and author.

use super::{
    FileError, Parsed, ReadLimits, Record, RecordRun, Row, Search, Target, archive, csv_rows, date,
    year,
};
use crate::domain::{ListStatus, MediaKind};

pub(super) fn is_header(header: &[String]) -> bool {
    ["book id", "exclusive shelf"]
        .iter()
        .all(|c| header.iter().any(|h| h == c))
}

pub(super) fn read(
    files: &[archive::File<'_>],
    limits: &ReadLimits,
) -> Result<Vec<Row>, FileError> {
    let file = files
        .first()
        .ok_or_else(|| FileError::Unreadable("no file".into()))?;
    let table = csv_rows::read(&archive::text(&file.bytes), limits)?;
    if !table.has(&["title", "exclusive shelf"]) {
        return Err(FileError::Unreadable(
            "not a Goodreads library export: no Title and Exclusive Shelf columns".into(),
        ));
    }
    Ok(table.report("title", parse))
}

/// `="0439023483"` → `0439023483`; empty when there is none.
fn isbn(raw: &str) -> Option<String> {
    let isbn = raw.trim().trim_start_matches('=').trim_matches('"').trim();
    (!isbn.is_empty()).then(|| isbn.to_owned())
}

fn parse(table: &csv_rows::Table, row: &csv_rows::CsvRow) -> Result<Parsed, String> {
    let get = |name| table.get(row, name);
    let status = match get("exclusive shelf") {
        "read" => ListStatus::Completed,
        "currently-reading" => ListStatus::InProgress,
        // to-read, and any shelf of the user's own.
        _ => ListStatus::Planned,
    };
    let stars: i16 = match get("my rating") {
        "" => 0,
        raw => raw
            .parse()
            .map_err(|_| format!("My Rating is not a number: {raw:?}"))?,
    };
    if !(0..=5).contains(&stars) {
        return Err(format!("My Rating must be 0 to 5, got {stars}"));
    }
    let finished = date(get("date read")).map_err(|why| format!("Date Read: {why}"))?;
    let author = Some(get("author").to_owned()).filter(|a| !a.is_empty());
    let published = year(get("original publication year")).or_else(|| year(get("year published")));
    let target = Target::Search(Search {
        kind: MediaKind::Book,
        title: get("title").to_owned(),
        year: published,
        author,
        isbn: isbn(get("isbn13")).or_else(|| isbn(get("isbn"))),
    });
    let mut record = Record::new(target, status);
    record.rating = (stars > 0).then_some(stars * 2);
    record.notes = [get("private notes"), get("my review")]
        .into_iter()
        .filter(|t| !t.is_empty())
        .collect::<Vec<_>>()
        .join("\n\n");
    if status == ListStatus::Completed {
        record.finish_date = finished;
    }
    record.runs = runs(status, get("read count"), finished, get("book id"))?;
    Ok(record.checked())
}

/// A read book is one run at least; `Read Count` says how many. The export
/// knows the date of the last read only.
fn runs(
    status: ListStatus,
    count: &str,
    finished: Option<chrono::NaiveDate>,
    book: &str,
) -> Result<Vec<RecordRun>, String> {
    let reads: usize = match count {
        "" => 0,
        raw => raw
            .parse()
            .map_err(|_| format!("Read Count is not a number: {raw:?}"))?,
    };
    let runs = if status == ListStatus::Completed {
        reads.max(1)
    } else {
        reads
    };
    if runs > super::MAX_RUNS {
        return Err(format!(
            "Read Count is {runs}; at most {} runs are kept",
            super::MAX_RUNS
        ));
    }
    Ok((0..runs)
        .map(|n| RecordRun {
            start_date: None,
            finish_date: if n == 0 { finished } else { None },
            origin: format!("goodreads:{book}:{n}"),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIBRARY: &str = "\u{feff}Book Id,Title,Author,Author l-f,Additional Authors,ISBN,ISBN13,My Rating,Average Rating,Publisher,Binding,Number of Pages,Year Published,Original Publication Year,Date Read,Date Added,Bookshelves,Bookshelves with positions,Exclusive Shelf,My Review,Spoiler,Private Notes,Read Count,Owned Copies
2767052,\"The Hunger Games (The Hunger Games, #1)\",Suzanne Collins,\"Collins, Suzanne\",,\"=\"\"0439023483\"\"\",\"=\"\"9780439023481\"\"\",4,4.33,Scholastic Press,Hardcover,374,2008,2008,2012/05/13,2012/01/02,,,read,\"Loved it,
truly\",,,2,0
1,Odd ISBN,Someone,,,\"=\"\"080442957X\"\"\",\"=\"\"\"\"\",0,4.0,,,,,,,2020/01/01,favourites,favourites (#1),favourites,,,,0,0
";

    #[test]
    fn reads_isbns_as_text_ratings_on_our_scale_and_custom_shelves_as_plans() {
        let file = archive::File {
            name: "goodreads_library_export.csv".into(),
            bytes: LIBRARY.as_bytes().into(),
        };
        let rows = read(&[file], &ReadLimits::rows(100)).unwrap();
        assert_eq!(rows.iter().map(|r| r.line).collect::<Vec<_>>(), [2, 4]);
        let Parsed::Record(hunger) = &rows[0].parsed else {
            panic!("{:?}", rows[0]);
        };
        assert_eq!(
            (hunger.status, hunger.rating),
            (ListStatus::Completed, Some(8))
        );
        assert_eq!(hunger.runs.len(), 2);
        assert_eq!(hunger.notes, "Loved it,\ntruly");
        let Target::Search(search) = &hunger.target else {
            panic!();
        };
        assert_eq!(search.isbn.as_deref(), Some("9780439023481"));
        let Parsed::Record(odd) = &rows[1].parsed else {
            panic!("{:?}", rows[1]);
        };
        assert_eq!((odd.status, odd.rating), (ListStatus::Planned, None));
        let Target::Search(search) = &odd.target else {
            panic!();
        };
        assert_eq!(search.isbn.as_deref(), Some("080442957X"));
    }
}
