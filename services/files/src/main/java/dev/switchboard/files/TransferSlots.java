package dev.switchboard.files;

import dev.switchboard.shared.web.TrustedProxies;
import io.micrometer.core.instrument.Counter;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The transfer limit as a download or an upload meets it: one slot of the client's
 * {@link TransferLimiter} taken for the request and given back when it ends however it ends,
 * or 429 when the client has none left. Written once, for both directions.
 */
final class TransferSlots {

  private final TransferLimiter limiter;
  private final TrustedProxies clients;
  private final Counter refused;

  /** {@code refused} counts the 429s. */
  TransferSlots(TransferLimiter limiter, TrustedProxies clients, Counter refused) {
    this.limiter = limiter;
    this.clients = clients;
    this.refused = refused;
  }

  /**
   * Takes one of the client's transfer slots until the response ends or the connection closes,
   * and returns what gives it back (idempotent); answers 429 and returns {@code null} when the
   * client has none left.
   */
  Runnable take(RoutingContext ctx) {
    // The client behind the gateway (X-Forwarded-For from a trusted proxy), not the gateway itself:
    // otherwise a few slow downloads through the gateway would use up every client's slots.
    String client = clients.client(ctx.request());
    if (!limiter.tryAcquire(client)) {
      refused.increment();
      ctx.response().putHeader(HttpHeaders.RETRY_AFTER, "1");
      new Refusal(429, new JsonObject().put("error", "too many transfers from this client")
        .put("limit", limiter.perClient())).answer(ctx);
      return null;
    }
    AtomicBoolean released = new AtomicBoolean();
    Runnable release = () -> {
      if (released.compareAndSet(false, true)) {
        limiter.release(client);
      }
    };
    ctx.addEndHandler(done -> release.run());
    return release;
  }
}
