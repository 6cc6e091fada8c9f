package dev.switchboard.shared.web;

import ch.qos.logback.classic.Level;
import dev.switchboard.shared.IngressOptions;
import dev.switchboard.shared.IngressOptions.AccessLogFormat;
import dev.switchboard.shared.testkit.LogCapture;
import dev.switchboard.shared.testkit.TestKit;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.NetSocket;
import io.vertx.ext.web.Router;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The access log on a real server on 127.0.0.1: the common log format, a request whose client
 * leaves before the answer (status 0), {@code off}, the request id in the MDC of a handler's line
 * written after a timer and not in a line written outside any request, and the parsing of
 * {@code traceparent} and redaction of {@code access_token}, socket-free.
 */
class AccessLogTest {

  private static final Logger handlerLog = LoggerFactory.getLogger("dev.switchboard.test.handler");
  private static final Pattern COMMON = Pattern.compile(
    "127\\.0\\.0\\.1 - - \\[\\d\\d/[A-Z][a-z]{2}/\\d{4}:\\d\\d:\\d\\d:\\d\\d \\+0000] \"GET /common\\?x=1&access_token=… HTTP/1\\.1\" 200 2"
      + " rid=common-1 trace=0af7651916cd43dd8448eb211c80319c route=/common upstream=- in=0 ms=\\d+\\.\\d{3}");

  /** How long a request, a start or a close may take. */
  private static final Duration WAIT = Duration.ofSeconds(10);

  private static final AtomicReference<RequestScope> upgradedScope = new AtomicReference<>();
  private static Vertx vertx;
  private static HttpServer server;
  private static Context serverContext;
  private static HttpClient client;

  @BeforeAll
  static void start() throws Exception {
    vertx = TestKit.vertx();
    IngressOptions ingress = new IngressOptions();
    AccessLog json = AccessLog.create(ingress);
    AccessLog common = AccessLog.create(ingress.withAccessLog(AccessLogFormat.COMMON));
    AccessLog off = AccessLog.create(ingress.withAccessLog(AccessLogFormat.OFF));
    serverContext = vertx.getOrCreateContext();
    server = TestKit.await(TestKit.onContext(vertx, () -> {
      Router router = Router.router(vertx);
      json.mount(router);
      router.get("/common").handler(ctx -> ctx.end("ok"));
      router.get("/hang").handler(ctx -> {
        // never answered: the client leaves
      });
      router.get("/later").handler(ctx -> vertx.setTimer(1, t -> {
        handlerLog.info("answering later");
        ctx.end("ok");
      }));
      router.get("/plain").handler(ctx -> ctx.end("ok"));
      return vertx.createHttpServer()
        .requestHandler(request -> {
          if (request.path().startsWith("/ws")) {
            json.handler(AccessLogTest::upgrade).handle(request);
          } else if (request.path().startsWith("/common")) {
            common.handler(router::handle).handle(request);
          } else if (request.path().startsWith("/later")) {
            off.handler(router::handle).handle(request);
          } else {
            json.handler(router::handle).handle(request);
          }
        })
        .listen(0, "127.0.0.1");
    }), WAIT);
    // One connection: a request is read only once the one before it has been answered (and logged).
    client = vertx.createHttpClient(new PoolOptions().setHttp1MaxSize(1));
  }

  /** Upgrades to a WebSocket that logs what it is sent, as a WebSocket service does. */
  private static void upgrade(HttpServerRequest request) {
    RequestScope scope = RequestScope.current();
    request.toWebSocket().onSuccess(ws -> {
      AccessLog.upgraded(scope);
      upgradedScope.set(scope);
      ws.textMessageHandler(text -> handlerLog.info("ws says " + text));
    });
  }

  @AfterAll
  static void stop() throws Exception {
    if (vertx != null) {
      TestKit.await(vertx.close(), WAIT);
    }
  }

