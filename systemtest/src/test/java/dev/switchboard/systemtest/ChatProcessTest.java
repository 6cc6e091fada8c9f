package dev.switchboard.systemtest;

import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Two chat fat jars as two clustered processes: one room across them, the page, a clean SIGTERM. */
class ChatProcessTest {

  @Test
  void twoClusteredProcessesShareARoomAndStopCleanly() throws Exception {
    String cluster = "systemtest-chat-" + UUID.randomUUID();
    int member1 = ServiceProcess.freePort();
    int member2 = ServiceProcess.freePort();
    String members = "127.0.0.1:" + member1 + ",127.0.0.1:" + member2;
    try (ServiceProcess one = ServiceProcess.of("chat").clustered(cluster, member1, members).args("-instances", "1").start();
         ServiceProcess two = ServiceProcess.of("chat").clustered(cluster, member2, members).args("-instances", "1").start()) {
      one.awaitUp();
      two.awaitUp();
      assertTrue(two.upLine().contains("cluster " + cluster), two.upLine());
      HttpClient http = HttpClient.newHttpClient();

      HttpResponse<String> page = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + one.port("http") + "/")).build(),
        HttpResponse.BodyHandlers.ofString());
      assertEquals(200, page.statusCode());
      assertTrue(page.body().contains("chat.js"), page.body());

      ChatSocket ann = ChatSocket.connect(http, one.port("http"));
      ChatSocket bob = ChatSocket.connect(http, two.port("http"));
      ann.send("{\"type\":\"join\",\"room\":\"lobby\",\"nickname\":\"ann\"}");
      ann.await("\"presence\"");
      bob.send("{\"type\":\"join\",\"room\":\"lobby\",\"nickname\":\"bob\"}");
      assertTrue(bob.await("\"presence\"").contains("[\"ann\",\"bob\"]"));
      ann.send("{\"type\":\"message\",\"text\":\"across processes\",\"clientId\":\"a1\"}");
      String message = bob.await("across processes");
      assertTrue(message.contains("\"seq\":1"), message);
      assertNotNull(ann.await("\"ack\""));

      assertEquals(0, two.terminate(), two.output());
      String left = ann.await("\"left\"");
      assertTrue(left.contains("\"bob\"") && left.contains("node left"), left);
      assertEquals(0, one.terminate(), one.output());
    }
  }


}
