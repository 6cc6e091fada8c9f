package dev.switchboard.systemtest;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The README's first command, {@code scripts/start}, as a user runs it: every service up and
 * clustered, endpoints printed, and nothing left running after SIGTERM. Settings come from the
 * environment, so it runs on free ports and its own cluster ({@link StartScript}).
 */
class StartScriptTest {

  @Test
  void startsEveryServiceClusteredPrintsEndpointsAndStopsThemAllOnSigterm() throws Exception {
    try (StartScript script = StartScript.start(Map.of(), "--instances", "1")) {
      try {
        script.awaitUp(ServiceProcess.START_TIMEOUT_SECONDS * 2);
        String output = script.output();
        assertTrue(output.contains("started echo") && output.contains("started http"), output);
        int http = script.port("http", "http");

        // Wait (bounded) for the http line to show that echo is reachable over the cluster.
        HttpClient client = HttpClient.newHttpClient();
        HttpResponse<String> answer;
        answer = script.poll(client, "http://127.0.0.1:" + http + "/api/echo?msg=started", a -> a.statusCode() == 200);
        assertEquals(200, answer.statusCode(), answer.body());
        assertTrue(answer.body().contains("\"echo\":\"started\""), answer.body());

        // The same through the gateway, which finds the http node in the cluster's registry.
        int gateway = script.port("gateway", "http");
        answer = script.poll(client, "http://127.0.0.1:" + gateway + "/api/echo?msg=gateway", a -> a.statusCode() == 200);
        assertEquals(200, answer.statusCode(), answer.body());
        assertTrue(answer.body().contains("\"echo\":\"gateway\""), answer.body());
        assertTrue(answer.headers().firstValue("X-Request-Id").isPresent(), answer.headers().toString());

        // The Node.js greeter, on the bus through the bridge, answers through the gateway too.
        assertTrue(output.contains("started greeter-node"), output);
        answer = script.poll(client, "http://127.0.0.1:" + gateway + "/api/greet?name=start", a -> a.statusCode() == 200);
        assertEquals(200, answer.statusCode(), answer.body());
        assertTrue(answer.body().contains("\"greeting\":\"Hello, start!\""), answer.body());

        // TCP through the gateway's port, to an echo node it found in the registry.
        try (Socket socket = new Socket("127.0.0.1", script.port("gateway", "tcp-echo"))) {
          socket.setSoTimeout(10_000);
          socket.getOutputStream().write("through the gateway\n".getBytes(StandardCharsets.UTF_8));
          socket.shutdownOutput();
          assertEquals("through the gateway\n", new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
        }

        // The web front-end's home screen, composed by the gateway from chat, files, echo and the greeter.
        answer = script.poll(client, "http://127.0.0.1:" + gateway + "/bff/web/home?name=bff", a -> a.body().contains("\"partial\":false"));
        assertEquals(200, answer.statusCode(), answer.body());
        JsonObject home = new JsonObject(answer.body());
        assertEquals(new JsonObject(), home.getJsonObject("errors"), answer.body());
        JsonObject data = home.getJsonObject("data");
        assertEquals(List.of("rooms", "files", "greeting", "echo"), List.copyOf(data.fieldNames()), answer.body());
        assertEquals("Hello, bff!", data.getJsonObject("greeting").getString("greeting"));
        assertTrue(data.getJsonObject("files").containsKey("entries"), answer.body());
        assertTrue(data.getJsonObject("rooms").containsKey("rooms"), answer.body());
      } finally {
        script.stop();
      }
      assertEquals(List.of(), script.leaked(), "service processes left running");
      assertEquals(new TreeSet<>(StartScript.services()), new TreeSet<>(script.started().keySet()),
        "every service, the Node.js greeter too: " + script.output());
      assertTrue(script.lines().contains("all stopped"), script.output());
    }
  }
}
