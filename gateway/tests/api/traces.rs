//! One browser call traced across the three processes: the binaries
//! themselves (three processes, three tracer providers), exporting over
//! OTLP to a stand-in collector in this test. The gateway's, then
//! media-service's, then auth-service's span each the child of the one
//! before, all in the trace the browser's `traceparent` named; and the
//! trace id on the log lines of the call.

use std::{
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use completionist_proto::media as media_pb;
use opentelemetry_proto::tonic::{
    collector::trace::v1::{
        ExportTraceServiceRequest, ExportTraceServiceResponse,
        trace_service_server::{TraceService, TraceServiceServer},
    },
    common::v1::any_value::Value,
};
use prost::Message;
use test_support::{Server, TestDb};
use tonic::transport::Channel;

use crate::{
    helpers::ORIGIN,
    processes::{Logs, Process, auth_service, free_addr, serving, user_token},
};

/// The browser's trace, and its span the gateway's is a child of.
const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const BROWSER_SPAN: &str = "00f067aa0ba902b7";

/// Every span exported to it: (service, span).
#[derive(Clone, Default)]
struct Collector(Arc<Mutex<Vec<(String, opentelemetry_proto::tonic::trace::v1::Span)>>>);

#[tonic::async_trait]
impl TraceService for Collector {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        let mut spans = self.0.lock().unwrap();
        for resource_spans in request.into_inner().resource_spans {
            let service = resource_spans
                .resource
                .iter()
                .flat_map(|r| &r.attributes)
                .find(|a| a.key == "service.name")
                .and_then(|a| match a.value.as_ref()?.value.as_ref()? {
                    Value::StringValue(name) => Some(name.clone()),
                    _ => None,
                })
                .unwrap_or_default();
            for scope in resource_spans.scope_spans {
                spans.extend(scope.spans.into_iter().map(|s| (service.clone(), s)));
            }
        }
        Ok(tonic::Response::new(ExportTraceServiceResponse::default()))
    }
}

#[tokio::test]
async fn one_browser_call_is_one_trace_across_the_three_services() {
    let (collector, _collector_server) = start_collector().await;
    let stack = Processes::start(&format!("http://{}", _collector_server.addr)).await;
    let token = user_token(&stack.channel, "traced@example.com").await;
    stack.browser_call(&token).await;

    // Each service's span, its parent the one before.
    let span_of = |service: &str| {
        collector
            .0
            .lock()
            .unwrap()
            .iter()
            .find(|(name, span)| name == service && hex(&span.trace_id) == TRACE_ID)
            .map(|(_, span)| {
                (
                    hex(&span.span_id),
                    hex(&span.parent_span_id),
                    span.name.clone(),
                )
            })
    };
    let started = Instant::now();
    let [gateway_span, media_span, auth_span] = loop {
        if let (Some(g), Some(m), Some(a)) = (
            span_of("gateway"),
            span_of("media-service"),
            span_of("auth-service"),
        ) {
            break [g, m, a];
        }
        assert!(started.elapsed() < Duration::from_secs(30), "spans missing");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(gateway_span.1, BROWSER_SPAN, "{gateway_span:?}");
    assert_eq!(
        gateway_span.2,
        "/completionist.media.v1.MediaService/GetListStats"
    );
    assert_eq!(media_span.1, gateway_span.0, "{media_span:?}");
    assert_eq!(media_span.2, gateway_span.2);
    assert_eq!(auth_span.1, media_span.0, "{auth_span:?}");
    assert_eq!(
        auth_span.2,
        "/completionist.auth.v1.TokenService/ValidateToken"
    );

    // The gateway's log line of the call names both ids.
    let log = std::fs::read_to_string(stack.logs.of("gateway")).unwrap();
    assert!(
        log.lines()
            .any(|line| line.contains(TRACE_ID) && line.contains("traced-call")),
        "{log}"
    );
}

/// The stand-in collector, serving until dropped.
async fn start_collector() -> (Collector, Server) {
    let collector = Collector::default();
    let service = TraceServiceServer::new(collector.clone());
    let server = Server::start(|listener, shutdown| async move {
        tonic::transport::Server::builder()
            .add_service(service)
            .serve_with_incoming_shutdown(
                tokio_stream::wrappers::TcpListenerStream::new(listener),
                shutdown.wait(),
            )
            .await
            .map_err(Into::into)
    })
    .await;
    (collector, server)
}

/// The three binaries over their own databases, exporting to `otlp`.
struct Processes {
    gateway: String,
    channel: Channel,
    logs: Logs,
    _running: [Process; 3],
    _dbs: (TestDb, TestDb),
}

impl Processes {
    async fn start(otlp: &str) -> Self {
        let auth_db = TestDb::new("auth", auth_service::MIGRATIONS).await;
        let media_db = TestDb::new("media", media_service::MIGRATIONS).await;
        let (media_addr, gateway_addr) = (free_addr(), free_addr());
        let media_url = format!("http://{media_addr}");
        let logs = Logs::new();
        let exporting = ("OTEL_EXPORTER_OTLP_ENDPOINT", otlp);
        let (auth, auth_url) = auth_service(auth_db.url(), &[exporting], &logs);
        let media = Process::start(
            "media-service",
            &[
                exporting,
                ("MEDIA_LISTEN_ADDR", &media_addr),
                ("MEDIA_METRICS_ADDR", ""),
                ("MEDIA_DATABASE_URL", media_db.url()),
                ("AUTH_SERVICE_URL", &auth_url),
            ],
            &logs.of("media"),
        );
        let gateway = Process::start(
            "gateway",
            &[
                exporting,
                ("GATEWAY_LISTEN_ADDR", &gateway_addr),
                ("GATEWAY_METRICS_ADDR", ""),
                ("AUTH_SERVICE_URL", &auth_url),
                ("MEDIA_SERVICE_URL", &media_url),
                ("GATEWAY_CORS_ALLOWED_ORIGINS", ORIGIN),
                // The gateway logs each call's end at debug.
                ("RUST_LOG", "info,tower_http=debug"),
            ],
            &logs.of("gateway"),
        );
        let url = format!("http://{gateway_addr}");
        let channel = Channel::from_shared(url.clone()).unwrap().connect_lazy();
        serving(&channel).await;
        Self {
            gateway: url,
            channel,
            logs,
            _running: [auth, media, gateway],
            _dbs: (auth_db, media_db),
        }
    }

    /// GetListStats as Connect-ES sends it over gRPC-Web, in the browser's
    /// trace.
    async fn browser_call(&self, token: &str) {
        let body = media_pb::GetListStatsRequest {}.encode_to_vec();
        let mut framed = vec![0u8];
        framed.extend_from_slice(&u32::try_from(body.len()).unwrap().to_be_bytes());
        framed.extend(body);
        let response = reqwest::Client::builder()
            .http1_only()
            .build()
            .unwrap()
            .post(format!(
                "{}/completionist.media.v1.MediaService/GetListStats",
                self.gateway
            ))
            .header("content-type", "application/grpc-web+proto")
            .header("x-grpc-web", "1")
            .header("origin", ORIGIN)
            .header("authorization", format!("Bearer {token}"))
            .header("x-request-id", "traced-call")
            .header("traceparent", format!("00-{TRACE_ID}-{BROWSER_SPAN}-01"))
            .body(framed)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let answer = response.bytes().await.unwrap();
        assert!(
            answer.windows(13).any(|w| w == b"grpc-status:0"),
            "{answer:?}"
        );
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
