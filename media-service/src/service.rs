//! The gRPC adapter: each handler authenticates the caller, turns the
//! request into domain values (every invalid field reported at once), makes
//! one call on [`App`], and turns the answer into protobuf.

use completionist_common::{error::Violations, page_token, time::timestamp};
use completionist_proto::media::{self as pb, media_service_server::MediaService};
use tonic::{Request, Response, Status};

use crate::{
    app::{App, EntryFields, EntryUpdate, NewCustomItem, Target},
    auth::{AuthClient, Caller},
    db::{EntryOrder, EntryRow, ItemRow},
    domain::{
        ListStatus, MediaKind, Rating, Reference, Source, date_to_proto, parse_date, parse_id,
        parse_title,
    },
    error::Error,
    providers::Candidate,
};

/// `completionist.media.v1.MediaService` over an [`App`].
pub struct MediaApi {
    app: App,
    auth: AuthClient,
}

impl MediaApi {
    pub fn new(app: App, auth: AuthClient) -> Self {
        Self { app, auth }
    }

    async fn caller<T>(&self, request: &Request<T>) -> Result<Caller, Error> {
        self.auth.authenticate(request.metadata()).await
    }
}

type Reply<T> = Result<Response<T>, Status>;

const MAX_NOTES: usize = 10_000;

#[tonic::async_trait]
impl MediaService for MediaApi {
    async fn search_media(
        &self,
        request: Request<pb::SearchMediaRequest>,
    ) -> Reply<pb::SearchMediaResponse> {
        self.caller(&request).await?;
        let request = request.into_inner();
        let mut v = Violations::default();
        let kind = v.check("kind", MediaKind::from_proto(request.kind));
        let query = v.check("query", parse_query(&request.query));
        let (kind, query) = v.finish((kind, query)).map_err(Error::from)?;
        let found = self.app.search(kind, &query, &request.page_token).await?;
        Ok(Response::new(pb::SearchMediaResponse {
            results: found
                .items
                .into_iter()
                .map(|(candidate, id)| candidate_to_proto(candidate, id))
                .collect(),
            next_page_token: found.next_page_token,
            total_size: i32::try_from(found.total).unwrap_or(i32::MAX),
        }))
    }

    async fn import_media(
        &self,
        request: Request<pb::ImportMediaRequest>,
    ) -> Reply<pb::ImportMediaResponse> {
        self.caller(&request).await?;
        let reference = parse_reference(request.get_ref().reference.as_ref(), "reference")?;
        let (item, created) = self.app.import(&reference).await?;
        Ok(Response::new(pb::ImportMediaResponse {
            media_item: Some(item_to_proto(&item)),
            created,
        }))
    }

    async fn get_media_item(
        &self,
        request: Request<pb::GetMediaItemRequest>,
    ) -> Reply<pb::GetMediaItemResponse> {
        self.caller(&request).await?;
        let id = parse_id(&request.get_ref().id).map_err(|why| Error::invalid("id", why))?;
        let item = self.app.get_item(id).await?;
        Ok(Response::new(pb::GetMediaItemResponse {
            media_item: Some(item_to_proto(&item)),
        }))
    }

    async fn list_media_items(
        &self,
        request: Request<pb::ListMediaItemsRequest>,
    ) -> Reply<pb::ListMediaItemsResponse> {
        self.caller(&request).await?;
        let request = request.into_inner();
        let mut v = Violations::default();
        let page_size = v.check(
            "page_size",
            page_token::page_size(request.page_size, 20, 100),
        );
        let kind = v.check("kind", MediaKind::filter_from_proto(request.kind));
        let title = request.title_query.trim();
        if title.chars().count() > 200 {
            v.add("title_query", "must be at most 200 characters");
        }
        let (page_size, kind) = v.finish((page_size, kind)).map_err(Error::from)?;
        let title = (!title.is_empty()).then(|| title.to_owned());
        let (items, next_page_token) = self
            .app
            .list_items(kind, title, page_size, &request.page_token)
            .await?;
        Ok(Response::new(pb::ListMediaItemsResponse {
            media_items: items.iter().map(item_to_proto).collect(),
            next_page_token,
        }))
    }

    async fn create_custom_media_item(
        &self,
        request: Request<pb::CreateCustomMediaItemRequest>,
    ) -> Reply<pb::CreateCustomMediaItemResponse> {
        let caller = self.caller(&request).await?;
        let item = NewCustomItem::try_from(request.into_inner())?;
        let item = self.app.create_custom(caller, item).await?;
        Ok(Response::new(pb::CreateCustomMediaItemResponse {
            media_item: Some(item_to_proto(&item)),
        }))
    }

