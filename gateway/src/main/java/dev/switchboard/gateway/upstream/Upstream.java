package dev.switchboard.gateway.upstream;

import dev.switchboard.gateway.config.Policy;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.ConnectException;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeoutException;

/**
 * The one way to a service node, whatever the protocol and whoever calls (the HTTP, WebSocket and
 * TCP forwarders, the BFF composition): <b>pick</b> a node with the route's balancer among the
 * available ones not tried yet, <b>admit</b> the call through that node's circuit breaker,
 * <b>send</b> (the {@link Exchange}), <b>record</b> the outcome in the node's circuit and the
 * route's meters, and <b>retry</b> on another node while the route allows it: always after a
 * failure that sent nothing, after any other failure or a retryable answer only when the request is
 * replayable. One per gateway process, shared by its instances.
 */
public final class Upstream {

  private static final Logger log = LoggerFactory.getLogger(Upstream.class);

  private final Backends backends;
  private final RouteMeters meters;

  public Upstream(Backends backends, RouteMeters meters) {
    this.backends = backends;
    this.meters = meters;
  }

  public Backends backends() {
    return backends;
  }

  public RouteMeters meters() {
    return meters;
  }

  /**
   * The target of a route, its nodes followed from now on. Call once per route per process, before
   * the backends are acquired: its balancer's state is shared by every call of the route.
   */
  public Target target(String name, String service, String endpoint, Policy policy, String hashOn, int retries) {
    backends.follow(service, endpoint);
    return new Target(name, service, endpoint, Balancer.of(policy, hashOn), retries);
  }

  /**
   * Calls a node of {@code target} with {@code exchange}: completes with the answering node's
   * {@link Call}, or fails with {@link NoAnswer} (no node, or every attempt failed) or a
   * {@link ClientFault} (the client broke the exchange). Either way the route's meters have it.
   */
  public <T> Future<Call<T>> call(Target target, Exchange<T> exchange) {
    Promise<Call<T>> result = Promise.promise();
    new Attempts<>(target, exchange, result).next();
    return result.future();
  }

  /** The attempts of one call, one node after the other. */
  private final class Attempts<T> {

    final Target target;
    final Exchange<T> exchange;
    final Promise<Call<T>> result;
    final long started = System.nanoTime();
    final Set<String> tried = new HashSet<>();
    int retriesLeft;
    Throwable lastFailure;
    int lastStatus;

    Attempts(Target target, Exchange<T> exchange, Promise<Call<T>> result) {
      this.target = target;
      this.exchange = exchange;
      this.result = result;
      this.retriesLeft = target.retries();
    }

    void next() {
      List<Backend> candidates = backends.available(target, tried);
      if (candidates.isEmpty()) {
        giveUp();
        return;
      }
      Backend node = target.balancer().pick(candidates, exchange.request());
      tried.add(node.id());
      Promise<Void> circuit = node.admit();
      if (circuit == null) {
        next(); // half-open with its one trial call out: another node, no retry spent
        return;
      }
      node.started();
      exchange.send(node).onComplete(sent -> {
        if (sent.succeeded()) {
          answered(node, circuit, sent.result());
        } else {
          failed(node, circuit, sent.cause());
        }
      });
    }

    private void answered(Backend node, Promise<Void> circuit, T answer) {
      int status = exchange.status(answer);
      RouteMeters.Pair figures = meters.of(target, node);
      figures.answered(status);
      if (status >= 500) {
        circuit.tryFail("answered " + status);
      } else {
        circuit.tryComplete();
      }
      if (exchange.retryable(answer) && mayRetry(exchange.replayable())) {
        node.finished();
        exchange.discard(answer);
        lastFailure = null;
        lastStatus = status;
        log.debug("{} answered {} on {}, trying another node", target.name(), status, node.label());
        retry();
        return;
      }
      result.complete(new Call<>(node, answer, figures, started));
    }

    private void failed(Backend node, Promise<Void> circuit, Throwable failure) {
      node.finished();
      if (failure instanceof ClientFault fault) {
        circuit.tryComplete(); // the client's doing, not the node's
        RouteMeters.Pair figures = meters.of(target, node);
        figures.answered(fault.status());
        figures.finished(false, System.nanoTime() - started);
        result.fail(fault);
        return;
      }
      boolean unsent = failure instanceof Unsent;
      Throwable cause = unsent ? failure.getCause() : failure;
      circuit.tryFail(cause);
      if (cause instanceof ConnectException) {
        log.warn("{} refused the connection: {}", node.label(), cause.getMessage());
        node.refused();
      }
      meters.of(target, node).answered(cause instanceof TimeoutException ? 504 : 502);
      lastFailure = cause;
      lastStatus = 0;
      if (mayRetry(unsent || exchange.replayable())) {
        log.debug("{} failed on {} ({}), trying another node", target.name(), node.label(), cause.toString());
        retry();
        return;
      }
      giveUp();
    }

    /** Whether another node may be tried: {@code allowed} for this failure, retries left, the client still there. */
    private boolean mayRetry(boolean allowed) {
      return allowed && retriesLeft > 0 && !exchange.abandoned();
    }

    private void retry() {
      retriesLeft--;
      next();
    }

    private void giveUp() {
      meters.of(target, null).finished(true, System.nanoTime() - started);
      result.fail(new NoAnswer(target.service(), tried.size(), lastFailure, lastStatus));
    }
  }
}
