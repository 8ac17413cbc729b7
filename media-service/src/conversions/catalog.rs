//! The catalog's messages.

use completionist_common::{error::Violations, paging::PageSize, time::timestamp};
use completionist_proto::media as pb;

use super::ProtoEnum;
use crate::{
    catalog::{Found, ItemListing, NewCustomItem, Search},
    domain::{
        ImageUrl, Imported, Item, MediaKind, SearchQuery, Summary, Title, TitleQuery, Units, Year,
    },
    error::Error,
};

impl TryFrom<pb::SearchMediaRequest> for Search {
    type Error = Error;

    fn try_from(request: pb::SearchMediaRequest) -> Result<Self, Error> {
        let pb::SearchMediaRequest {
            kind,
            query,
            page_token,
        } = request;
        let mut v = Violations::default();
        let kind = v.check("kind", MediaKind::from_proto(kind));
        let query = v.check("query", SearchQuery::parse(&query));
        let (kind, query) = v.finish((kind, query))?;
        Ok(Self {
            kind,
            query,
            page_token,
        })
    }
}

impl TryFrom<pb::ListMediaItemsRequest> for ItemListing {
    type Error = Error;

    fn try_from(request: pb::ListMediaItemsRequest) -> Result<Self, Error> {
        let pb::ListMediaItemsRequest {
            page_size,
            page_token,
            kind,
            title_query,
        } = request;
        let mut v = Violations::default();
        let size = v.check("page_size", PageSize::parse(page_size, 20, 100));
        let kind = v.check("kind", MediaKind::filter_from_proto(kind));
        let title = v.check("title_query", TitleQuery::parse(&title_query));
        let (size, kind, title) = v.finish((size, kind, title))?;
        Ok(Self {
            size,
            page_token,
            kind,
            title,
        })
    }
}

impl TryFrom<pb::CreateCustomMediaItemRequest> for NewCustomItem {
    type Error = Error;

    fn try_from(request: pb::CreateCustomMediaItemRequest) -> Result<Self, Error> {
        let pb::CreateCustomMediaItemRequest {
            kind,
            title,
            year,
            image_url,
            summary,
            total_units,
        } = request;
        let mut v = Violations::default();
        let kind = v.check("kind", MediaKind::from_proto(kind));
        let title = v.check("title", Title::parse(&title));
        let year = v.check("year", year.map(Year::parse).transpose());
        let image_url = v.check("image_url", ImageUrl::parse(&image_url));
        let summary = v.check("summary", Summary::parse(&summary));
        let total_units = v.check("total_units", total_units.map(Units::parse).transpose());
        let (kind, title, year, image_url, summary, total_units) =
            v.finish((kind, title, year, image_url, summary, total_units))?;
        Ok(Self {
            kind,
            title,
            year,
            image_url,
            summary,
            total_units,
        })
    }
}

impl From<Item> for pb::MediaItem {
    fn from(item: Item) -> Self {
        let Item {
            id,
            kind,
            source,
            external_id,
            title,
            year,
            image_url,
            summary,
            total_units,
            // Shown through the text: neutral, or the uploader's own.
            provider_check: _,
            created_at,
            updated_at,
        } = item;
        Self {
            id: id.to_string(),
            kind: kind.to_proto(),
            source: source.to_proto(),
            external_id: external_id.unwrap_or_default(),
            title,
            year,
            image_url,
            summary,
            total_units,
            create_time: Some(timestamp(created_at)),
            update_time: Some(timestamp(updated_at)),
        }
    }
}

impl From<Imported> for pb::ImportMediaResponse {
    fn from(imported: Imported) -> Self {
        let Imported { item, created } = imported;
        Self {
            media_item: Some(item.into()),
            created,
        }
    }
}

impl From<Found> for pb::SearchResult {
    fn from(found: Found) -> Self {
        let Found {
            candidate,
            media_item_id,
        } = found;
        Self {
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use completionist_common::error::CommonError;

    #[test]
    fn custom_items_report_every_invalid_field() {
        let Err(Error::Common(CommonError::InvalidArgument(violations))) =
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
}