    async fn add_list_entry(
        &self,
        request: Request<pb::AddListEntryRequest>,
    ) -> Reply<pb::AddListEntryResponse> {
        let caller = self.caller(&request).await?;
        let request = request.into_inner();
        let mut v = Violations::default();
        let target = match &request.media {
            None => {
                v.add("media", "set media_item_id or reference");
                None
            }
            Some(pb::add_list_entry_request::Media::MediaItemId(id)) => {
                v.check("media_item_id", parse_id(id).map(Target::Item))
            }
            Some(pb::add_list_entry_request::Media::Reference(reference)) => {
                match Reference::parse(reference) {
                    Ok(reference) => Some(Target::Reference(reference)),
                    Err(problems) => {
                        for (field, why) in problems {
                            v.add(&format!("reference.{field}"), why);
                        }
                        None
                    }
                }
            }
        };
        let status = v.check(
            "status",
            match request.status {
                0 => Ok(ListStatus::Planned),
                status => ListStatus::from_proto(status),
            },
        );
        let rating = v.check("rating", request.rating.map(Rating::parse).transpose());
        let progress = v.check("progress", parse_progress(request.progress));
        let notes = v.check("notes", parse_notes(&request.notes));
        let (target, status, rating, progress, notes) = v
            .finish((target, status, rating, progress, notes))
            .map_err(Error::from)?;
        let fields = EntryFields {
            status,
            rating,
            progress,
            notes,
            start_date: None,
            finish_date: None,
        };
        let (entry, item) = self.app.add_entry(caller, target, fields).await?;
        Ok(Response::new(pb::AddListEntryResponse {
            list_entry: Some(entry_to_proto(&entry, &item)),
        }))
    }

    async fn update_list_entry(
        &self,
        request: Request<pb::UpdateListEntryRequest>,
    ) -> Reply<pb::UpdateListEntryResponse> {
        let caller = self.caller(&request).await?;
        let (id, update) = parse_update(request.into_inner())?;
        let (entry, item) = self.app.update_entry(caller, id, update).await?;
        Ok(Response::new(pb::UpdateListEntryResponse {
            list_entry: Some(entry_to_proto(&entry, &item)),
        }))
    }

    async fn remove_list_entry(
        &self,
        request: Request<pb::RemoveListEntryRequest>,
    ) -> Reply<pb::RemoveListEntryResponse> {
        let caller = self.caller(&request).await?;
        let id = parse_id(&request.get_ref().id).map_err(|why| Error::invalid("id", why))?;
        self.app.remove_entry(caller, id).await?;
        Ok(Response::new(pb::RemoveListEntryResponse {}))
    }

    async fn get_list_entry(
        &self,
        request: Request<pb::GetListEntryRequest>,
    ) -> Reply<pb::GetListEntryResponse> {
        let caller = self.caller(&request).await?;
        let id = parse_id(&request.get_ref().id).map_err(|why| Error::invalid("id", why))?;
        let (entry, item) = self.app.get_entry(caller, id).await?;
        Ok(Response::new(pb::GetListEntryResponse {
            list_entry: Some(entry_to_proto(&entry, &item)),
        }))
    }

    async fn list_list_entries(
        &self,
        request: Request<pb::ListListEntriesRequest>,
    ) -> Reply<pb::ListListEntriesResponse> {
        let caller = self.caller(&request).await?;
        let request = request.into_inner();
        let mut v = Violations::default();
        let page_size = v.check(
            "page_size",
            page_token::page_size(request.page_size, 20, 100),
        );
        let status = v.check("status", ListStatus::filter_from_proto(request.status));
        let kind = v.check("kind", MediaKind::filter_from_proto(request.kind));
        let order = v.check("order_by", parse_order(request.order_by));
        let (page_size, status, kind, order) = v
            .finish((page_size, status, kind, order))
            .map_err(Error::from)?;
        let (entries, next_page_token) = self
            .app
            .list_entries(caller, status, kind, order, page_size, &request.page_token)
            .await?;
        Ok(Response::new(pb::ListListEntriesResponse {
            list_entries: entries.iter().map(|(e, i)| entry_to_proto(e, i)).collect(),
            next_page_token,
        }))
    }

