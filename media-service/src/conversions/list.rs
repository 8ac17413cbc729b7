//! The list's messages.

use completionist_common::{error::Violations, field_mask, paging::PageSize, time::timestamp};
use completionist_proto::media::{self as pb, add_list_entry_request::Media};

use super::{ProtoEnum, date, date_to_proto, reference};
use crate::{
    db::listing::{EntryFilter, EntryOrder},
    domain::{Entry, EntryFields, ListStatus, MediaKind, Notes, Progress, Rating, parse_id},
    error::Error,
    list::Stats,
    list::{EntryListing, EntryUpdate, NewEntry, Target},
};

impl TryFrom<pb::AddListEntryRequest> for NewEntry {
    type Error = Error;

    fn try_from(request: pb::AddListEntryRequest) -> Result<Self, Error> {
        let pb::AddListEntryRequest {
            media,
            status,
            rating,
            progress,
            notes,
        } = request;
        let mut v = Violations::default();
        let target = match media {
            None => {
                v.add("media", "set media_item_id or reference");
                None
            }
            Some(Media::MediaItemId(id)) => {
                v.check("media_item_id", parse_id(&id).map(Target::Item))
            }
            Some(Media::Reference(r)) => match reference(Some(r), "reference") {
                Ok(reference) => Some(Target::Reference(reference)),
                Err(problems) => {
                    problems
                        .into_iter()
                        .for_each(|p| v.add(&p.field, p.description));
                    None
                }
            },
        };
        let status = match status {
            0 => Ok(ListStatus::Planned),
            status => ListStatus::from_proto(status),
        };
        let status = v.check("status", status);
        let rating = v.check("rating", rating.map(Rating::parse).transpose());
        let progress = v.check("progress", Progress::parse(progress));
        let notes = v.check("notes", Notes::parse(&notes));
        let (target, status, rating, progress, notes) =
            v.finish((target, status, rating, progress, notes))?;
        let fields = EntryFields {
            status,
            rating,
            progress,
            notes,
            start_date: None,
            finish_date: None,
        };
        Ok(Self { target, fields })
    }
}

/// The id and the masked changes of an UpdateListEntry request (AIP-134).
impl TryFrom<pb::UpdateListEntryRequest> for EntryUpdate {
    type Error = Error;

    fn try_from(request: pb::UpdateListEntryRequest) -> Result<Self, Error> {
        let pb::UpdateListEntryRequest {
            list_entry,
            update_mask,
            progress_increment,
        } = request;
        let Some(entry) = list_entry else {
            return Err(Error::invalid("list_entry", "is required"));
        };
        let pb::ListEntry {
            id,
            status,
            rating,
            progress,
            notes,
            start_date,
            finish_date,
            media_item: _,
            create_time: _,
            update_time: _,
            completion_count: _,
            series_progress: _,
        } = entry;
        let mut v = Violations::default();
        let id = v.check("list_entry.id", parse_id(&id));
        let mut update = EntryUpdate::default();
        let fields = [
            ("status", status != 0),
            ("rating", rating.is_some()),
            ("progress", progress != 0),
            ("notes", !notes.is_empty()),
            ("start_date", start_date.is_some()),
            ("finish_date", finish_date.is_some()),
        ];
        if !increment_only(progress_increment, update_mask.as_ref(), &fields) {
            field_mask::apply(update_mask, &fields, &mut v, |path, v| match path {
                "status" => {
                    update.status = v.check("list_entry.status", ListStatus::from_proto(status))
                }
                "rating" => {
                    update.rating =
                        v.check("list_entry.rating", rating.map(Rating::parse).transpose());
                }
                "progress" => {
                    update.progress = v.check("list_entry.progress", Progress::parse(progress));
                }
                "notes" => update.notes = v.check("list_entry.notes", Notes::parse(&notes)),
                "start_date" => {
                    update.start_date = v.check("list_entry.start_date", date(start_date.as_ref()));
                }
                _ => {
                    update.finish_date =
                        v.check("list_entry.finish_date", date(finish_date.as_ref()))
                }
            });
        }
        check_increment(progress_increment, update.progress.is_some(), &mut v);
        update.progress_increment = progress_increment;
        let (id,) = v.finish((id,))?;
        Ok(EntryUpdate { id, ..update })
    }
}

