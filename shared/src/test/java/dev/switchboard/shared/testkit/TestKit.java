package dev.switchboard.shared.testkit;

import dev.switchboard.shared.IngressOptions;
import dev.switchboard.shared.ServiceDefinition;
import dev.switchboard.shared.ServiceOptions;
import dev.switchboard.shared.ServiceRuntime;
import dev.switchboard.shared.auth.AuthOptions;
import dev.switchboard.shared.ops.Metrics;
import dev.switchboard.shared.ops.MetricsFactory;
import io.vertx.core.Context;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Deployable;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonObject;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Starts services the way the launcher does, but inside a test's Vert.x, on 127.0.0.1 and port 0;
 * and the one way tests wait from their own thread: {@link #await} a future, {@link #poll} (or
 * {@link #awaitPoll}, for an attempt that blocks) until an answer is right, always bounded.
 */
public final class TestKit {

  /** Short, so that tests of shutdown do not wait long. */
  public static final Duration TEST_GRACE = Duration.ofSeconds(2);
  /** How long a test waits for a future when it names no limit of its own. */
  public static final Duration WAIT = Duration.ofSeconds(30);

  private TestKit() {
  }

  /** A Vert.x with the launcher's metrics, so {@code /metrics} answers as in production. */
  public static Vertx vertx() {
    return Vertx.builder().with(new VertxOptions().setMetricsOptions(Metrics.options())).withMetrics(new MetricsFactory()).build();
  }

  /**
   * Deploys {@code instances} instances of a service with its options read from {@code settings}
   * over {@code {"host": "127.0.0.1", "port": 0}}, and marks it serving as the launcher does.
   */
  public static <O extends ServiceOptions> Future<Deployed> deploy(Vertx vertx, ServiceDefinition<O> service, JsonObject settings, int instances) {
    return deploy(vertx, service, settings, instances, new IngressOptions());
  }

  /** As {@link #deploy(Vertx, ServiceDefinition, JsonObject, int)}, with the process's ingress settings (head timeout, trusted proxies). */
  public static <O extends ServiceOptions> Future<Deployed> deploy(Vertx vertx, ServiceDefinition<O> service, JsonObject settings, int instances,
                                                                   IngressOptions ingress) {
    return deploy(vertx, service, settings, instances, ingress, new AuthOptions());
  }

  /** As {@link #deploy(Vertx, ServiceDefinition, JsonObject, int, IngressOptions)}, with the process's token settings. */
  public static <O extends ServiceOptions> Future<Deployed> deploy(Vertx vertx, ServiceDefinition<O> service, JsonObject settings, int instances,
                                                                   IngressOptions ingress, AuthOptions auth) {
    JsonObject json = new JsonObject().put("host", "127.0.0.1").put("port", 0);
    if (service.defaults().toJson().containsKey("adminPort")) {
      json.put("adminPort", 0);
    }
    O options = service.options().fromJson(json.mergeIn(settings));
    ServiceRuntime runtime = ServiceRuntime.create(service.name(), TEST_GRACE, ingress, auth);
    Supplier<? extends Deployable> supplier = service.verticles().create(options, runtime);
    return vertx.deployVerticle(supplier, new DeploymentOptions().setInstances(instances))
      .map(id -> {
        runtime.serving();
        return new Deployed(id, runtime);
      });
  }

  /**
   * Runs {@code call} on one of {@code vertx}'s event loops. Vert.x 5.0.8's HTTP client, used from a
   * thread of its own (a test's), now and then never completes a request on a reused keep-alive
   * connection — about 1 in 400 sequential requests on this machine, against any server — while
   * from an event loop it does not: tests make their client requests through this.
   */
  public static <T> Future<T> onContext(Vertx vertx, Supplier<Future<T>> call) {
    Context context = vertx.getOrCreateContext();
    return Future.future(promise -> context.runOnContext(v -> call.get().onComplete(promise)));
  }

  /**
   * Asks {@code attempt} until its answer is {@code done}, every {@code every} on a timer of
   * {@code vertx}, failing with the last answer once {@code limit} has passed; an attempt that fails
   * (nothing listening yet) is asked again.
   */
  public static <T> Future<T> poll(Vertx vertx, Supplier<Future<T>> attempt, Predicate<T> done, Duration every, Duration limit) {
    return pollUntil(vertx, attempt, done, every.toMillis(), System.nanoTime() + limit.toNanos());
  }

  private static <T> Future<T> pollUntil(Vertx vertx, Supplier<Future<T>> attempt, Predicate<T> done, long everyMillis, long deadline) {
    return attempt.get().<Object>map(answer -> answer).otherwise((Throwable failure) -> failure).compose(result -> {
      @SuppressWarnings("unchecked")
      T answer = result instanceof Throwable ? null : (T) result;
      if (answer != null && done.test(answer)) {
        return Future.succeededFuture(answer);
      }
      if (System.nanoTime() - deadline > 0) {
        return Future.failedFuture(new TimeoutException("still not there; last: " + result));
      }
      return vertx.timer(everyMillis).compose(v -> pollUntil(vertx, attempt, done, everyMillis, deadline));
    });
  }

  /**
   * Asks {@code attempt} from the test's thread until its answer is {@code done}, every
   * {@code every}, and returns that answer; once {@code limit} has passed, fails with an
   * {@link AssertionError} naming {@code what} and the last answer. For attempts that block (a
   * socket client, a file system, another process); {@link #poll} is for attempts that are
   * futures. An attempt that throws ends the wait with that exception: one that may fail before
   * it succeeds catches its failure and answers something not {@code done}.
   */
  public static <T> T awaitPoll(Callable<T> attempt, Predicate<T> done, Duration every, Duration limit, String what) throws Exception {
    long deadline = System.nanoTime() + limit.toNanos();
    while (true) {
      T answer = attempt.call();
      if (done.test(answer)) {
        return answer;
      }
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError("not within " + limit.toMillis() + " ms: " + what + "; last: " + answer);
      }
      Thread.sleep(every.toMillis()); // the pace of bounded polling, not a wait for an event
    }
  }

  /** The outcome of {@code future}, waited for from a test's thread for at most {@link #WAIT}. */
  public static <T> T await(Future<T> future) throws Exception {
    return await(future, WAIT);
  }

  /**
   * The outcome of {@code future}, waited for from a test's thread for at most {@code limit}: its
   * failure comes as an {@link ExecutionException} whose cause it is, a wait past the limit as a
   * {@link TimeoutException}.
   */
  public static <T> T await(Future<T> future, Duration limit) throws Exception {
    return future.toCompletionStage().toCompletableFuture().get(limit.toMillis(), TimeUnit.MILLISECONDS);
  }

  /**
   * As {@link #await(Future, Duration)}, for code that may not throw checked exceptions (a test
   * client's methods, lambdas): a failure, or a wait past {@code limit}, is an
   * {@link AssertionError} whose message and cause say which.
   */
  public static <T> T awaitUnchecked(Future<T> future, Duration limit) {
    try {
      return await(future, limit);
    } catch (ExecutionException e) {
      throw new AssertionError("the future failed: " + e.getCause(), e.getCause());
    } catch (TimeoutException e) {
      throw new AssertionError("the future did not complete within " + limit.toMillis() + " ms", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted while waiting for a future", e);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  /** A deployed service: its deployment id and runtime (with bound endpoints and meters). */
  public record Deployed(String id, ServiceRuntime runtime) {

    /** The port bound for an endpoint the service recorded, e.g. {@code tcp}, {@code http}, {@code admin}. */
    public int port(String endpoint) {
      String address = runtime.endpoints().get(endpoint);
      if (address == null) {
        throw new IllegalArgumentException("no endpoint " + endpoint + " in " + runtime.endpoints());
      }
      return Integer.parseInt(address.substring(address.lastIndexOf(':') + 1).replaceAll("[^0-9].*$", ""));
    }
  }
}
