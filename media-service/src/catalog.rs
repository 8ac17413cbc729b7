//! The catalog: SearchMedia (a provider's results, with the catalog ids of
//! those already imported), ImportMedia, GetMediaItem, ListMediaItems and
//! CreateCustomMediaItem.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use completionist_common::{
    db as common_db,
    paging::{Page, PageSize},
};
use completionist_proto::media as pb;
use tonic::Request;
use uuid::Uuid;

use crate::{
    app::{App, Caller},
    db::{self, items::NewItem},
    domain::{
        ImageUrl, Imported, Item, MediaKind, ProviderCheck, Reference, SearchQuery, Source,
        Summary, Title, TitleQuery, Units, Year,
    },
    error::Error,
    providers::{self, Candidate, ProviderError},
};

/// OMDb serves at most 100 pages; nobody reads further.
const MAX_SEARCH_PAGE: u32 = 100;

/// A SearchMedia request.
pub(crate) struct Search {
    pub(crate) kind: MediaKind,
    pub(crate) query: SearchQuery,
    pub(crate) page_token: String,
}

/// A provider's item, with its catalog id if it is imported.
pub(crate) struct Found {
    pub(crate) candidate: Candidate,
    pub(crate) media_item_id: Option<Uuid>,
}

/// A ListMediaItems request.
pub(crate) struct ItemListing {
    pub(crate) size: PageSize,
    pub(crate) page_token: String,
    pub(crate) kind: Option<MediaKind>,
    pub(crate) title: Option<TitleQuery>,
}

/// A custom catalog item, validated.
#[derive(Debug)]
pub(crate) struct NewCustomItem {
    pub(crate) kind: MediaKind,
    pub(crate) title: Title,
    pub(crate) year: Option<Year>,
    pub(crate) image_url: ImageUrl,
    pub(crate) summary: Summary,
    pub(crate) total_units: Option<Units>,
}

pub(crate) async fn search_media(
    app: &App,
    request: Request<pb::SearchMediaRequest>,
) -> Result<pb::SearchMediaResponse, Error> {
    let me = Caller::of(&request)?.user_id.to_string();
    let Search {
        kind,
        query,
        page_token,
    } = Search::try_from(request.into_inner())?;
    let search = (kind, query.as_str().to_owned());
    let page = app
        .page_tokens
        .open(&page_token, &me, &search)?
        .unwrap_or(1);
    let found = app.providers.search(kind, query.as_str(), page).await?;
    let ids: Vec<&str> = found
        .items
        .iter()
        .map(|c| c.reference.external_id.as_str())
        .collect();
    let imported: HashMap<String, Uuid> = {
        let mut conn = common_db::conn(&app.pool).await?;
        db::items::imported_ids(&mut conn, kind.provider(), kind, &ids)
            .await?
            .into_iter()
            .collect()
    };
    let next_page_token = if found.has_more && page < MAX_SEARCH_PAGE {
        app.page_tokens.seal(&me, &search, &(page + 1))
    } else {
        String::new()
    };
    let results = found.items.iter().map(|candidate| Found {
        media_item_id: imported.get(&candidate.reference.external_id).copied(),
        candidate: candidate.clone(),
    });
    Ok(pb::SearchMediaResponse {
        results: results.map(Into::into).collect(),
        next_page_token,
        total_size: i32::try_from(found.total).unwrap_or(i32::MAX),
    })
}

pub(crate) async fn import_media(
    app: &App,
    request: Request<pb::ImportMediaRequest>,
) -> Result<pb::ImportMediaResponse, Error> {
    let reference = Reference::try_from(request.into_inner())?;
    Ok(import(app, &reference).await?.into())
}

/// The catalog item of a provider's item: found (and confirmed with the
/// provider, when it came from an import file), or asked of the provider
/// and stored.
pub(crate) async fn import(app: &App, reference: &Reference) -> Result<Imported, Error> {
    match find_imported(app, reference).await? {
        Some(item) => Ok(Imported {
            item: confirmed(app, item).await?,
            created: false,
        }),
        None => {
            let candidate = app.providers.details(reference).await?;
            let mut conn = common_db::conn(&app.pool).await?;
            Ok(db::items::find_or_insert(&mut conn, new_item(&candidate)).await?)
        }
    }
}

pub(crate) async fn get_media_item(
    app: &App,
    request: Request<pb::GetMediaItemRequest>,
) -> Result<pb::GetMediaItemResponse, Error> {
    let caller = Caller::of(&request)?;
    let pb::GetMediaItemRequest { id } = request.into_inner();
    let id = crate::domain::parse_id(&id).map_err(|why| Error::invalid("id", why))?;
    let item = common_db::read(&app.pool, |conn| {
        Box::pin(db::items::find(conn, caller.user_id, id))
    })
    .await?
    .ok_or(Error::MediaNotFound)?;
    Ok(pb::GetMediaItemResponse {
        media_item: Some(item.into()),
    })
}

