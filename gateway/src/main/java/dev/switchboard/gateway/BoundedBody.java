package dev.switchboard.gateway;

import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;

/**
 * A request body passed on as it streams, up to a number of bytes: the chunk that passes the bound
 * is not passed on, the stream fails instead (which makes a pipe stop and reset its destination),
 * and {@code exceeded} runs once.
 */
final class BoundedBody implements ReadStream<Buffer> {

  /** The failure a body that passes its bound ends with. */
  static final class TooLarge extends RuntimeException {
    TooLarge(long max) {
      super("request body larger than " + max + " bytes", null, false, false);
    }
  }

  private final ReadStream<Buffer> body;
  private final long max;
  private final Runnable exceeded;
  private long received;
  private boolean over;
  private Handler<Throwable> exceptionHandler;

  BoundedBody(ReadStream<Buffer> body, long max, Runnable exceeded) {
    this.body = body;
    this.max = max;
    this.exceeded = exceeded;
  }

  @Override
  public ReadStream<Buffer> handler(Handler<Buffer> handler) {
    if (handler == null) {
      body.handler(null);
      return this;
    }
    body.handler(chunk -> {
      if (over) {
        return;
      }
      received += chunk.length();
      if (received > max) {
        over = true;
        exceeded.run();
        if (exceptionHandler != null) {
          exceptionHandler.handle(new TooLarge(max));
        }
        return;
      }
      handler.handle(chunk);
    });
    return this;
  }

  @Override
  public ReadStream<Buffer> exceptionHandler(Handler<Throwable> handler) {
    this.exceptionHandler = handler;
    body.exceptionHandler(handler);
    return this;
  }

  @Override
  public ReadStream<Buffer> pause() {
    body.pause();
    return this;
  }

  @Override
  public ReadStream<Buffer> resume() {
    body.resume();
    return this;
  }

  @Override
  public ReadStream<Buffer> fetch(long amount) {
    body.fetch(amount);
    return this;
  }

  @Override
  public ReadStream<Buffer> endHandler(Handler<Void> endHandler) {
    body.endHandler(v -> {
      if (!over && endHandler != null) {
        endHandler.handle(v);
      }
    });
    return this;
  }
}
