package dev.switchboard.bridge;

import dev.switchboard.shared.InvalidSettingException;
import dev.switchboard.shared.OptionKey;
import dev.switchboard.shared.OptionsSchema;
import dev.switchboard.shared.Require;
import dev.switchboard.shared.ServiceOptions;
import dev.switchboard.shared.Settings;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Options of the bridge; the {@code bridge} section of the configuration. Every limit is per
 * connection unless it says otherwise; the module README explains each.
 *
 * @param host              interface to listen on, for the bridge and the admin port
 * @param port              bridge TCP port; 0 picks a free one
 * @param adminPort         HTTP port of {@code /health}, {@code /ready}, {@code /metrics}
 * @param inbound           what clients may send and publish
 * @param outbound          what clients may register for and receive
 * @param tokens            accepted tokens with their authorities; empty: no token list
 * @param authAddress       bus address that validates tokens; empty: none
 * @param authTimeout       time a connection has to authenticate (and the validating address to answer)
 * @param maxFrameSize      largest frame in bytes, in each direction
 * @param maxRegistrations  registered addresses per connection
 * @param maxInFlight       unanswered requests per connection
 * @param maxPendingReplies messages waiting for the client's reply, per connection
 * @param requestTimeout    request timeout when the client gives none
 * @param maxRequestTimeout largest request timeout a client may ask for
 * @param replyTimeout      how long the bridge waits for a client's reply to a message
 * @param idleTimeout       a connection that sent nothing for this long is closed
 * @param maxWriteQueue     bytes waiting for a client before it is cut off as a slow consumer
 * @param maxConnections    connections per process
 * @param tls               serve TLS
 * @param tlsCert           PEM certificate chain (with {@code tls})
 * @param tlsKey            PEM private key (with {@code tls})
 * @param tlsClientCa       PEM CA certificates; set: clients must present a certificate they signed
 */
