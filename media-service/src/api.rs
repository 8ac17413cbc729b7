//! `completionist.media.v1.MediaService`: one line per method, each handled
//! end to end by its concept's module.

use completionist_proto::media::{self as pb, media_service_server::MediaService};
use tonic::{Request, Response, Status};

use crate::{app::App, calendar, catalog, error::Error, list, scrobbles, series, transfers, watch};

pub(crate) struct Api(pub(crate) App);

type Reply<T> = Result<Response<T>, Status>;

fn reply<T>(result: Result<T, Error>) -> Reply<T> {
    result.map(Response::new).map_err(Status::from)
}

#[tonic::async_trait]
impl MediaService for Api {
    async fn search_media(
        &self,
        r: Request<pb::SearchMediaRequest>,
    ) -> Reply<pb::SearchMediaResponse> {
        reply(catalog::search_media(&self.0, r).await)
    }

    async fn import_media(
        &self,
        r: Request<pb::ImportMediaRequest>,
    ) -> Reply<pb::ImportMediaResponse> {
        reply(catalog::import_media(&self.0, r).await)
    }

    async fn get_media_item(
        &self,
        r: Request<pb::GetMediaItemRequest>,
    ) -> Reply<pb::GetMediaItemResponse> {
        reply(catalog::get_media_item(&self.0, r).await)
    }

    async fn list_media_items(
        &self,
        r: Request<pb::ListMediaItemsRequest>,
    ) -> Reply<pb::ListMediaItemsResponse> {
        reply(catalog::list_media_items(&self.0, r).await)
    }

    async fn create_custom_media_item(
        &self,
        r: Request<pb::CreateCustomMediaItemRequest>,
    ) -> Reply<pb::CreateCustomMediaItemResponse> {
        reply(catalog::create_custom_media_item(&self.0, r).await)
    }

    async fn add_list_entry(
        &self,
        r: Request<pb::AddListEntryRequest>,
    ) -> Reply<pb::AddListEntryResponse> {
        reply(list::add_list_entry(&self.0, r).await)
    }

    async fn update_list_entry(
        &self,
        r: Request<pb::UpdateListEntryRequest>,
    ) -> Reply<pb::UpdateListEntryResponse> {
        reply(list::update_list_entry(&self.0, r).await)
    }

    async fn remove_list_entry(
        &self,
        r: Request<pb::RemoveListEntryRequest>,
    ) -> Reply<pb::RemoveListEntryResponse> {
        reply(list::remove_list_entry(&self.0, r).await)
    }

    async fn get_list_entry(
        &self,
        r: Request<pb::GetListEntryRequest>,
    ) -> Reply<pb::GetListEntryResponse> {
        reply(list::get_list_entry(&self.0, r).await)
    }

    async fn list_list_entries(
        &self,
        r: Request<pb::ListListEntriesRequest>,
    ) -> Reply<pb::ListListEntriesResponse> {
        reply(list::list_list_entries(&self.0, r).await)
    }

    async fn get_list_stats(
        &self,
        r: Request<pb::GetListStatsRequest>,
    ) -> Reply<pb::GetListStatsResponse> {
        reply(list::get_list_stats(&self.0, r).await)
    }

    async fn list_list_entry_runs(
        &self,
        r: Request<pb::ListListEntryRunsRequest>,
    ) -> Reply<pb::ListListEntryRunsResponse> {
        reply(list::list_list_entry_runs(&self.0, r).await)
    }

    async fn create_list_entry_run(
        &self,
        r: Request<pb::CreateListEntryRunRequest>,
    ) -> Reply<pb::CreateListEntryRunResponse> {
        reply(list::create_list_entry_run(&self.0, r).await)
    }

    async fn update_list_entry_run(
        &self,
        r: Request<pb::UpdateListEntryRunRequest>,
    ) -> Reply<pb::UpdateListEntryRunResponse> {
        reply(list::update_list_entry_run(&self.0, r).await)
    }

    async fn delete_list_entry_run(
        &self,
        r: Request<pb::DeleteListEntryRunRequest>,
    ) -> Reply<pb::DeleteListEntryRunResponse> {
        reply(list::delete_list_entry_run(&self.0, r).await)
    }

    async fn start_import(
        &self,
        r: Request<pb::StartImportRequest>,
    ) -> Reply<pb::StartImportResponse> {
        reply(transfers::start_import(&self.0, r).await)
    }

    async fn get_import(&self, r: Request<pb::GetImportRequest>) -> Reply<pb::GetImportResponse> {
        reply(transfers::get_import(&self.0, r).await)
    }

