import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * GETs a URL for a while, CONCURRENCY at a time, and reports how many failed (anything but 200,
 * or no answer within the timeout) and when: {@code java Load.java URL SECONDS [CONCURRENCY]}.
 * Prints {@code FAIL <time> <what>} per failure, then {@code TOTAL n OK n FAILED n MAX_MS n}.
 */
public class Load {

  private static final Duration TIMEOUT = Duration.ofSeconds(20);

  public static void main(String[] args) throws Exception {
    URI uri = URI.create(args[0]);
    long seconds = Long.parseLong(args[1]);
    int concurrency = args.length > 2 ? Integer.parseInt(args[2]) : 4;
    HttpClient client = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();
    HttpRequest get = HttpRequest.newBuilder(uri).timeout(TIMEOUT).build();
    long end = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
    long total = 0;
    long failed = 0;
    long maxMillis = 0;
    while (System.nanoTime() < end) {
      List<CompletableFuture<String>> wave = new ArrayList<>();
      long start = System.nanoTime();
      for (int i = 0; i < concurrency; i++) {
        wave.add(client.sendAsync(get, HttpResponse.BodyHandlers.discarding())
          .thenApply(r -> r.statusCode() == 200 ? "" : "status " + r.statusCode())
          .exceptionally(e -> e.getClass().getSimpleName()));
      }
      for (CompletableFuture<String> answer : wave) {
        String problem = answer.join();
        total++;
        if (!problem.isEmpty()) {
          failed++;
          System.out.println("FAIL " + Instant.now() + " " + problem);
        }
      }
      maxMillis = Math.max(maxMillis, Duration.ofNanos(System.nanoTime() - start).toMillis());
    }
    System.out.println("TOTAL " + total + " OK " + (total - failed) + " FAILED " + failed + " MAX_MS " + maxMillis);
  }
}
