//! What the providers say of shows and their episodes: an episode's place
//! by its IMDb id (OMDb), a show's IMDb id by its TheTVDB id (TVmaze), and
//! a show's episodes (TVmaze's, or Jikan's for an anime).

use super::{ProviderError, Providers, ShowEpisodes, omdb};
use crate::domain::{MediaKind, Reference, Source};

impl Providers {
    /// Where the episode with IMDb id `imdb` is (OMDb): its series, season
    /// and number; `None` when OMDb knows no such episode. Answers, found or
    /// not, are kept a day; concurrent calls for one id share one request.
    pub(crate) async fn episode_place(
        &self,
        imdb: &str,
    ) -> Result<Option<omdb::EpisodePlace>, ProviderError> {
        self.episode_places
            .try_get_with(imdb.to_owned(), self.omdb.episode(imdb))
            .await
            .map_err(|e| (*e).clone())
    }

    /// Whether the place of episode `imdb` is known without asking OMDb.
    pub(crate) fn knows_episode_place(&self, imdb: &str) -> bool {
        self.episode_places.contains_key(imdb)
    }

    /// The IMDb id of the show whose TheTVDB id is `tvdb` (TVmaze's
    /// lookup); `None` when TVmaze knows no such show or no IMDb id for it.
    /// Answers, found or not, are kept a day; concurrent calls for one id
    /// share one request.
    pub(crate) async fn tvdb_show_imdb(&self, tvdb: &str) -> Result<Option<String>, ProviderError> {
        self.tvdb_shows
            .try_get_with(tvdb.to_owned(), self.tvmaze.imdb_of_tvdb_show(tvdb))
            .await
            .map_err(|e| (*e).clone())
    }

    /// Whether the show of TheTVDB id `tvdb` is known without asking TVmaze.
    pub(crate) fn knows_tvdb_show(&self, tvdb: &str) -> bool {
        self.tvdb_shows.contains_key(tvdb)
    }

    /// The episodes of series `reference` (TVmaze's, found through an OMDb
    /// series' IMDb id, or Jikan's for an anime), up to `max` of them.
    /// `show_id` is the provider's id of the show, once known. `None` for
    /// items without episodes.
    pub(crate) async fn episodes(
        &self,
        reference: &Reference,
        show_id: Option<&str>,
        max: usize,
    ) -> Option<Result<ShowEpisodes, ProviderError>> {
        let mut found = match (reference.source, reference.kind) {
            (Source::Omdb, MediaKind::Series) => {
                self.tvmaze.episodes(&reference.external_id, show_id).await
            }
            (Source::Jikan, MediaKind::Anime) => {
                self.jikan.episodes(&reference.external_id, max).await
            }
            _ => return None,
        };
        if let Ok(show) = &mut found {
            show.episodes.truncate(max);
        }
        Some(found)
    }
}
