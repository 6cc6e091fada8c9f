package dev.switchboard.gateway.bridge;

import dev.switchboard.gateway.edge.TokenCheck;
import dev.switchboard.shared.auth.Identity;
import dev.switchboard.shared.auth.IdentityHeaders;
import dev.switchboard.shared.auth.TokenRejectedException;
import dev.switchboard.shared.web.BearerTokens;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.bridge.BridgeEventType;
import io.vertx.ext.web.handler.sockjs.BridgeEvent;
import io.vertx.ext.web.handler.sockjs.SockJSSocket;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Who is on each {@code /eventbus} socket. Identity headers a page wrote are removed from every
 * frame, and tokens never travel on to the bus. With {@code eventBusAuth}, a socket proves who it
 * is with the {@code access_token} query parameter of its URL (refused at once when bad) or in the
 * {@code headers} of its first frame ({@code access_token}, or {@code authorization: Bearer ...});
 * a socket that sends a frame before proving anything, or a bad token, gets an {@code err} frame
 * ({@code 401}) and is closed. Its sends and publishes then carry its subject and scopes in the
 * message's {@link IdentityHeaders}; an address with a scope rule ({@code eventBusScopes}) asks the
 * token for that scope ({@code err} 403, the socket stays). When the token expires the socket gets
 * an {@code err} frame ({@code token_expired}) and is closed; a later frame with a fresh token of
 * the same subject extends it.
 */
final class BridgeAccess {

  /** A frame header that carries a token: the bridge reads and removes it. */
  static final String TOKEN_HEADER = BearerTokens.QUERY_PARAMETER;
  private static final String AUTHORIZATION_HEADER = "authorization";
  private static final String BEARER = "bearer ";

  private final Vertx vertx;
  private final boolean required;
  private final List<Rule> rules;
  private final TokenCheck tokens;
  /** Sockets that proved who they are. Removed on close; held across the event loops of the gateway's instances. */
  private final Map<SockJSSocket, Session> sessions = new ConcurrentHashMap<>();

  private record Rule(String address, boolean prefix, String scope) {
    boolean applies(String to) {
      return prefix ? to.startsWith(address) : address.equals(to);
    }
  }

  private record Session(Identity identity, long expiryTimer) {
  }

  BridgeAccess(Vertx vertx, boolean required, List<String> scopeRules, TokenCheck tokens) {
    this.vertx = vertx;
    this.required = required;
    this.tokens = tokens;
    List<Rule> parsed = new ArrayList<>();
    for (String rule : scopeRules) {
      String[] parts = rule.split("=", 2);
      boolean prefix = parts[0].endsWith("*");
      parsed.add(new Rule(prefix ? parts[0].substring(0, parts[0].length() - 1) : parts[0], prefix, parts[1]));
    }
    this.rules = List.copyOf(parsed);
  }

  /** Checks {@code event}; runs {@code next} for events that may go on, completes refused ones itself. */
  void handle(BridgeEvent event, Runnable next) {
    BridgeEventType type = event.type();
    switch (type) {
      case SOCKET_CREATED -> opened(event, next);
      case SOCKET_CLOSED -> {
        Session gone = sessions.remove(event.socket());
        if (gone != null) {
          vertx.cancelTimer(gone.expiryTimer);
        }
        next.run();
      }
      case SEND, PUBLISH, REGISTER, UNREGISTER -> frame(event, next);
      case RECEIVE -> {
        JsonObject headers = headers(event.getRawMessage());
        if (headers != null) {
          // Another caller's identity is not the page's business.
          IdentityHeaders.strip(headers);
        }
        next.run();
      }
      default -> next.run();
    }
  }

  private void opened(BridgeEvent event, Runnable next) {
    String token = required ? queryToken(event.socket().uri()) : null;
    if (token == null) {
      next.run();
      return;
    }
    tokens.verify(token).onComplete(checked -> {
      if (checked.succeeded()) {
        remember(event.socket(), checked.result());
        next.run();
      } else {
        event.complete(false); // vertx-web closes the socket
      }
    });
  }

