package dev.switchboard.files;

import dev.switchboard.shared.web.JsonErrors;
import dev.switchboard.shared.web.LastAnswer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/**
 * A request refused with a status and a small JSON body, and the one way the files routes send
 * it. Thrown from blocking steps (a precondition that fails on a worker thread) and answered on
 * the event loop, or answered at once. It has no stack trace: it is an answer, not a fault.
 *
 * <p>When the request still has a body coming, the connection cannot be reused for another
 * request ({@link LastAnswer}), so it closes after the answer.
 */
final class Refusal extends RuntimeException {

  private final int status;
  private final JsonObject body;

  Refusal(int status, JsonObject body) {
    super(body.getString("error"), null, false, false);
    this.status = status;
    this.body = body;
  }

  static Refusal of(int status, String error) {
    return new Refusal(status, new JsonObject().put("error", error));
  }

  /** Answers 404 {@code {"error":"not found"}}. */
  static void notFound(RoutingContext ctx) {
    of(404, "not found").answer(ctx.request());
  }

  int status() {
    return status;
  }

  JsonObject body() {
    return body;
  }

  void answer(RoutingContext ctx) {
    answer(ctx.request());
  }

  /** Sends this refusal, closing the connection after it when the request's body is left unread. */
  void answer(HttpServerRequest request) {
    if (hasBody(request) && !request.isEnded()) {
      LastAnswer.send(request, status, body);
    } else {
      JsonErrors.send(request.response(), status, body);
    }
  }

  private static boolean hasBody(HttpServerRequest request) {
    String length = request.getHeader(HttpHeaders.CONTENT_LENGTH);
    return request.getHeader(HttpHeaders.TRANSFER_ENCODING) != null || (length != null && !length.trim().equals("0"));
  }
}
