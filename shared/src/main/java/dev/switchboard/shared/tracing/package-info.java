/**
 * Distributed tracing: the {@code tracing} section of the configuration ({@link TracingOptions})
 * and {@link Tracing}, which gives a process's Vert.x an OpenTelemetry tracer exporting to Zipkin
 * when an endpoint is set, and nothing at all when it is not. Vert.x itself then makes the spans:
 * HTTP servers and clients, event bus sends and their consumers, with W3C {@code traceparent} in
 * HTTP and message headers.
 */
package dev.switchboard.shared.tracing;
