package dev.switchboard.gateway.edge;

import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.RoutingContext;

/**
 * What every stage after the edge reads of a request the same way: the id the edge gave it, and
 * the body length a message declares.
 */
public final class Requests {

  /** The header carrying a request's id, to the node and back to the client. */
  public static final CharSequence REQUEST_ID = HttpHeaders.createOptimized("X-Request-Id");
  /** What {@link #contentLength} gives for a message without Content-Length, and for one that is not a number. */
  public static final long NO_LENGTH = -1;
  public static final long BAD_LENGTH = -2;

  /** Key under which the request id is kept in the routing context. */
  static final String REQUEST_ID_KEY = "requestId";

  private Requests() {
  }

  /** The id the edge gave the request. */
  public static String id(RoutingContext ctx) {
    return ctx.get(REQUEST_ID_KEY);
  }

  /** The body length {@code headers} declare: {@link #NO_LENGTH} without one, {@link #BAD_LENGTH} if it is not a number. */
  public static long contentLength(MultiMap headers) {
    String length = headers.get(HttpHeaders.CONTENT_LENGTH);
    if (length == null) {
      return NO_LENGTH;
    }
    try {
      long declared = Long.parseLong(length.trim());
      return declared >= 0 ? declared : BAD_LENGTH;
    } catch (NumberFormatException e) {
      return BAD_LENGTH;
    }
  }
}
