package dev.switchboard.chat;

import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.core.HazelcastInstance;
import dev.switchboard.shared.Ids;
import dev.switchboard.shared.Launcher;
import dev.switchboard.shared.ServiceDefinition;
import dev.switchboard.shared.ServiceRuntime;
import dev.switchboard.shared.auth.TokenRejectedException;
import dev.switchboard.shared.auth.TokenVerifier;
import dev.switchboard.shared.bus.Addresses;
import dev.switchboard.shared.ops.Operations;
import dev.switchboard.shared.web.BearerTokens;
import dev.switchboard.shared.web.JsonErrors;
import dev.switchboard.shared.web.AccessLog;
import dev.switchboard.shared.web.RequestScope;
import dev.switchboard.shared.web.StrictHttp;
import dev.switchboard.shared.ws.CloseCodes;
import dev.switchboard.shared.ws.WebSocketHandshake;
import dev.switchboard.shared.ws.WebSocketLimits;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.StaticHandler;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * The chat service: a chat page at {@code GET /}, the chat's WebSocket at {@code /chat}, the
 * {@code chat.rooms} and {@code chat.post} bus addresses, and {@code /health}, {@code /ready}, {@code /metrics}. Rooms
 * are cluster-wide: every instance on every node subscribes to {@code chat.room.<name>} for the
 * rooms its clients are in, and the state that must outlive a node is kept in {@link ChatStore}.
 * With {@code auth} on, every connection is someone: a token in its upgrade or its first message
 * names it ({@link Caller}), and no command runs for a connection without a good one.
 */
public final class ChatVerticle extends VerticleBase {

  public static final ServiceDefinition<ChatOptions> DEFINITION = new ServiceDefinition<>(
    "chat", new ChatOptions(), ChatOptions::fromJson, ChatOptions.DESCRIPTIONS, ChatVerticle::instances);

  /** The WebSocket path. */
  public static final String PATH = "/chat";
  /**
   * Where the instances with members in room {@code R} hear its events, at
   * {@code chat.internal.room.R}: the public event and, in the header {@value #FROM_HEADER}, the
   * connection it came from. The same event without it goes to {@code chat.room.R}
   * ({@link Addresses#CHAT_ROOM_PREFIX}), which the bridges forward, headers and all.
   */
  static final String INTERNAL_ROOM_PREFIX = "chat.internal.room.";
  /** Where the instances of node {@code N} hear that a connection of theirs was taken over: {@code chat.internal.takeover.N}. */
  static final String TAKEOVER_PREFIX = "chat.internal.takeover.";
  /** The header that names the connection (node and serial) an unsequenced event came from, so that it is not echoed to it. */
  static final String FROM_HEADER = "from";
  /** The type of the internal event that carries a binary message ({@code data}: the payload) between chat instances. */
  static final String BINARY_EVENT = "binary";
  /** Classpath folder of the chat page. */
  static final String PAGE_ROOT = "chat-page";

  private static final Logger log = LoggerFactory.getLogger(ChatVerticle.class);
  static final long TOUCH_EVERY_MAX_MILLIS = 1000;
  /** The failure code of a {@code chat.post} whose body breaks the rules. */
  static final int POST_INVALID = 400;
  /** The failure code of a {@code chat.post} the cluster did not carry out in time. */
  static final int POST_UNAVAILABLE = 503;
  static final long SWEEP_EVERY_MIN_MILLIS = 100;
  static final long SWEEP_EVERY_MAX_MILLIS = 5 * 60 * 1000;

