package dev.switchboard.systemtest;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code scripts/start --observe}: Zipkin and Prometheus beside the services, on free ports. Prometheus
 * finds every JVM service through the gateway's {@code /prometheus/targets} and scrapes each at the
 * port that serves its {@code /metrics}; a request through the gateway arrives in Zipkin as spans;
 * and SIGTERM stops Zipkin and Prometheus with everything else. Needs Debian's prometheus package
 * (.ci/run installs it) and Zipkin's server jar in Maven's local repository or reachable.
 */
class StartScriptObserveTest {

  /** Zipkin alone starts in about 12 s; beside six services, and maybe fetched first, far longer. */
  private static final long UP_SECONDS = ServiceProcess.START_TIMEOUT_SECONDS * 3;
  /** Prometheus asks for its targets and scrapes each every 5 s: a few rounds. */
  private static final Duration SCRAPED = Duration.ofSeconds(60);
  /** Spans are batched for a second before they are sent. */
  private static final Duration TRACED = Duration.ofSeconds(30);

  @Test
  void prometheusScrapesEveryServiceAndZipkinGetsTheSpansOfARequest() throws Exception {
    int zipkin = ServiceProcess.freePort();
    int prometheus = ServiceProcess.freePort();
    Map<String, String> env = Map.of(
      "SWITCHBOARD_ZIPKIN_PORT", String.valueOf(zipkin),
      "SWITCHBOARD_PROMETHEUS_PORT", String.valueOf(prometheus));
    try (StartScript script = StartScript.start(env, "--observe", "--instances", "1")) {
      try {
        script.awaitUp(UP_SECONDS);
        assertEquals(zipkin, script.port("zipkin", "http"), script.output());
        assertEquals(prometheus, script.port("prometheus", "http"), script.output());
        HttpClient client = HttpClient.newHttpClient();

        // Every JVM service, each exactly once, healthy, scraped where the endpoints table says its
        // metrics are: the admin port if it has one, else its HTTP port.
        Map<String, Integer> metricsPorts = new TreeMap<>();
        for (String service : StartScript.jvmServices()) {
          metricsPorts.put(service, script.port(service, script.hasEndpoint(service, "admin") ? "admin" : "http"));
        }
        assertTrue(metricsPorts.keySet().containsAll(List.of("echo", "http", "files", "chat", "bridge", "gateway")), metricsPorts.toString());
        String targetsUri = "http://127.0.0.1:" + prometheus + "/api/v1/targets?state=active";
        HttpResponse<String> answer = script.poll(client, targetsUri, a -> a.statusCode() == 200 && allUp(a.body(), metricsPorts.keySet()), SCRAPED);
        assertEquals(200, answer.statusCode(), answer.body());
        JsonArray targets = new JsonObject(answer.body()).getJsonObject("data").getJsonArray("activeTargets");
        Map<String, String> health = new TreeMap<>();
        Map<String, Integer> scraped = new TreeMap<>();
        for (JsonObject target : objects(targets)) {
          String service = target.getJsonObject("labels").getString("service");
          assertEquals(null, health.put(service, target.getString("health")), "listed twice: " + service + " in " + answer.body());
          URI url = URI.create(target.getString("scrapeUrl"));
          assertEquals("/metrics", url.getPath(), target.encode());
          scraped.put(service, url.getPort());
        }
        assertEquals(metricsPorts.keySet().stream().collect(Collectors.toMap(s -> s, s -> "up", (a, b) -> a, TreeMap::new)), health,
          answer.body());
        assertEquals(metricsPorts, scraped, answer.body());

        // Zipkin is up, and one request through the gateway arrives there from the gateway, http and echo.
        assertEquals(200, script.poll(client, "http://127.0.0.1:" + zipkin + "/health", a -> a.statusCode() == 200).statusCode());
        int gateway = script.port("gateway", "http");
        answer = script.poll(client, "http://127.0.0.1:" + gateway + "/api/echo?msg=traced", a -> a.statusCode() == 200);
        assertEquals(200, answer.statusCode(), answer.body());
        List<String> traced = List.of("echo", "gateway", "http");
        answer = script.poll(client, "http://127.0.0.1:" + zipkin + "/api/v2/services",
          a -> a.statusCode() == 200 && new JsonArray(a.body()).getList().containsAll(traced), TRACED);
        assertTrue(new JsonArray(answer.body()).getList().containsAll(traced), answer.body());
      } finally {
        script.stop();
      }
      assertEquals(List.of(), script.leaked(), "processes left running:\n" + script.output());
      assertEquals(new TreeSet<>(Stream.concat(StartScript.services().stream(), Stream.of("zipkin", "prometheus")).toList()),
        new TreeSet<>(script.started().keySet()), script.output());
      assertTrue(script.lines().contains("all stopped"), script.output());
    }
  }

  /** Whether Prometheus lists each of {@code services} once as a target, all with health {@code up}. */
  private static boolean allUp(String body, Set<String> services) {
    List<JsonObject> targets = objects(new JsonObject(body).getJsonObject("data").getJsonArray("activeTargets"));
    return targets.size() == services.size()
      && targets.stream().allMatch(t -> "up".equals(t.getString("health")))
      && targets.stream().map(t -> t.getJsonObject("labels").getString("service")).collect(Collectors.toSet()).equals(services);
  }

  private static List<JsonObject> objects(JsonArray array) {
    return array.stream().map(JsonObject.class::cast).toList();
  }
}
