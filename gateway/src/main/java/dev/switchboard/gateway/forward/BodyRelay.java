package dev.switchboard.gateway.forward;

import dev.switchboard.gateway.upstream.ClientFault;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpServerRequest;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A client's request body on its way to a node, whole or not at all. Chunks go on as they come,
 * the client paused while the node's connection cannot take more. The node's request is ended only
 * when the client's body ended as its framing says; anything else resets it, so that the node never
 * mistakes a cut body for a whole one (an upload saved truncated): a client that disconnects or
 * sends malformed chunks ({@code 499}/{@code 400}), a body longer than the route allows ({@code 413};
 * a declared length was checked at the edge, a chunked body is counted here), a body that stalls
 * for longer than the body timeout while the gateway waits for it ({@code 408}). The failure goes
 * to {@code failed} as a {@link ClientFault}.
 */
final class BodyRelay {

  /** A client that leaves before its request is answered; nginx's convention, never sent. */
  static final int CLIENT_CLOSED = 499;

  private final Vertx vertx;
  private final HttpServerRequest in;
  private final HttpClientRequest out;
  private final long maxBody;
  private final long timeoutNanos;
  private final Handler<Throwable> failed;
  private long received;
  private long lastRead;
  /** Paused by the relay itself, waiting for the node's side: the client is not stalling then. */
  private boolean waiting;
  private boolean started;
  private boolean ended;
  private boolean over;
  private long timer = -1;

  BodyRelay(Vertx vertx, HttpServerRequest in, HttpClientRequest out, long maxBody, Duration timeout, Handler<Throwable> failed) {
    this.vertx = vertx;
    this.in = in;
    this.out = out;
    this.maxBody = maxBody;
    this.timeoutNanos = timeout.toNanos();
    this.failed = failed;
  }

  boolean started() {
    return started;
  }

  /** True once the whole body went to the node. */
  boolean ended() {
    return ended;
  }

  void start() {
    started = true;
    lastRead = System.nanoTime();
    out.drainHandler(v -> {
      if (!over) {
        waiting = false;
        lastRead = System.nanoTime();
        in.resume();
      }
    });
    in.exceptionHandler(this::failed);
    // The node's side failed (its connection broke): the answer fails with it; stop feeding it.
    out.exceptionHandler(e -> stop());
    in.handler(this::chunk);
    in.endHandler(v -> {
      if (!over) {
        over = true;
        ended = true;
        cancelTimer();
        out.end();
      }
    });
    armTimer(timeoutNanos);
    in.resume();
  }

  /** The client's side failed: it left, or its body could not be decoded. */
  void failed(Throwable cause) {
    boolean gone = in.response().closed();
    fail(new ClientFault(gone ? CLIENT_CLOSED : 400, gone ? "client closed the connection" : "malformed request body", cause));
  }

  /** Stops passing the body on: the node answered without it. */
  void stop() {
    over = true;
    cancelTimer();
    in.handler(null);
  }

  private void chunk(Buffer chunk) {
    if (over) {
      return;
    }
    lastRead = System.nanoTime();
    received += chunk.length();
    if (received > maxBody) {
      fail(new ClientFault(413, "request body too large"));
      return;
    }
    out.write(chunk);
    if (out.writeQueueFull()) {
      waiting = true;
      in.pause();
    }
  }

  private void fail(ClientFault fault) {
    if (over) {
      return;
    }
    over = true;
    cancelTimer();
    in.handler(null);
    failed.handle(fault);
    out.reset();
  }

  /** One timer per body, re-armed for what is left rather than per chunk. */
  private void armTimer(long nanos) {
    timer = vertx.setTimer(Math.max(1, TimeUnit.NANOSECONDS.toMillis(nanos)), t -> {
      timer = -1;
      if (over) {
        return;
      }
      long idle = System.nanoTime() - lastRead;
      if (!waiting && idle >= timeoutNanos) {
        fail(new ClientFault(408, "request body stalled for " + TimeUnit.NANOSECONDS.toMillis(timeoutNanos) + " ms"));
      } else {
        armTimer(waiting ? timeoutNanos : timeoutNanos - idle);
      }
    });
  }

  private void cancelTimer() {
    if (timer != -1) {
      vertx.cancelTimer(timer);
      timer = -1;
    }
  }
}