  @Test
  void writesTheCommonLogFormatWhenAsked() throws Exception {
    try (LogCapture logs = LogCapture.of(Level.INFO, AccessLog.LOGGER)) {
      assertEquals(200, get("/common?x=1&access_token=abc.def.ghi", "common-1", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"));
      String line = logs.await(all -> !all.isEmpty(), 10).get(0).message();
      assertTrue(COMMON.matcher(line).matches(), line);
    }
  }

  @Test
  void aRequestWhoseClientLeavesIsLoggedWithStatusZero() throws Exception {
    try (LogCapture logs = LogCapture.of(Level.INFO, AccessLog.LOGGER)) {
      NetSocket socket = TestKit.await(vertx.createNetClient().connect(server.actualPort(), "127.0.0.1"), WAIT);
      TestKit.await(socket.write("GET /hang HTTP/1.1\r\nHost: x\r\nX-Request-Id: hang-1\r\n\r\n"), WAIT);
      TestKit.await(socket.close(), WAIT);
      String line = logs.await(all -> all.stream().anyMatch(l -> l.message().contains("\"hang-1\"")), 10).get(0).message();
      assertTrue(line.contains("\"status\":0,") && line.contains("\"error\":\"connection closed\""), line);
    }
  }

  @Test
  void offWritesNoLineButTheRequestIdStillReachesTheMdcAcrossATimer() throws Exception {
    try (LogCapture logs = LogCapture.of(Level.INFO, AccessLog.LOGGER, handlerLog.getName())) {
      assertEquals(200, get("/later", "later-1", null));
      // Answered after /later on the same connection, so logged after /later would have been.
      assertEquals(200, get("/plain", "plain-1", null));
      List<LogCapture.Line> lines = logs.await(all -> all.stream().anyMatch(l -> l.message().contains("\"plain-1\"")), 10);
      assertTrue(lines.stream().noneMatch(l -> l.message().contains("later-1")), "off wrote a line: " + lines);
      LogCapture.Line answering = lines.stream().filter(l -> l.message().equals("answering later")).findFirst().orElseThrow();
      assertEquals("later-1", answering.mdc().get(RequestMdc.REQUEST_ID), answering.toString());

      // A line written on the same event loop outside any request carries no request id.
      TestKit.await(Future.<Void>future(done -> serverContext.runOnContext(v -> {
        handlerLog.info("outside");
        done.complete();
      })), WAIT);
      LogCapture.Line outside = logs.lines().stream().filter(l -> l.message().equals("outside")).findFirst().orElseThrow();
      assertNull(outside.mdc().get(RequestMdc.REQUEST_ID), outside.toString());
    }
  }

  @Test
  void anUpgradeIsLoggedAndItsWebSocketKeepsTheIdsButNotTheRequest() throws Exception {
    try (LogCapture logs = LogCapture.of(Level.INFO, AccessLog.LOGGER, handlerLog.getName())) {
      WebSocketClient webSockets = vertx.createWebSocketClient();
      WebSocket ws = TestKit.await(TestKit.onContext(vertx, () -> webSockets.connect(new WebSocketConnectOptions()
        .setPort(server.actualPort()).setHost("127.0.0.1").setURI("/ws").addHeader(RequestScope.REQUEST_ID, "ws-1"))), WAIT);
      TestKit.await(ws.writeTextMessage("hi"), WAIT);
      List<LogCapture.Line> lines = logs.await(all -> all.stream().anyMatch(l -> l.message().equals("ws says hi")), 10);
      assertTrue(lines.stream().anyMatch(l -> l.message().contains("\"ws-1\"") && l.message().contains("\"status\":101")), lines::toString);
      LogCapture.Line said = lines.stream().filter(l -> l.message().equals("ws says hi")).findFirst().orElseThrow();
      assertEquals("ws-1", said.mdc().get(RequestMdc.REQUEST_ID), "the WebSocket's lines carry the upgrade's id: " + said);
      // Held for as long as the connection lives, the scope keeps the ids only: not the request, its headers, its response.
      assertNull(upgradedScope.get().request, "the upgraded request is let go");
      assertEquals("ws-1", upgradedScope.get().id());
      TestKit.await(ws.close(), WAIT);
    }
  }

  @Test
  void readsTheTraceIdOfAWellFormedTraceparentOnly() {
    assertEquals("4bf92f3577b34da6a3ce929d0e0e4736", RequestScope.traceId("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));
    assertNull(RequestScope.traceId(null));
    assertNull(RequestScope.traceId("00-00000000000000000000000000000000-00f067aa0ba902b7-01"), "all zeros is invalid");
    assertNull(RequestScope.traceId("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01"), "upper case is invalid");
    assertNull(RequestScope.traceId("00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01"), "short");
    assertNull(RequestScope.traceId("garbage"));
  }

  @Test
  void replacesEveryAccessTokenValueAndNothingElse() {
    assertEquals("/a?access_token=…", AccessLog.redact("/a?access_token=secret"));
    assertEquals("/a?x=1&access_token=…&y=2&access_token=…", AccessLog.redact("/a?x=1&access_token=s1&y=2&access_token=s2"));
    assertEquals("/a?my_access_token=1", AccessLog.redact("/a?my_access_token=1"));
    assertEquals("/access_token=x", AccessLog.redact("/access_token=x"));
    assertEquals("/a?access_token=…#f", AccessLog.redact("/a?access_token=s#f"));
    assertEquals("/a?", AccessLog.redact("/a?"));
  }

  private static int get(String uri, String requestId, String traceparent) throws Exception {
    RequestOptions options = new RequestOptions().setMethod(HttpMethod.GET).setHost("127.0.0.1").setPort(server.actualPort())
      .setURI(uri).putHeader(RequestScope.REQUEST_ID, requestId);
    if (traceparent != null) {
      options.putHeader(RequestScope.TRACEPARENT, traceparent);
    }
    return TestKit.await(client.request(options).compose(r -> r.send()).compose(r -> r.body().map(b -> r.statusCode())), WAIT);
  }
}