  private final ChatOptions options;
  /** What every connection's guard enforces, made once from the options. */
  private final WebSocketLimits limits;
  private final ServiceRuntime runtime;
  private final Shared shared;
  private final Map<String, Room> rooms = new HashMap<>();
  /** Every open connection of this instance, for the heartbeat and the stop; a plain set costs the least per entry. */
  private final Set<ChatConnection> connections = new HashSet<>();
  /** Connections written to in this event-loop turn, flushed together at its end. */
  private final Set<ChatConnection> unflushed = new LinkedHashSet<>();
  private boolean flushScheduled;
  private boolean stopping;
  private ChatStore store;
  private String nodeId;
  private HttpServer server;
  private MessageConsumer<Object> roomsConsumer;
  private MessageConsumer<Object> posts;
  private MessageConsumer<JsonObject> takeovers;
  private long heartbeat = -1;
  private long sweep = -1;
  private boolean sweeping;
  private HazelcastInstance hazelcast;
  private UUID membership;
  /** The process's token verifier with {@code auth} on, else null; set before the server listens. */
  private volatile TokenVerifier tokens;

  /** What the instances of one process share: the connection count, the process's node id for standalone runs, meters. */
  private static final class Shared {
    final AtomicInteger open = new AtomicInteger();
    final AtomicLong serials = new AtomicLong();
    /** One instance per process sweeps idle rooms (any node may, at the same time as others). */
    final AtomicBoolean sweeper = new AtomicBoolean();
    final String standaloneNode = UUID.randomUUID().toString();
    final Counter messages;
    final Counter cutOffs;

    Shared(ServiceRuntime runtime) {
      Gauge.builder("switchboard.chat.connections", open, AtomicInteger::get)
        .description("Open WebSocket connections").register(runtime.meters());
      messages = Counter.builder("switchboard.chat.messages").description("Messages numbered by this process").register(runtime.meters());
      cutOffs = Counter.builder("switchboard.chat.cutoffs").description("Connections cut off for not reading").register(runtime.meters());
    }
  }

  ChatVerticle(ChatOptions options, ServiceRuntime runtime, Shared shared) {
    this.options = options;
    this.limits = options.webSocketLimits();
    this.runtime = runtime;
    this.shared = shared;
  }

  public static void main(String[] args) {
    Launcher.launch(args, DEFINITION);
  }

  /** The instances of one process; they share one connection count. */
  public static Supplier<ChatVerticle> instances(ChatOptions options, ServiceRuntime runtime) {
    Shared shared = new Shared(runtime);
    return () -> new ChatVerticle(options, runtime, shared);
  }

  @Override
  public Future<?> start() {
    store = new ChatStore(vertx, options.historySize(), options.dedupeTtl().toMillis(), options.claimTtl().toMillis(),
      touchEvery(options.roomTtl().toMillis()));
    nodeId = shared.standaloneNode;
    if (((VertxInternal) vertx).clusterManager() instanceof HazelcastClusterManager manager) {
      hazelcast = manager.getHazelcastInstance();
      nodeId = hazelcast.getCluster().getLocalMember().getUuid().toString();
      Context context = vertx.getOrCreateContext();
      membership = hazelcast.getCluster().addMembershipListener(new MembershipListener() {
        @Override
        public void memberAdded(MembershipEvent event) {
        }

        @Override
        public void memberRemoved(MembershipEvent event) {
          String gone = event.getMember().getUuid().toString();
          context.runOnContext(v -> nodeLeft(gone));
        }
      });
    }

    AccessLog accessLog = AccessLog.create(runtime.ingress());
    Router router = Router.router(vertx);
    accessLog.mount(router);
    Operations.mount(router, vertx, runtime);
    router.get("/*").handler(StaticHandler.create(PAGE_ROOT).setIndexPage("index.html").setCachingEnabled(true));
    JsonErrors.install(router);

    // The decoder refuses a frame over maxMessageSize from its header; without compression no
    // extension is ever negotiated, so a frame with a reserved bit set is a protocol error (1002),
    // nothing is inflated before a limit is checked, and no deflater is kept per connection.
    HttpServerOptions serverOptions = limits.applyTo(new HttpServerOptions()
      .setHost(options.host())
      .setPort(runtime.bindPort("http", options.port()))
      .setTcpNoDelay(true)
      // HTTP/1.1 only: with h2c on, Vert.x reads a connection's first request before the strict
      // decoder (StrictHttp) is in place.
      .setHttp2ClearTextEnabled(false));
    server = StrictHttp.server(vertx, serverOptions, runtime.ingress().headTimeout())
      .invalidRequestHandler(JsonErrors::invalidRequest)
      .requestHandler(accessLog.handler(request -> {
        // The WebSocket path bypasses the router, whose wrapper would hide the connection's pipeline.
        if (PATH.equals(request.path())) {
          upgrade(request);
        } else {
          router.handle(request);
        }
      }));
    roomsConsumer = vertx.eventBus().consumer(Addresses.CHAT_ROOMS, this::listRooms);
    posts = vertx.eventBus().consumer(Addresses.CHAT_POST, this::onPost);
    takeovers = vertx.eventBus().consumer(TAKEOVER_PREFIX + nodeId, message -> onTakeover(message.body()));
    heartbeat = vertx.setPeriodic(options.heartbeatInterval().toMillis(), id -> {
      long now = System.nanoTime();
      new ArrayList<>(connections).forEach(connection -> connection.heartbeat(now));
    });
    if (shared.sweeper.compareAndSet(false, true)) {
      sweeping = true;
      sweep = vertx.setPeriodic(sweepEvery(options.roomTtl().toMillis()), id -> sweepRooms());
    }
    return Future.all(
      store.ready(),
      roomsConsumer.completion(),
      posts.completion(),
      takeovers.completion(),
      verifier()
        .compose(verifier -> {
          tokens = verifier;
          return server.listen();
        })
        .onSuccess(s -> runtime.listening("http", "http://" + options.host() + ":" + s.actualPort())));
  }

