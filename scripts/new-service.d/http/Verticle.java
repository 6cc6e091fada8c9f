package dev.switchboard.__NAME__;

import dev.switchboard.shared.Launcher;
import dev.switchboard.shared.ServiceDefinition;
import dev.switchboard.shared.ServiceRuntime;
import dev.switchboard.shared.ops.Operations;
import dev.switchboard.shared.web.AccessLog;
import dev.switchboard.shared.web.JsonErrors;
import dev.switchboard.shared.web.StrictHttp;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import java.util.concurrent.TimeUnit;

/**
 * The __NAME__ service: {@code GET /__NAME__/hello?name=Ada} answers
 * {@code {"greeting":"Hello, Ada!"}}, under the prefix the gateway routes to it. One instance per
 * event loop, all on one port, with {@code /health}, {@code /ready} and {@code /metrics}.
 */
public final class __CLASS__Verticle extends VerticleBase {

  public static final ServiceDefinition<__CLASS__Options> DEFINITION = new ServiceDefinition<>(
    __CLASS__Options.SCHEMA, (options, runtime) -> () -> new __CLASS__Verticle(options, runtime));

  private final __CLASS__Options options;
  private final ServiceRuntime runtime;
  private HttpServer server;

  __CLASS__Verticle(__CLASS__Options options, ServiceRuntime runtime) {
    this.options = options;
    this.runtime = runtime;
  }

  public static void main(String[] args) {
    Launcher.launch(args, DEFINITION);
  }

  @Override
  public Future<?> start() {
    AccessLog accessLog = AccessLog.create(runtime.ingress());
    Router router = Router.router(vertx);
    accessLog.mount(router);
    router.get("/__NAME__/hello").handler(this::hello);
    Operations.mount(router, vertx, runtime);
    JsonErrors.install(router);
    server = StrictHttp.server(vertx, new HttpServerOptions().setHost(options.host())
        .setPort(runtime.bindPort("http", options.port())), runtime.ingress().headTimeout())
      .invalidRequestHandler(JsonErrors::invalidRequest)
      .requestHandler(accessLog.handler(router));
    return server.listen()
      .onSuccess(s -> runtime.listening("http", "http://" + options.host() + ":" + s.actualPort()));
  }

  /** Requests in flight finish within the grace period. */
  @Override
  public Future<?> stop() {
    return server.shutdown(runtime.shutdownGrace().toMillis(), TimeUnit.MILLISECONDS);
  }

  private void hello(RoutingContext ctx) {
    String name = ctx.request().getParam("name");
    if (name == null || name.isBlank() || name.length() > options.maxName()) {
      JsonErrors.send(ctx.response(), 400, new JsonObject().put("error", "name must be 1 to " + options.maxName() + " characters"));
      return;
    }
    ctx.json(new JsonObject().put("greeting", "Hello, " + name + "!"));
  }
}
