use std::convert::Infallible;

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Request, Response};
use http_body::Frame;
use http_body_util::{BodyExt, Empty, StreamBody};
use tower::{Layer, Service, ServiceExt};

use super::{CallsLayer, OTHER, handle, method_label};

const GET: &str = "/completionist.media.v1.MediaService/GetListEntry";

#[test]
fn methods_no_service_has_are_one_label() {
    assert_eq!(
        method_label(GET),
        "completionist.media.v1.MediaService/GetListEntry"
    );
    assert_eq!(
        method_label("/completionist.auth.v1.TokenService/ValidateToken"),
        "completionist.auth.v1.TokenService/ValidateToken"
    );
    assert_eq!(method_label("/made.Up/Anything"), OTHER);
    assert_eq!(method_label("/assets/app.js"), OTHER);
    assert_eq!(method_label(""), OTHER);
}

/// A body of the frames given.
type Frames =
    StreamBody<futures_util::stream::Iter<std::vec::IntoIter<Result<Frame<Bytes>, Infallible>>>>;

/// A body of one data frame, then trailers saying `code`.
fn answered(code: &'static str) -> Response<Frames> {
    let mut trailers = HeaderMap::new();
    trailers.insert("grpc-status", HeaderValue::from_static(code));
    let frames = vec![
        Ok(Frame::data(Bytes::from_static(b"\0\0\0\0\0"))),
        Ok(Frame::trailers(trailers)),
    ];
    Response::new(StreamBody::new(futures_util::stream::iter(frames)))
}

/// The rendered count of calls of `method` that ended with `code` on the
/// server side.
fn served(method: &str, code: &str) -> u64 {
    let text = handle().render();
    let wanted = format!("rpc_method=\"{method}\",rpc_status_code=\"{code}\"");
    text.lines()
        .filter(|line| line.starts_with("rpc_server_call_duration_seconds_count{"))
        .filter(|line| line.contains(&wanted) && line.contains("rpc_system_name=\"grpc\""))
        .filter_map(|line| line.rsplit(' ').next()?.parse::<u64>().ok())
        .sum()
}

#[tokio::test]
async fn each_call_is_counted_with_its_status_once_its_answer_ends() {
    let _ = handle();
    let method = "completionist.media.v1.MediaService/GetListEntry";
    let (ok, not_found, cancelled) = (
        served(method, "OK"),
        served(method, "NOT_FOUND"),
        served(method, "CANCELLED"),
    );

    // Status in the trailers: counted when they are read.
    let service = CallsLayer::server().layer(tower::service_fn(|_: Request<()>| async {
        Ok::<_, Infallible>(answered("0"))
    }));
    let response = service
        .clone()
        .oneshot(Request::get(GET).body(()).unwrap())
        .await
        .unwrap();
    assert_eq!(served(method, "OK"), ok, "not before the answer ends");
    response.into_body().collect().await.unwrap();
    assert_eq!(served(method, "OK"), ok + 1);

    // Status in the headers (an error answered at once).
    let refused = CallsLayer::server().layer(tower::service_fn(|_: Request<()>| async {
        let mut response = Response::new(Empty::<Bytes>::new());
        response
            .headers_mut()
            .insert("grpc-status", HeaderValue::from_static("5"));
        Ok::<_, Infallible>(response)
    }));
    let response = refused
        .oneshot(Request::get(GET).body(()).unwrap())
        .await
        .unwrap();
    assert_eq!(served(method, "NOT_FOUND"), not_found + 1);
    drop(response);
    assert_eq!(served(method, "NOT_FOUND"), not_found + 1, "counted once");

    // An answer dropped unread: the caller went away.
    let response = service
        .oneshot(Request::get(GET).body(()).unwrap())
        .await
        .unwrap();
    drop(response);
    assert_eq!(served(method, "CANCELLED"), cancelled + 1);
}

#[tokio::test]
async fn a_call_given_up_before_its_answer_is_cancelled() {
    let _ = handle();
    let method = "completionist.media.v1.MediaService/ListListEntries";
    let cancelled = served(method, "CANCELLED");
    let mut service = CallsLayer::server().layer(tower::service_fn(|_: Request<()>| {
        std::future::pending::<Result<Response<Frames>, Infallible>>()
    }));
    let path = "/completionist.media.v1.MediaService/ListListEntries";
    let call = service
        .ready()
        .await
        .unwrap()
        .call(Request::get(path).body(()).unwrap());
    drop(call);
    assert_eq!(served(method, "CANCELLED"), cancelled + 1);
}

#[tokio::test]
async fn health_checks_are_not_api_calls() {
    let _ = handle();
    let path = "/grpc.health.v1.Health/Check";
    let service = CallsLayer::server().layer(tower::service_fn(|_: Request<()>| async {
        Ok::<_, Infallible>(answered("0"))
    }));
    let response = service
        .oneshot(Request::get(path).body(()).unwrap())
        .await
        .unwrap();
    response.into_body().collect().await.unwrap();
    assert!(!handle().render().contains("grpc.health.v1.Health"));
}
