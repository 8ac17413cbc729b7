//! The catalog and the list in the service's own terms: kinds, sources and
//! statuses (stored by name), values parsed once at the edge and trusted
//! after, and the records every use case works with.

mod records;
mod values;

pub(crate) use records::{
    Entry, EntryFields, Episode, EpisodeWatch, FileItem, Imported, Item, Run, RunDates,
};
pub(crate) use values::{
    ImageUrl, Notes, Progress, Rating, SearchQuery, Summary, Title, TitleQuery, Units, Year,
    parse_id,
};

completionist_common::text_enum! {
    /// What a catalog item is.
    #[derive(serde::Serialize, serde::Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub(crate) enum MediaKind {
        Movie = "movie",
        Series = "series",
        Anime = "anime",
        Manga = "manga",
        Game = "game",
        Book = "book",
    }
}

completionist_common::text_enum! {
    /// Where a catalog item comes from.
    #[derive(serde::Serialize, serde::Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub(crate) enum Source {
        Omdb = "omdb",
        Jikan = "jikan",
        OpenLibrary = "open_library",
        Rawg = "rawg",
        Custom = "custom",
    }
}

completionist_common::text_enum! {
    /// Whether a provider item's text is the provider's.
    pub(crate) enum ProviderCheck {
        /// The provider's own details.
        Confirmed = "confirmed",
        /// Made from an import file, the provider not asked yet: everyone
        /// sees a neutral text, the uploader their file's (on their entry).
        Pending = "pending",
        /// The provider said it has no such item: never asked again.
        NotFound = "not_found",
    }
}

completionist_common::text_enum! {
    /// Whether a series still airs, as its episodes' provider says.
    pub(crate) enum ShowStatus {
        /// The episodes were never fetched.
        Unknown = "unknown",
        Running = "running",
        Ended = "ended",
        /// The provider has no episode list for it.
        NotFound = "not_found",
    }
}

completionist_common::text_enum! {
    /// Where an entry stands on a user's list.
    #[derive(serde::Serialize, serde::Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub(crate) enum ListStatus {
        Planned = "planned",
        InProgress = "in_progress",
        Completed = "completed",
        OnHold = "on_hold",
        Dropped = "dropped",
    }
}

impl MediaKind {
    /// The provider that serves this kind.
    pub(crate) fn provider(self) -> Source {
        match self {
            Self::Movie | Self::Series => Source::Omdb,
            Self::Anime | Self::Manga => Source::Jikan,
            Self::Book => Source::OpenLibrary,
            Self::Game => Source::Rawg,
        }
    }
}

/// A provider's item: source, kind and the provider's id.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Reference {
    pub(crate) source: Source,
    pub(crate) kind: MediaKind,
    pub(crate) external_id: String,
}

impl Reference {
    /// A reference to an item of `kind` that `source` serves, with an id of
    /// at most 64 letters, digits, `-` or `_`. Problems come back by field.
    pub(crate) fn new(
        source: Source,
        kind: MediaKind,
        external_id: &str,
    ) -> Result<Self, Vec<(&'static str, String)>> {
        let external_id = Self::external_id(external_id);
        let mut problems = Vec::new();
        if let Err(why) = &external_id {
            problems.push(("external_id", why.clone()));
        }
        if kind.provider() != source {
            problems.push(("kind", format!("{source} does not serve {kind}")));
        }
        match external_id {
            Ok(external_id) if problems.is_empty() => Ok(Self {
                source,
                kind,
                external_id,
            }),
            _ => Err(problems),
        }
    }

    /// A provider's id: trimmed, at most 64 letters, digits, `-` or `_`.
    pub(crate) fn external_id(raw: &str) -> Result<String, String> {
        let id = raw.trim();
        if id.is_empty() {
            Err("must not be empty".into())
        } else if id.len() > 64
            || !id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            Err("must be at most 64 letters, digits, '-' or '_'".into())
        } else {
            Ok(id.to_owned())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_statuses_and_sources_have_stored_names() {
        for kind in MediaKind::ALL {
            assert_eq!(kind.as_str().parse::<MediaKind>().unwrap(), *kind);
        }
        assert_eq!(
            "in_progress".parse::<ListStatus>().unwrap(),
            ListStatus::InProgress
        );
        assert!("open library".parse::<Source>().is_err());
    }

    #[test]
    fn references_must_name_a_kind_the_source_serves() {
        assert!(Reference::new(Source::Omdb, MediaKind::Movie, "tt0133093").is_ok());
        let problems = Reference::new(Source::Jikan, MediaKind::Movie, "").unwrap_err();
        let fields: Vec<_> = problems.iter().map(|p| p.0).collect();
        assert_eq!(fields, ["external_id", "kind"]);
        assert!(Reference::new(Source::Rawg, MediaKind::Game, "../etc").is_err());
    }
}
