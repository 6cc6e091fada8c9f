package dev.switchboard.shared.tracing;

import dev.switchboard.shared.InvalidSettingException;
import io.vertx.core.Vertx;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;

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
    assertEquals(new JsonObject().put("endpoint", "").put("sampleRatio", 1.0), off.toJson());

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
      plain.close().await(10, TimeUnit.SECONDS);
      traced.close().await(20, TimeUnit.SECONDS);
    }
  }
}
