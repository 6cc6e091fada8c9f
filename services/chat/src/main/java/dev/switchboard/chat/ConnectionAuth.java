package dev.switchboard.chat;

import dev.switchboard.chat.ChatProtocol.Auth;
import dev.switchboard.shared.Settings;
import dev.switchboard.shared.auth.TokenRejectedException;
import dev.switchboard.shared.ws.CloseCodes;
import io.vertx.core.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who one connection's client is, with {@code auth} on: the {@link Caller} its token proves, from
 * the upgrade or its first message ({@code auth}) within {@code authTimeout}; a fresh token moves
 * the connection's end to its expiry, and the connection is closed when the token expires. With
 * {@code auth} off there is never a caller. Its timers are cancelled when the connection ends.
 */
final class ConnectionAuth {

  /** Under the connection's name, as before it was split, so that log settings keep matching. */
  private static final Logger log = LoggerFactory.getLogger(ChatConnection.class);

  private final ChatConnection connection;
  private final ChatVerticle chat;
  private final ChatOptions options;
  /** Who the client is, with {@code auth} on, once its token is checked; always null with {@code auth} off. */
  private Caller caller;
  /** With {@code auth} on and no token in the upgrade: its first message, which must be {@code auth}, has not come. */
  private boolean awaiting;
  /** Closes a connection that has not shown a token within {@code authTimeout}; -1 when not running. */
  private long authTimer = -1;
  /** Closes the connection when its token expires; -1 when not running. */
  private long expiryTimer = -1;

  /** {@code caller} is who the upgrade's token proved the client is, or null (no token in the upgrade, or {@code auth} off). */
  ConnectionAuth(ChatConnection connection, ChatVerticle chat, ChatOptions options, Caller caller) {
    this.connection = connection;
    this.chat = chat;
    this.options = options;
    this.caller = caller;
  }

  /** The client's caller; null with {@code auth} off, or before its token is checked. */
  Caller caller() {
    return caller;
  }

  /** True while the connection's first message, which must be {@code auth}, has not come. */
  boolean awaiting() {
    return awaiting;
  }

  /** The first message came: from now on it is not awaited. */
  void firstMessageCame() {
    awaiting = false;
  }

  /** Right after the upgrade: a caller from the upgrade is identified; else, with {@code auth} on, its token is awaited. */
  void start() {
    if (caller != null) {
      identified(caller);
    } else if (options.auth()) {
      awaiting = true;
      authTimer = chat.setTimer(options.authTimeout().toMillis(), id -> {
        authTimer = -1;
        if (caller == null) {
          connection.close(CloseCodes.POLICY_VIOLATION,
            ChatProtocol.UNAUTHORIZED_PREFIX + "no token within " + Settings.format(options.authTimeout()), "unauthorized");
        }
      });
    }
  }

  /**
   * A token: the connection's first (a refused one closes it with 1008), or a fresh one for the same
   * nickname that moves the connection's end to its expiry (a refused one is an error; the current
   * token stands).
   */
  Future<?> authenticate(Auth auth) {
    if (!options.auth()) {
      connection.sendError(ChatProtocol.UNKNOWN_TYPE, "this server does not check tokens: join with a nickname, without 'auth'");
      return Future.succeededFuture();
    }
    boolean first = caller == null;
    return chat.identify(auth.token()).transform(checked -> {
      if (connection.isClosing()) {
        return Future.succeededFuture();
      }
      if (checked.failed()) {
        String reason = checked.cause() instanceof TokenRejectedException ? checked.cause().getMessage() : "token not checked";
        log.debug("connection {} from {}: token refused: {}", connection.serial(), connection.remoteAddress(), reason);
        if (first) {
          connection.close(CloseCodes.POLICY_VIOLATION, ChatProtocol.UNAUTHORIZED_PREFIX + reason, "unauthorized");
        } else {
          connection.sendError(ChatProtocol.UNAUTHORIZED, reason + "; the connection keeps its current token");
        }
      } else if (!first && !checked.result().nickname().equals(caller.nickname())) {
        connection.sendError(ChatProtocol.FORBIDDEN, "a fresh token must be for '" + caller.nickname() + "'; this one is for '"
          + checked.result().nickname() + "'");
      } else {
        identified(checked.result());
      }
      return Future.succeededFuture();
    });
  }

  /** The client is {@code who} until its token expires (plus the verifier's clock skew): then it is closed with 1008. */
  private void identified(Caller who) {
    caller = who;
    if (authTimer >= 0) {
      chat.cancelTimer(authTimer);
      authTimer = -1;
    }
    if (expiryTimer >= 0) {
      chat.cancelTimer(expiryTimer);
    }
    long left = who.endsAtMillis(chat.clockSkewMillis()) - System.currentTimeMillis();
    expiryTimer = chat.setTimer(Math.max(1, left), id -> {
      expiryTimer = -1;
      connection.close(CloseCodes.POLICY_VIOLATION, ChatProtocol.UNAUTHORIZED_PREFIX + "token expired", "token expired");
    });
    connection.send(ChatProtocol.authenticated(who.nickname(), who.expires().toEpochMilli(), who.scopes()).encode());
  }

  /** The connection ended: its timers are cancelled. */
  void release() {
    if (authTimer >= 0) {
      chat.cancelTimer(authTimer);
      authTimer = -1;
    }
    if (expiryTimer >= 0) {
      chat.cancelTimer(expiryTimer);
      expiryTimer = -1;
    }
  }
}
