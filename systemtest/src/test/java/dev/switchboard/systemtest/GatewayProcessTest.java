package dev.switchboard.systemtest;

import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The gateway and two http nodes as real processes clustered on loopback; one node is killed with
 * SIGKILL under load. GETs must not fail, and the gateway must stop sending to the dead node at once.
 */
class GatewayProcessTest {

  private static final int REQUESTS = 3_000;
  private static final int CONCURRENCY = 16;
  private static final int KILL_AFTER = 600;
  private static final Duration LOAD_LIMIT = Duration.ofSeconds(120);
  /** The log's timestamp, as logback.xml writes it. */
  private static final Pattern LOG_TIME = Pattern.compile("^(\\S+) ");

  @Test
  void killingANodeUnderLoadFailsNoGet() throws Exception {
    String cluster = "gateway-" + UUID.randomUUID();
    List<Integer> memberPorts = List.of(ServiceProcess.freePort(), ServiceProcess.freePort(), ServiceProcess.freePort());
    String members = String.join(",", memberPorts.stream().map(p -> "127.0.0.1:" + p).toList());
    try (ServiceProcess http1 = ServiceProcess.of("http").clustered(cluster, memberPorts.get(0), members).set("port", "0").args("-instances", "2").start();
         ServiceProcess http2 = ServiceProcess.of("http").clustered(cluster, memberPorts.get(1), members).set("port", "0").args("-instances", "2").start();
         ServiceProcess gateway = ServiceProcess.of("gateway").clustered(cluster, memberPorts.get(2), members).set("port", "0").set("adminPort", "0").set("tcpRoutes", "0 echo").args("-instances", "2")
           .set("routes", "/ http retries=2")
           .set("healthInterval", "1s")
           .start()) {
      http1.awaitUp();
      http2.awaitUp();
      gateway.awaitUp();
      int port = gateway.port("http");
      awaitLog(gateway, 2, "node up: http@");
      String victim = "http@127.0.0.1:" + http2.port("http");

      HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
      HttpRequest get = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/")).timeout(Duration.ofSeconds(10)).build();
      Map<String, Integer> outcomes = new TreeMap<>();
      Instant killedAt = null;
      long deadline = System.nanoTime() + LOAD_LIMIT.toNanos();
      int sent = 0;
      while (sent < REQUESTS && System.nanoTime() < deadline) {
        if (killedAt == null && sent >= KILL_AFTER) {
          killedAt = Instant.now();
          http2.kill();
        }
        List<CompletableFuture<String>> wave = new ArrayList<>();
        for (int i = 0; i < CONCURRENCY; i++) {
          wave.add(client.sendAsync(get, HttpResponse.BodyHandlers.ofString())
            .thenApply(r -> String.valueOf(r.statusCode()))
            .exceptionally(e -> e.getClass().getSimpleName()));
        }
        for (CompletableFuture<String> answer : wave) {
          outcomes.merge(answer.get(30, TimeUnit.SECONDS), 1, Integer::sum);
        }
        sent += CONCURRENCY;
      }
      assertTrue(killedAt != null, "the load ended before the kill");
      // Out of rotation by whichever notices first: its circuit (failed requests) or the health
      // check (its kept-alive connection reset by the kill); the other then has nothing to notice.
      Instant ejected = logTime(gateway, victim + ": circuit open", victim + " is not ready");
      Instant gone = logTime(gateway, "node gone: " + victim);
      long toEjection = Duration.between(killedAt, ejected).toMillis();
      long toGone = Duration.between(killedAt, gone).toMillis();
      System.out.printf("gateway, SIGKILL of one of two http nodes under load: %d GETs, outcomes %s;"
        + " dead node out of rotation after %d ms, out of the registry after %d ms%n", sent, outcomes, toEjection, toGone);
      assertEquals(Map.of("200", sent), outcomes, "every GET answered 200");
      assertTrue(toEjection < 5_000, "out of rotation after " + toEjection + " ms");
      assertEquals(0, gateway.terminate(), gateway.output());
      assertEquals(0, http1.terminate(), http1.output());
    }
  }

  /** Waits (bounded) until {@code count} log lines contain one of {@code texts}. */
  private static void awaitLog(ServiceProcess process, int count, String... texts) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (matching(process, texts).count() < count) {
      assertTrue(System.nanoTime() < deadline && process.isAlive(), "no " + count + " lines " + List.of(texts) + " in:\n" + process.output());
      process.awaitOutput(Duration.ofMillis(200));
    }
  }

  private static Stream<String> matching(ServiceProcess process, String... texts) {
    return process.output().lines().filter(l -> Arrays.stream(texts).anyMatch(l::contains));
  }

  /** The time of the first log line that contains one of {@code texts}. */
  private static Instant logTime(ServiceProcess process, String... texts) throws InterruptedException {
    awaitLog(process, 1, texts);
    String line = matching(process, texts).findFirst().orElseThrow();
    Matcher time = LOG_TIME.matcher(line);
    assertTrue(time.find(), line);
    return java.time.OffsetDateTime.parse(time.group(1)).toInstant();
  }


}
