//! The catalog items a batch's rows name: found, or made from the file
//! (a provider's item awaiting the provider's word, or the user's own
//! custom item).

use std::collections::HashMap;

use chrono::Utc;
use uuid::Uuid;

use crate::{
    db::{self, Conn, items::NewItem},
    domain::{FileItem, Item, ProviderCheck, Source},
    transfers::formats::{KnownItem, Parsed, Target},
};

/// How a batch names an item: source, kind, and id or (custom) title.
pub(super) type ItemKey = (Source, crate::domain::MediaKind, String);

pub(super) fn key(target: &Target) -> ItemKey {
    match target {
        Target::Known(item) => (item.source, item.kind, item.external_id.clone()),
        Target::Custom(item) => (Source::Custom, item.kind, item.title.clone()),
        // The worker resolves searches before a batch is applied.
        Target::Search(search) => (Source::Custom, search.kind, String::new()),
    }
}

/// The items the rows name: provider items made from the file's own data
/// where new (their details due from the provider), and the user's custom
/// items, found by title or made.
pub(super) async fn items(
    conn: &mut Conn,
    user: Uuid,
    rows: &[(i32, Parsed)],
) -> Result<HashMap<ItemKey, Item>, diesel::result::Error> {
    let records = rows.iter().filter_map(|(_, parsed)| match parsed {
        Parsed::Record(record) => Some(&record.target),
        _ => None,
    });
    let mut known: Vec<NewItem<'_>> = Vec::new();
    let mut custom: Vec<&KnownItem> = Vec::new();
    for target in records {
        match target {
            Target::Known(item) => known.push(new_item(item, None)),
            Target::Custom(item) => custom.push(item),
            Target::Search(_) => {}
        }
    }
    let mut found: HashMap<ItemKey, Item> = HashMap::new();
    for item in db::items::find_or_insert_all(conn, &known).await? {
        let key = (
            item.source,
            item.kind,
            item.external_id.clone().unwrap_or_default(),
        );
        found.insert(key, item);
    }
    for item in custom {
        let key = (Source::Custom, item.kind, item.title.clone());
        if found.contains_key(&key) {
            continue;
        }
        let existing = db::items::find_custom(conn, user, item.kind, &item.title).await?;
        let made = match existing {
            Some(made) => made,
            None => db::items::insert(conn, new_item(item, Some(user))).await?,
        };
        found.insert(key, made);
    }
    Ok(found)
}

/// A catalog item of the file's: the user's own custom item with the
/// file's text, or a provider's item awaiting the provider's word. What a
/// file says of a provider's item is the uploader's word: everyone else
/// sees the item's id until the provider's details replace it (the
/// uploader sees the file's text, kept on their entry).
fn new_item(item: &KnownItem, owner: Option<Uuid>) -> NewItem<'_> {
    if owner.is_some() {
        return NewItem {
            id: Uuid::now_v7(),
            kind: item.kind,
            source: Source::Custom,
            external_id: None,
            title: &item.title,
            year: item.year,
            image_url: &item.image_url,
            summary: &item.summary,
            total_units: item.total_units,
            created_by: owner,
            details_due_at: None,
            provider_check: ProviderCheck::Confirmed,
        };
    }
    NewItem {
        id: Uuid::now_v7(),
        kind: item.kind,
        source: item.source,
        external_id: Some(&item.external_id),
        title: &item.external_id,
        year: None,
        image_url: "",
        summary: "",
        total_units: None,
        created_by: None,
        details_due_at: Some(Utc::now()),
        provider_check: ProviderCheck::Pending,
    }
}

/// What the file says of a provider item the provider has not confirmed,
/// for the uploader's entry; `None` for anything else.
pub(super) fn file_item(target: &Target, item: &Item) -> Option<FileItem> {
    match target {
        Target::Known(known) if item.provider_check != ProviderCheck::Confirmed => Some(FileItem {
            title: known.title.clone(),
            year: known.year,
            image_url: known.image_url.clone(),
            summary: known.summary.clone(),
            total_units: known.total_units,
        }),
        _ => None,
    }
}
