import dev.switchboard.shared.cluster.ClusterOptions;
import dev.switchboard.shared.cluster.HazelcastConfigs;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;

import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A bounded request/reply load on the clustered event bus, made from a JVM that joins the cluster:
 * the "direct" side of {@code scripts/bench bridge}. CONCURRENCY requests are kept outstanding for
 * WARMUP + SECONDS; only the last SECONDS are counted. Each reply must equal its request.
 *
 * <pre>java -cp switchboard-bridge.jar bench/BusLoad.java CLUSTER MEMBER_PORT MEMBERS ADDRESS [CONCURRENCY=64] [SECONDS=10] [WARMUP=3]</pre>
 *
 * Prints one {@code RESULT rps=... p50_ms=... p99_ms=... errors=...} line; exit status 1 on any error.
 * Members and the bus stay on 127.0.0.1.
 */
public final class BusLoad {

  public static void main(String[] args) throws Exception {
    String cluster = args[0];
    int memberPort = Integer.parseInt(args[1]);
    String members = args[2];
    String address = args[3];
    int concurrency = args.length > 4 ? Integer.parseInt(args[4]) : 64;
    int seconds = args.length > 5 ? Integer.parseInt(args[5]) : 10;
    int warmup = args.length > 6 ? Integer.parseInt(args[6]) : 3;

    ClusterOptions options = ClusterOptions.fromJson(new JsonObject()
      .put("name", cluster).put("host", "127.0.0.1").put("port", memberPort).put("portCount", 1)
      .put("members", new JsonArray(Arrays.asList(members.split(",")))));
    Vertx vertx = Vertx.builder()
      .withClusterManager(new HazelcastClusterManager(HazelcastConfigs.create(options)))
      .buildClustered().await(60, TimeUnit.SECONDS);

    // The member may form a cluster of its own for a moment before it meets the others: the load
    // starts once a request has been answered (bounded).
    long joinDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (true) {
      try {
        vertx.eventBus().request(address, new JsonObject(), new DeliveryOptions().setSendTimeout(1000)).await(2, TimeUnit.SECONDS);
        break;
      } catch (Exception e) {
        if (System.nanoTime() > joinDeadline) {
          System.err.println("error: nobody answers on " + address + " after 30 s: " + e);
          System.exit(1);
        }
        TimeUnit.MILLISECONDS.sleep(100);
      }
    }

    long start = System.nanoTime();
    long measureFrom = start + TimeUnit.SECONDS.toNanos(warmup);
    long end = measureFrom + TimeUnit.SECONDS.toNanos(seconds);
    long[] latencies = new long[4_000_000];
    AtomicLong counted = new AtomicLong();
    AtomicLong errors = new AtomicLong();
    CountDownLatch done = new CountDownLatch(concurrency);
    DeliveryOptions delivery = new DeliveryOptions().setSendTimeout(10_000);
    JsonObject payload = new JsonObject().put("text", "x".repeat(64));
    for (int i = 0; i < concurrency; i++) {
      vertx.runOnContext(v -> new Runnable() {
        @Override
        public void run() {
          long sent = System.nanoTime();
          if (sent >= end) {
            done.countDown();
            return;
          }
          vertx.eventBus().request(address, payload, delivery).onComplete(reply -> {
            long now = System.nanoTime();
            if (reply.failed() || !payload.equals(reply.result().body())) {
              if (errors.incrementAndGet() <= 5) {
                System.err.println("error: " + (reply.failed() ? reply.cause() : "reply differs: " + reply.result().body()));
              }
            } else if (sent >= measureFrom) {
              long n = counted.getAndIncrement();
              if (n < latencies.length) {
                latencies[(int) n] = now - sent;
              }
            }
            run();
          });
        }
      }.run());
    }
    done.await(warmup + seconds + 30L, TimeUnit.SECONDS);
    int n = (int) Math.min(counted.get(), latencies.length);
    long[] sorted = Arrays.copyOf(latencies, n);
    Arrays.sort(sorted);
    System.out.printf(Locale.ROOT, "RESULT rps=%.0f p50_ms=%.3f p99_ms=%.3f errors=%d requests=%d%n",
      counted.get() / (double) seconds, percentile(sorted, 0.50), percentile(sorted, 0.99), errors.get(), counted.get());
    vertx.close().await(30, TimeUnit.SECONDS);
    System.exit(errors.get() == 0 ? 0 : 1);
  }

  private static double percentile(long[] sorted, double p) {
    return sorted.length == 0 ? Double.NaN : sorted[Math.min(sorted.length - 1, (int) Math.ceil(p * sorted.length) - 1)] / 1e6;
  }
}
