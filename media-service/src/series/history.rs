//! ListEpisodeWatches: the history of a person's watches, one entry's or
//! all, newest first, a page at a time.

use completionist_common::{db as common_db, paging::Page};
use completionist_proto::media as pb;
use tonic::Request;

use super::WatchListing;
use crate::{
    app::{App, Caller},
    db,
    error::Error,
};

pub(crate) async fn list_episode_watches(
    app: &App,
    request: Request<pb::ListEpisodeWatchesRequest>,
) -> Result<pb::ListEpisodeWatchesResponse, Error> {
    let caller = Caller::of(&request)?;
    let WatchListing {
        entry,
        size,
        page_token,
    } = WatchListing::try_from(request.into_inner())?;
    let me = caller.user_id.to_string();
    let after = app.page_tokens.open(&page_token, &me, &entry)?;
    let user = caller.user_id;
    let watches = common_db::read(&app.pool, |conn| {
        Box::pin(async move {
            if let Some(entry) = entry
                && db::entries::find(conn, user, entry).await?.is_none()
            {
                return Ok(None);
            }
            db::watches::history(conn, user, entry, after, size.limit())
                .await
                .map(Some)
        })
    })
    .await?
    .ok_or(Error::ListEntryNotFound)?;
    let page = Page::from_rows(watches, size, |watch| {
        app.page_tokens
            .seal(&me, &entry, &(watch.watched_at, watch.id))
    });
    Ok(pb::ListEpisodeWatchesResponse {
        episode_watches: page.items.into_iter().map(Into::into).collect(),
        next_page_token: page.next_page_token,
    })
}
