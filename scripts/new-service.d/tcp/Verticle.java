package dev.switchboard.__NAME__;

import dev.switchboard.shared.Launcher;
import dev.switchboard.shared.ServiceDefinition;
import dev.switchboard.shared.ServiceRuntime;
import dev.switchboard.shared.ops.Operations;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.NetSocket;
import io.vertx.core.parsetools.RecordParser;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * The __NAME__ service: a TCP server that answers each line {@code NAME} with
 * {@code Hello, NAME!}; a line longer than {@code maxLineLength} gets an error line and the
 * connection is closed. An admin HTTP port serves {@code /health}, {@code /ready} and
 * {@code /metrics}. One instance per event loop, all on the same ports.
 */
public final class __CLASS__Verticle extends VerticleBase {

  public static final ServiceDefinition<__CLASS__Options> DEFINITION = new ServiceDefinition<>(
    __CLASS__Options.SCHEMA, (options, runtime) -> () -> new __CLASS__Verticle(options, runtime));

  private static final String NEWLINE = "\n";

  private final __CLASS__Options options;
  private final ServiceRuntime runtime;
  private NetServer server;
  private HttpServer admin;

  __CLASS__Verticle(__CLASS__Options options, ServiceRuntime runtime) {
    this.options = options;
    this.runtime = runtime;
  }

  public static void main(String[] args) {
    Launcher.launch(args, DEFINITION);
  }

  @Override
  public Future<?> start() {
    server = vertx.createNetServer(new NetServerOptions()
        .setHost(options.host())
        .setPort(runtime.bindPort("tcp", options.port()))
        .setIdleTimeout((int) options.idleTimeout().toMillis())
        .setIdleTimeoutUnit(TimeUnit.MILLISECONDS))
      .connectHandler(this::connected);
    admin = Operations.adminServer(vertx, runtime);
    return Future.all(
      server.listen().onSuccess(s -> runtime.listening("tcp", options.host() + ":" + s.actualPort())),
      admin.listen(runtime.bindPort("admin", options.adminPort()), options.host())
        .onSuccess(s -> runtime.listening("admin", "http://" + options.host() + ":" + s.actualPort())));
  }

  /** Stops accepting; open connections close within the grace period. */
  @Override
  public Future<?> stop() {
    return Future.join(server.shutdown(runtime.shutdownGrace().toMillis(), TimeUnit.MILLISECONDS), admin.close());
  }

  private void connected(NetSocket socket) {
    // The parser refuses a line that grows past the limit before its newline; one that arrives
    // whole with its newline is measured here.
    RecordParser lines = RecordParser.newDelimited(NEWLINE, socket).maxRecordSize(options.maxLineLength());
    lines.handler(line -> {
      if (line.length() > options.maxLineLength()) {
        refuse(socket, lines);
        return;
      }
      socket.write(Buffer.buffer("Hello, " + line.toString(StandardCharsets.UTF_8).strip() + "!" + NEWLINE));
    });
    lines.exceptionHandler(e -> refuse(socket, lines));
    lines.endHandler(v -> socket.end());
  }

  /** A line too long: an error line, then the connection is closed and nothing more is read. */
  private void refuse(NetSocket socket, RecordParser lines) {
    lines.pause();
    socket.write(Buffer.buffer("error: a line is at most " + options.maxLineLength() + " bytes" + NEWLINE))
      .onComplete(v -> socket.close());
  }
}
