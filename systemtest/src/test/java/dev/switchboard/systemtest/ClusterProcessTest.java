package dev.switchboard.systemtest;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two services as two processes, clustered over Hazelcast on loopback: the http service reaches
 * the echo service's bus address across the process boundary.
 */
class ClusterProcessTest {

  @Test
  void httpProcessReachesEchoProcessOverTheClusteredBus() throws Exception {
    String cluster = "systemtest-" + UUID.randomUUID();
    int echoMember = freePort();
    int httpMember = freePort();
    String members = "127.0.0.1:" + echoMember + ",127.0.0.1:" + httpMember;
    try (ServiceProcess echo = clustered(ServiceProcess.of("echo").set("adminPort", "0"), cluster, echoMember, members).start();
         ServiceProcess http = clustered(ServiceProcess.of("http"), cluster, httpMember, members).start()) {
      echo.awaitUp();
      http.awaitUp();
      assertTrue(http.upLine().contains("cluster " + cluster), http.upLine());

      HttpClient client = HttpClient.newHttpClient();
      HttpResponse<String> answer = client.send(HttpRequest.newBuilder(
        URI.create("http://127.0.0.1:" + http.port("http") + "/api/echo?msg=hi%20there")).build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(200, answer.statusCode(), answer.body());
      assertTrue(answer.body().contains("\"echo\":\"hi there\""), answer.body());

      HttpResponse<String> ready = client.send(HttpRequest.newBuilder(
        URI.create("http://127.0.0.1:" + http.port("http") + "/ready")).build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(200, ready.statusCode(), ready.body());
      assertTrue(ready.body().contains("\"id\":\"cluster\""), ready.body());

      assertEquals(0, http.terminate(), http.output());
      assertEquals(0, echo.terminate(), echo.output());
    }
  }

  private static ServiceProcess.Builder clustered(ServiceProcess.Builder builder, String cluster, int memberPort, String members) {
    return builder
      .env("SWITCHBOARD_CLUSTER_NAME", cluster)
      .env("SWITCHBOARD_CLUSTER_PORT", String.valueOf(memberPort))
      .env("SWITCHBOARD_CLUSTER_PORT_COUNT", "1")
      .env("SWITCHBOARD_CLUSTER_MEMBERS", members)
      .args("-cluster", "-instances", "1");
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }
}
