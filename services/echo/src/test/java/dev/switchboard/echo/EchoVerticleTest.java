package dev.switchboard.echo;

import dev.switchboard.shared.bus.Addresses;
import dev.switchboard.shared.testkit.TestKit;
import dev.switchboard.shared.testkit.TestKit.Deployed;
import io.micrometer.core.instrument.Counter;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetSocket;
import io.vertx.ext.web.client.WebClient;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

@ExtendWith(VertxExtension.class)
class EchoVerticleTest {

  private static final int TEN_MIB = 10 * 1024 * 1024;

  private Vertx vertx;
  private NetClient client;

  @BeforeEach
  void setUp() {
    vertx = TestKit.vertx();
    client = vertx.createNetClient(new NetClientOptions().setConnectTimeout(5_000));
  }

  @AfterEach
  void tearDown() throws Exception {
    TestKit.await(vertx.close());
  }

  private Future<Deployed> deploy(JsonObject settings, int instances) {
    return TestKit.deploy(vertx, EchoVerticle.DEFINITION, settings, instances);
  }

  private Future<NetSocket> connect(Deployed echo) {
    return client.connect(echo.port("tcp"), "127.0.0.1");
  }

  @Test
  void echoesTenMebibytesByteExactWhileClientWritesOddSizedChunks(VertxTestContext ctx) {
    byte[] data = new byte[TEN_MIB];
    new Random(42).nextBytes(data);
    Buffer received = Buffer.buffer(TEN_MIB);
    deploy(new JsonObject(), 2).compose(this::connect).onComplete(ctx.succeeding(socket -> {
      socket.handler(chunk -> {
        received.appendBuffer(chunk);
        if (received.length() >= TEN_MIB) {
          ctx.verify(() -> {
            assertEquals(TEN_MIB, received.length());
            assertArrayEquals(sha256(data), sha256(received.getBytes()));
          });
          ctx.completeNow();
        }
      });
      writeInOddChunks(socket, data, 0);
    }));
  }

  /** Writes {@code data} in chunks of 1, 3, 5, … 8191 bytes, respecting the socket's write queue. */
  private static void writeInOddChunks(NetSocket socket, byte[] data, int from) {
    int offset = from;
    int size = 1;
    while (offset < data.length) {
      int n = Math.min(size, data.length - offset);
      socket.write(Buffer.buffer().appendBytes(data, offset, n));
      offset += n;
      size = size >= 8191 ? 1 : size + 2;
      if (socket.writeQueueFull()) {
        int next = offset;
        socket.drainHandler(v -> writeInOddChunks(socket, data, next));
        return;
      }
    }
  }

  @Test
  void answersEachLineInLineModeEvenWhenSplitAcrossWrites(VertxTestContext ctx) {
    Buffer received = Buffer.buffer();
    String expected = "You said: hello\nYou said: world\nYou said: \n";
    deploy(new JsonObject().put("mode", "line"), 1).compose(this::connect).onComplete(ctx.succeeding(socket -> {
      socket.handler(chunk -> {
        received.appendBuffer(chunk);
        if (received.length() >= expected.length()) {
          ctx.verify(() -> assertEquals(expected, received.toString()));
          ctx.completeNow();
        }
      });
      socket.write("hel");
      socket.write("lo\nwor");
      socket.write("ld\r\n\n");
    }));
  }

  @Test
  void answersLineLongerThanLimitWithErrorAndCloses(VertxTestContext ctx) {
    Buffer received = Buffer.buffer();
    deploy(new JsonObject().put("mode", "line").put("maxLineLength", 16), 1).compose(this::connect).onComplete(ctx.succeeding(socket -> {
      socket.handler(received::appendBuffer);
      socket.closeHandler(v -> {
        ctx.verify(() -> assertEquals("You said: short\nerror: line longer than 16 bytes\n", received.toString()));
        ctx.completeNow();
      });
      socket.write("short\n" + "x".repeat(100));
    }));
  }

  @Test
  void closesConnectionThatStaysIdle(VertxTestContext ctx) {
    long start = System.nanoTime();
    deploy(new JsonObject().put("idleTimeout", "300ms"), 1).compose(this::connect).onComplete(ctx.succeeding(socket -> {
      socket.write("ping");
      socket.closeHandler(v -> {
        long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        ctx.verify(() -> assertTrue(elapsedMs >= 300, "closed after " + elapsedMs + " ms, before the idle timeout"));
        ctx.completeNow();
      });
    }));
  }

  @Test
  void closesConnectionsBeyondMaxAndCountsThem(VertxTestContext ctx) {
    deploy(new JsonObject().put("maxConnections", 2), 2).onComplete(ctx.succeeding(echo -> {
      Future<NetSocket> first = connect(echo);
      Future<NetSocket> second = connect(echo);
      Future.all(first, second)
        .compose(both -> roundTrip(first.result(), "a").compose(x -> roundTrip(second.result(), "b")))
        .compose(v -> connect(echo))
        .compose(third -> {
          Promise<Void> closed = Promise.promise();
          third.closeHandler(closed::complete);
          return closed.future();
        })
        .onComplete(ctx.succeeding(v -> ctx.verify(() -> {
          Counter rejected = echo.runtime().meters().get("switchboard.echo.connections.rejected").counter();
          assertEquals(1.0, rejected.count());
          ctx.completeNow();
        })));
    }));
  }

