//! Uploads (StartImport): the one kind of call whose request is large. Its
//! sender is authenticated (ValidateToken on auth-service) before a byte of
//! its body is read; it takes one of `GATEWAY_MAX_UPLOADS` places, one per
//! user; and its body goes on to the backend as it arrives, never held
//! whole, once its gRPC frame header has declared a length within
//! `max_upload_bytes`.

use std::{sync::Arc, time::Duration};

use bytes::{Buf, BytesMut};
use completionist_common::channel::Internal;
use completionist_common::{
    authn,
    error::to_status,
    quota::{Quota, QuotaPermit},
};
use completionist_proto::auth::{ValidateTokenRequest, token_service_client::TokenServiceClient};
use futures_util::stream;
use http::HeaderMap;
use http_body::Frame;
use http_body_util::{BodyExt, StreamBody};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tonic::{Code, body::Body};

use crate::error::{DOMAIN, Error};

/// The gRPC frame header: a compression flag and the message's length.
const FRAME_HEADER: usize = 5;
/// How long an upload may take to send its frame header.
const HEADER_WAIT: Duration = Duration::from_secs(5);

/// The places uploads take, and who may take one.
pub(crate) struct Uploads {
    places: Arc<Semaphore>,
    /// Users with an upload under way, one each.
    senders: Quota<String>,
    auth: TokenServiceClient<Internal>,
}

/// An upload's place, held until its answer.
pub(crate) struct UploadPlace {
    _place: OwnedSemaphorePermit,
    _mine: QuotaPermit<String>,
}

impl Uploads {
    pub(crate) fn new(places: usize, auth: Internal) -> Arc<Self> {
        Arc::new(Self {
            places: Arc::new(Semaphore::new(places)),
            senders: Quota::new(1),
            auth: TokenServiceClient::new(auth),
        })
    }

    /// A place for the upload `headers` start, once its token is good.
    pub(crate) async fn admit(&self, headers: &HeaderMap) -> Result<UploadPlace, tonic::Status> {
        let token = authn::bearer_token(headers).map_err(|error| to_status(DOMAIN, &error))?;
        let request = tonic::Request::new(ValidateTokenRequest {
            access_token: token.to_owned(),
        });
        let user = match self.auth.clone().validate_token(request).await {
            Ok(valid) => valid.into_inner().user_id,
            // auth-service's refusal, with its reason, as it gave it.
            Err(refused) if refused.code() == Code::Unauthenticated => return Err(refused),
            Err(_) => {
                return Err(to_status(
                    DOMAIN,
                    &Error::BackendUnavailable("auth-service"),
                ));
            }
        };
        let busy = |why| to_status(DOMAIN, &Error::UploadsBusy(why));
        let mine = self
            .senders
            .try_take(user)
            .ok_or_else(|| busy("an upload of yours is under way; wait for its answer"))?;
        let place = self.places.clone().try_acquire_owned().map_err(|_| {
            busy("the gateway is taking as many uploads as it can; try again shortly")
        })?;
        Ok(UploadPlace {
            _place: place,
            _mine: mine,
        })
    }
}

/// `body` passed on as it arrives, after its frame header (which must come
/// within [`HEADER_WAIT`]): refused at once when the message it declares is
/// larger than `max`, ended at the declared length (a unary call has one
/// message; what follows it is not passed on), and failed clearly when it
/// ends short.
pub(crate) async fn pass_on(mut body: Body, max: usize) -> Result<(Body, EndedShort), Error> {
    let (head, declared) = tokio::time::timeout(HEADER_WAIT, read_header(&mut body))
        .await
        .map_err(|_| Error::UploadStalled(HEADER_WAIT))??;
    if declared > max {
        return Err(Error::TooLarge(max));
    }
    let ended_short = EndedShort::default();
    let noted = ended_short.clone();
    let start = (Some(head.freeze()), body, declared);
    let message = stream::unfold(start, move |(head, mut body, left)| {
        let noted = noted.clone();
        async move {
            if left == 0 {
                return None;
            }
            let data = match head {
                Some(head) => head,
                None => loop {
                    match body.frame().await {
                        Some(Ok(frame)) => {
                            if let Ok(data) = frame.into_data() {
                                break data;
                            }
                        }
                        Some(Err(error)) => return Some((Err(error), (None, body, 0))),
                        // Ended before the declared length: a clear refusal,
                        // not the backend's "unexpected end of stream".
                        None => {
                            let short = Error::UploadEndedShort {
                                declared,
                                got: declared - left,
                            };
                            let status = to_status(DOMAIN, &short);
                            noted.note(short);
                            return Some((Err(status), (None, body, 0)));
                        }
                    }
                },
            };
            let data = data.slice(..data.len().min(left));
            let left = left - data.len();
            Some((Ok(Frame::data(data)), (None, body, left)))
        }
    });
    Ok((Body::new(StreamBody::new(message)), ended_short))
}

/// The first bytes of `body`, up to and past its frame header, and the
/// length the header declares (the header's own bytes included).
async fn read_header(body: &mut Body) -> Result<(BytesMut, usize), Error> {
    let mut head = BytesMut::new();
    while head.len() < FRAME_HEADER {
        match body.frame().await {
            Some(Ok(frame)) => {
                if let Ok(data) = frame.into_data() {
                    head.extend_from_slice(&data);
                }
            }
            Some(Err(_)) | None => return Err(Error::UnreadableBody),
        }
    }
    let mut length = &head[1..FRAME_HEADER];
    let declared = FRAME_HEADER + length.get_u32() as usize;
    Ok((head, declared))
}

/// Whether an upload's body ended before its declared length: the call to
/// the backend then fails, and this says why.
#[derive(Clone, Default)]
pub(crate) struct EndedShort(Arc<std::sync::Mutex<Option<Error>>>);

impl EndedShort {
    fn note(&self, error: Error) {
        *self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(error);
    }

    /// The refusal, if the body ended short.
    pub(crate) fn take(&self) -> Option<Error> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take()
    }
}
