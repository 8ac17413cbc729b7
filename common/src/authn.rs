//! Authentication as a layer: every call but an explicit list of public
//! methods must carry a bearer token, checked before any handler runs. The
//! caller then rides in the request's extensions, where [`caller`] reads
//! it; a request the layer did not authenticate has no caller, so a handler
//! cannot fail open.

use std::future::Future;

use http::{Request, Response};
use tonic::{Status, body::Body};

use crate::{
    error::{CommonError, to_status},
    gate::{Gate, Gated},
};

/// The methods of health checks and server reflection: public everywhere
/// (they are services of their own, never wrapped by [`protect`]).
pub const PLATFORM_METHODS: &[&str] = &[
    "/grpc.health.v1.Health/Check",
    "/grpc.health.v1.Health/Watch",
    "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
    "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
];

/// Turns a bearer token into a caller.
pub trait Authenticate: Clone + Send + Sync + 'static {
    /// Who is calling, as the handlers need it.
    type Caller: Clone + Send + Sync + 'static;
    /// The `ErrorInfo` domain of the refusals.
    const DOMAIN: &'static str;

    /// The caller behind `token`, or the status that refuses it.
    fn authenticate(
        &self,
        token: &str,
    ) -> impl Future<Output = Result<Self::Caller, Status>> + Send;
}

/// `service` with every call authenticated by `authenticator`, except
/// `public` ones (full paths: `/package.Service/Method`). Wrapping the
/// service, not the server's router, keeps health checks and reflection
/// free of it (and of a boxed layer per call).
pub fn protect<S, A: Authenticate>(
    service: S,
    authenticator: A,
    public: &'static [&'static str],
) -> Authenticating<S, A> {
    Gated::new(
        service,
        Authentication {
            authenticator,
            public,
        },
    )
}

/// The caller the layer authenticated. A request it did not authenticate
/// (a public method, or a server without the layer) has none: that is a
/// bug, refused as an internal error rather than served.
pub fn caller<C: Clone + Send + Sync + 'static, T>(
    request: &tonic::Request<T>,
) -> Result<C, CommonError> {
    request
        .extensions()
        .get::<Authenticated<C>>()
        .map(|authenticated| authenticated.0.clone())
        .ok_or_else(|| {
            let path = request
                .extensions()
                .get::<tonic::GrpcMethod<'_>>()
                .map(|m| format!("/{}/{}", m.service(), m.method()))
                .unwrap_or_default();
            CommonError::Internal(anyhow::anyhow!(
                "no authenticated caller for {path}: public, or served without the layer"
            ))
        })
}

/// The caller the layer authenticated, from a request's extensions: for
/// inner layers, which see the HTTP request rather than tonic's.
pub fn caller_in<C: Clone + Send + Sync + 'static>(extensions: &http::Extensions) -> Option<C> {
    extensions
        .get::<Authenticated<C>>()
        .map(|authenticated| authenticated.0.clone())
}

/// The token of the one `authorization: Bearer <token>` header (scheme in
/// any case). More than one credential is refused, never resolved by
/// picking one.
pub fn bearer_token(headers: &http::HeaderMap) -> Result<&str, CommonError> {
    let mut values = headers.get_all(http::header::AUTHORIZATION).iter();
    let (Some(value), None) = (values.next(), values.next()) else {
        return Err(if headers.contains_key(http::header::AUTHORIZATION) {
            CommonError::MultipleCredentials
        } else {
            CommonError::MissingToken
        });
    };
    let token = value
        .to_str()
        .ok()
        .and_then(|value| value.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
        .filter(|token| !token.is_empty());
    token.ok_or(CommonError::MissingToken)
}

/// The extension a checked caller travels in; only this module makes one.
#[derive(Clone)]
struct Authenticated<C>(C);

/// Authentication's gate (see [`protect`]).
#[derive(Clone)]
pub struct Authentication<A> {
    authenticator: A,
    public: &'static [&'static str],
}

/// A service whose calls are authenticated first; see [`protect`].
pub type Authenticating<S, A> = Gated<S, Authentication<A>>;

impl<A: Authenticate> Gate for Authentication<A> {
    type Held = ();

    fn applies(&self, request: &Request<Body>) -> bool {
        let path = request.uri().path();
        !PLATFORM_METHODS.contains(&path) && !self.public.contains(&path)
    }

    async fn check(
        &self,
        mut request: Request<Body>,
    ) -> Result<(Request<Body>, ()), Response<Body>> {
        let token = bearer_token(request.headers())
            .map_err(|error| to_status(A::DOMAIN, &error).into_http())?;
        let caller = self
            .authenticator
            .authenticate(token)
            .await
            .map_err(Status::into_http)?;
        request.extensions_mut().insert(Authenticated(caller));
        Ok((request, ()))
    }
}

/// The full paths (`/package.Service/Method`) of every method of `service`
/// in an encoded `FileDescriptorSet`: what tests hold method lists to.
pub fn methods_of(descriptor_set: &[u8], service: &str) -> Vec<String> {
    use prost::Message;
    let Ok(set) = prost_types::FileDescriptorSet::decode(descriptor_set) else {
        return Vec::new();
    };
    set.file
        .iter()
        .flat_map(|file| {
            file.service
                .iter()
                .filter(move |s| format!("{}.{}", file.package(), s.name()) == service)
        })
        .flat_map(|s| {
            s.method
                .iter()
                .map(move |m| format!("/{service}/{}", m.name()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn platform_methods_exist() {
        let mut known = methods_of(
            tonic_health::pb::FILE_DESCRIPTOR_SET,
            "grpc.health.v1.Health",
        );
        known.extend(methods_of(
            tonic_reflection::pb::v1::FILE_DESCRIPTOR_SET,
            "grpc.reflection.v1.ServerReflection",
        ));
        known.extend(methods_of(
            tonic_reflection::pb::v1alpha::FILE_DESCRIPTOR_SET,
            "grpc.reflection.v1alpha.ServerReflection",
        ));
        for method in PLATFORM_METHODS {
            assert!(
                known.iter().any(|m| m == method),
                "{method} not in {known:?}"
            );
        }
    }

    #[test]
    fn a_request_the_layer_did_not_authenticate_has_no_caller() {
        let request = tonic::Request::new(());
        assert!(matches!(
            caller::<u32, _>(&request),
            Err(CommonError::Internal(_))
        ));
        let mut request = tonic::Request::new(());
        request.extensions_mut().insert(Authenticated(7_u32));
        assert_eq!(caller::<u32, _>(&request).ok(), Some(7));
    }

    #[test]
    fn reads_bearer_tokens() {
        let mut headers = http::HeaderMap::new();
        assert!(matches!(
            bearer_token(&headers),
            Err(CommonError::MissingToken)
        ));
        let mut set = |value: &'static str| {
            headers.insert("authorization", http::HeaderValue::from_static(value));
            bearer_token(&headers).ok().map(str::to_owned)
        };
        assert_eq!(set("Bearer abc").as_deref(), Some("abc"));
        assert_eq!(set("bearer  abc ").as_deref(), Some("abc"));
        assert_eq!(set("Basic abc"), None);
        assert_eq!(set("Bearer "), None);
    }

    #[test]
    fn two_credentials_are_refused() {
        let mut headers = http::HeaderMap::new();
        headers.append("authorization", http::HeaderValue::from_static("Bearer a"));
        headers.append("authorization", http::HeaderValue::from_static("Bearer b"));
        assert!(matches!(
            bearer_token(&headers),
            Err(CommonError::MultipleCredentials)
        ));
    }
}
