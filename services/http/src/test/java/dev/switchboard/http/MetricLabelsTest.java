package dev.switchboard.http;

import dev.switchboard.shared.testkit.RawHttp;
import dev.switchboard.shared.testkit.TestKit;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.Random;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Labels a client chooses cannot grow {@code /metrics}: any method token it invents counts as {@code other}. */
class MetricLabelsTest {

  private static final int ODD_METHODS = 3_000;

  private Vertx vertx;
  private int port;

  @BeforeEach
  void deploy() throws Exception {
    vertx = TestKit.vertx();
    port = TestKit.await(TestKit.deploy(vertx, HttpVerticle.DEFINITION, new JsonObject(), 1)).port("http");
  }

  @AfterEach
  void close() throws Exception {
    TestKit.await(vertx.close());
  }

  @Test
  void threeThousandOddMethodsLeaveTheSeriesOfMetricsAsTheyWere() throws Exception {
    Random random = new Random(5);
    send(oddMethods(random, 10)); // every series the odd methods touch exists from here on
    metrics(); // and the GET of /metrics's own
    String before = metrics();
    send(oddMethods(random, ODD_METHODS));
    String after = metrics();
    assertEquals(series(before), series(after), "no new series labelled by method");
    assertTrue(Math.abs(after.length() - before.length()) < 1024, "size " + before.length() + " -> " + after.length()
      + " (the JVM's own series may come and go; nothing of 3,000 methods is kept)");
    assertTrue(after.contains("method=\"other\""), "the odd methods are counted, as other");
  }

  private static String[] oddMethods(Random random, int count) {
    String[] methods = new String[count];
    for (int i = 0; i < count; i++) {
      methods[i] = "M" + Long.toString(random.nextLong() & Long.MAX_VALUE, 36).toUpperCase();
    }
    return methods;
  }

  /** Sends the requests pipelined on one connection and reads every answer. */
  private void send(String[] methods) throws Exception {
    try (RawHttp raw = RawHttp.connect(port)) {
      StringBuilder requests = new StringBuilder();
      for (String method : methods) {
        requests.append(method).append(" /nowhere HTTP/1.1\r\nHost: h\r\n\r\n");
      }
      raw.write(requests.toString());
      for (int i = 0; i < methods.length; i++) {
        raw.read();
      }
    }
  }

  private String metrics() throws Exception {
    try (RawHttp raw = RawHttp.connect(port)) {
      return raw.write("GET /metrics HTTP/1.1\r\nHost: h\r\n\r\n").read().text();
    }
  }

  /** The series of a Prometheus text page labelled by method: each sample line without its value. */
  private static Set<String> series(String page) {
    Set<String> series = new TreeSet<>();
    for (String line : page.split("\n")) {
      if (!line.startsWith("#") && line.contains("method=")) {
        series.add(line.substring(0, line.lastIndexOf(' ')));
      }
    }
    return series;
  }
}
