package dev.switchboard.gateway;

import dev.switchboard.shared.net.ConnectionLimit;
import dev.switchboard.shared.net.HalfClose;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetSocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.ConnectException;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Relays the client connections of one {@link TcpRoute} to the {@code tcp} endpoints of its
 * service's nodes: a node per connection, chosen by the route's policy among the available ones
 * (ready, circuit not open), another one when connecting fails. Bytes go both ways as they come, a
 * side whose write queue is full pausing the other; a client's end of stream half-closes the
 * connection to the node, which may still answer, and the node's end ends the client's connection
 * once everything is written. Either side closing or failing closes the other.
 * One per route per gateway instance.
 */
final class TcpForwarder {

  private static final Logger log = LoggerFactory.getLogger(TcpForwarder.class);

  private final TcpRoute route;
  private final NetClient client;
  private final Backends backends;
  private final ConnectionLimit limit;
  private final MeterRegistry meters;
  private final Counter unserved;
  private final Map<String, Counter> perBackend = new ConcurrentHashMap<>();

  TcpForwarder(TcpRoute route, NetClient client, Backends backends, ConnectionLimit limit, MeterRegistry meters) {
    this.route = route;
    this.client = client;
    this.backends = backends;
    this.limit = limit;
    this.meters = meters;
    this.unserved = Counter.builder("switchboard.gateway.tcp.unserved")
      .description("Client connections closed at once because no node of the route's service could take them")
      .tag("route", route.endpoint())
      .tag("service", route.service())
      .register(meters);
  }

  void accept(NetSocket socket) {
    if (!limit.tryOpen()) {
      log.debug("refusing {}: {} connections open through the TCP route to {}", socket.remoteAddress(),
        route.maxConnections(), route.service());
      socket.close();
      return;
    }
    socket.pause(); // nothing is read until a node is connected
    HalfClose.endOnPeerFin(socket);
    Promise<Void> clientClosed = Promise.promise();
    socket.closeHandler(v -> {
      limit.closed();
      clientClosed.tryComplete();
    });
    socket.exceptionHandler(e -> log.debug("TCP client {} failed: {}", socket.remoteAddress(), e.toString()));
    attempt(socket, clientClosed, new HashSet<>(), route.retries());
  }

  private void attempt(NetSocket socket, Promise<Void> clientClosed, Set<String> tried, int retriesLeft) {
    if (clientClosed.future().isComplete()) {
      return;
    }
    List<Backend> candidates = backends.availableTcp(route.service(), tried);
    if (candidates.isEmpty()) {
      unserved.increment();
      log.warn("TCP {} → {}: no node available (tried {}), closing {}", route.port(), route.service(), tried.size(),
        socket.remoteAddress());
      socket.close();
      return;
    }
    Backend node = backends.balancer(route).pick(candidates, null);
    tried.add(node.id());
    Promise<Void> outcome = node.admit();
    if (outcome == null) {
      attempt(socket, clientClosed, tried, retriesLeft); // half-open with its trial out: another node
      return;
    }
    node.started();
    client.connect(node.address()).onComplete(connected -> {
      if (connected.failed()) {
        node.finished();
        outcome.tryFail(connected.cause());
        if (connected.cause() instanceof ConnectException) {
          node.refused();
        }
        log.debug("TCP {} → {} failed: {}", route.port(), node.label(), connected.cause().toString());
        if (retriesLeft > 0) {
          attempt(socket, clientClosed, tried, retriesLeft - 1);
        } else {
          unserved.increment();
          socket.close();
        }
        return;
      }
      outcome.tryComplete();
      NetSocket upstream = connected.result();
      if (clientClosed.future().isComplete()) {
        node.finished();
        upstream.close();
        return;
      }
      count(node);
      relay(socket, upstream, node);
    });
  }

  private void relay(NetSocket socket, NetSocket upstream, Backend node) {
    HalfClose.endOnPeerFin(upstream);
    upstream.closeHandler(v -> {
      node.finished();
      // Everything the node sent is queued to the client: end it once written.
      socket.end();
    });
    upstream.exceptionHandler(e -> log.debug("TCP {} via {} failed: {}", route.port(), node.label(), e.toString()));
    socket.closeHandler(v -> {
      limit.closed();
      upstream.close();
    });
    pump(upstream, socket);
    pump(socket, upstream);
    // The client's end of stream: the node gets an end of stream too, and may still answer.
    socket.endHandler(v -> HalfClose.shutdownOutput(upstream));
    upstream.endHandler(v -> socket.end());
    socket.resume();
  }

  /** {@code from}'s bytes to {@code to}, pausing {@code from} while {@code to}'s write queue is full. */
  private static void pump(NetSocket from, NetSocket to) {
    from.handler((Buffer chunk) -> {
      to.write(chunk);
      if (to.writeQueueFull()) {
        from.pause();
        to.drainHandler(v -> from.resume());
      }
    });
  }

  private void count(Backend node) {
    perBackend.computeIfAbsent(node.label(), label -> Counter.builder("switchboard.gateway.tcp.connections")
      .description("Client connections relayed, per TCP route and backend node")
      .tag("route", route.endpoint())
      .tag("backend", label)
      .register(meters)).increment();
  }
}