    async fn get_list_stats(
        &self,
        request: Request<pb::GetListStatsRequest>,
    ) -> Reply<pb::GetListStatsResponse> {
        let caller = self.caller(&request).await?;
        let stats = self.app.stats(caller).await?;
        Ok(Response::new(pb::GetListStatsResponse {
            total_count: stats.total,
            status_counts: stats
                .by_status
                .into_iter()
                .map(|(status, count)| pb::StatusCount {
                    status: status.to_proto(),
                    count,
                })
                .collect(),
            kind_counts: stats
                .by_kind
                .into_iter()
                .map(|(kind, count)| pb::KindCount {
                    kind: kind.to_proto(),
                    count,
                })
                .collect(),
            mean_rating: stats.mean_rating,
            completed_fraction: stats.completed_fraction,
        }))
    }
}

fn parse_query(raw: &str) -> Result<String, String> {
    let query = raw.trim();
    match query.chars().count() {
        0 => Err("must not be empty".into()),
        n if n > 200 => Err("must be at most 200 characters".into()),
        _ => Ok(query.to_owned()),
    }
}

fn parse_reference(
    reference: Option<&pb::MediaReference>,
    field: &str,
) -> Result<Reference, Error> {
    let Some(reference) = reference else {
        return Err(Error::invalid(field, "is required"));
    };
    Reference::parse(reference).map_err(|problems| {
        Error::InvalidArgument(
            problems
                .into_iter()
                .map(|(f, why)| tonic_types::FieldViolation::new(format!("{field}.{f}"), why))
                .collect(),
        )
    })
}

fn parse_progress(progress: i32) -> Result<i32, String> {
    if progress < 0 {
        Err("must not be negative".into())
    } else {
        Ok(progress)
    }
}

fn parse_notes(notes: &str) -> Result<String, String> {
    if notes.chars().count() > MAX_NOTES {
        Err(format!("must be at most {MAX_NOTES} characters"))
    } else {
        Ok(notes.to_owned())
    }
}

fn parse_order(value: i32) -> Result<EntryOrder, String> {
    match pb::ListEntryOrder::try_from(value) {
        Ok(pb::ListEntryOrder::Unspecified | pb::ListEntryOrder::UpdateTimeDesc) => {
            Ok(EntryOrder::Updated)
        }
        Ok(pb::ListEntryOrder::Title) => Ok(EntryOrder::Title),
        Ok(pb::ListEntryOrder::RatingDesc) => Ok(EntryOrder::Rating),
        Err(_) => Err(format!("unknown order {value}")),
    }
}

impl TryFrom<pb::CreateCustomMediaItemRequest> for NewCustomItem {
    type Error = Error;

    fn try_from(request: pb::CreateCustomMediaItemRequest) -> Result<Self, Error> {
        let mut v = Violations::default();
        let kind = v.check("kind", MediaKind::from_proto(request.kind));
        let title = v.check("title", parse_title(&request.title));
        if let Some(year) = request.year
            && !(1000..=2200).contains(&year)
        {
            v.add("year", format!("must be between 1000 and 2200, got {year}"));
        }
        let image_url = request.image_url.trim().to_owned();
        let is_web_url = image_url.starts_with("https://") || image_url.starts_with("http://");
        if !image_url.is_empty() && !is_web_url {
            v.add("image_url", "must be an http:// or https:// URL");
        }
        if request.summary.chars().count() > 4000 {
            v.add("summary", "must be at most 4000 characters");
        }
        if let Some(units) = request.total_units
            && !(1..=1_000_000).contains(&units)
        {
            v.add(
                "total_units",
                format!("must be between 1 and 1000000, got {units}"),
            );
        }
        let (kind, title) = v.finish((kind, title))?;
        Ok(Self {
            kind,
            title,
            year: request.year,
            image_url,
            summary: request.summary.trim().to_owned(),
            total_units: request.total_units,
        })
    }
}

