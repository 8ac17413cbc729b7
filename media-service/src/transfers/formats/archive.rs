//! The files inside an upload: itself, what a gzip holds, or the members
//! of a ZIP — never more than the limit, however small the upload. A bomb
//! is refused on reaching the limit, not unpacked first.

use std::{
    borrow::Cow,
    io::{Cursor, Read},
};

use super::{FileError, Input};

/// One file of an upload.
pub(crate) struct File<'a> {
    /// Its name: the upload's, or the member's without folders.
    pub(crate) name: String,
    pub(crate) bytes: Cow<'a, [u8]>,
}

#[cfg(test)]
impl File<'static> {
    /// A file named `name` holding `text`, as the format tests build them.
    pub(crate) fn text(name: &str, text: &str) -> Self {
        Self {
            name: name.into(),
            bytes: text.as_bytes().to_vec().into(),
        }
    }
}

/// More members than any export has.
const MAX_MEMBERS: usize = 64;

/// The files of an upload: gzip and ZIP are unpacked (up to
/// `max_unpacked` bytes in all), anything else is itself.
pub(crate) fn unpack<'a>(input: &Input<'a>) -> Result<Vec<File<'a>>, FileError> {
    let bytes = input.bytes;
    if bytes.starts_with(&[0x1f, 0x8b]) {
        let name = input.file_name.trim_end_matches(".gz").to_owned();
        let unpacked = bounded(flate2::read::MultiGzDecoder::new(bytes), input.max_unpacked)?;
        return Ok(vec![File {
            name,
            bytes: Cow::Owned(unpacked),
        }]);
    }
    if bytes.starts_with(b"PK\x03\x04") {
        return members(bytes, input.max_unpacked);
    }
    Ok(vec![File {
        name: input.file_name.to_owned(),
        bytes: Cow::Borrowed(bytes),
    }])
}

fn members<'a>(bytes: &[u8], max_unpacked: u64) -> Result<Vec<File<'a>>, FileError> {
    let unreadable = |e: zip::result::ZipError| FileError::Unreadable(format!("a broken ZIP: {e}"));
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(unreadable)?;
    if archive.len() > MAX_MEMBERS {
        return Err(FileError::Unreadable(format!(
            "a ZIP of {} files; exports hold at most {MAX_MEMBERS}",
            archive.len()
        )));
    }
    let mut left = max_unpacked;
    let mut files = Vec::new();
    for index in 0..archive.len() {
        let member = archive.by_index(index).map_err(unreadable)?;
        if !member.is_file() {
            continue;
        }
        let name = member.name().map_err(unreadable)?;
        let name = name.rsplit('/').next().unwrap_or_default().to_owned();
        // The declared size may lie; the read is bounded all the same.
        let unpacked = bounded(member, left).map_err(|e| match e {
            FileError::TooLarge(_) => FileError::TooLarge(max_unpacked),
            other => other,
        })?;
        left -= unpacked.len() as u64;
        files.push(File {
            name,
            bytes: Cow::Owned(unpacked),
        });
    }
    if files.is_empty() {
        return Err(FileError::Unreadable("an empty ZIP".into()));
    }
    Ok(files)
}

/// All of `reader`, unless it holds more than `limit` bytes.
fn bounded(reader: impl Read, limit: u64) -> Result<Vec<u8>, FileError> {
    let mut out = Vec::new();
    reader
        .take(limit + 1)
        .read_to_end(&mut out)
        .map_err(|e| FileError::Unreadable(format!("the file cannot be unpacked: {e}")))?;
    if out.len() as u64 > limit {
        return Err(FileError::TooLarge(limit));
    }
    Ok(out)
}

/// A file's text: UTF-8 without its byte-order mark; bytes that are not
/// UTF-8 become U+FFFD rather than failing the file.
pub(crate) fn text(bytes: &[u8]) -> Cow<'_, str> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    String::from_utf8_lossy(bytes)
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn input(bytes: &[u8]) -> Input<'_> {
        Input {
            bytes,
            file_name: "upload.gz",
            max_unpacked: 1 << 20,
            max_rows: 1000,
            deadline: None,
        }
    }

    #[test]
    fn a_gzip_bomb_is_refused_at_the_limit() {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        gz.write_all(&vec![b'a'; 8 << 20]).unwrap();
        let bomb = gz.finish().unwrap();
        assert!(bomb.len() < 64 << 10, "small on the wire: {}", bomb.len());
        assert_eq!(
            unpack(&input(&bomb)).err(),
            Some(FileError::TooLarge(1 << 20))
        );
    }

    #[test]
    fn a_zip_bomb_is_refused_at_the_limit() {
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default();
        for name in ["a.csv", "b.csv"] {
            zip.start_file(name, options).unwrap();
            zip.write_all(&vec![b'a'; 600 << 10]).unwrap();
        }
        let bomb = zip.finish().unwrap().into_inner();
        assert_eq!(
            unpack(&input(&bomb)).err(),
            Some(FileError::TooLarge(1 << 20))
        );
    }

    #[test]
    fn zip_members_lose_their_folders_and_boms_go() {
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        zip.add_directory("export/", zip::write::SimpleFileOptions::default())
            .unwrap();
        zip.start_file(
            "export/watched.csv",
            zip::write::SimpleFileOptions::default(),
        )
        .unwrap();
        zip.write_all(b"\xEF\xBB\xBFName\n").unwrap();
        let bytes = zip.finish().unwrap().into_inner();
        let files = unpack(&input(&bytes)).unwrap();
        assert_eq!(files.len(), 1);
        assert_eq!(files[0].name, "watched.csv");
        assert_eq!(text(&files[0].bytes), "Name\n");
    }
}