public record BridgeOptions(
  String host,
  int port,
  int adminPort,
  Permissions inbound,
  Permissions outbound,
  List<Grant> tokens,
  String authAddress,
  Duration authTimeout,
  int maxFrameSize,
  int maxRegistrations,
  int maxInFlight,
  int maxPendingReplies,
  Duration requestTimeout,
  Duration maxRequestTimeout,
  Duration replyTimeout,
  Duration idleTimeout,
  int maxWriteQueue,
  int maxConnections,
  boolean tls,
  String tlsCert,
  String tlsKey,
  String tlsClientCa) implements ServiceOptions {

  /** A token and the authorities it grants. */
  public record Grant(String token, Set<String> authorities) {

    public Grant {
      authorities = Set.copyOf(authorities);
    }

    /** Parses {@code TOKEN [AUTHORITY ...]}. */
    static Grant parse(String text) {
      String[] words = text.trim().split("\\s+");
      String token = words[0];
      if (token.length() < MIN_TOKEN_LENGTH || token.length() > ClientFrame.MAX_ADDRESS_LENGTH) {
        throw new InvalidSettingException("tokens", "(hidden)", "each token must be " + MIN_TOKEN_LENGTH + " to " + ClientFrame.MAX_ADDRESS_LENGTH + " characters");
      }
      List<String> authorities = Arrays.asList(words).subList(1, words.length);
      if (Set.copyOf(authorities).size() < authorities.size()) {
        // Refused here, with the token hidden, rather than by Set.of's error, which no setting names.
        throw new InvalidSettingException("tokens", "(hidden)", "each token must name an authority once");
      }
      return new Grant(token, Set.copyOf(authorities));
    }

    /** The configuration form with the token hidden. */
    String masked() {
      return authorities.isEmpty() ? "(hidden)" : "(hidden) " + authorities.stream().sorted().collect(Collectors.joining(" "));
    }
  }

  public static final String DEFAULT_HOST = "0.0.0.0";
  public static final int DEFAULT_PORT = 7000;
  public static final int DEFAULT_ADMIN_PORT = 7001;
  public static final Duration DEFAULT_AUTH_TIMEOUT = Duration.ofSeconds(5);
  public static final int DEFAULT_MAX_FRAME_SIZE = 1024 * 1024;
  public static final int DEFAULT_MAX_REGISTRATIONS = 64;
  public static final int DEFAULT_MAX_IN_FLIGHT = 256;
  public static final int DEFAULT_MAX_PENDING_REPLIES = 1024;
  public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(30);
  public static final Duration DEFAULT_MAX_REQUEST_TIMEOUT = Duration.ofMinutes(5);
  public static final Duration DEFAULT_REPLY_TIMEOUT = Duration.ofSeconds(30);
  public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(60);
  public static final int DEFAULT_MAX_WRITE_QUEUE = 2 * 1024 * 1024;
  public static final int DEFAULT_MAX_CONNECTIONS = 10_000;
  /** A shorter token is too easy to guess. */
  public static final int MIN_TOKEN_LENGTH = 16;
  /** The largest frame anyone may configure: 64 MiB. */
  public static final int MAX_FRAME_SIZE_LIMIT = 64 * 1024 * 1024;

  /** The keys of the {@code bridge} section, one per component; tokens are written hidden. */
  public static final OptionsSchema<BridgeOptions> SCHEMA = OptionsSchema.of("bridge", BridgeOptions.class, BridgeOptions::new,
    OptionKey.string("host", "interface to listen on (bridge and admin ports)"),
    OptionKey.integer("port", "bridge TCP port"),
    OptionKey.integer("adminPort", "HTTP port for /health, /ready, /metrics"),
    permissions("inbound", "permissions to send/publish: 'ADDRESS|PATTERN* |~REGEX [authority=A] [match.FIELD=VALUE ...]'"),
    permissions("outbound", "permissions to register/receive, same form as inbound"),
    OptionKey.lines("tokens", Grant.class, Grant::parse, Grant::masked, "accepted tokens: 'TOKEN [AUTHORITY ...]' (tokens at least 16 characters)")
      .secret(),
    OptionKey.string("authAddress", "bus address validating tokens: gets {token}, replies {authorities:[...]}"),
    OptionKey.duration("authTimeout", "time a connection has to authenticate"),
    OptionKey.integer("maxFrameSize", "largest frame in bytes, each direction"),
    OptionKey.integer("maxRegistrations", "registered addresses per connection"),
    OptionKey.integer("maxInFlight", "unanswered requests per connection"),
    OptionKey.integer("maxPendingReplies", "messages waiting for a client's reply, per connection"),
    OptionKey.duration("requestTimeout", "request timeout when the client gives none"),
    OptionKey.duration("maxRequestTimeout", "largest request timeout a client may ask for"),
    OptionKey.duration("replyTimeout", "time a client has to answer a message"),
    OptionKey.duration("idleTimeout", "close a connection that sent nothing this long"),
    OptionKey.integer("maxWriteQueue", "bytes waiting for a client before it is cut off"),
    OptionKey.integer("maxConnections", "connections per process"),
    OptionKey.bool("tls", "serve TLS"),
    OptionKey.string("tlsCert", "PEM certificate chain (tls)"),
    OptionKey.string("tlsKey", "PEM private key (tls)"),
    OptionKey.string("tlsClientCa", "PEM CA; set: clients need a certificate it signed (mutual TLS)"));

  public BridgeOptions {
    Require.nonBlank("host", host);
    Require.port("port", port);
    Require.port("adminPort", adminPort);
    tokens = List.copyOf(tokens);
    authAddress = authAddress == null ? "" : authAddress.trim();
    Require.positive("authTimeout", authTimeout);
    Require.range("maxFrameSize", maxFrameSize, 256, MAX_FRAME_SIZE_LIMIT);
    Require.range("maxRegistrations", maxRegistrations, 1, 1_000_000);
    Require.range("maxInFlight", maxInFlight, 1, 1_000_000);
    Require.range("maxPendingReplies", maxPendingReplies, 1, 1_000_000);
    Require.positive("requestTimeout", requestTimeout);
    Require.positive("maxRequestTimeout", maxRequestTimeout);
    if (requestTimeout.compareTo(maxRequestTimeout) > 0) {
      throw new InvalidSettingException("requestTimeout", Settings.format(requestTimeout), "must not exceed maxRequestTimeout (" + Settings.format(maxRequestTimeout) + ")");
    }
    Require.positive("replyTimeout", replyTimeout);
    Require.positive("idleTimeout", idleTimeout);
    Require.range("maxWriteQueue", maxWriteQueue, maxFrameSize, Integer.MAX_VALUE);
    Require.range("maxConnections", maxConnections, 1, Integer.MAX_VALUE);
    tlsCert = blankToEmpty(tlsCert);
    tlsKey = blankToEmpty(tlsKey);
    tlsClientCa = blankToEmpty(tlsClientCa);
    if (tls && (tlsCert.isEmpty() || tlsKey.isEmpty())) {
      throw new InvalidSettingException("tls", true, "needs tlsCert and tlsKey");
    }
    if (!tls && !(tlsCert.isEmpty() && tlsKey.isEmpty() && tlsClientCa.isEmpty())) {
      throw new InvalidSettingException("tls", false, "tlsCert, tlsKey and tlsClientCa are only used with tls: true");
    }
  }

  /** Every option at its default: listens on 7000, allows nothing. */
  public BridgeOptions() {
    this(DEFAULT_HOST, DEFAULT_PORT, DEFAULT_ADMIN_PORT, new Permissions(List.of()), new Permissions(List.of()), List.of(), "",
      DEFAULT_AUTH_TIMEOUT, DEFAULT_MAX_FRAME_SIZE, DEFAULT_MAX_REGISTRATIONS, DEFAULT_MAX_IN_FLIGHT, DEFAULT_MAX_PENDING_REPLIES,
      DEFAULT_REQUEST_TIMEOUT, DEFAULT_MAX_REQUEST_TIMEOUT, DEFAULT_REPLY_TIMEOUT, DEFAULT_IDLE_TIMEOUT, DEFAULT_MAX_WRITE_QUEUE,
      DEFAULT_MAX_CONNECTIONS, false, "", "", "");
  }

  public static BridgeOptions fromJson(JsonObject json) {
    return SCHEMA.fromJson(json);
  }

  /** Whether clients must authenticate before anything else. */
  public boolean authRequired() {
    return !tokens.isEmpty() || !authAddress.isEmpty();
  }

  /** The settings, with tokens hidden: this is what {@code --help} and the logs show. */
  @Override
  public JsonObject toJson() {
    return SCHEMA.toJson(this);
  }

  @Override
  public String toString() {
    return "BridgeOptions" + toJson().encode();
  }

  /** A direction's permissions: one line each, written back as read. */
  private static OptionKey<Permissions> permissions(String name, String description) {
    OptionKey.Reader<Permissions> reader = (settings, key, defaultValue) -> {
      List<String> texts = settings.list(key, null);
      if (texts == null) {
        return defaultValue;
      }
      List<Permission> list = new ArrayList<>();
      for (String text : texts) {
        list.add(Permission.parse(key, text));
      }
      return new Permissions(list);
    };
    return OptionKey.of(name, Permissions.class, reader,
      permissions -> new JsonArray(permissions.list().stream().map(Permission::toString).toList()), description);
  }

  private static String blankToEmpty(String value) {
    return value == null ? "" : value.trim();
  }
}
