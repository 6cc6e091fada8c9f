package dev.switchboard.chat;

import com.hazelcast.core.HazelcastInstance;
import dev.switchboard.shared.Ids;
import dev.switchboard.shared.Launcher;
import dev.switchboard.shared.ServiceDefinition;
import dev.switchboard.shared.ServiceRuntime;
import dev.switchboard.shared.auth.TokenVerifier;
import dev.switchboard.shared.bus.Addresses;
import dev.switchboard.shared.ws.CloseCodes;
import dev.switchboard.shared.ws.WebSocketLimits;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.json.JsonObject;
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
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The chat service: a chat page at {@code GET /}, the chat's WebSocket at {@code /chat}, the
 * {@code chat.rooms} and {@code chat.post} bus addresses, and {@code /health}, {@code /ready}, {@code /metrics}. Rooms
 * are cluster-wide: every instance on every node subscribes to {@code chat.room.<name>} for the
 * rooms its clients are in, and the state that must outlive a node is kept in {@link ChatStore}.
 * With {@code auth} on, every connection is someone: a token in its upgrade or its first message
 * names it ({@link Caller}), and no command runs for a connection without a good one.
 *
 * <p>This class wires the parts and holds what they share: the open connections and their flushes,
 * this instance's view of its rooms, and the room events on the bus. The HTTP side is
 * {@link ChatHttp}, the bus addresses for other services {@link ChatBusApi}, the clean-up after
 * departed nodes and idle rooms {@link RoomCleanup}.
 */
public final class ChatVerticle extends VerticleBase {
  public static final ServiceDefinition<ChatOptions> DEFINITION = new ServiceDefinition<>(ChatOptions.SCHEMA, ChatVerticle::instances);

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
  private final ChatShared shared;
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
  private ChatBusApi busApi;
  private RoomCleanup cleanup;
  private MessageConsumer<JsonObject> takeovers;
  private long heartbeat = -1;
  private boolean clustered;
  /** Compresses frames for the connections that negotiated permessage-deflate; null with compression off. */
  private FrameDeflater deflater;
  /** The process's token verifier with {@code auth} on, else null; set before the server listens. */
  private volatile TokenVerifier tokens;

  ChatVerticle(ChatOptions options, ServiceRuntime runtime, ChatShared shared) {
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
    ChatShared shared = new ChatShared(runtime);
    return () -> new ChatVerticle(options, runtime, shared);
  }

  @Override
  public Future<?> start() {
    store = new ChatStore(vertx, options.historySize(), options.dedupeTtl().toMillis(), options.claimTtl().toMillis(),
      touchEvery(options.roomTtl().toMillis()));
    cleanup = new RoomCleanup(this, vertx, store, options.roomTtl().toMillis(), shared.sweeper);
    deflater = options.compression() ? new FrameDeflater(ChatOptions.COMPRESSION_LEVEL, options.compressionThreshold()) : null;
    nodeId = shared.standaloneNode;
    if (((VertxInternal) vertx).clusterManager() instanceof HazelcastClusterManager manager) {
      HazelcastInstance hazelcast = manager.getHazelcastInstance();
      clustered = true;
      nodeId = hazelcast.getCluster().getLocalMember().getUuid().toString();
      cleanup.watch(hazelcast, vertx.getOrCreateContext());
    }

    server = new ChatHttp(this, options, runtime, shared.open).server(vertx, limits);
    busApi = new ChatBusApi(this, vertx, options, store);
    takeovers = vertx.eventBus().consumer(TAKEOVER_PREFIX + nodeId, message -> onTakeover(message.body()));
    heartbeat = vertx.setPeriodic(options.heartbeatInterval().toMillis(), id -> {
      long now = System.nanoTime();
      new ArrayList<>(connections).forEach(connection -> connection.heartbeat(now));
    });
    cleanup.sweepPeriodically();
    return Future.all(
      store.ready(),
      busApi.completion(),
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
    cleanup.stop();
    new ArrayList<>(connections).forEach(c -> c.close(CloseCodes.GOING_AWAY, "server shutting down", "server stopped"));
    return Future.join(busApi.unregister(), takeovers.unregister(), server.shutdown(runtime.shutdownGrace().toMillis(), TimeUnit.MILLISECONDS))
      .onComplete(done -> {
        if (deflater != null) {
          deflater.close();
        }
      });
  }

  // ---- connections

  /** Compresses frames for the connections that negotiated permessage-deflate; null with compression off. */
  FrameDeflater deflater() {
    return deflater;
  }

  /** True with {@code auth} on: an upgrade must prove who it is. */
  boolean checksTokens() {
    return tokens != null;
  }

  /** A WebSocket that passed every check of {@link ChatHttp}: a connection from now on. */
  void opened(ServerWebSocket ws, Caller caller) {
    ChatConnection connection = new ChatConnection(this, shared.serials.incrementAndGet(), options, ws, caller);
    connections.add(connection);
    connection.start(limits);
  }

  /**
   * Who {@code token} proves the caller is, on this instance's context; fails with a
   * {@link dev.switchboard.shared.auth.TokenRejectedException} whose message may go to the client.
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
    return stopping && clustered;
  }

  /** This instance's view of a room, subscribed and ready. */
  Future<Room> room(String name) {
    Room room = rooms.computeIfAbsent(name, n -> new Room(n, vertx, store.sequences(), options.gapTimeout().toMillis(), deflater));
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
  void release(Room room, Membership member) {
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
  Future<JsonObject> post(String room, String sender, String text, boolean system) {
    return store.sequences().nextSeq(room).compose(seq -> {
      String id = Ids.randomUuid().toString();
      long time = System.currentTimeMillis();
      JsonObject message = system ? ChatProtocol.systemMessage(room, sender, text, seq, id, time)
        : ChatProtocol.message(room, sender, text, seq, id, time);
      shared.messages.increment();
      store.presence().touchSometimes(room).onFailure(e -> log.debug("room {}: not marked active: {}", room, e.toString()));
      return store.sequences().keep(room, seq, message)
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
}
