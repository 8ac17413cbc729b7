//! The media database: rows and queries as small async functions over one
//! connection. Rows stay in here; what leaves is a domain record.

pub(crate) mod accounts;
pub(crate) mod calendar;
pub(crate) mod changes;
pub(crate) mod entries;
pub(crate) mod entries_by_item;
pub(crate) mod episode_sources;
pub(crate) mod episodes;
pub(crate) mod import_leases;
pub(crate) mod imports;
pub(crate) mod item_details;
pub(crate) mod items;
pub(crate) mod listing;
pub(crate) mod pending_watches;
pub(crate) mod provider_limits;
pub(crate) mod runs;
pub(crate) mod scrobble_pins;
pub(crate) mod scrobble_retention;
pub(crate) mod scrobbles;
pub(crate) mod watches;

pub(crate) type Conn = diesel_async::AsyncPgConnection;
type QueryResult<T> = Result<T, diesel::result::Error>;
