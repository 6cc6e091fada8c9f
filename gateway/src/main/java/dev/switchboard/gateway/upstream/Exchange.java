package dev.switchboard.gateway.upstream;

import io.vertx.core.Future;
import io.vertx.core.http.HttpServerRequest;

/**
 * What one client request or connection sends to a node, for {@link Upstream#call}: each protocol
 * (HTTP, WebSocket, TCP, a BFF part) writes one. The upstream picks and admits the node, and
 * decides from what this says whether another node is tried.
 *
 * @param <T> the node's answer: a response head, an upgraded WebSocket, a connected socket
 */
public interface Exchange<T> {

  /**
   * Sends to {@code node}, completing with its answer. Fail with {@link Unsent} when nothing of the
   * request reached the node (any request may then go elsewhere), with {@link ClientFault} when the
   * client broke the exchange (the node is not to blame, no other node is tried).
   */
  Future<T> send(Backend node);

  /** Whether the request may be sent again to another node after this one received (some of) it. */
  boolean replayable();

  /** True once the client has gone: no further node is tried for it. */
  boolean abandoned();

  /** The HTTP status {@code answer} counts as in the route's meters; 500 and above count against the node. */
  int status(T answer);

  /** Whether {@code answer} is worth another node's try, if the request is {@link #replayable} and retries are left. */
  default boolean retryable(T answer) {
    return false;
  }

  /** Frees an answer that is not passed on because another node is tried. */
  default void discard(T answer) {
  }

  /** The client request, for balancers that pick by a header or cookie; null where there is none. */
  default HttpServerRequest request() {
    return null;
  }
}
