package dev.switchboard.systemtest;

import org.junit.jupiter.api.Test;

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
    int echoMember = ServiceProcess.freePort();
    int httpMember = ServiceProcess.freePort();
    String members = "127.0.0.1:" + echoMember + ",127.0.0.1:" + httpMember;
    try (ServiceProcess echo = ServiceProcess.of("echo").set("adminPort", "0").clustered(cluster, echoMember, members).args("-instances", "1").start();
         ServiceProcess http = ServiceProcess.of("http").clustered(cluster, httpMember, members).args("-instances", "1").start()) {
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


}
