//! `completionist.media.v1.MediaService`: one line per method, each handled
//! end to end by its concept's module.

use completionist_proto::media::{self as pb, media_service_server::MediaService};
use tonic::{Request, Response, Status};

use crate::{app::App, catalog, error::Error, list};

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

    // Imports and exports land with the next commit.
    async fn start_import(
        &self,
        _: Request<pb::StartImportRequest>,
    ) -> Reply<pb::StartImportResponse> {
        Err(Status::unimplemented("not yet"))
    }
    async fn get_import(&self, _: Request<pb::GetImportRequest>) -> Reply<pb::GetImportResponse> {
        Err(Status::unimplemented("not yet"))
    }
    async fn list_imports(
        &self,
        _: Request<pb::ListImportsRequest>,
    ) -> Reply<pb::ListImportsResponse> {
        Err(Status::unimplemented("not yet"))
    }
    async fn cancel_import(
        &self,
        _: Request<pb::CancelImportRequest>,
    ) -> Reply<pb::CancelImportResponse> {
        Err(Status::unimplemented("not yet"))
    }
    type WatchImportStream = futures_util::stream::Empty<Result<pb::WatchImportResponse, Status>>;
    async fn watch_import(
        &self,
        _: Request<pb::WatchImportRequest>,
    ) -> Reply<Self::WatchImportStream> {
        Err(Status::unimplemented("not yet"))
    }
    type ExportListStream = futures_util::stream::Empty<Result<pb::ExportListResponse, Status>>;
    async fn export_list(
        &self,
        _: Request<pb::ExportListRequest>,
    ) -> Reply<Self::ExportListStream> {
        Err(Status::unimplemented("not yet"))
    }
}
