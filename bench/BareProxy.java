import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;

import java.util.Arrays;

/**
 * The Vert.x reference for the gateway benchmark: the least a reverse proxy on Vert.x's HTTP
 * server and client does, round-robin over the given backends, one verticle per core sharing the
 * port. No routing, retries, circuit breakers, health checks, metrics, request ids or limits; the
 * answer is read whole (the benchmark's are a few bytes) and written in one go. It shows what the
 * gateway's own work costs on top of Vert.x's HTTP work, on the same machine in the same run.
 *
 * <pre>java -cp gateway/target/switchboard-gateway.jar bench/BareProxy.java PORT BACKEND_PORT[,...] [INSTANCES]</pre>
 *
 * Listens on 127.0.0.1 only and forwards to 127.0.0.1 only; prints "bare proxy up" once listening.
 */
public class BareProxy {

  private static final int POOL_PER_BACKEND = 200;

  public static void main(String[] args) {
    if (args.length < 2) {
      System.err.println("usage: java -cp GATEWAY_JAR bench/BareProxy.java PORT BACKEND_PORT[,...] [INSTANCES]");
      System.exit(2);
    }
    int port = Integer.parseInt(args[0]);
    int[] backends = Arrays.stream(args[1].split(",")).mapToInt(Integer::parseInt).toArray();
    int instances = args.length > 2 ? Integer.parseInt(args[2]) : Runtime.getRuntime().availableProcessors();
    Vertx vertx = Vertx.vertx(new VertxOptions().setPreferNativeTransport(true));
    vertx.deployVerticle(() -> new Proxy(port, backends), new DeploymentOptions().setInstances(instances))
      .onSuccess(id -> System.out.println("bare proxy up: http://127.0.0.1:" + port + " instances=" + instances))
      .onFailure(e -> {
        e.printStackTrace();
        System.exit(1);
      });
  }

  static final class Proxy extends VerticleBase {
    private final int port;
    private final int[] backends;
    private HttpClient client;
    private int next;

    Proxy(int port, int[] backends) {
      this.port = port;
      this.backends = backends;
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
      int backend = backends[next++ % backends.length];
      request.pause(); // its body (if any) waits for the backend's connection
      client.request(new RequestOptions().setMethod(request.method()).setHost("127.0.0.1").setPort(backend)
          .setURI(request.uri()).setHeaders(request.headers()))
        .compose(upstream -> upstream.send(request))
        .compose(answer -> answer.body().map(body -> {
          HttpServerResponse out = request.response().setStatusCode(answer.statusCode());
          out.headers().addAll(answer.headers());
          return out.end(body);
        }))
        .onFailure(e -> {
          request.resume();
          if (!request.response().headWritten()) {
            request.response().setStatusCode(502).end();
          }
        });
    }
  }
}
