package dev.switchboard.chat;

import dev.switchboard.shared.testkit.TestKit;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.function.Predicate;

/**
 * A chat client over a real Vert.x WebSocket for tests: records every event it receives and
 * lets a test wait (bounded) for the events it expects.
 */
final class ChatTestClient {

  /** How long a test waits for a future, an event or a close. */
  static final Duration WAIT = Duration.ofSeconds(15);

  private record Waiter(Predicate<List<JsonObject>> done, Promise<List<JsonObject>> result) {
  }

  private final WebSocket ws;
  private final List<JsonObject> events = new ArrayList<>();
  private final List<Buffer> binaries = new ArrayList<>();
  private final List<Waiter> waiters = new ArrayList<>();
  private final Promise<Short> closed = Promise.promise();
  private volatile String closeReason;
  private final java.util.concurrent.atomic.AtomicInteger pings = new java.util.concurrent.atomic.AtomicInteger();

  private ChatTestClient(WebSocket ws) {
    this.ws = ws;
    ws.textMessageHandler(text -> {
      synchronized (this) {
        events.add(new JsonObject(text));
      }
      check();
    });
    ws.binaryMessageHandler(data -> {
      synchronized (this) {
        binaries.add(data);
      }
      check();
    });
    ws.frameHandler(frame -> {
      if (frame.type() == io.vertx.core.http.WebSocketFrameType.PING) {
        pings.incrementAndGet();
        check();
      }
    });
    ws.closeHandler(v -> {
      closeReason = ws.closeReason();
      closed.tryComplete(ws.closeStatusCode());
      check();
    });
  }

  static ChatTestClient connect(WebSocketClient client, int port) {
    return connect(client, options(port));
  }

  static ChatTestClient connect(WebSocketClient client, WebSocketConnectOptions options) {
    // Made on the socket's event loop as it opens, so that it hears what the server says first.
    return TestKit.awaitUnchecked(client.connect(options).map(ChatTestClient::new), WAIT);
  }

  /** Connect options for the chat's path on 127.0.0.1:{@code port}; add a query or headers to them. */
  static WebSocketConnectOptions options(int port) {
    return new WebSocketConnectOptions().setHost("127.0.0.1").setPort(port).setURI(ChatVerticle.PATH);
  }

  ChatTestClient send(JsonObject command) {
    TestKit.awaitUnchecked(ws.writeTextMessage(command.encode()), WAIT);
    return this;
  }

  ChatTestClient sendText(String text) {
    TestKit.awaitUnchecked(ws.writeTextMessage(text), WAIT);
    return this;
  }

  /** Joins and waits for the room's {@code presence} event, which ends the join (history follows). */
  JsonObject join(String room, String nickname) {
    return join(new JsonObject().put("type", "join").put("room", room).put("nickname", nickname));
  }

  JsonObject join(JsonObject join) {
    int before = count(e -> true);
    send(join);
    List<JsonObject> all = waitFor(list -> list.size() > before && list.subList(before, list.size()).stream().anyMatch(e -> e.getString("type").equals("presence")));
    return all.subList(before, all.size()).stream().filter(e -> e.getString("type").equals("joined")).findFirst().orElseThrow();
  }

  JsonObject message(String text) {
    return new JsonObject().put("type", "message").put("text", text);
  }

  /** Waits for at least {@code n} events matching {@code filter} and returns them all (in arrival order). */
  List<JsonObject> await(Predicate<JsonObject> filter, int n) {
    List<JsonObject> all = waitFor(list -> list.stream().filter(filter).count() >= n);
    return all.stream().filter(filter).toList();
  }

  /** Waits for the first event matching {@code filter}. */
  JsonObject awaitOne(Predicate<JsonObject> filter) {
    return await(filter, 1).get(0);
  }

  List<JsonObject> messages(int n) {
    return await(ChatTestClient::isMessage, n);
  }

  static boolean isMessage(JsonObject e) {
    return "message".equals(e.getString("type"));
  }

  static Predicate<JsonObject> ofType(String type) {
    return e -> type.equals(e.getString("type"));
  }

  ChatTestClient sendBinary(Buffer data) {
    TestKit.awaitUnchecked(ws.writeBinaryMessage(data), WAIT);
    return this;
  }

  /** Waits for at least {@code n} binary messages and returns them all. */
  List<Buffer> binaries(int n) {
    waitFor(list -> binaryCount() >= n);
    synchronized (this) {
      return List.copyOf(binaries);
    }
  }

  synchronized int binaryCount() {
    return binaries.size();
  }

  synchronized List<JsonObject> events() {
    return List.copyOf(events);
  }

  synchronized int count(Predicate<JsonObject> filter) {
    return (int) events.stream().filter(filter).count();
  }

  /** The close code the server sent; fails if the connection is still open after the wait. */
  short closeCode() {
    try {
      return TestKit.awaitUnchecked(closed.future(), WAIT);
    } catch (AssertionError e) {
      throw new AssertionError("connection still open after " + WAIT.toSeconds() + "s; " + events().size() + " events", e);
    }
  }

  /** The reason of the server's close frame, once {@link #closeCode()} has returned. */
  String closeReason() {
    return closeReason;
  }

  /** Waits until the server has pinged this client {@code n} times in all. */
  void awaitPings(int n) {
    waitFor(list -> pings.get() >= n);
  }

  boolean isClosed() {
    return closed.future().isComplete();
  }

  WebSocket socket() {
    return ws;
  }

  void close() {
    ws.close();
  }

  private List<JsonObject> waitFor(Predicate<List<JsonObject>> done) {
    Promise<List<JsonObject>> result = Promise.promise();
    synchronized (this) {
      waiters.add(new Waiter(done, result));
    }
    check();
    try {
      return TestKit.awaitUnchecked(result.future(), WAIT);
    } catch (AssertionError e) {
      List<JsonObject> seen = events();
      String last = seen.subList(Math.max(0, seen.size() - 5), seen.size()).stream()
        .map(event -> event.encode().length() > 300 ? event.encode().substring(0, 300) + "..." : event.encode()).toList().toString();
      throw new AssertionError("expected events did not arrive in " + WAIT.toSeconds() + "s; got " + seen.size() + " events, the last: " + last, e);
    }
  }

  private void check() {
    List<JsonObject> snapshot;
    List<Waiter> ready = new ArrayList<>();
    synchronized (this) {
      snapshot = List.copyOf(events);
      for (Iterator<Waiter> it = waiters.iterator(); it.hasNext(); ) {
        Waiter waiter = it.next();
        if (waiter.done().test(snapshot)) {
          ready.add(waiter);
          it.remove();
        }
      }
    }
    ready.forEach(waiter -> waiter.result().tryComplete(snapshot));
  }
}
