//! CSV as the exporters write it: a header row naming the columns (found
//! by name, in any order, ignoring case), quoted fields that may hold
//! commas and newlines, and each row's line number for the report.

use super::{FileError, Parsed, ReadLimits, Row};

/// A CSV file: its columns and its rows.
pub(crate) struct Table {
    columns: Vec<String>,
    pub(crate) rows: Vec<Result<CsvRow, (u32, String)>>,
}

/// One row and the line it starts on.
pub(crate) struct CsvRow {
    pub(crate) line: u32,
    fields: csv::StringRecord,
}

/// The header row of `text`, lowercased; empty when it has none.
pub(crate) fn header(text: &str) -> Vec<String> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    reader
        .headers()
        .map(|h| h.iter().map(|c| c.trim().to_lowercase()).collect())
        .unwrap_or_default()
}

/// Every row of `text` (at most `limits` allow) under its header; a row the CSV
/// reader refuses is kept as its line and the reason.
pub(crate) fn read(text: &str, limits: &ReadLimits) -> Result<Table, FileError> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let columns = reader
        .headers()
        .map_err(|e| FileError::Unreadable(format!("no CSV header: {e}")))?
        .iter()
        .map(|c| c.trim().to_lowercase())
        .collect();
    let mut rows = Vec::new();
    for record in reader.records() {
        limits.row()?;
        rows.push(match record {
            Ok(fields) => Ok(CsvRow {
                line: line_of(fields.position()),
                fields,
            }),
            Err(e) => Err((line_of(e.position()), format!("not a CSV row: {e}"))),
        });
    }
    Ok(Table { columns, rows })
}

fn line_of(position: Option<&csv::Position>) -> u32 {
    position
        .and_then(|p| u32::try_from(p.line()).ok())
        .unwrap_or(0)
}

impl Table {
    /// Whether the header names every one of `columns` (lowercase).
    pub(crate) fn has(&self, columns: &[&str]) -> bool {
        columns.iter().all(|c| self.columns.iter().any(|h| h == c))
    }

    /// The value of column `name` (lowercase) in `row`, trimmed; empty when
    /// the file has no such column or the row is short.
    pub(crate) fn get<'r>(&self, row: &'r CsvRow, name: &str) -> &'r str {
        self.columns
            .iter()
            .position(|c| c == name)
            .and_then(|i| row.fields.get(i))
            .map_or("", str::trim)
    }

    /// Every row as the report shows it: its title from column `title`, and
    /// what `parse` makes of it; a row the CSV reader refused fails with
    /// why.
    pub(crate) fn report(
        &self,
        title: &str,
        parse: impl Fn(&Self, &CsvRow) -> Result<Parsed, String>,
    ) -> Vec<Row> {
        self.rows
            .iter()
            .map(|row| match row {
                Err((line, why)) => Row {
                    line: *line,
                    file: String::new(),
                    title: String::new(),
                    parsed: Parsed::Failed(why.clone()),
                },
                Ok(row) => Row {
                    line: row.line,
                    file: String::new(),
                    title: self.get(row, title).to_owned(),
                    parsed: parse(self, row).unwrap_or_else(Parsed::Failed),
                },
            })
            .collect()
    }

    /// Like [`Table::get`], for the first of `names` the file has.
    pub(crate) fn any<'r>(&self, row: &'r CsvRow, names: &[&str]) -> &'r str {
        names
            .iter()
            .find(|n| self.columns.iter().any(|c| c == *n))
            .map_or("", |n| self.get(row, n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_found_by_name_and_quoted_newlines_keep_their_row() {
        let table = read(
            "Title,Year\n\"Crash, The\",1996\n\"Two\nLines\",2001\nLast,2002\n",
            &ReadLimits::rows(3),
        )
        .unwrap();
        let rows: Vec<_> = table.rows.iter().map(|r| r.as_ref().unwrap()).collect();
        assert_eq!(table.get(rows[0], "title"), "Crash, The");
        assert_eq!(table.get(rows[1], "title"), "Two\nLines");
        assert_eq!(
            rows.iter().map(|r| r.line).collect::<Vec<_>>(),
            [2, 3, 5],
            "a row's line is where it starts"
        );
        assert_eq!(table.get(rows[2], "nope"), "");
        assert!(matches!(
            read("Title\na\nb\nc\n", &ReadLimits::rows(2)),
            Err(FileError::TooManyRows(2))
        ));
    }
}
