//! `completionist.media.v1.ScrobbleIntakeService`, served to the gateway
//! for media servers' webhooks: no bearer token, each call is about the
//! scrobble token it carries. The token is found by its hash and the
//! delivery counted against its user's rate in one statement, on a row
//! every replica shares.

use chrono::{TimeDelta, Utc};
use completionist_common::{db as common_db, metrics::name};
use completionist_proto::media::{
    self as pb, scrobble_intake_service_server::ScrobbleIntakeService,
};
use tonic::{Request, Response, Status};

use super::{played::Event, recording};
use crate::{app::App, db, error::Error};

/// `completionist.media.v1.ScrobbleIntakeService`.
pub(crate) struct Intake {
    app: App,
}

impl Intake {
    pub(crate) fn new(app: App) -> Self {
        Self { app }
    }
}

#[tonic::async_trait]
impl ScrobbleIntakeService for Intake {
    async fn record_scrobble(
        &self,
        request: Request<pb::RecordScrobbleRequest>,
    ) -> Result<Response<pb::RecordScrobbleResponse>, Status> {
        record(&self.app, request.into_inner())
            .await
            .map(Response::new)
            .map_err(Status::from)
    }
}

/// Records the event of a delivery with a known token under its rate; an
/// unknown or revoked token (or anything too long to be one) is
/// UNAUTHENTICATED, whatever the event. An unknown token is
/// answered sooner than a known one's event is recorded; the lookup is by
/// the hash of a 256-bit secret, so how soon says nothing of how close a
/// guess was.
async fn record(
    app: &App,
    mut request: pb::RecordScrobbleRequest,
) -> Result<pb::RecordScrobbleResponse, Error> {
    let token = std::mem::take(&mut request.token);
    if token.len() > crate::secrets::MAX_LEN {
        return Err(Error::ScrobbleTokenUnknown);
    }
    let hash = crate::secrets::hash(&token);
    // Read first, so the token's statement can say whether this delivery
    // was stored already; what is wrong with it is said only to a known
    // token.
    let event = Event::read(request);
    let delivery = event
        .as_ref()
        .ok()
        .map(|e| (e.server.as_str(), e.digest.as_slice()));
    let used = {
        let mut conn = common_db::conn(&app.pool).await?;
        db::scrobbles::use_token(&mut conn, &hash, delivery).await?
    }
    .ok_or(Error::ScrobbleTokenUnknown)?;
    let most = app.scrobbles.deliveries_per_minute;
    if used.deliveries > most {
        let ends = used.window_started_at + TimeDelta::minutes(1);
        let wait = (ends - Utc::now())
            .to_std()
            .unwrap_or_default()
            .max(std::time::Duration::from_secs(1));
        return Err(Error::ScrobbleRateExceeded(most, wait));
    }
    let recorded = recording::record(app, &used, event?).await?;
    metrics::counter!(name::SCROBBLE_EVENTS, "outcome" => recorded.outcome.as_str()).increment(1);
    // The first delivery of each of the user's minutes removes their oldest
    // events past their most: more than a minute's deliveries can store.
    if used.deliveries == 1 {
        let mut conn = common_db::conn(&app.pool).await?;
        let keep = app.scrobbles.max_events_per_user;
        let most = 1_000 + i64::from(app.scrobbles.deliveries_per_minute);
        db::scrobble_retention::trim(&mut conn, used.user_id, keep, most).await?;
    }
    Ok(pb::RecordScrobbleResponse {
        outcome: recorded.outcome.to_proto().into(),
        reason: recorded.reason,
    })
}
