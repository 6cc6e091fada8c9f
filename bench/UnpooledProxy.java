import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientConnection;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpConnectOptions;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.RequestOptions;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The bare Vert.x proxy ({@code BareProxy.java}) without Vert.x's connection pool: each verticle
 * keeps its own idle connections to each backend, opened with {@link HttpClientAgent#connect} and
 * used one request at a time, so that a request goes out on a connection of its own event loop with
 * no pool in between. Everything else is as in the bare proxy: Vert.x's HTTP server and client,
 * round-robin, the answer read whole. It measures what the pool costs, against the bare proxy and
 * Netty's client ({@code NettyClientProxy.java}) in the same run.
 *
 * <pre>java -cp gateway/target/switchboard-gateway.jar bench/UnpooledProxy.java PORT BACKEND_PORT[,...] [INSTANCES]</pre>
 *
 * Listens on 127.0.0.1 only and forwards to 127.0.0.1 only; prints "unpooled proxy up" once listening.
 */
public class UnpooledProxy {

  /** Idle connections a verticle keeps to one backend; more are closed when they come back. */
  private static final int IDLE_PER_BACKEND = 256;

  public static void main(String[] args) {
    if (args.length < 2) {
      System.err.println("usage: java -cp GATEWAY_JAR bench/UnpooledProxy.java PORT BACKEND_PORT[,...] [INSTANCES]");
      System.exit(2);
    }
    int port = Integer.parseInt(args[0]);
    int[] backends = Arrays.stream(args[1].split(",")).mapToInt(Integer::parseInt).toArray();
    int instances = args.length > 2 ? Integer.parseInt(args[2]) : Runtime.getRuntime().availableProcessors();
    Vertx vertx = Vertx.vertx(new VertxOptions().setPreferNativeTransport(true));
    vertx.deployVerticle(() -> new Proxy(port, backends), new DeploymentOptions().setInstances(instances))
      .onSuccess(id -> System.out.println("unpooled proxy up: http://127.0.0.1:" + port + " instances=" + instances))
      .onFailure(e -> {
        e.printStackTrace();
        System.exit(1);
      });
  }

  static final class Proxy extends VerticleBase {
    private final int port;
    private final int[] backends;
    private final List<ArrayDeque<HttpClientConnection>> idle = new ArrayList<>();
    private HttpClientAgent client;
    private int next;

    Proxy(int port, int[] backends) {
      this.port = port;
      this.backends = backends;
      for (int i = 0; i < backends.length; i++) {
        idle.add(new ArrayDeque<>());
      }
    }

    @Override
    public Future<?> start() {
      client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true).setTcpNoDelay(true));
      return vertx.createHttpServer(new HttpServerOptions().setTcpNoDelay(true))
        .requestHandler(this::forward)
        .listen(port, "127.0.0.1");
    }

    private void forward(HttpServerRequest request) {
      int backend = next;
      next = (next + 1) % backends.length;
      request.pause(); // its body (if any) waits for the backend's connection
      connection(backend)
        .compose(connection -> connection.request(new RequestOptions().setMethod(request.method())
            .setURI(request.uri()).setHeaders(request.headers()))
          .compose(upstream -> upstream.send(request))
          .compose(answer -> answer.body().map(body -> {
            HttpServerResponse out = request.response().setStatusCode(answer.statusCode());
            out.headers().addAll(answer.headers());
            release(backend, connection);
            return out.end(body);
          })))
        .onFailure(e -> {
          request.resume();
          if (!request.response().headWritten()) {
            request.response().setStatusCode(502).end();
          }
        });
    }

    /** An idle connection to the backend, or a new one that leaves the idle ones when it closes. */
    private Future<HttpClientConnection> connection(int backend) {
      HttpClientConnection connection = idle.get(backend).pollLast();
      if (connection != null) {
        return Future.succeededFuture(connection);
      }
      return client.connect(new HttpConnectOptions().setHost("127.0.0.1").setPort(backends[backend]))
        .onSuccess(opened -> opened.closeHandler(v -> idle.get(backend).remove(opened)));
    }

    private void release(int backend, HttpClientConnection connection) {
      ArrayDeque<HttpClientConnection> free = idle.get(backend);
      if (free.size() < IDLE_PER_BACKEND) {
        free.addLast(connection);
      } else {
        connection.close();
      }
    }
  }
}
