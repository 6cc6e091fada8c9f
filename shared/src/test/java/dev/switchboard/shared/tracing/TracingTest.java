package dev.switchboard.shared.tracing;

import dev.switchboard.shared.InvalidSettingException;
import dev.switchboard.shared.testkit.TestKit;
import dev.switchboard.shared.testkit.TestZipkin;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The {@code tracing} settings, and whether a Vert.x gets a tracer from them. */
class TracingTest {

  @Test
  void isOffByDefaultAndReadsBackWhatItWasGiven() {
    TracingOptions off = TracingOptions.fromJson(new JsonObject());
    assertFalse(off.enabled());
    assertEquals(new JsonObject().put("endpoint", "").put("sampleRatio", 1.0).put("protocol", "zipkin"), off.toJson());

    TracingOptions on = TracingOptions.fromJson(new JsonObject().put("endpoint", " http://127.0.0.1:9411/api/v2/spans ").put("sampleRatio", "0.25"));
    assertTrue(on.enabled());
    assertEquals("http://127.0.0.1:9411/api/v2/spans", on.endpoint());
    assertEquals(0.25, on.sampleRatio());
    assertEquals(on, TracingOptions.fromJson(on.toJson()));
  }

  @Test
  void refusesEachBadSettingByName() {
    for (Object ratio : new Object[] {-0.1, 1.5, "half", "NaN"}) {
      InvalidSettingException e = assertThrows(InvalidSettingException.class,
        () -> TracingOptions.fromJson(new JsonObject().put("sampleRatio", ratio)), String.valueOf(ratio));
      assertEquals("tracing.sampleRatio", e.key());
    }
    for (String endpoint : new String[] {"127.0.0.1:9411", "ftp://127.0.0.1/spans", "http://", "not a url"}) {
      InvalidSettingException e = assertThrows(InvalidSettingException.class,
        () -> TracingOptions.fromJson(new JsonObject().put("endpoint", endpoint)), endpoint);
      assertEquals("tracing.endpoint", e.key());
    }
    InvalidSettingException unknown = assertThrows(InvalidSettingException.class,
      () -> TracingOptions.fromJson(new JsonObject().put("endpont", "http://127.0.0.1:9411/api/v2/spans")));
    assertEquals("tracing.endpont", unknown.key());
  }

  @Test
  void installsNoTracerWhenOffAndOneWhenOn() throws Exception {
    Vertx plain = Tracing.install(Vertx.builder(), new TracingOptions(), "echo").build();
    // Nothing listens there: spans are dropped when sending fails, and closing does not wait past its bound.
    Vertx traced = Tracing.install(Vertx.builder(), new TracingOptions("http://127.0.0.1:9/api/v2/spans", 1.0), "echo").build();
    try {
      assertNull(((VertxInternal) plain).tracer(), "tracing off: Vert.x skips every tracing call");
      assertNotNull(((VertxInternal) traced).tracer());
    } finally {
      TestKit.await(plain.close(), Duration.ofSeconds(10));
      TestKit.await(traced.close(), Duration.ofSeconds(20));
    }
  }

  @Test
  void sendsSpansOverOtlpWhenAskedTo() throws Exception {
    TracingOptions otlp = TracingOptions.fromJson(new JsonObject().put("endpoint", "http://127.0.0.1:4318/v1/traces").put("protocol", "OTLP"));
    assertEquals(TracingOptions.Protocol.OTLP, otlp.protocol());
    assertEquals("otlp", otlp.toJson().getString("protocol"));
    assertEquals(otlp, TracingOptions.fromJson(otlp.toJson()));
    assertEquals("tracing.protocol", assertThrows(InvalidSettingException.class,
      () -> TracingOptions.fromJson(new JsonObject().put("protocol", "jaeger"))).key());

    // A receiver that keeps what is posted to it, and a traced HTTP server asked once with a known trace.
    Vertx receiverVertx = TestKit.vertx();
    Vertx traced = null;
    try {
      Promise<HttpServerRequest> posted = Promise.promise();
      Promise<Buffer> body = Promise.promise();
      HttpServer receiver = receiverVertx.createHttpServer().requestHandler(request -> {
        posted.tryComplete(request);
        request.body().onSuccess(body::tryComplete);
        request.response().end();
      });
      int receiverPort = TestKit.await(receiver.listen(0, "127.0.0.1"), Duration.ofSeconds(10)).actualPort();
      traced = Tracing.install(Vertx.builder(),
        new TracingOptions("http://127.0.0.1:" + receiverPort + "/v1/traces", 1.0, TracingOptions.Protocol.OTLP), "otlp-test").build();
      Vertx server = traced;
      int port = TestKit.await(TestKit.onContext(traced, () -> server.createHttpServer().requestHandler(r -> r.response().end("traced"))
        .listen(0, "127.0.0.1")), Duration.ofSeconds(10)).actualPort();
      String[] ids = TestZipkin.newIds();
      HttpClient client = receiverVertx.createHttpClient();
      TestKit.await(TestKit.onContext(receiverVertx, () -> client.request(new RequestOptions().setHost("127.0.0.1").setPort(port).setURI("/")
        .putHeader("traceparent", "00-" + ids[0] + "-" + ids[1] + "-01")).compose(r -> r.send()).compose(r -> r.body())), Duration.ofSeconds(10));

      HttpServerRequest export = TestKit.await(posted.future(), Duration.ofSeconds(30));
      assertEquals("/v1/traces", export.path());
      assertEquals("application/x-protobuf", export.getHeader("Content-Type"));
      // The protobuf carries the trace id as its 16 raw bytes.
      byte[] exported = TestKit.await(body.future(), Duration.ofSeconds(10)).getBytes();
      byte[] traceId = HexFormat.of().parseHex(ids[0]);
      assertTrue(contains(exported, traceId), "the span of the traced request was exported");
    } finally {
      if (traced != null) {
        TestKit.await(traced.close(), Duration.ofSeconds(20));
      }
      TestKit.await(receiverVertx.close(), Duration.ofSeconds(10));
    }
  }

  private static boolean contains(byte[] haystack, byte[] needle) {
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      if (Arrays.equals(haystack, i, i + needle.length, needle, 0, needle.length)) {
        return true;
      }
    }
    return false;
  }
}