/// The id and the masked changes of an UpdateListEntry request. An empty
/// mask means every field set to a non-default value (AIP-134).
fn parse_update(request: pb::UpdateListEntryRequest) -> Result<(uuid::Uuid, EntryUpdate), Error> {
    let Some(entry) = request.list_entry else {
        return Err(Error::invalid("list_entry", "is required"));
    };
    let mut paths = request
        .update_mask
        .map(|mask| mask.paths)
        .unwrap_or_default();
    if paths.is_empty() {
        paths = [
            (entry.status != 0).then_some("status"),
            entry.rating.is_some().then_some("rating"),
            (entry.progress != 0).then_some("progress"),
            (!entry.notes.is_empty()).then_some("notes"),
            entry.start_date.is_some().then_some("start_date"),
            entry.finish_date.is_some().then_some("finish_date"),
        ]
        .into_iter()
        .flatten()
        .map(str::to_owned)
        .collect();
    }
    let mut v = Violations::default();
    let id = v.check("list_entry.id", parse_id(&entry.id));
    if paths.is_empty() {
        v.add("update_mask", "names no field to change");
    }
    let mut update = EntryUpdate::default();
    for path in &paths {
        match path.as_str() {
            "status" => update.status = v.check("list_entry.status", ListStatus::from_proto(entry.status)),
            "rating" => {
                update.rating = v.check("list_entry.rating", entry.rating.map(Rating::parse).transpose());
            }
            "progress" => update.progress = v.check("list_entry.progress", parse_progress(entry.progress)),
            "notes" => update.notes = v.check("list_entry.notes", parse_notes(&entry.notes)),
            "start_date" => {
                update.start_date = v.check("list_entry.start_date", parse_date(entry.start_date.as_ref()));
            }
            "finish_date" => {
                update.finish_date = v.check("list_entry.finish_date", parse_date(entry.finish_date.as_ref()));
            }
            other => v.add(
                "update_mask",
                format!(
                    "unknown or immutable field {other:?}; use status, rating, progress, notes, start_date or finish_date"
                ),
            ),
        }
    }
    let (id,) = v.finish((id,))?;
    Ok((id, update))
}

fn candidate_to_proto(candidate: Candidate, media_item_id: Option<uuid::Uuid>) -> pb::SearchResult {
    pb::SearchResult {
        reference: Some(pb::MediaReference {
            source: candidate.reference.source.to_proto(),
            kind: candidate.reference.kind.to_proto(),
            external_id: candidate.reference.external_id,
        }),
        title: candidate.title,
        year: candidate.year,
        image_url: candidate.image_url,
        summary: candidate.summary,
        total_units: candidate.total_units,
        media_item_id: media_item_id.map(|id| id.to_string()).unwrap_or_default(),
    }
}

pub fn item_to_proto(item: &ItemRow) -> pb::MediaItem {
    pb::MediaItem {
        id: item.id.to_string(),
        kind: MediaKind::from_db(&item.kind).map_or(0, MediaKind::to_proto),
        source: Source::from_db(&item.source).map_or(0, Source::to_proto),
        external_id: item.external_id.clone().unwrap_or_default(),
        title: item.title.clone(),
        year: item.year,
        image_url: item.image_url.clone(),
        summary: item.summary.clone(),
        total_units: item.total_units,
        create_time: Some(timestamp(item.created_at)),
        update_time: Some(timestamp(item.updated_at)),
    }
}

fn entry_to_proto(entry: &EntryRow, item: &ItemRow) -> pb::ListEntry {
    pb::ListEntry {
        id: entry.id.to_string(),
        media_item: Some(item_to_proto(item)),
        status: ListStatus::from_db(&entry.status).map_or(0, ListStatus::to_proto),
        rating: entry.rating.map(i32::from),
        progress: entry.progress,
        notes: entry.notes.clone(),
        start_date: entry.start_date.map(date_to_proto),
        finish_date: entry.finish_date.map(date_to_proto),
        create_time: Some(timestamp(entry.created_at)),
        update_time: Some(timestamp(entry.updated_at)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn custom_items_report_every_invalid_field() {
        let Err(Error::InvalidArgument(violations)) =
            NewCustomItem::try_from(pb::CreateCustomMediaItemRequest {
                kind: 0,
                title: " ".into(),
                year: Some(99),
                image_url: "ftp://x".into(),
                summary: String::new(),
                total_units: Some(0),
            })
        else {
            panic!("expected InvalidArgument");
        };
        let fields: Vec<_> = violations.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(
            fields,
            ["kind", "title", "year", "image_url", "total_units"]
        );
    }

    #[test]
    fn update_masks_are_checked() {
        let Err(Error::InvalidArgument(violations)) = parse_update(pb::UpdateListEntryRequest {
            list_entry: Some(pb::ListEntry {
                id: "x".into(),
                rating: Some(11),
                ..Default::default()
            }),
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["rating".into(), "media_item".into()],
            }),
        }) else {
            panic!("expected InvalidArgument");
        };
        let fields: Vec<_> = violations.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(
            fields,
            ["list_entry.id", "list_entry.rating", "update_mask"]
        );
    }
}
