package dev.switchboard.gateway.forward;

import dev.switchboard.gateway.config.TcpRoute;
import dev.switchboard.gateway.upstream.Backend;
import dev.switchboard.gateway.upstream.Call;
import dev.switchboard.gateway.upstream.Exchange;
import dev.switchboard.gateway.upstream.Target;
import dev.switchboard.gateway.upstream.Unsent;
import dev.switchboard.gateway.upstream.Upstream;
import dev.switchboard.shared.net.ConnectionLimit;
import dev.switchboard.shared.net.HalfClose;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetSocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Relays the client connections of one {@link TcpRoute} to the {@code tcp} endpoints of its
 * service's nodes through the {@link Upstream}: a node per connection, another one when connecting
 * fails. Bytes go both ways as they come, a side whose write queue is full pausing the other; a
 * client's end of stream half-closes the connection to the node, which may still answer, and the
 * node's end ends the client's connection once everything is written. Either side closing or
 * failing closes the other. One per route per gateway instance.
 */
public final class TcpForwarder {

  private static final Logger log = LoggerFactory.getLogger(TcpForwarder.class);

  private final TcpRoute route;
  private final Target target;
  private final NetClient client;
  private final Upstream upstream;
  private final ConnectionLimit limit;
  private final Counter unserved;

  public TcpForwarder(TcpRoute route, Target target, NetClient client, Upstream upstream, ConnectionLimit limit, MeterRegistry meters) {
    this.route = route;
    this.target = target;
    this.client = client;
    this.upstream = upstream;
    this.limit = limit;
    this.unserved = Counter.builder("switchboard.gateway.tcp.unserved")
      .description("Client connections closed at once because no node of the route's service could take them")
      .tag("route", route.endpoint())
      .tag("service", route.service())
      .register(meters);
  }

  public void accept(NetSocket socket) {
    if (!limit.tryOpen()) {
      log.debug("refusing {}: {} connections open through the TCP route to {}", socket.remoteAddress(),
        route.maxConnections(), route.service());
      socket.close();
      return;
    }
    socket.pause(); // nothing is read until a node is connected
    HalfClose.endOnPeerFin(socket);
    Connection x = new Connection(socket);
    socket.closeHandler(v -> {
      limit.closed();
      x.closed = true;
    });
    socket.exceptionHandler(e -> log.debug("TCP client {} failed: {}", socket.remoteAddress(), e.toString()));
    upstream.call(target, x).onComplete(called -> {
      if (called.failed()) {
        unserved.increment();
        log.warn("TCP {} → {}: no node took {} ({})", route.port(), route.service(), socket.remoteAddress(),
          called.cause().getMessage());
        socket.close();
        return;
      }
      Call<NetSocket> call = called.result();
      call.record(false);
      if (x.closed) {
        call.release();
        call.answer().close();
        return;
      }
      relay(socket, call);
    });
  }

  /** One client connection, connecting to a node. */
  private final class Connection implements Exchange<NetSocket> {

    final NetSocket socket;
    boolean closed;

    Connection(NetSocket socket) {
      this.socket = socket;
    }

    @Override
    public Future<NetSocket> send(Backend node) {
      // Nothing of the client's was read before the connection is made: any failure left it unsent.
      return client.connect(node.address()).recover(failure -> Future.failedFuture(new Unsent(failure)));
    }

    @Override
    public boolean replayable() {
      return false;
    }

    @Override
    public boolean abandoned() {
      return closed;
    }

    @Override
    public int status(NetSocket answer) {
      return 200; // connected
    }
  }

  private void relay(NetSocket socket, Call<NetSocket> call) {
    NetSocket toNode = call.answer();
    HalfClose.endOnPeerFin(toNode);
    toNode.closeHandler(v -> {
      call.release();
      // Everything the node sent is queued to the client: end it once written.
      socket.end();
    });
    toNode.exceptionHandler(e -> log.debug("TCP {} via {} failed: {}", route.port(), call.node().label(), e.toString()));
    socket.closeHandler(v -> {
      limit.closed();
      toNode.close();
    });
    pump(toNode, socket);
    pump(socket, toNode);
    // The client's end of stream: the node gets an end of stream too, and may still answer.
    socket.endHandler(v -> HalfClose.shutdownOutput(toNode));
    toNode.endHandler(v -> socket.end());
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
}