  /**
   * The process's verifier with {@code auth} on (fails the deployment when {@code auth.jwks} is not
   * set or its keys cannot be read), on this instance's context: the first instance that asked
   * completes it for all, and this one's server must listen from its own event loop.
   */
  private Future<TokenVerifier> verifier() {
    if (!options.auth()) {
      return Future.succeededFuture();
    }
    return here(runtime.tokens(vertx)
      .recover(e -> Future.failedFuture(new IllegalStateException("chat.auth is on but tokens cannot be checked: " + e.getMessage(), e))));
  }

  /** {@code future}'s outcome on this instance's context, whichever thread completes it. */
  private <T> Future<T> here(Future<T> future) {
    Promise<T> promise = Promise.promise();
    future.onComplete(done -> {
      if (((ContextInternal) context).nettyEventLoop().inEventLoop()) {
        promise.handle(done);
      } else {
        context.runOnContext(v -> promise.handle(done));
      }
    });
    return promise.future();
  }

  /** Stops accepting; open connections are closed with 1001 and leave their rooms. */
  @Override
  public Future<?> stop() {
    stopping = true;
    vertx.cancelTimer(heartbeat);
    if (sweeping) {
      vertx.cancelTimer(sweep);
      shared.sweeper.set(false);
    }
    if (membership != null) {
      hazelcast.getCluster().removeMembershipListener(membership);
    }
    new ArrayList<>(connections).forEach(c -> c.close(CloseCodes.GOING_AWAY, "server shutting down", "server stopped"));
    return Future.join(roomsConsumer.unregister(), posts.unregister(), takeovers.unregister(), server.shutdown(runtime.shutdownGrace().toMillis(), TimeUnit.MILLISECONDS));
  }

  // ---- connections

