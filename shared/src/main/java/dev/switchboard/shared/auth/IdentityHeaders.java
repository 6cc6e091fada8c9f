package dev.switchboard.shared.auth;

import io.vertx.core.MultiMap;
import io.vertx.core.json.JsonObject;

/**
 * How a verified identity travels past the door: the gateway writes the token's subject and scopes
 * into these headers of the HTTP request it forwards and of the bus messages it sends, after
 * removing any a client wrote itself. A service behind the gateway reads them only from the
 * gateway (its trusted proxies, or the bus).
 */
public final class IdentityHeaders {

  /** The token's {@code sub}. */
  public static final String SUBJECT = "X-Switchboard-Subject";
  /** The token's scopes, space-separated. */
  public static final String SCOPES = "X-Switchboard-Scopes";

  private IdentityHeaders() {
  }

  /** Removes both headers, whatever their case (HTTP headers and bus message headers alike). */
  public static void strip(MultiMap headers) {
    headers.remove(SUBJECT);
    headers.remove(SCOPES);
  }

  /** Writes {@code identity} over whatever the headers held. */
  public static void put(MultiMap headers, Identity identity) {
    headers.set(SUBJECT, identity.subject());
    headers.set(SCOPES, identity.scopeList());
  }

  /** Removes both from a bridge frame's {@code headers} object (JSON keys: compared without case). */
  public static void strip(JsonObject headers) {
    headers.fieldNames().removeIf(name -> name.equalsIgnoreCase(SUBJECT) || name.equalsIgnoreCase(SCOPES));
  }

  /** Writes {@code identity} into a bridge frame's {@code headers} object, over any the client wrote. */
  public static void put(JsonObject headers, Identity identity) {
    strip(headers);
    headers.put(SUBJECT, identity.subject()).put(SCOPES, identity.scopeList());
  }
}
