package dev.switchboard.echo;

import dev.switchboard.shared.Launcher;
import dev.switchboard.shared.ServiceDefinition;
import dev.switchboard.shared.ServiceRuntime;
import dev.switchboard.shared.bus.Addresses;
import dev.switchboard.shared.net.HalfClose;
import dev.switchboard.shared.ops.Operations;
import io.micrometer.core.instrument.Counter;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.NetSocket;
import io.vertx.core.parsetools.RecordParser;
import io.vertx.core.streams.ReadStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The echo service. One instance per event loop shares the TCP and admin ports; connections are
 * spread over the instances by Vert.x as Node's cluster module spreads them over workers.
 * <p>
 * Reading from a client pauses whenever its write queue is full, so a client that sends without
 * reading stalls on its own TCP window instead of growing the server's memory.
 */
public final class EchoVerticle extends VerticleBase {

  public static final ServiceDefinition<EchoOptions> DEFINITION = new ServiceDefinition<>(EchoOptions.SCHEMA, EchoVerticle::instances);

  private static final Logger log = LoggerFactory.getLogger(EchoVerticle.class);
  private static final Buffer LINE_PREFIX = Buffer.buffer("You said: ");
  private static final Buffer NEWLINE = Buffer.buffer("\n");

  private final EchoOptions options;
  private final ServiceRuntime runtime;
  private final EchoMetrics metrics;
  private final Counter accepted;

  private NetServer server;
  private HttpServer admin;
  private MessageConsumer<Object> consumer;

  EchoVerticle(EchoOptions options, ServiceRuntime runtime, EchoMetrics metrics, int instance) {
    this.options = options;
    this.runtime = runtime;
    this.metrics = metrics;
    this.accepted = metrics.acceptedBy(instance);
  }

  public static void main(String[] args) {
    Launcher.launch(args, DEFINITION);
  }

  /** The instances of one process; they share one connection count and one set of metrics. */
  public static Supplier<EchoVerticle> instances(EchoOptions options, ServiceRuntime runtime) {
    EchoMetrics metrics = new EchoMetrics(runtime.meters(), options.maxConnections());
    return () -> new EchoVerticle(options, runtime, metrics, runtime.nextInstance());
  }

  @Override
  public Future<?> start() {
    server = vertx.createNetServer(new NetServerOptions()
        .setHost(options.host())
        .setPort(runtime.bindPort("tcp", options.port()))
        .setTcpNoDelay(true)
        .setIdleTimeout((int) options.idleTimeout().toMillis())
        .setIdleTimeoutUnit(TimeUnit.MILLISECONDS))
      .connectHandler(this::connected);
    admin = Operations.adminServer(vertx, runtime);
    consumer = vertx.eventBus().consumer(Addresses.ECHO, message -> message.reply(message.body()));
    return Future.all(
        server.listen().onSuccess(s -> runtime.listening("tcp", options.host() + ":" + s.actualPort())),
        admin.listen(runtime.bindPort("admin", options.adminPort()), options.host()).onSuccess(s -> runtime.listening("admin", "http://" + options.host() + ":" + s.actualPort())),
        consumer.completion().onSuccess(v -> runtime.listening("bus", Addresses.ECHO)));
  }

  /** Stops accepting; each open connection stops reading, flushes what it owes and closes. */
  @Override
  public Future<?> stop() {
    long grace = runtime.shutdownGrace().toMillis();
    return Future.join(consumer.unregister(), server.shutdown(grace, TimeUnit.MILLISECONDS), admin.close());
  }

  /** The TCP port actually bound; useful when the options asked for port 0. */
  public int actualPort() {
    return server.actualPort();
  }

  /** The admin HTTP port actually bound. */
  public int actualAdminPort() {
    return admin.actualPort();
  }

  private void connected(NetSocket socket) {
    if (!metrics.tryOpen()) {
      log.debug("refusing {}: {} connections open", socket.remoteAddress(), options.maxConnections());
      socket.close();
      return;
    }
    accepted.increment();
    HalfClose.endOnPeerFin(socket);
    socket.setWriteQueueMaxSize(options.writeQueueMax());
    socket.closeHandler(v -> metrics.closed());
    socket.exceptionHandler(e -> log.debug("connection {} failed: {}", socket.remoteAddress(), e.getMessage()));
    socket.shutdownHandler(v -> {
      socket.pause();
      socket.end();
    });
    if (options.mode() == EchoOptions.Mode.RAW) {
      echo(socket, socket, socket::write);
    } else {
      RecordParser lines = RecordParser.newDelimited(NEWLINE, socket).maxRecordSize(options.maxLineLength());
      lines.exceptionHandler(e -> {
        socket.write("error: line longer than " + options.maxLineLength() + " bytes\n");
        socket.end();
      });
      echo(lines, socket, line -> {
        int end = line.length() > 0 && line.getByte(line.length() - 1) == '\r' ? line.length() - 1 : line.length();
        socket.write(Buffer.buffer(LINE_PREFIX.length() + end + 1)
          .appendBuffer(LINE_PREFIX).appendBuffer(line, 0, end).appendBuffer(NEWLINE));
      });
    }
  }

  /**
   * Sends what {@code source} reads back through {@code socket}, pausing {@code source} while the
   * socket's write queue is full, and ends the socket (after a flush) when the client ends.
   */
  private static <T> void echo(ReadStream<T> source, NetSocket socket, Consumer<T> answer) {
    source.handler(item -> {
      answer.accept(item);
      if (socket.writeQueueFull()) {
        source.pause();
        socket.drainHandler(v -> source.resume());
      }
    });
    source.endHandler(v -> socket.end());
  }

}