  private static Future<String> roundTrip(NetSocket socket, String text) {
    Promise<String> answer = Promise.promise();
    Buffer received = Buffer.buffer();
    socket.handler(chunk -> {
      received.appendBuffer(chunk);
      if (received.length() >= text.length()) {
        answer.tryComplete(received.toString());
      }
    });
    socket.write(text);
    return answer.future();
  }

  @Test
  void spreadsConnectionsOverEveryInstanceSharingThePort(VertxTestContext ctx) {
    int connections = 40;
    deploy(new JsonObject(), 2).onComplete(ctx.succeeding(echo -> {
      List<Future<String>> trips = new ArrayList<>();
      for (int i = 0; i < connections; i++) {
        String text = "hi " + i;
        trips.add(connect(echo).compose(s -> roundTrip(s, text).eventually(s::close)));
      }
      Future.all(trips).onComplete(ctx.succeeding(v -> ctx.verify(() -> {
        double one = echo.runtime().meters().get("switchboard.echo.connections.accepted").tag("instance", "1").counter().count();
        double two = echo.runtime().meters().get("switchboard.echo.connections.accepted").tag("instance", "2").counter().count();
        assertEquals(connections, one + two);
        assertTrue(one > 0 && two > 0, "instance 1 served " + one + ", instance 2 served " + two);
        ctx.completeNow();
      })));
    }));
  }

  @Test
  void answersRequestsOnTheEventBusWithTheBodyUnchanged(VertxTestContext ctx) {
    JsonObject body = new JsonObject().put("greeting", "hello").put("n", 3);
    deploy(new JsonObject(), 1)
      .compose(echo -> vertx.eventBus().request(Addresses.ECHO, "plain text")
        .compose(text -> vertx.eventBus().<JsonObject>request(Addresses.ECHO, body)
          .map(json -> List.of(text.body(), json.body()))))
      .onComplete(ctx.succeeding(replies -> ctx.verify(() -> {
        assertEquals("plain text", replies.get(0));
        assertEquals(body, replies.get(1));
        ctx.completeNow();
      })));
  }

  @Test
  void servesHealthReadyAndMetricsOnTheAdminPort(VertxTestContext ctx) {
    WebClient web = WebClient.create(vertx);
    deploy(new JsonObject(), 1).compose(echo -> connect(echo).compose(s -> roundTrip(s, "x")).map(echo))
      .compose(echo -> Future.all(
        web.get(echo.port("admin"), "127.0.0.1", "/health").send(),
        web.get(echo.port("admin"), "127.0.0.1", "/ready").send(),
        web.get(echo.port("admin"), "127.0.0.1", "/metrics").send(),
        web.get(echo.port("admin"), "127.0.0.1", "/nowhere").send()))
      .onComplete(ctx.succeeding(all -> ctx.verify(() -> {
        io.vertx.ext.web.client.HttpResponse<Buffer> health = all.resultAt(0);
        io.vertx.ext.web.client.HttpResponse<Buffer> ready = all.resultAt(1);
        io.vertx.ext.web.client.HttpResponse<Buffer> metrics = all.resultAt(2);
        io.vertx.ext.web.client.HttpResponse<Buffer> missing = all.resultAt(3);
        assertEquals(200, health.statusCode());
        assertEquals(200, ready.statusCode());
        assertEquals("UP", ready.bodyAsJsonObject().getString("status"));
        assertEquals(200, metrics.statusCode());
        String text = metrics.bodyAsString();
        assertTrue(text.contains("switchboard_echo_connections_open"), text);
        assertTrue(text.contains("vertx_net_server_bytes_read_total"), "Vert.x counts the echoed bytes");
        assertEquals(404, missing.statusCode());
        assertEquals("application/json", missing.getHeader("content-type"));
        ctx.completeNow();
      })));
  }

  @Test
  void undeployClosesOpenConnectionsAfterFlushingWithinTheGracePeriod(VertxTestContext ctx) {
    deploy(new JsonObject(), 2).onComplete(ctx.succeeding(echo -> connect(echo)
      .compose(socket -> roundTrip(socket, "before shutdown").map(socket))
      .onComplete(ctx.succeeding(socket -> {
        // From the undeploy: deploying and connecting on a busy machine took over a second in CI.
        long start = System.nanoTime();
        socket.closeHandler(v -> {
          long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
          ctx.verify(() -> assertTrue(elapsedMs < TestKit.TEST_GRACE.toMillis(), "closed after " + elapsedMs + " ms"));
          ctx.completeNow();
        });
        vertx.undeploy(echo.id());
      }))));
  }

  static byte[] sha256(byte[] bytes) throws Exception {
    return MessageDigest.getInstance("SHA-256").digest(bytes);
  }
}