pub(crate) async fn list_media_items(
    app: &App,
    request: Request<pb::ListMediaItemsRequest>,
) -> Result<pb::ListMediaItemsResponse, Error> {
    let caller = Caller::of(&request)?;
    let listing = ItemListing::try_from(request.into_inner())?;
    let filter = (
        listing.kind,
        listing.title.as_ref().map(|t| t.as_str().to_owned()),
    );
    let me = caller.user_id.to_string();
    let after =
        app.page_tokens
            .open::<_, (DateTime<Utc>, Uuid)>(&listing.page_token, &me, &filter)?;
    let (kind, limit) = (listing.kind, listing.size.limit());
    let items = common_db::read(&app.pool, |conn| {
        let title = listing.title.clone();
        Box::pin(async move {
            let title = title.as_ref().map(TitleQuery::as_str);
            db::items::list(conn, caller.user_id, kind, title, after, limit).await
        })
    })
    .await?;
    let page = Page::from_rows(items, listing.size, |i: &Item| {
        app.page_tokens.seal(&me, &filter, &(i.created_at, i.id))
    });
    Ok(pb::ListMediaItemsResponse {
        media_items: page.items.into_iter().map(Into::into).collect(),
        next_page_token: page.next_page_token,
    })
}

pub(crate) async fn create_custom_media_item(
    app: &App,
    request: Request<pb::CreateCustomMediaItemRequest>,
) -> Result<pb::CreateCustomMediaItemResponse, Error> {
    let caller = Caller::of(&request)?;
    let item = NewCustomItem::try_from(request.into_inner())?;
    let mut conn = common_db::conn(&app.pool).await?;
    let new = NewItem {
        id: Uuid::now_v7(),
        kind: item.kind,
        source: Source::Custom,
        external_id: None,
        title: item.title.as_str(),
        year: item.year.map(Year::get),
        image_url: item.image_url.as_str(),
        summary: item.summary.as_str(),
        total_units: item.total_units.map(Units::get),
        created_by: Some(caller.user_id),
        details_due_at: None,
        provider_check: ProviderCheck::Confirmed,
    };
    let item = db::items::insert(&mut conn, new).await?;
    Ok(pb::CreateCustomMediaItemResponse {
        media_item: Some(item.into()),
    })
}

/// `item` as its provider describes it. An item made from an import file
/// (pending) is asked of the provider now: filled in and confirmed, or
/// marked as unknown to the provider (`EXTERNAL_MEDIA_NOT_FOUND`, now and
/// from then on, without asking again). While the provider cannot answer,
/// the item stays as it is, for the enricher to fill in later.
pub(crate) async fn confirmed(app: &App, item: Item) -> Result<Item, Error> {
    let reference = match (item.provider_check, item.external_id.as_deref()) {
        (ProviderCheck::Confirmed, _) | (_, None) => return Ok(item),
        (ProviderCheck::NotFound, _) => return Err(providers::not_found(item.source).into()),
        (ProviderCheck::Pending, Some(id)) => match Reference::new(item.source, item.kind, id) {
            Ok(reference) => reference,
            Err(_) => return Ok(item),
        },
    };
    let details = app.providers.details(&reference).await;
    let mut conn = common_db::conn(&app.pool).await?;
    match details {
        Ok(details) => {
            db::item_details::fill_details(&mut conn, item.id, &new_item(&details)).await?;
            Ok(db::items::find_by_reference(&mut conn, &reference)
                .await?
                .unwrap_or(item))
        }
        Err(error @ ProviderError::NotFound { .. }) => {
            db::item_details::mark_not_found(&mut conn, item.id).await?;
            Err(error.into())
        }
        Err(error) => {
            tracing::info!(item = %item.id, error = %error, "item left to be confirmed later");
            Ok(item)
        }
    }
}

/// The catalog item of a provider item, if it was imported.
pub(crate) async fn find_imported(app: &App, reference: &Reference) -> Result<Option<Item>, Error> {
    let mut conn = common_db::conn(&app.pool).await?;
    Ok(db::items::find_by_reference(&mut conn, reference).await?)
}

/// The catalog row of a provider's item.
pub(crate) fn new_item(candidate: &Candidate) -> NewItem<'_> {
    NewItem {
        id: Uuid::now_v7(),
        kind: candidate.reference.kind,
        source: candidate.reference.source,
        external_id: Some(&candidate.reference.external_id),
        title: &candidate.title,
        year: candidate.year,
        image_url: &candidate.image_url,
        summary: &candidate.summary,
        total_units: candidate.total_units,
        created_by: None,
        details_due_at: None,
        provider_check: ProviderCheck::Confirmed,
    }
}