  private void upgrade(HttpServerRequest request) {
    if (WebSocketHandshake.refuse(request)) {
      return;
    }
    if (runtime.isDraining()) {
      JsonErrors.send(request.response(), 503, new JsonObject().put("error", "shutting down"));
      return;
    }
    if (shared.open.incrementAndGet() > options.maxConnections()) {
      shared.open.decrementAndGet();
      log.debug("refusing {}: {} connections open", request.remoteAddress(), options.maxConnections());
      JsonErrors.send(request.response(), 503, new JsonObject().put("error", "too many connections").put("limit", options.maxConnections()));
      return;
    }
    if (tokens == null) {
      accept(request, null);
      return;
    }
    String token;
    try {
      token = BearerTokens.of(request, true);
    } catch (IllegalArgumentException e) {
      shared.open.decrementAndGet();
      JsonErrors.send(request.response(), 400, new JsonObject().put("error", "malformed query string"));
      return;
    }
    if (token == null) {
      if (request.headers().contains(HttpHeaders.AUTHORIZATION) || request.params().contains(BearerTokens.QUERY_PARAMETER)) {
        refuse(request, new TokenRejectedException("one bearer token is expected: Authorization: Bearer, or access_token"));
      } else {
        accept(request, null); // it must send its token as its first message, within authTimeout
      }
      return;
    }
    // Held while the token is checked; toWebSocket() resumes it.
    request.pause();
    identify(token)
      .onSuccess(caller -> accept(request, caller))
      .onFailure(e -> {
        request.resume();
        refuse(request, e instanceof TokenRejectedException rejected ? rejected : new TokenRejectedException("token not checked"));
      });
  }

  private void refuse(HttpServerRequest request, TokenRejectedException rejected) {
    shared.open.decrementAndGet();
    log.debug("refusing {}: {}", request.remoteAddress(), rejected.getMessage());
    BearerTokens.unauthorized(request.response(), rejected);
  }

  /** Upgrades a request that passed every check; {@code caller} is null without a token (yet). */
  private void accept(HttpServerRequest request, Caller caller) {
    RequestScope scope = RequestScope.current();
    request.toWebSocket()
      .onSuccess(ws -> {
        AccessLog.upgraded(scope);
        UpgradeLeftovers.trim(ws);
        ChatConnection connection = new ChatConnection(this, shared.serials.incrementAndGet(), options, ws, caller);
        connections.add(connection);
        connection.start(limits);
      })
      .onFailure(e -> {
        shared.open.decrementAndGet();
        log.debug("WebSocket handshake from {} failed: {}", request.remoteAddress(), e.getMessage());
      });
  }

  /**
   * Who {@code token} proves the caller is, on this instance's context; fails with a
   * {@link TokenRejectedException} whose message may go to the client.
   */
  Future<Caller> identify(String token) {
    return here(tokens.verify(token).map(identity -> Caller.of(identity, options.nicknameClaim())));
  }

  /** How far past a token's {@code exp} the verifier still accepts it, and so a connection lives on it. */
  long clockSkewMillis() {
    return runtime.auth().clockSkew().toMillis();
  }

  void closed(ChatConnection connection) {
    unflushed.remove(connection);
    if (connections.remove(connection)) {
      shared.open.decrementAndGet();
    }
  }

  /**
   * Flushes a connection once the current burst of work is done: a room message written to a
   * thousand members costs a thousand writes but, when several messages arrive together, far
   * fewer system calls.
   */
  void flushSoon(ChatConnection connection) {
    unflushed.add(connection);
    if (!flushScheduled) {
      flushScheduled = true;
      context.runOnContext(v -> {
        flushScheduled = false;
        List<ChatConnection> batch = new ArrayList<>(unflushed);
        unflushed.clear();
        batch.forEach(ChatConnection::flush);
      });
    }
  }

  void cutOff() {
    shared.cutOffs.increment();
  }

  // ---- rooms

  ChatStore store() {
    return store;
  }

  String nodeId() {
    return nodeId;
  }

  /**
   * True while a clustered node stops. Its members then keep their presence entries: a `left`
   * published now may never leave the closing node, while the other nodes, seeing it leave the
   * cluster, remove the entries and announce each member once.
   */
  boolean leavesPresenceToCluster() {
    return stopping && hazelcast != null;
  }

  /** This instance's view of a room, subscribed and ready. */
  Future<Room> room(String name) {
    Room room = rooms.computeIfAbsent(name, n -> new Room(n, vertx, store, options.gapTimeout().toMillis()));
    return room.open()
      .onFailure(e -> {
        if (rooms.get(name) == room) {
          rooms.remove(name);
          room.close();
        }
      })
      // The last member may have left while this join waited for the subscription.
      .compose(ready -> ready.isClosed() ? room(name) : Future.succeededFuture(ready));
  }

