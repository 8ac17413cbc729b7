//! Traces across the services. Each request's W3C trace context
//! (`traceparent`, `tracestate`) is read where it arrives, or a trace is
//! started there; every internal call carries it on ([`inject`], on each
//! [`crate::channel`]); each log line of a request names its `trace_id`
//! beside its `request_id`. Spans go to an OpenTelemetry collector over
//! OTLP/gRPC when `OTEL_EXPORTER_OTLP_ENDPOINT` is set, and nowhere when
//! it is not (trace ids are still made, carried and logged).

use std::sync::OnceLock;

use http::HeaderMap;
use opentelemetry::{
    propagation::TextMapPropagator,
    trace::{TraceContextExt, TracerProvider as _},
};
use opentelemetry_http::{HeaderExtractor, HeaderInjector};
use opentelemetry_sdk::{
    Resource,
    propagation::TraceContextPropagator,
    trace::{Sampler, SdkTracer, SdkTracerProvider},
};
use tracing::Span;
use tracing_opentelemetry::{OpenTelemetryLayer, OpenTelemetrySpanExt};

/// The process's tracer provider, kept to flush its spans at exit.
static PROVIDER: OnceLock<SdkTracerProvider> = OnceLock::new();

/// The layer turning `service`'s spans into OpenTelemetry spans, exported
/// to `endpoint` (when there is one) in batches. Call once, inside the
/// runtime (the exporter's client needs it).
pub fn layer<S>(
    service: &str,
    endpoint: Option<&str>,
) -> anyhow::Result<OpenTelemetryLayer<S, SdkTracer>>
where
    S: tracing::Subscriber + for<'span> tracing_subscriber::registry::LookupSpan<'span>,
{
    let mut provider = SdkTracerProvider::builder()
        .with_resource(
            Resource::builder()
                .with_service_name(service.to_owned())
                .build(),
        )
        // Every call is recorded, whatever a caller's `traceparent` says:
        // a browser must not turn off the traces of the calls it makes.
        .with_sampler(Sampler::AlwaysOn);
    if let Some(endpoint) = endpoint {
        use opentelemetry_otlp::WithExportConfig;
        let exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_tonic()
            .with_endpoint(endpoint)
            .build()?;
        provider = provider.with_batch_exporter(exporter);
    }
    let provider = PROVIDER.get_or_init(|| provider.build());
    let tracer = provider.tracer("completionist");
    Ok(tracing_opentelemetry::layer()
        .with_tracer(tracer)
        // Each of these is work on every span, for attributes no one asked for.
        .with_tracked_inactivity(false)
        .with_threads(false)
        .with_location(false))
}

/// Sends the spans not yet exported. Call before the process exits.
pub fn flush() {
    if let Some(provider) = PROVIDER.get() {
        let _ = provider.shutdown();
    }
}

/// Makes `span` (a request's) part of the trace `headers` name, or of a
/// new one, and records its `trace_id` for the log lines.
pub fn continue_from(span: &Span, headers: &HeaderMap) {
    let parent = TraceContextPropagator::new().extract(&HeaderExtractor(headers));
    // Only fails when tracing is off for this span (filtered out, or no
    // layer): nothing to continue.
    let _ = span.set_parent(parent);
    let trace_id = span.context().span().span_context().trace_id();
    if trace_id != opentelemetry::TraceId::INVALID {
        span.record("trace_id", tracing::field::display(trace_id));
    }
}

/// Writes the current span's trace context into an outgoing call's
/// `headers`, in place of any they had (a caller's, forwarded: this
/// process's span is the parent now).
pub fn inject(headers: &mut HeaderMap) {
    let cx = Span::current().context();
    if cx.span().span_context().is_valid() {
        TraceContextPropagator::new().inject_context(&cx, &mut HeaderInjector(headers));
    }
}
