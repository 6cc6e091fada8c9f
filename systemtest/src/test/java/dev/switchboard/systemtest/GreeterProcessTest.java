package dev.switchboard.systemtest;

import dev.switchboard.shared.testkit.TestKit;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A Node.js service on the bus: the bridge and http jars clustered, and the greeter
 * (services/greeter-node) connected to the bridge. {@code GET /api/greet} on the http process is a
 * bus request that travels JVM → bridge → Node.js → back. The bridge asks for a token; when it is
 * stopped and another one starts on its port, the greeter reconnects and serves again.
 */
class GreeterProcessTest {

  private static final Duration PATIENCE = Duration.ofSeconds(30);

  @Test
  void httpProcessGetsItsAnswerFromTheNodeGreeterThroughTheBridge() throws Exception {
    String cluster = "systemtest-" + UUID.randomUUID();
    int bridgeMember = ServiceProcess.freePort();
    int httpMember = ServiceProcess.freePort();
    int secondBridgeMember = ServiceProcess.freePort();
    String members = "127.0.0.1:" + bridgeMember + ",127.0.0.1:" + httpMember + ",127.0.0.1:" + secondBridgeMember;
    int bridgePort = ServiceProcess.freePort();
    String token = "greeter-" + UUID.randomUUID();
    try (ServiceProcess bridge = bridge(token, bridgePort).clustered(cluster, bridgeMember, members).start();
         ServiceProcess http = ServiceProcess.of("http").clustered(cluster, httpMember, members).args("-instances", "1").start()) {
      bridge.awaitUp();
      http.awaitUp();
      HttpClient client = HttpClient.newHttpClient();
      URI greet = URI.create("http://127.0.0.1:" + http.port("http") + "/api/greet?name=Ada");
      assertEquals(503, get(client, greet).statusCode(), "no greeter yet");

      NodeProcess greeter = NodeProcess.start("services/greeter-node/greeter.js", Map.of(
        "SWITCHBOARD_BRIDGE_HOST", "127.0.0.1",
        "SWITCHBOARD_BRIDGE_PORT", String.valueOf(bridge.port("tcp")),
        "SWITCHBOARD_BRIDGE_TOKEN", token,
        "SWITCHBOARD_GREETER_NODE_HOST", "127.0.0.1",
        "SWITCHBOARD_GREETER_NODE_ADMIN_PORT", "0"), "greeter-node up:");
      try {
        String upLine = greeter.awaitUp(PATIENCE);
        java.util.regex.Matcher admin = java.util.regex.Pattern.compile("admin=(http://[^ ]+)").matcher(upLine);
        assertTrue(admin.find(), upLine);
        assertEquals(200, get(client, URI.create(admin.group(1) + "/ready")).statusCode(), "ready once on the bus");

        // the registration reaches the http node's view of the cluster shortly after the greeter is up
        HttpResponse<String> answer = eventually(client, greet, 200);
        assertTrue(answer.body().contains("\"greeting\":\"Hello, Ada!\""), answer.body());
        assertTrue(answer.body().contains("\"by\":\"greeter-node\""), answer.body());
        assertTrue(answer.body().contains("\"pid\":" + greeter.pid()), "answered by the Node process itself: " + answer.body());

        HttpResponse<String> blank = get(client, URI.create("http://127.0.0.1:" + http.port("http") + "/api/greet?name=%20"));
        assertEquals(400, blank.statusCode(), blank.body());
        assertTrue(blank.body().contains("name must be a non-blank string"), blank.body());
        HttpResponse<String> tooLong = get(client, URI.create("http://127.0.0.1:" + http.port("http") + "/api/greet?name=" + "a".repeat(101)));
        assertEquals(400, tooLong.statusCode(), tooLong.body());
        assertTrue(tooLong.body().contains("name must be at most 100 characters"), tooLong.body());

        // the bridge goes away: nobody serves greeter.hello; another bridge on its port: the greeter is back
        assertEquals(0, bridge.terminate(), bridge.output());
        eventually(client, greet, 503);
        try (ServiceProcess second = bridge(token, bridgePort).clustered(cluster, secondBridgeMember, members).start()) {
          second.awaitUp();
          HttpResponse<String> again = eventually(client, greet, 200);
          assertTrue(again.body().contains("\"pid\":" + greeter.pid()), "the same Node process, reconnected: " + again.body());
          assertTrue(greeter.isAlive(), greeter.output());

          assertEquals(0, greeter.terminate(PATIENCE), "the greeter stops on SIGTERM:\n" + greeter.output());
          eventually(client, greet, 503);
          assertEquals(0, second.terminate(), second.output());
        }
      } finally {
        greeter.close();
      }
      assertEquals(0, http.terminate(), http.output());
    }
  }

  /** A bridge on {@code port} that lets the holder of {@code token} serve greeter.*. */
  private static ServiceProcess.Builder bridge(String token, int port) {
    return ServiceProcess.of("bridge").set("port", String.valueOf(port)).set("adminPort", "0")
      .set("outbound", "greeter.*").set("tokens", token).args("-instances", "1");
  }

  private static HttpResponse<String> get(HttpClient client, URI uri) throws Exception {
    return client.send(HttpRequest.newBuilder(uri).timeout(PATIENCE).build(), HttpResponse.BodyHandlers.ofString());
  }

  /** GETs {@code uri} every 100 ms until it answers {@code status}, for at most {@link #PATIENCE}. */
  private static HttpResponse<String> eventually(HttpClient client, URI uri, int status) throws Exception {
    return TestKit.awaitPoll(() -> get(client, uri), answer -> answer.statusCode() == status, Duration.ofMillis(100), PATIENCE,
      status + " from " + uri);
  }
}