  /** A member leaves this instance's view of a room (null: none, only the check); the last one unsubscribes it. */
  void release(Room room, ChatConnection.Membership member) {
    if (room.remove(member) && rooms.get(room.name) == room) {
      rooms.remove(room.name);
      room.close();
    }
  }

  Future<Void> timer(long millis) {
    return vertx.timer(millis);
  }

  long setTimer(long millis, Handler<Long> handler) {
    return vertx.setTimer(millis, handler);
  }

  void cancelTimer(long id) {
    vertx.cancelTimer(id);
  }

  /** Publishes an unsequenced event (joined, left, typing) to every member of a room on every node. */
  void publish(String room, JsonObject event) {
    publish(room, event, null);
  }

  /** The same, not echoed to the connection {@code from} (its {@link ChatConnection#key()}), if not null. */
  void publish(String room, JsonObject event, String from) {
    // Bus listeners first: an event is queued for them before any member can see it and answer,
    // so a listener never hears a reaction (a member's leave after a message) before its cause.
    vertx.eventBus().publish(Addresses.CHAT_ROOM_PREFIX + room, event);
    vertx.eventBus().publish(INTERNAL_ROOM_PREFIX + room, event, from == null ? new DeliveryOptions() : new DeliveryOptions().addHeader(FROM_HEADER, from));
  }

  /**
   * Relays a binary message to the room's members on every node but its sender's connection
   * ({@code from}). Between chat instances only: it is not numbered, kept, nor published on
   * {@code chat.room.<name>}, whose listeners get the documented JSON events alone.
   */
  void relay(String room, String sender, Buffer payload, String from) {
    JsonObject event = new JsonObject().put("type", BINARY_EVENT).put("room", room).put("sender", sender).put("data", payload);
    vertx.eventBus().publish(INTERNAL_ROOM_PREFIX + room, event, new DeliveryOptions().addHeader(FROM_HEADER, from));
  }

  /** Tells the connection of presence entry {@code entry}, wherever it is, that a connection with its session took its nickname. */
  void takenOver(JsonObject entry, String room, String nickname) {
    vertx.eventBus().publish(TAKEOVER_PREFIX + entry.getString("node"),
      new JsonObject().put("connection", entry.getString("connection")).put("room", room).put("nickname", nickname));
  }

  private void onTakeover(JsonObject notice) {
    String connection = notice.getString("connection", "");
    String prefix = nodeId + "/";
    long serial;
    try {
      serial = connection.startsWith(prefix) ? Long.parseLong(connection.substring(prefix.length())) : -1;
    } catch (NumberFormatException e) {
      return;
    }
    // Every instance of the node hears it; the one holding the connection acts. Rare: a scan beats an index per connection.
    for (ChatConnection open : new ArrayList<>(connections)) {
      if (open.serial() == serial) {
        open.takenOver(notice.getString("room"), notice.getString("nickname"));
      }
    }
  }

  /**
   * Numbers a message with the room's cluster-wide counter, keeps it in history, then publishes
   * it; a message is in history before anyone can see it, so a replay never misses one that was
   * already delivered live.
   */
  Future<JsonObject> post(String room, String sender, String text) {
    return post(room, sender, text, false);
  }

  /** The same; a {@code system} message (from {@code chat.post}) is marked so in its event. */
  private Future<JsonObject> post(String room, String sender, String text, boolean system) {
    return store.nextSeq(room).compose(seq -> {
      String id = Ids.randomUuid().toString();
      long time = System.currentTimeMillis();
      JsonObject message = system ? ChatProtocol.systemMessage(room, sender, text, seq, id, time)
        : ChatProtocol.message(room, sender, text, seq, id, time);
      shared.messages.increment();
      store.touchSometimes(room).onFailure(e -> log.debug("room {}: not marked active: {}", room, e.toString()));
      return store.keep(room, seq, message)
        .onFailure(e -> log.warn("room {}: #{} not kept in history: {}", room, seq, e.toString()))
        .otherwiseEmpty()
        .map(v -> {
          publish(room, message);
          return message;
        });
    });
  }