  private void frame(BridgeEvent event, Runnable next) {
    JsonObject message = event.getRawMessage();
    JsonObject headers = headers(message);
    String token = null;
    if (headers != null) {
      IdentityHeaders.strip(headers);
      token = takeToken(headers);
    }
    Session session = sessions.get(event.socket());
    if (!required) {
      next.run();
      return;
    }
    if (token == null && session == null) {
      refuse(event, 401, "unauthorized", true);
      return;
    }
    Future<Identity> identity = token == null ? Future.succeededFuture(session.identity) : tokens.verify(token);
    identity.onComplete(checked -> {
      if (checked.failed()) {
        String reason = checked.cause() instanceof TokenRejectedException rejected ? rejected.getMessage() : "token not checked";
        refuse(event, 401, "unauthorized: " + reason, session == null);
        return;
      }
      Identity who = checked.result();
      if (session != null && !session.identity.subject().equals(who.subject())) {
        refuse(event, 403, "forbidden: another subject", false);
        return;
      }
      if (session == null || session.identity != who) {
        remember(event.socket(), who);
      }
      String address = message == null ? null : message.getString("address");
      for (Rule rule : rules) {
        if (address != null && rule.applies(address) && !who.hasScope(rule.scope)) {
          refuse(event, 403, "forbidden: needs scope " + rule.scope, false);
          return;
        }
      }
      if (headers != null || event.type() == BridgeEventType.SEND || event.type() == BridgeEventType.PUBLISH) {
        JsonObject written = headers != null ? headers : new JsonObject();
        IdentityHeaders.put(written, who);
        message.put("headers", written);
      }
      next.run();
    });
  }

  /** Keeps {@code identity} for {@code socket} until its token expires (the socket is closed then). */
  private void remember(SockJSSocket socket, Identity identity) {
    long delay = Math.max(1, identity.expires().toEpochMilli() - Instant.now().toEpochMilli());
    long timer = vertx.setTimer(delay, id -> {
      if (sessions.remove(socket) != null) {
        writeErr(socket, null, 401, "token_expired");
        socket.close();
      }
    });
    Session previous = sessions.put(socket, new Session(identity, timer));
    if (previous != null) {
      vertx.cancelTimer(previous.expiryTimer);
    }
  }

  /**
   * Refuses the frame: an {@code err} frame to whoever waits on it (the reply address of a send,
   * the registered address), and with {@code close} the socket closed after it.
   */
  private void refuse(BridgeEvent event, int code, String message, boolean close) {
    JsonObject raw = event.getRawMessage();
    String to = null;
    if (raw != null) {
      to = event.type() == BridgeEventType.REGISTER ? raw.getString("address") : raw.getString("replyAddress");
    }
    writeErr(event.socket(), to, code, message);
    event.complete(false);
    if (close) {
      event.socket().close();
    }
  }

  static void writeErr(SockJSSocket socket, String address, int code, String message) {
    JsonObject err = new JsonObject().put("type", "err").put("failureCode", code)
      .put("failureType", "RECIPIENT_FAILURE").put("message", message);
    if (address != null) {
      err.put("address", address);
    }
    socket.write(Buffer.buffer(err.encode()));
  }

  private static JsonObject headers(JsonObject message) {
    return message != null && message.getValue("headers") instanceof JsonObject headers ? headers : null;
  }

  /** Removes the token from a frame's headers and returns it (null: none, or more than one). */
  private static String takeToken(JsonObject headers) {
    String token = null;
    int found = 0;
    for (String name : List.copyOf(headers.fieldNames())) {
      if (name.equalsIgnoreCase(TOKEN_HEADER)) {
        Object value = headers.remove(name);
        token = value instanceof String s ? s : null;
        found++;
      } else if (name.equalsIgnoreCase(AUTHORIZATION_HEADER)) {
        Object value = headers.remove(name);
        token = value instanceof String s && s.length() > BEARER.length() && s.regionMatches(true, 0, BEARER, 0, BEARER.length())
          ? s.substring(BEARER.length()).trim() : null;
        found++;
      }
    }
    return found == 1 ? token : null;
  }

  private static String queryToken(String uri) {
    if (uri == null) {
      return null;
    }
    List<String> values = new QueryStringDecoder(uri).parameters().get(TOKEN_HEADER);
    return values != null && values.size() == 1 ? values.get(0) : null;
  }
}
