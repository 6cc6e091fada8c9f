package dev.switchboard.shared.ws;

import dev.switchboard.shared.web.JsonErrors;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.json.JsonObject;

import java.util.Base64;
import java.util.List;
import java.util.Locale;

/**
 * The server's check of an opening handshake (RFC 6455 section 4.2.1), made before
 * {@code toWebSocket()}. Vert.x 5.0.8 accepts versions 7 and 8 and the pre-RFC draft (no version
 * header), takes any {@code Sec-WebSocket-Key}, and answers the rest in plain text; here every
 * refusal is a status with a small JSON body:
 * <ol>
 *   <li>a method other than GET: 405 with {@code Allow: GET};</li>
 *   <li>not HTTP/1.1, or no {@code Upgrade: websocket}, or no {@code Upgrade} token in
 *       {@code Connection}: 426 with {@code Upgrade: websocket};</li>
 *   <li>{@code Sec-WebSocket-Version} missing, repeated or other than 13: 426 with
 *       {@code Sec-WebSocket-Version: 13} (section 4.4);</li>
 *   <li>{@code Sec-WebSocket-Key} missing, repeated, or not the base64 of exactly 16 bytes: 400.</li>
 * </ol>
 */
public final class WebSocketHandshake {

  /** The only version of the protocol this side speaks. */
  public static final String VERSION = "13";
  /** A key is the base64 of this many random bytes (24 characters, two of them padding). */
  public static final int KEY_BYTES = 16;
  private static final int KEY_LENGTH = 24;

  private WebSocketHandshake() {
  }

  /**
   * Answers {@code request} and returns true when it is not a valid WebSocket opening handshake;
   * returns false, having written nothing, when it may be passed to {@code toWebSocket()}.
   */
  public static boolean refuse(HttpServerRequest request) {
    if (request.method() != HttpMethod.GET) {
      request.response().putHeader(HttpHeaders.ALLOW, "GET");
      JsonErrors.send(request.response(), 405, new JsonObject()
        .put("error", "method not allowed").put("method", request.method().name()).put("allow", "GET"));
      return true;
    }
    if (request.version() != HttpVersion.HTTP_1_1
      || !hasToken(request.headers().getAll(HttpHeaders.UPGRADE), "websocket")
      || !hasToken(request.headers().getAll(HttpHeaders.CONNECTION), "upgrade")) {
      request.response().putHeader(HttpHeaders.UPGRADE, "websocket");
      JsonErrors.send(request.response(), 426, new JsonObject()
        .put("error", "WebSocket upgrade required").put("path", request.path()));
      return true;
    }
    List<String> versions = request.headers().getAll(HttpHeaderNames.SEC_WEBSOCKET_VERSION);
    if (versions.size() != 1 || !VERSION.equals(versions.get(0).trim())) {
      request.response().putHeader(HttpHeaderNames.SEC_WEBSOCKET_VERSION, VERSION);
      JsonErrors.send(request.response(), 426, new JsonObject()
        .put("error", "unsupported WebSocket version").put("version", versions.isEmpty() ? null : String.join(", ", versions))
        .put("supported", VERSION));
      return true;
    }
    List<String> keys = request.headers().getAll(HttpHeaderNames.SEC_WEBSOCKET_KEY);
    if (keys.size() != 1 || !isValidKey(keys.get(0))) {
      JsonErrors.send(request.response(), 400, new JsonObject()
        .put("error", "invalid Sec-WebSocket-Key").put("expected", "the base64 of " + KEY_BYTES + " random bytes"));
      return true;
    }
    return false;
  }

  /** True for the base64 (with padding) of exactly {@value #KEY_BYTES} bytes, surrounding blanks aside. */
  public static boolean isValidKey(String key) {
    if (key == null) {
      return false;
    }
    String trimmed = key.trim();
    if (trimmed.length() != KEY_LENGTH) {
      return false;
    }
    try {
      return Base64.getDecoder().decode(trimmed).length == KEY_BYTES;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  /** True when one of the comma-separated tokens of {@code values} is {@code token}, case aside. */
  private static boolean hasToken(List<String> values, String token) {
    for (String value : values) {
      for (String part : value.split(",")) {
        if (part.trim().toLowerCase(Locale.ROOT).equals(token)) {
          return true;
        }
      }
    }
    return false;
  }
}
