package dev.switchboard.shared.testkit;

import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What every Switchboard HTTP server answers at its edge, checked against a running one: a
 * request whose framing RFC 9112 refuses, and a head that never completes. For each module's test
 * that its servers are built with {@code StrictHttp}.
 */
public final class HttpEdgeChecks {

  private HttpEdgeChecks() {
  }

  /** {@code Content-Length} beside {@code Transfer-Encoding}: 400 with a JSON body, then the connection closed. */
  public static void refusesLengthWithChunked(int port) throws IOException {
    try (RawHttp raw = RawHttp.connect(port)) {
      raw.write("POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
      RawHttp.Response answer = raw.read();
      assertEquals(400, answer.status(), answer.head() + answer.text());
      assertEquals("Content-Length together with Transfer-Encoding", new JsonObject(answer.text()).getString("error"));
      assertTrue(raw.closedByServer(), "closed after the refusal");
    }
  }

  /** A head that stops half-way is answered 408 and closed within {@code headTimeout} (and a margin). */
  public static void timesOutAHalfHead(int port, Duration headTimeout) throws IOException {
    try (RawHttp raw = RawHttp.connect(port)) {
      long started = System.nanoTime();
      raw.write("GET / HTTP/1.1\r\nHost: h\r\nX-Slow: ");
      RawHttp.Response answer = raw.read();
      long waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
      assertEquals(408, answer.status(), answer.head());
      assertTrue(waited >= headTimeout.toMillis() / 2 && waited < headTimeout.toMillis() + 5_000, "408 after " + waited + " ms");
      assertTrue(raw.closedByServer(), "closed after the 408");
    }
  }

  /**
   * {@code clients} connections that send a request line, then one byte of a header every 100 ms
   * (a slowloris, bounded at 10 s), are all closed, the first with 408, within {@code headTimeout}
   * and a margin, while a normal request on another connection is answered 200 every round.
   */
  public static void closesSlowloris(int port, Duration headTimeout, int clients) throws Exception {
    List<RawHttp> slow = new ArrayList<>();
    try {
      for (int i = 0; i < clients; i++) {
        slow.add(RawHttp.connect(port).write("GET / HTTP/1.1\r\n"));
      }
      long started = System.nanoTime();
      byte[] dribble = "X-Slow: yes\r\n".getBytes(StandardCharsets.US_ASCII);
      int open = clients;
      for (int round = 0; open > 0 && round < 100; round++) {
        open = 0;
        for (RawHttp client : slow) {
          try {
            client.write(dribble, round % dribble.length, 1);
            open++;
          } catch (IOException closed) {
            // closed by the server: what this waits for
          }
        }
        try (RawHttp normal = RawHttp.connect(port)) {
          RawHttp.Response answer = normal.write("GET / HTTP/1.1\r\nHost: h\r\n\r\n").read();
          assertEquals(200, answer.status(), "a normal request is answered meanwhile: " + answer.head());
        }
        TimeUnit.MILLISECONDS.sleep(100); // the slowloris's own pace, not a wait for an event
      }
      long waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
      assertEquals(0, open, "slow heads still open after " + waited + " ms");
      assertTrue(waited < headTimeout.toMillis() + 3000, "closed after " + waited + " ms");
      assertEquals(408, slow.get(0).read().status());
    } finally {
      for (RawHttp client : slow) {
        client.close();
      }
    }
  }
}
