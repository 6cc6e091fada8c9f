import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerOptions;

/**
 * The Vert.x reference for the http benchmark: Node's hello example on Vert.x's HTTP server and
 * nothing else, one verticle per core sharing the port. No router, access log, request ids,
 * metrics, compression, idle timeout or RFC 9112 checks: the most a hello server on Vert.x can
 * make of this machine, beside the http service (which has all of them) in the same run.
 *
 * <pre>java -cp services/http/target/switchboard-http.jar bench/BareHello.java PORT [INSTANCES]</pre>
 *
 * Listens on 127.0.0.1 only; prints "bare hello up" once listening.
 */
public class BareHello {

  public static void main(String[] args) {
    if (args.length < 1) {
      System.err.println("usage: java -cp HTTP_JAR bench/BareHello.java PORT [INSTANCES]");
      System.exit(2);
    }
    int port = Integer.parseInt(args[0]);
    int instances = args.length > 1 ? Integer.parseInt(args[1]) : Runtime.getRuntime().availableProcessors();
    Vertx vertx = Vertx.vertx(new VertxOptions().setPreferNativeTransport(true));
    vertx.deployVerticle(() -> new Hello(port), new DeploymentOptions().setInstances(instances))
      .onSuccess(id -> System.out.println("bare hello up: http://127.0.0.1:" + port + " instances=" + instances))
      .onFailure(e -> {
        e.printStackTrace();
        System.exit(1);
      });
  }

  static final class Hello extends VerticleBase {
    private static final Buffer BODY = Buffer.buffer("Hello World");
    private static final CharSequence TEXT_PLAIN = HttpHeaders.createOptimized("text/plain");
    private static final CharSequence LENGTH = HttpHeaders.createOptimized(String.valueOf(BODY.length()));
    private final int port;

    Hello(int port) {
      this.port = port;
    }

    @Override
    public Future<?> start() {
      return vertx.createHttpServer(new HttpServerOptions().setTcpNoDelay(true))
        .requestHandler(request -> request.response()
          .putHeader(HttpHeaders.CONTENT_TYPE, TEXT_PLAIN)
          .putHeader(HttpHeaders.CONTENT_LENGTH, LENGTH)
          .end(BODY))
        .listen(port, "127.0.0.1");
    }
  }
}
