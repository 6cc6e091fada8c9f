package dev.switchboard.bridge;

import io.vertx.core.Future;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Turns a token into the authorities it grants: from the configured list (compared in constant
 * time), else from the validating bus address. A refused token fails the future; the reason is
 * for the logs, never for the client.
 */
final class Authenticator {

  private final List<BridgeOptions.Grant> grants;
  private final List<byte[]> tokens;
  private final String authAddress;
  private final DeliveryOptions delivery;
  private final EventBus bus;

  Authenticator(BridgeOptions options, EventBus bus) {
    this.grants = options.tokens();
    this.tokens = grants.stream().map(grant -> grant.token().getBytes(StandardCharsets.UTF_8)).toList();
    this.authAddress = options.authAddress();
    this.delivery = new DeliveryOptions().setSendTimeout(options.authTimeout().toMillis());
    this.bus = bus;
  }

  Future<Set<String>> authenticate(String token) {
    if (grants.isEmpty() && authAddress.isEmpty()) {
      return Future.succeededFuture(Set.of());
    }
    byte[] offered = token.getBytes(StandardCharsets.UTF_8);
    Set<String> found = null;
    for (int i = 0; i < tokens.size(); i++) {
      if (MessageDigest.isEqual(tokens.get(i), offered) && found == null) {
        found = grants.get(i).authorities();
      }
    }
    if (found != null) {
      return Future.succeededFuture(found);
    }
    if (authAddress.isEmpty()) {
      return Future.failedFuture("unknown token");
    }
    return bus.<Object>request(authAddress, new JsonObject().put("token", token), delivery).compose(reply -> {
      if (reply.body() instanceof JsonObject answer && answer.getValue("authorities") instanceof JsonArray list) {
        Set<String> authorities = new HashSet<>();
        for (Object authority : list) {
          if (!(authority instanceof String name)) {
            return Future.failedFuture(authAddress + " answered authorities that are not strings");
          }
          authorities.add(name);
        }
        return Future.succeededFuture(Set.copyOf(authorities));
      }
      return Future.failedFuture(authAddress + " answered without an authorities array");
    });
  }

  /**
   * A digest of {@code token}, kept by a connection to recognise the token it authenticated with
   * on later frames without keeping the token itself.
   */
  static byte[] fingerprint(String token) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime has SHA-256", e);
    }
  }

  /** Whether {@code token} is the one {@code fingerprint} was made from, in constant time. */
  static boolean sameToken(byte[] fingerprint, String token) {
    return MessageDigest.isEqual(fingerprint, fingerprint(token));
  }
}
