package dev.switchboard.chat;

import dev.switchboard.shared.InvalidSettingException;
import dev.switchboard.shared.OptionKey;
import dev.switchboard.shared.OptionsSchema;
import dev.switchboard.shared.Require;
import dev.switchboard.shared.ServiceOptions;
import dev.switchboard.shared.Settings;
import dev.switchboard.shared.ws.PerMessageDeflate;
import dev.switchboard.shared.ws.WebSocketLimits;
import io.vertx.core.json.JsonObject;

import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Options of the chat service; the {@code chat} section of the configuration.
 *
 * @param host              interface to listen on
 * @param port              HTTP port of the page, {@code /chat} and the operations endpoints; 0 picks a free one
 * @param historySize       messages kept per room (cluster-wide, with a backup) for {@code join} replay
 * @param maxMessageSize    longest WebSocket message (bytes) a client may send; longer is closed with 1009
 * @param maxTextLength     longest chat text in characters; longer gets an {@code error} event
 * @param maxBinarySize     longest payload of a binary message in bytes; longer gets an {@code error} event
 *                          {@code binary_too_big} (and a whole message over {@code maxMessageSize} is closed with 1009)
 * @param rateLimit         frames per second a connection may send, on average
 * @param rateBurst         frames a connection may send at once above the average
 * @param rateStrikes       frames refused in a row for the rate limit before the connection is closed with 1008
 * @param heartbeatInterval how often the server pings each connection
 * @param idleTimeout       a connection from which nothing (not even a pong) arrived for this long is closed with 1001
 * @param maxConnections    WebSocket connections per process; beyond, the upgrade is answered 503
 * @param maxRooms          rooms one connection may be in at once; a {@code join} with {@code add} beyond is
 *                          answered {@code too_many_rooms}
 * @param writeQueueMax     bytes queued for a client that does not read before it is cut off
 * @param pingRate          pings per second a client may send on average (each answered with a pong)
 * @param pingBurst         pings a client may send at once above the average; one more is closed with 1008
 * @param gapTimeout        how long a node waits for a missing sequence number before it fills it from
 *                          history or skips it
 * @param dedupeTtl         how long a client id is remembered to drop a resent message
 * @param claimTtl          how long a client id being numbered holds off its resends; after that (its
 *                          node died before the number was recorded) a resend is posted
 * @param roomTtl           a room with no members and no activity for this long loses its history
 * @param commandTimeout    a command (join, message, leave) the cluster has not carried out in this
 *                          long is answered with an {@code unavailable} error, and the connection goes
 *                          on with its next command (a message may still be posted: resend it with
 *                          the same {@code clientId}, which is never posted twice)
 * @param auth              every connection must prove who it is with a token (checked against the
 *                          process's {@code auth} section); its nickname is then the token's, not its own choice
 * @param authTimeout       with {@code auth}, a connection that brought no token in its upgrade must send
 *                          an {@code auth} message within this long, else it is closed with 1008
 * @param nicknameClaim     with {@code auth}, the token claim that is the nickname ({@code sub}, or say
 *                          {@code preferred_username}); a value that is not a valid nickname refuses the token
 * @param roomScopes        with {@code auth}, the rooms that need a scope ({@code *}: every room); joining such
 *                          a room {@code R} takes scope {@code chat:R} or {@code chat:*}
 * @param compression       negotiate {@code permessage-deflate} with clients that offer it; what they send
 *                          inflates to {@code maxMessageSize} at most (past it: close 1009, nothing more allocated)
 * @param compressionThreshold with {@code compression}, frames whose payload is shorter than this many bytes
 *                          are sent uncompressed (as are those that would not get smaller)
 */
public record ChatOptions(
  String host,
  int port,
  int historySize,
  int maxMessageSize,
  int maxTextLength,
  int maxBinarySize,
  int rateLimit,
  int rateBurst,
  int rateStrikes,
  Duration heartbeatInterval,
  Duration idleTimeout,
  int maxConnections,
  int maxRooms,
  int writeQueueMax,
  int pingRate,
  int pingBurst,
  Duration gapTimeout,
  Duration dedupeTtl,
  Duration claimTtl,
  Duration roomTtl,
  Duration commandTimeout,
  boolean auth,
  Duration authTimeout,
  String nicknameClaim,
  List<String> roomScopes,
  boolean compression,
  int compressionThreshold) implements ServiceOptions {

  public static final String DEFAULT_HOST = "0.0.0.0";
  public static final int DEFAULT_PORT = 3002;
  public static final int DEFAULT_HISTORY_SIZE = 100;
  public static final int DEFAULT_MAX_MESSAGE_SIZE = 16 * 1024;
  public static final int DEFAULT_MAX_TEXT_LENGTH = 2000;
  /** Half of the default {@code maxMessageSize}: a thumbnail or a short voice note, not a file transfer. */
  public static final int DEFAULT_MAX_BINARY_SIZE = 8 * 1024;
  public static final int DEFAULT_RATE_LIMIT = 20;
  public static final int DEFAULT_RATE_BURST = 40;
  public static final int DEFAULT_RATE_STRIKES = 5;
  public static final Duration DEFAULT_HEARTBEAT_INTERVAL = Duration.ofSeconds(25);
  public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(60);
  public static final int DEFAULT_MAX_CONNECTIONS = 20_000;
  /** Enough for a sidebar of channels; each room a connection is in costs a subscription share and a presence entry. */
  public static final int DEFAULT_MAX_ROOMS = 16;
  public static final int DEFAULT_WRITE_QUEUE_MAX = 256 * 1024;
  public static final int DEFAULT_PING_RATE = WebSocketLimits.DEFAULT_PING_RATE;
  public static final int DEFAULT_PING_BURST = WebSocketLimits.DEFAULT_PING_BURST;
  public static final Duration DEFAULT_GAP_TIMEOUT = Duration.ofSeconds(1);
  public static final Duration DEFAULT_DEDUPE_TTL = Duration.ofMinutes(10);
  public static final Duration DEFAULT_CLAIM_TTL = Duration.ofSeconds(10);
  public static final Duration DEFAULT_ROOM_TTL = Duration.ofHours(24);
  public static final Duration DEFAULT_COMMAND_TIMEOUT = Duration.ofSeconds(5);
  /** Off: the local demo needs no identity provider. Production turns it on. */
  public static final boolean DEFAULT_AUTH = false;
  public static final Duration DEFAULT_AUTH_TIMEOUT = Duration.ofSeconds(10);
  public static final String DEFAULT_NICKNAME_CLAIM = "sub";
  /** No room needs a scope. */
  public static final List<String> DEFAULT_ROOM_SCOPES = List.of();
  /**
   * Off: chat messages are a few hundred bytes, which deflate on their own shrinks by a fifth to a
   * third, for CPU on every message and an inflater kept by every connection that sends compressed
   * (unless it granted no context takeover). Turn it on where bandwidth costs more than CPU.
   */
  public static final boolean DEFAULT_COMPRESSION = false;
  /** Below this a message's envelope is most of it and deflate saves tens of bytes at most. */
  public static final int DEFAULT_COMPRESSION_THRESHOLD = 256;
  /** zlib's level for what the chat compresses (not an option: the threshold is the knob that matters). */
  public static final int COMPRESSION_LEVEL = PerMessageDeflate.DEFAULT_LEVEL;

  /** The scope that opens room {@code R} is this followed by {@code R}. */
  public static final String ROOM_SCOPE_PREFIX = "chat:";
  /** The scope that opens every room. */
  public static final String ALL_ROOMS_SCOPE = ROOM_SCOPE_PREFIX + "*";
  /** The {@code roomScopes} entry that restricts every room. */
  public static final String EVERY_ROOM = "*";

  public static final int HISTORY_SIZE_LIMIT = 10_000;
  public static final int MAX_MESSAGE_SIZE_LIMIT = 1024 * 1024;
  public static final int WRITE_QUEUE_MAX_LIMIT = 64 * 1024 * 1024;
  public static final Duration AUTH_TIMEOUT_LIMIT = Duration.ofMinutes(5);
  public static final int ROOM_SCOPES_LIMIT = 1000;
  public static final int MAX_ROOMS_LIMIT = 1000;
  /** Claim names: printable ASCII without spaces, as short as a close reason that names one needs. */
  static final Pattern CLAIM = Pattern.compile("[\\x21-\\x7E]{1,64}");

  /** The keys of the {@code chat} section, one per component. */
  public static final OptionsSchema<ChatOptions> SCHEMA = OptionsSchema.of("chat", ChatOptions.class, ChatOptions::new,
    OptionKey.string("host", "interface to listen on"),
    OptionKey.integer("port", "HTTP port: page at /, WebSocket at /chat, /health, /ready, /metrics"),
    OptionKey.integer("historySize", "messages kept per room for replay on join"),
    OptionKey.integer("maxMessageSize", "longest WebSocket message in bytes (longer: close 1009)"),
    OptionKey.integer("maxTextLength", "longest chat text in characters"),
    OptionKey.integer("maxBinarySize", "longest binary message payload in bytes (longer: error binary_too_big; maxMessageSize bounds it too)"),
    OptionKey.integer("rateLimit", "frames per second per connection, on average"),
    OptionKey.integer("rateBurst", "frames per connection allowed at once above the average"),
    OptionKey.integer("rateStrikes", "rate-limited frames in a row before close 1008"),
    OptionKey.duration("heartbeatInterval", "how often each connection is pinged"),
    OptionKey.duration("idleTimeout", "close (1001) a connection silent this long"),
    OptionKey.integer("maxConnections", "WebSocket connections per process (beyond: 503)"),
    OptionKey.integer("maxRooms", "rooms one connection may be in at once (beyond: error too_many_rooms)"),
    OptionKey.integer("writeQueueMax", "bytes queued for a non-reading client before it is cut off"),
    OptionKey.integer("pingRate", "pings per second a client may send, on average (each answered with a pong)"),
    OptionKey.integer("pingBurst", "pings allowed at once above the average (one more: close 1008)"),
    OptionKey.duration("gapTimeout", "wait for a missing sequence number before filling or skipping it"),
    OptionKey.duration("dedupeTtl", "how long a message's clientId is remembered"),
    OptionKey.duration("claimTtl", "how long a clientId being numbered holds off its resends"),
    OptionKey.duration("roomTtl", "drop the history of a room without members and activity this long"),
    OptionKey.duration("commandTimeout", "answer a command the cluster has not carried out this long with an unavailable error"),
    OptionKey.bool("auth", "require a token (auth section) on every connection; the nickname is then the token's"),
    OptionKey.duration("authTimeout", "with auth: close (1008) a connection that has not sent its token this long"),
    OptionKey.string("nicknameClaim", "with auth: the token claim used as the nickname (sub, name, preferred_username, ...)"),
    OptionKey.list("roomScopes", "with auth: rooms that need scope chat:<room> or chat:* (comma-separated; * for all)"),
    OptionKey.bool("compression", "negotiate permessage-deflate with clients that offer it (inflated messages bounded by maxMessageSize)"),
    OptionKey.integer("compressionThreshold", "with compression: frames with a shorter payload (bytes) are sent uncompressed"));

  public ChatOptions {
    Require.nonBlank("host", host);
    Require.port("port", port);
    Require.range("historySize", historySize, 0, HISTORY_SIZE_LIMIT);
    Require.range("maxMessageSize", maxMessageSize, 256, MAX_MESSAGE_SIZE_LIMIT);
    Require.range("maxTextLength", maxTextLength, 1, MAX_MESSAGE_SIZE_LIMIT);
    // Not checked against maxMessageSize: a binary message travels in one WebSocket message, which
    // maxMessageSize bounds as well (header included; larger is closed with 1009), whichever is lower.
    Require.range("maxBinarySize", maxBinarySize, 1, MAX_MESSAGE_SIZE_LIMIT);
    Require.range("rateLimit", rateLimit, 1, 1_000_000);
    Require.range("rateBurst", rateBurst, 1, 1_000_000);
    Require.range("rateStrikes", rateStrikes, 1, 1_000_000);
    Require.positive("heartbeatInterval", heartbeatInterval);
    Require.positive("idleTimeout", idleTimeout);
    Require.range("maxConnections", maxConnections, 1, Integer.MAX_VALUE);
    Require.range("maxRooms", maxRooms, 1, MAX_ROOMS_LIMIT);
    Require.range("writeQueueMax", writeQueueMax, 1024, WRITE_QUEUE_MAX_LIMIT);
    Require.range("pingRate", pingRate, 1, WebSocketLimits.MAX_PINGS);
    Require.range("pingBurst", pingBurst, 1, WebSocketLimits.MAX_PINGS);
    Require.positive("gapTimeout", gapTimeout);
    Require.positive("dedupeTtl", dedupeTtl);
    Require.positive("claimTtl", claimTtl);
    Require.positive("roomTtl", roomTtl);
    Require.positive("commandTimeout", commandTimeout);
    Require.positive("authTimeout", authTimeout);
    if (authTimeout.compareTo(AUTH_TIMEOUT_LIMIT) > 0) {
      throw new InvalidSettingException("authTimeout", Settings.format(authTimeout), "must be at most " + Settings.format(AUTH_TIMEOUT_LIMIT));
    }
    if (nicknameClaim == null || !CLAIM.matcher(nicknameClaim).matches()) {
      throw new InvalidSettingException("nicknameClaim", nicknameClaim, "must be a claim name: 1-64 printable ASCII characters, no spaces");
    }
    roomScopes = List.copyOf(roomScopes);
    Require.range("roomScopes", roomScopes.size(), 0, ROOM_SCOPES_LIMIT);
    for (String room : roomScopes) {
      if (!EVERY_ROOM.equals(room) && !ChatProtocol.ROOM.matcher(room).matches()) {
        throw new InvalidSettingException("roomScopes", String.join(",", roomScopes),
          "must list room names (1-32 of a-z 0-9 _ -) or *; '" + room + "' is neither");
      }
    }
    Require.range("compressionThreshold", compressionThreshold, 0, MAX_MESSAGE_SIZE_LIMIT);
    if (!auth && !roomScopes.isEmpty()) {
      // Without tokens nobody has a scope: refusing to start beats rooms that look closed and are open.
      throw new InvalidSettingException("roomScopes", String.join(",", roomScopes), "needs auth = true (without tokens there are no scopes)");
    }
  }

  /** Every option at its default. */
  public ChatOptions() {
    this(DEFAULT_HOST, DEFAULT_PORT, DEFAULT_HISTORY_SIZE, DEFAULT_MAX_MESSAGE_SIZE, DEFAULT_MAX_TEXT_LENGTH, DEFAULT_MAX_BINARY_SIZE,
      DEFAULT_RATE_LIMIT, DEFAULT_RATE_BURST, DEFAULT_RATE_STRIKES, DEFAULT_HEARTBEAT_INTERVAL, DEFAULT_IDLE_TIMEOUT,
      DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_ROOMS, DEFAULT_WRITE_QUEUE_MAX, DEFAULT_PING_RATE, DEFAULT_PING_BURST, DEFAULT_GAP_TIMEOUT, DEFAULT_DEDUPE_TTL, DEFAULT_CLAIM_TTL,
      DEFAULT_ROOM_TTL, DEFAULT_COMMAND_TIMEOUT, DEFAULT_AUTH, DEFAULT_AUTH_TIMEOUT, DEFAULT_NICKNAME_CLAIM, DEFAULT_ROOM_SCOPES,
      DEFAULT_COMPRESSION, DEFAULT_COMPRESSION_THRESHOLD);
  }

  public static ChatOptions fromJson(JsonObject json) {
    return SCHEMA.fromJson(json);
  }

  /** The scope joining {@code room} takes, or null when anyone may join it. */
  public String scopeFor(String room) {
    return roomScopes.contains(EVERY_ROOM) || roomScopes.contains(room) ? ROOM_SCOPE_PREFIX + room : null;
  }

  /** What the WebSocket guard of each connection enforces: one limit for frames and messages, as the decoder gets it. */
  public WebSocketLimits webSocketLimits() {
    return new WebSocketLimits(maxMessageSize, maxMessageSize, writeQueueMax, pingRate, pingBurst);
  }

  @Override
  public JsonObject toJson() {
    return SCHEMA.toJson(this);
  }
}