/// Whether an update changes nothing but progress, by an increment: it
/// then needs no mask.
fn increment_only(
    increment: i32,
    mask: Option<&prost_types::FieldMask>,
    fields: &[(&str, bool)],
) -> bool {
    increment != 0 && mask.is_none_or(|m| m.paths.is_empty()) && fields.iter().all(|(_, set)| !set)
}

/// An increment within bounds, and not beside a progress of its own.
fn check_increment(increment: i32, progress_given: bool, v: &mut Violations) {
    if increment != 0 && progress_given {
        v.add(
            "progress_increment",
            "cannot be given with `progress` in the update mask",
        );
    }
    if !(-10_000..=10_000).contains(&increment) {
        v.add("progress_increment", "must be within ±10,000");
    }
}

impl TryFrom<pb::ListListEntriesRequest> for EntryListing {
    type Error = Error;

    fn try_from(request: pb::ListListEntriesRequest) -> Result<Self, Error> {
        let pb::ListListEntriesRequest {
            page_size,
            page_token,
            status,
            kind,
            order_by,
        } = request;
        let mut v = Violations::default();
        let size = v.check("page_size", PageSize::parse(page_size, 20, 100));
        let status = v.check("status", ListStatus::filter_from_proto(status));
        let kind = v.check("kind", MediaKind::filter_from_proto(kind));
        let order = v.check("order_by", order(order_by));
        let (size, status, kind, order) = v.finish((size, status, kind, order))?;
        Ok(Self {
            size,
            page_token,
            filter: EntryFilter {
                status,
                kind,
                order,
            },
        })
    }
}

fn order(value: i32) -> Result<EntryOrder, String> {
    match pb::ListEntryOrder::try_from(value) {
        Ok(pb::ListEntryOrder::Unspecified | pb::ListEntryOrder::UpdateTimeDesc) => {
            Ok(EntryOrder::Updated)
        }
        Ok(pb::ListEntryOrder::Title) => Ok(EntryOrder::Title),
        Ok(pb::ListEntryOrder::RatingDesc) => Ok(EntryOrder::Rating),
        Err(_) => Err(format!("unknown order {value}")),
    }
}

impl From<Entry> for pb::ListEntry {
    fn from(entry: Entry) -> Self {
        let Entry {
            id,
            fields,
            item,
            completion_count,
            current_run: _,
            created_at,
            updated_at,
        } = entry;
        let EntryFields {
            status,
            rating,
            progress,
            notes,
            start_date,
            finish_date,
        } = fields;
        Self {
            id: id.to_string(),
            media_item: Some(item.into()),
            status: status.to_proto(),
            rating: rating.map(|r| i32::from(r.get())),
            progress: progress.get(),
            notes: notes.as_str().to_owned(),
            start_date: start_date.map(date_to_proto),
            finish_date: finish_date.map(date_to_proto),
            create_time: Some(timestamp(created_at)),
            update_time: Some(timestamp(updated_at)),
            completion_count,
            series_progress: None,
        }
    }
}

impl From<Stats> for pb::GetListStatsResponse {
    fn from(stats: Stats) -> Self {
        let Stats {
            total,
            by_status,
            by_kind,
            mean_rating,
            completed_fraction,
            completions,
            by_month,
        } = stats;
        let status_counts = by_status
            .into_iter()
            .map(|(status, count)| pb::StatusCount {
                status: status.to_proto(),
                count,
            });
        let kind_counts = by_kind.into_iter().map(|(kind, count)| pb::KindCount {
            kind: kind.to_proto(),
            count,
        });
        Self {
            total_count: total,
            status_counts: status_counts.collect(),
            kind_counts: kind_counts.collect(),
            mean_rating,
            completed_fraction,
            completion_count: completions,
            completions_by_month: by_month
                .into_iter()
                .map(|(year, month, count)| pb::MonthCount { year, month, count })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use completionist_common::error::CommonError;

    use super::*;

    #[test]
    fn update_masks_are_checked() {
        let Err(Error::Common(CommonError::InvalidArgument(violations))) =
            EntryUpdate::try_from(pb::UpdateListEntryRequest {
                list_entry: Some(pb::ListEntry {
                    id: "x".into(),
                    rating: Some(11),
                    ..Default::default()
                }),
                update_mask: Some(prost_types::FieldMask {
                    paths: vec!["rating".into(), "media_item".into()],
                }),
                progress_increment: 0,
            })
        else {
            panic!("expected InvalidArgument");
        };
        let fields: Vec<_> = violations.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(
            fields,
            ["list_entry.id", "list_entry.rating", "update_mask"]
        );
    }
}
