//! The load generator's side of the wire: connections, the logged-in
//! users whose entries the cases read, and gRPC-Web framing.

use completionist_proto::{
    auth::{self as auth_pb, auth_service_client::AuthServiceClient},
    media::{self as pb, media_service_client::MediaServiceClient},
};
use prost::Message;
use test_support::authed;
use tonic::transport::Channel;

use crate::{load::CallResult, stack};

/// Connections from the load generator to each server.
pub(crate) const CONNECTIONS: usize = 32;

/// The connection call `i` goes over.
pub(crate) fn pick(i: u64) -> usize {
    usize::try_from(i).unwrap_or_default() % CONNECTIONS
}

pub(crate) async fn channels(url: &str) -> anyhow::Result<Vec<Channel>> {
    let mut channels = Vec::with_capacity(CONNECTIONS);
    for _ in 0..CONNECTIONS {
        channels.push(
            tonic::transport::Endpoint::from_shared(url.to_owned())?
                .tcp_nodelay(true)
                .connect()
                .await?,
        );
    }
    Ok(channels)
}

/// A logged-in user and some of its entries.
pub(crate) struct User {
    pub(crate) token: String,
    entries: Vec<String>,
}

pub(crate) struct Users(Vec<User>);

impl Users {
    pub(crate) fn len(&self) -> usize {
        self.0.len()
    }

    pub(crate) fn user(&self, i: u64) -> &User {
        &self.0[usize::try_from(i).unwrap_or_default() % self.0.len()]
    }

    /// A user's token and one of its entries.
    pub(crate) fn entry(&self, i: u64) -> (String, String) {
        let user = self.user(i);
        let n = usize::try_from(i / self.0.len() as u64).unwrap_or_default();
        (
            user.token.clone(),
            user.entries[n % user.entries.len()].clone(),
        )
    }
}

impl std::ops::Index<usize> for Users {
    type Output = User;
    fn index(&self, i: usize) -> &User {
        &self.0[i]
    }
}

pub(crate) async fn log_in(auth: &Channel, media: &Channel, count: u32) -> anyhow::Result<Users> {
    let mut users = Vec::new();
    for n in 1..=count {
        let token = AuthServiceClient::new(auth.clone())
            .login(auth_pb::LoginRequest {
                email: format!("bench{n}@example.com"),
                password: stack::PASSWORD.into(),
            })
            .await?
            .into_inner()
            .tokens
            .ok_or_else(|| anyhow::anyhow!("no tokens"))?
            .access_token;
        let entries = MediaServiceClient::new(media.clone())
            .list_list_entries(authed(
                &token,
                pb::ListListEntriesRequest {
                    page_size: 100,
                    ..Default::default()
                },
            ))
            .await?
            .into_inner()
            .list_entries
            .into_iter()
            .map(|e| e.id)
            .collect::<Vec<_>>();
        anyhow::ensure!(!entries.is_empty(), "bench{n} has no entries");
        users.push(User { token, entries });
    }
    Ok(Users(users))
}

pub(crate) fn mask(paths: &[&str]) -> prost_types::FieldMask {
    prost_types::FieldMask {
        paths: paths.iter().map(|p| (*p).to_owned()).collect(),
    }
}

/// A gRPC-Web frame around `message`.
pub(crate) fn frame(message: &impl Message) -> Vec<u8> {
    let body = message.encode_to_vec();
    let mut framed = Vec::with_capacity(body.len() + 5);
    framed.push(0);
    framed.extend_from_slice(&u32::try_from(body.len()).unwrap_or(u32::MAX).to_be_bytes());
    framed.extend(body);
    framed
}

/// Sends a gRPC-Web call and reads its status: from the headers of a
/// trailers-only answer, else from the trailer frame.
pub(crate) async fn grpc_web_call(request: reqwest::RequestBuilder) -> CallResult {
    let response = request.send().await.map_err(|_| "Transport".to_owned())?;
    if let Some(status) = response.headers().get("grpc-status") {
        return match status.to_str().unwrap_or("2") {
            "0" => Ok(()),
            code => Err(format!("{:?}", tonic::Code::from_bytes(code.as_bytes()))),
        };
    }
    let body = response.bytes().await.map_err(|_| "Transport".to_owned())?;
    let trailers = String::from_utf8_lossy(&body);
    if trailers.contains("grpc-status:0") {
        Ok(())
    } else {
        Err("Unknown".into())
    }
}
