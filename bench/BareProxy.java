import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientConnection;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpConnectOptions;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The Vert.x reference for the gateway benchmark: the least a reverse proxy on Vert.x's HTTP
 * server and client does, round-robin over the given backends, one verticle per core sharing the
 * port. No routing, retries, circuit breakers, health checks, metrics, request ids or limits; the
 * answer is read whole (the benchmark's are a few bytes) and written in one go. It shows what the
 * gateway's own work costs on top of Vert.x's HTTP work, on the same machine in the same run.
 *
 * <p>With {@code no-pool}, each verticle keeps its own idle connections to each backend, opened with
 * {@link HttpClientAgent#connect} and used one request at a time, so that no pool stands between a
 * request and its connection: what Vert.x's pool costs, in the same run.
 *
 * <pre>java -cp gateway/target/switchboard-gateway.jar bench/BareProxy.java PORT BACKEND_PORT[,...] [INSTANCES] [no-pool]</pre>
 *
 * Listens on 127.0.0.1 only and forwards to 127.0.0.1 only; prints "bare proxy up" once listening.
 */
public class BareProxy {

  private static final int POOL_PER_BACKEND = 200;

  public static void main(String[] args) {
    if (args.length < 2 || (args.length > 3 && !args[3].equals("no-pool"))) {
      System.err.println("usage: java -cp GATEWAY_JAR bench/BareProxy.java PORT BACKEND_PORT[,...] [INSTANCES] [no-pool]");
      System.exit(2);
    }
    int port = Integer.parseInt(args[0]);
    int[] backends = Arrays.stream(args[1].split(",")).mapToInt(Integer::parseInt).toArray();
    int instances = args.length > 2 ? Integer.parseInt(args[2]) : Runtime.getRuntime().availableProcessors();
    boolean pooled = args.length < 4;
    Vertx vertx = Vertx.vertx(new VertxOptions().setPreferNativeTransport(true));
    vertx.deployVerticle(() -> new Proxy(port, backends, pooled), new DeploymentOptions().setInstances(instances))
      .onSuccess(id -> System.out.println("bare proxy up: http://127.0.0.1:" + port + " instances=" + instances
        + (pooled ? "" : " no-pool")))
      .onFailure(e -> {
        e.printStackTrace();
        System.exit(1);
      });
  }

  static final class Proxy extends VerticleBase {
    private final int port;
    private final int[] backends;
    private final boolean pooled;
    /** Without the pool: each backend's idle connections, this verticle's own. */
    private final List<ArrayDeque<HttpClientConnection>> idle = new ArrayList<>();
    private HttpClientAgent client;
    private int next;

    Proxy(int port, int[] backends, boolean pooled) {
      this.port = port;
      this.backends = backends;
      this.pooled = pooled;
      for (int i = 0; i < backends.length; i++) {
        idle.add(new ArrayDeque<>());
      }
    }

    @Override
    public Future<?> start() {
      client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true).setTcpNoDelay(true),
        new PoolOptions().setHttp1MaxSize(POOL_PER_BACKEND));
      return vertx.createHttpServer(new HttpServerOptions().setTcpNoDelay(true))
        .requestHandler(this::forward)
        .listen(port, "127.0.0.1");
    }

    private void forward(HttpServerRequest request) {
      int backend = next;
      next = (next + 1) % backends.length;
      request.pause(); // its body (if any) waits for the backend's connection
      Future<? extends HttpClient> via = pooled ? Future.succeededFuture(client) : connection(backend);
      via.compose(http -> http.request(new RequestOptions().setMethod(request.method()).setHost("127.0.0.1")
            .setPort(backends[backend]).setURI(request.uri()).setHeaders(request.headers()))
          .compose(upstream -> upstream.send(request))
          .compose(answer -> answer.body().map(body -> {
            HttpServerResponse out = request.response().setStatusCode(answer.statusCode());
            out.headers().addAll(answer.headers());
            if (http instanceof HttpClientConnection connection) {
              release(backend, connection);
            }
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
      if (free.size() < POOL_PER_BACKEND) {
        free.addLast(connection);
      } else {
        connection.close();
      }
    }
  }
}
