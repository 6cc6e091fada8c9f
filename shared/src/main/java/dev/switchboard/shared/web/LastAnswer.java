package dev.switchboard.shared.web;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.json.JsonObject;

import java.time.Duration;

/**
 * An answer that leaves the request's body unread is the last of an HTTP/1.x connection: the
 * unread bytes stand where the next request would start. It says so ({@code Connection: close})
 * and the connection is closed after it. HTTP/2 needs neither, and must not have the header (a
 * client takes it for a malformed answer and resets the stream): the stream ends alone, and the
 * connection's other streams go on.
 *
 * <p>The close waits for the rest of the body, read and dropped, for at most {@link #LINGER}. A
 * socket closed with bytes still arriving, or unread, is reset by the kernel, and a client still
 * writing its body then fails on its write and loses the answer that was waiting to be read: a
 * 413 would reach the client as "connection reset". Lingering so is what nginx and HAProxy do.
 */
public final class LastAnswer {

  /** How long the rest of a refused body is waited for before the connection closes regardless. */
  public static final Duration LINGER = Duration.ofSeconds(5);

  private LastAnswer() {
  }

  /**
   * Marks {@code request}'s answer as its connection's last when the connection is HTTP/1.x;
   * returns whether it did (the caller then {@linkplain #close closes} the connection once the
   * answer is sent). For an answer of a handler's own making; {@link #send} does both for a JSON one.
   */
  public static boolean mark(HttpServerRequest request) {
    if (request.version() == HttpVersion.HTTP_2) {
      return false;
    }
    request.response().putHeader(HttpHeaders.CONNECTION, "close");
    return true;
  }

  /**
   * Sends {@code body} with {@code status} as its connection's last answer: on HTTP/1.x
   * {@linkplain #mark marked}, and the connection {@linkplain #close closed} once it is sent; on
   * HTTP/2 as the stream's answer alone. Completes with whether the answer was the connection's
   * last (false on HTTP/2, where the caller may reset the stream to stop an upload).
   */
  public static Future<Boolean> send(HttpServerRequest request, int status, JsonObject body) {
    boolean last = mark(request);
    return JsonErrors.send(request.response(), status, body).transform(sent -> {
      if (last) {
        close(request);
      }
      return Future.succeededFuture(last);
    });
  }

  /**
   * Closes the connection of a {@linkplain #mark marked} answer that has been sent: once the client
   * has sent the rest of its body, which is dropped, or after {@link #LINGER}, whichever comes
   * first. Called on the request's context.
   */
  public static void close(HttpServerRequest request) {
    HttpConnection connection = request.connection();
    Context context = Vertx.currentContext();
    if (request.isEnded() || context == null) {
      connection.close();
      return;
    }
    long timer = context.owner().setTimer(LINGER.toMillis(), t -> connection.close());
    Handler<Void> done = v -> {
      context.owner().cancelTimer(timer);
      connection.close();
    };
    request.exceptionHandler(e -> done.handle(null));
    request.endHandler(done);
    request.handler(dropped -> { });
    request.resume();
  }
}
