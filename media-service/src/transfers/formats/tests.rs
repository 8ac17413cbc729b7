use proptest::prelude::*;

use super::*;

#[test]
fn dates_with_unknown_parts_are_unknown() {
    assert_eq!(date("0000-00-00"), Ok(None));
    assert_eq!(date("2010-05-00"), Ok(None));
    assert_eq!(date(""), Ok(None));
    assert_eq!(date("2015/03/04"), Ok(NaiveDate::from_ymd_opt(2015, 3, 4)));
    assert_eq!(
        date("2015-03-04T20:11:00.000Z"),
        Ok(NaiveDate::from_ymd_opt(2015, 3, 4))
    );
    assert!(date("2015-02-30").is_err());
    assert!(date("soon").is_err());
}

#[test]
fn records_are_checked_like_entries() {
    let target = Target::Search(Search {
        kind: MediaKind::Book,
        title: "Dune".into(),
        year: None,
        author: None,
        isbn: None,
    });
    let mut record = Record::new(target, ListStatus::Completed);
    record.start_date = NaiveDate::from_ymd_opt(2020, 2, 1);
    record.finish_date = NaiveDate::from_ymd_opt(2020, 1, 1);
    assert!(matches!(record.clone().checked(), Parsed::Failed(_)));
    record.finish_date = None;
    record.notes = "bell\u{7}".into();
    assert!(matches!(record.clone().checked(), Parsed::Failed(_)));
    record.notes = "fine\n".into();
    assert!(matches!(record.clone().checked(), Parsed::Record(_)));
    record.target = Target::Known(KnownItem {
        source: Source::Jikan,
        kind: MediaKind::Anime,
        external_id: "1".into(),
        title: "Bebop".into(),
        year: None,
        image_url: "javascript:alert(1)".into(),
        summary: String::new(),
        total_units: None,
    });
    assert!(
        matches!(record.checked(), Parsed::Failed(why) if why.starts_with("image_url")),
        "a file's catalog data is held to what the API holds it to"
    );
}

#[test]
fn unknown_files_name_what_was_expected() {
    let input = Input {
        bytes: b"just some words",
        file_name: "notes.txt",
        max_unpacked: 1 << 20,
        max_rows: 1000,
        deadline: None,
    };
    let Err(FileError::Unreadable(why)) = read(None, &input) else {
        panic!("expected an unreadable file");
    };
    assert!(why.contains("MyAnimeList"), "{why}");
}

proptest! {
    #[test]
    fn no_bytes_panic_any_reader(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let input = Input { bytes: &bytes, file_name: "x", max_unpacked: 1 << 20, max_rows: 1000, deadline: None };
        let _ = read(None, &input);
        for format in Format::ALL {
            let _ = read(Some(*format), &input);
        }
    }

    #[test]
    fn no_text_panics_any_reader(text in "\\PC{0,400}") {
        let input = Input { bytes: text.as_bytes(), file_name: "x.csv", max_unpacked: 1 << 20, max_rows: 1000, deadline: None };
        for format in Format::ALL {
            let _ = read(Some(*format), &input);
        }
    }
}