  /** Rooms are marked active by messages at most this often per instance: a tenth of {@code roomTtl}, 1 s at most. */
  static long touchEvery(long roomTtlMillis) {
    return Math.min(roomTtlMillis / 10, TOUCH_EVERY_MAX_MILLIS);
  }

  /** Idle rooms are looked for every quarter of {@code roomTtl}, between 100 ms and 5 minutes. */
  static long sweepEvery(long roomTtlMillis) {
    return Math.max(SWEEP_EVERY_MIN_MILLIS, Math.min(roomTtlMillis / 4, SWEEP_EVERY_MAX_MILLIS));
  }

  private void sweepRooms() {
    store.sweep(options.roomTtl().toMillis())
      .onSuccess(dropped -> {
        if (!dropped.isEmpty()) {
          log.info("{} idle rooms dropped: {}", dropped.size(), dropped.size() <= 10 ? dropped : dropped.subList(0, 10) + " ...");
        }
      })
      .onFailure(e -> log.warn("sweeping idle rooms failed: {}", e.toString()));
  }

  /** A node left the cluster: its members leave their rooms (whichever node removes an entry announces it). */
  private void nodeLeft(String node) {
    store.exitNode(node)
      .onSuccess(removed -> {
        long now = System.currentTimeMillis();
        for (JsonObject entry : removed) {
          publish(entry.getString("room"), ChatProtocol.left(entry.getString("room"), entry.getString("nickname"), now, "node left"));
        }
        if (!removed.isEmpty()) {
          log.info("node {} left the cluster: {} chat members removed", node, removed.size());
        }
      })
      .onFailure(e -> log.warn("node {} left the cluster; removing its chat members failed: {}", node, e.toString()));
  }

  /**
   * {@code chat.post}: a service posts into a room as a system sender. A bad body fails with 400
   * and what is wrong; a post the cluster has not numbered within {@code commandTimeout} fails
   * with 503 (like a WebSocket post, it may still be posted later).
   */
  private void onPost(Message<Object> request) {
    ChatProtocol.Post post;
    try {
      post = ChatProtocol.post(request.body(), options.maxTextLength());
    } catch (ChatProtocol.ProtocolError e) {
      request.fail(POST_INVALID, e.code + ": " + e.getMessage());
      return;
    }
    Promise<JsonObject> settled = Promise.promise();
    long timeout = options.commandTimeout().toMillis();
    long timer = vertx.setTimer(timeout, id -> settled.tryFail("not numbered within " + timeout + " ms"));
    post(post.room(), post.sender(), post.text(), true).onComplete(done -> {
      vertx.cancelTimer(timer);
      if (done.succeeded()) {
        settled.tryComplete(done.result());
      } else {
        settled.tryFail(done.cause());
      }
    });
    settled.future()
      .onSuccess(message -> request.reply(new JsonObject().put("room", post.room()).put("seq", message.getLong("seq"))
        .put("id", message.getString("id"))))
      .onFailure(e -> {
        log.debug("chat.post to room {} failed: {}", post.room(), e.toString());
        request.fail(POST_UNAVAILABLE, ChatProtocol.UNAVAILABLE + ": the chat could not post that just now; try again");
      });
  }

  private void listRooms(Message<Object> request) {
    store.rooms()
      .compose(counts -> {
        List<Future<JsonObject>> rows = new ArrayList<>();
        counts.forEach((room, members) -> rows.add(store.lastSeq(room)
          .compose(seq -> seq == 0 ? Future.succeededFuture((JsonObject) null) : store.message(room, seq))
          .map(last -> new JsonObject().put("room", room).put("members", members)
            .put("lastSeq", last == null ? null : last.getLong("seq")).put("last", last))));
        return Future.all(rows).map(all -> new JsonObject().put("rooms", new JsonArray(rows.stream().map(Future::result).toList())));
      })
      .onSuccess(request::reply)
      .onFailure(e -> request.fail(500, "rooms unavailable: " + e.getMessage()));
  }
}
