package dev.switchboard.shared.web;

import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;

/**
 * An answer that leaves the request's body unread is the last of an HTTP/1.x connection: the
 * unread bytes stand where the next request would start. It says so ({@code Connection: close})
 * and the connection is closed after it. HTTP/2 needs neither, and must not have the header (a
 * client takes it for a malformed answer and resets the stream): the stream ends alone, and the
 * connection's other streams go on.
 */
public final class LastAnswer {

  private LastAnswer() {
  }

  /**
   * Marks {@code request}'s answer as its connection's last when the connection is HTTP/1.x;
   * returns whether it did (the caller closes the connection once the answer is sent).
   */
  public static boolean mark(HttpServerRequest request) {
    if (request.version() == HttpVersion.HTTP_2) {
      return false;
    }
    request.response().putHeader(HttpHeaders.CONNECTION, "close");
    return true;
  }
}