    async fn list_imports(
        &self,
        r: Request<pb::ListImportsRequest>,
    ) -> Reply<pb::ListImportsResponse> {
        reply(transfers::list_imports(&self.0, r).await)
    }

    async fn cancel_import(
        &self,
        r: Request<pb::CancelImportRequest>,
    ) -> Reply<pb::CancelImportResponse> {
        reply(transfers::cancel_import(&self.0, r).await)
    }

    type WatchImportStream = watch::Outbox<pb::WatchImportResponse>;

    async fn watch_import(
        &self,
        r: Request<pb::WatchImportRequest>,
    ) -> Reply<Self::WatchImportStream> {
        reply(transfers::watch_import(&self.0, r).await)
    }

    type ExportListStream = watch::Outbox<pb::ExportListResponse>;

    async fn export_list(
        &self,
        r: Request<pb::ExportListRequest>,
    ) -> Reply<Self::ExportListStream> {
        reply(transfers::export::export_list(&self.0, r).await)
    }

    type WatchListEntriesStream = watch::Outbox<pb::WatchListEntriesResponse>;

    async fn watch_list_entries(
        &self,
        r: Request<pb::WatchListEntriesRequest>,
    ) -> Reply<Self::WatchListEntriesStream> {
        reply(watch::watch_list_entries(&self.0, r).await)
    }

    async fn list_episodes(
        &self,
        r: Request<pb::ListEpisodesRequest>,
    ) -> Reply<pb::ListEpisodesResponse> {
        reply(series::list_episodes(&self.0, r).await)
    }

    async fn mark_episodes_watched(
        &self,
        r: Request<pb::MarkEpisodesWatchedRequest>,
    ) -> Reply<pb::MarkEpisodesWatchedResponse> {
        reply(series::mark_episodes_watched(&self.0, r).await)
    }

    async fn unmark_episodes_watched(
        &self,
        r: Request<pb::UnmarkEpisodesWatchedRequest>,
    ) -> Reply<pb::UnmarkEpisodesWatchedResponse> {
        reply(series::unmark_episodes_watched(&self.0, r).await)
    }

    async fn list_episode_watches(
        &self,
        r: Request<pb::ListEpisodeWatchesRequest>,
    ) -> Reply<pb::ListEpisodeWatchesResponse> {
        reply(series::list_episode_watches(&self.0, r).await)
    }

    async fn list_upcoming(
        &self,
        r: Request<pb::ListUpcomingRequest>,
    ) -> Reply<pb::ListUpcomingResponse> {
        reply(calendar::list_upcoming(&self.0, r).await)
    }

    async fn create_calendar_feed(
        &self,
        r: Request<pb::CreateCalendarFeedRequest>,
    ) -> Reply<pb::CreateCalendarFeedResponse> {
        reply(calendar::create_calendar_feed(&self.0, r).await)
    }

    async fn list_calendar_feeds(
        &self,
        r: Request<pb::ListCalendarFeedsRequest>,
    ) -> Reply<pb::ListCalendarFeedsResponse> {
        reply(calendar::list_calendar_feeds(&self.0, r).await)
    }

    async fn delete_calendar_feed(
        &self,
        r: Request<pb::DeleteCalendarFeedRequest>,
    ) -> Reply<pb::DeleteCalendarFeedResponse> {
        reply(calendar::delete_calendar_feed(&self.0, r).await)
    }
    async fn create_scrobble_token(
        &self,
        r: Request<pb::CreateScrobbleTokenRequest>,
    ) -> Reply<pb::CreateScrobbleTokenResponse> {
        reply(scrobbles::create_scrobble_token(&self.0, r).await)
    }

    async fn list_scrobble_tokens(
        &self,
        r: Request<pb::ListScrobbleTokensRequest>,
    ) -> Reply<pb::ListScrobbleTokensResponse> {
        reply(scrobbles::list_scrobble_tokens(&self.0, r).await)
    }

    async fn delete_scrobble_token(
        &self,
        r: Request<pb::DeleteScrobbleTokenRequest>,
    ) -> Reply<pb::DeleteScrobbleTokenResponse> {
        reply(scrobbles::delete_scrobble_token(&self.0, r).await)
    }

    async fn list_scrobble_events(
        &self,
        r: Request<pb::ListScrobbleEventsRequest>,
    ) -> Reply<pb::ListScrobbleEventsResponse> {
        reply(scrobbles::list_scrobble_events(&self.0, r).await)
    }

    async fn pin_scrobble_show(
        &self,
        r: Request<pb::PinScrobbleShowRequest>,
    ) -> Reply<pb::PinScrobbleShowResponse> {
        reply(scrobbles::pin_scrobble_show(&self.0, r).await)
    }
}
