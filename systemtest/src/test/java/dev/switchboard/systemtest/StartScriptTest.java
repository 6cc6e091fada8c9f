package dev.switchboard.systemtest;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The README's first command, {@code scripts/start}, as a user runs it: every service up and
 * clustered, endpoints printed, and nothing left running after SIGTERM. Settings come from the
 * environment, so it runs on free ports and its own cluster.
 */
class StartScriptTest {

  private static final Pattern STARTED = Pattern.compile("started ([\\w-]+) \\(pid (\\d+),");
  /** The endpoints table scripts/start prints: {@code   NAME     http=http://0.0.0.0:3000 ...}. */
  private static final Pattern HTTP_ENDPOINT = Pattern.compile("(?m)^\\s+http\\s+http=http://[^:]+:(\\d+)");
  private static final Pattern GATEWAY_TCP_ENDPOINT = Pattern.compile("(?m)^\\s+gateway\\s+.*tcp-echo=[^ :]+:(\\d+)");
  private static final Pattern GATEWAY_ENDPOINT = Pattern.compile("(?m)^\\s+gateway\\s+.*\\bhttp=http://[^:]+:(\\d+)");

  @Test
  void startsEveryServiceClusteredPrintsEndpointsAndStopsThemAllOnSigterm() throws Exception {
    // A block of 20 Hazelcast ports away from the default 5701, most likely free.
    int base = 20_000 + new Random().nextInt(20_000);
    ProcessBuilder builder = new ProcessBuilder("bash", ServiceProcess.root().resolve("scripts/start").toString(), "--instances", "1")
      .redirectErrorStream(true);
    builder.environment().keySet().removeIf(k -> k.startsWith("SWITCHBOARD_"));
    builder.environment().put("SWITCHBOARD_CLUSTER_NAME", "start-" + UUID.randomUUID());
    builder.environment().put("SWITCHBOARD_CLUSTER_PORT", String.valueOf(base));
    builder.environment().put("SWITCHBOARD_CLUSTER_MEMBERS", "127.0.0.1:" + base + "-" + (base + 19));
    // Every service on free ports; a service reads only the keys it knows, so the rest is ignored.
    for (String service : services()) {
      String prefix = "SWITCHBOARD_" + service.toUpperCase(Locale.ROOT).replace('-', '_');
      builder.environment().put(prefix + "_HOST", "127.0.0.1");
      builder.environment().put(prefix + "_PORT", "0");
      builder.environment().put(prefix + "_ADMIN_PORT", "0");
    }
    builder.environment().put("SWITCHBOARD_GATEWAY_TCP_ROUTES", "0 echo");
    Process script = builder.start();
    List<String> lines = new CopyOnWriteArrayList<>();
    CompletableFuture<Void> up = new CompletableFuture<>();
    Thread reader = new Thread(() -> {
      try (BufferedReader in = new BufferedReader(new InputStreamReader(script.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = in.readLine()) != null) {
          lines.add(line);
          if (line.startsWith("Ctrl-C stops everything")) {
            up.complete(null);
          }
        }
      } catch (Exception e) {
        up.completeExceptionally(e);
      }
    });
    reader.setDaemon(true);
    reader.start();
    List<Long> pids = new ArrayList<>();
    try {
      up.get(ServiceProcess.START_TIMEOUT_SECONDS * 2, TimeUnit.SECONDS);
      String output = String.join("\n", lines);
      for (String line : lines) {
        Matcher started = STARTED.matcher(line);
        if (started.find()) {
          pids.add(Long.parseLong(started.group(2)));
        }
      }
      assertTrue(output.contains("started echo") && output.contains("started http"), output);
      Matcher http = HTTP_ENDPOINT.matcher(output);
      assertTrue(http.find(), output);

      // Wait (bounded) for the http line to show that echo is reachable over the cluster.
      HttpClient client = HttpClient.newHttpClient();
      HttpResponse<String> answer;
      answer = poll(client, script, "http://127.0.0.1:" + http.group(1) + "/api/echo?msg=started", a -> a.statusCode() == 200);
      assertEquals(200, answer.statusCode(), answer.body());
      assertTrue(answer.body().contains("\"echo\":\"started\""), answer.body());

      // The same through the gateway, which finds the http node in the cluster's registry.
      Matcher gateway = GATEWAY_ENDPOINT.matcher(output);
      assertTrue(gateway.find(), output);
      answer = poll(client, script, "http://127.0.0.1:" + gateway.group(1) + "/api/echo?msg=gateway", a -> a.statusCode() == 200);
      assertEquals(200, answer.statusCode(), answer.body());
      assertTrue(answer.body().contains("\"echo\":\"gateway\""), answer.body());
      assertTrue(answer.headers().firstValue("X-Request-Id").isPresent(), answer.headers().toString());

      // The Node.js greeter, on the bus through the bridge, answers through the gateway too.
      assertTrue(output.contains("started greeter-node"), output);
      answer = poll(client, script, "http://127.0.0.1:" + gateway.group(1) + "/api/greet?name=start", a -> a.statusCode() == 200);
      assertEquals(200, answer.statusCode(), answer.body());
      assertTrue(answer.body().contains("\"greeting\":\"Hello, start!\""), answer.body());

      // TCP through the gateway's port, to an echo node it found in the registry.
      Matcher tcp = GATEWAY_TCP_ENDPOINT.matcher(output);
      assertTrue(tcp.find(), output);
      try (Socket socket = new Socket("127.0.0.1", Integer.parseInt(tcp.group(1)))) {
        socket.setSoTimeout(10_000);
        socket.getOutputStream().write("through the gateway\n".getBytes(StandardCharsets.UTF_8));
        socket.shutdownOutput();
        assertEquals("through the gateway\n", new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
      }

      // The web front-end's home screen, composed by the gateway from chat, files, echo and the greeter.
      answer = poll(client, script, "http://127.0.0.1:" + gateway.group(1) + "/bff/web/home?name=bff", a -> a.body().contains("\"partial\":false"));
      assertEquals(200, answer.statusCode(), answer.body());
      JsonObject home = new JsonObject(answer.body());
      assertEquals(new JsonObject(), home.getJsonObject("errors"), answer.body());
      JsonObject data = home.getJsonObject("data");
      assertEquals(List.of("rooms", "files", "greeting", "echo"), List.copyOf(data.fieldNames()), answer.body());
      assertEquals("Hello, bff!", data.getJsonObject("greeting").getString("greeting"));
      assertTrue(data.getJsonObject("files").containsKey("entries"), answer.body());
      assertTrue(data.getJsonObject("rooms").containsKey("rooms"), answer.body());
    } finally {
      script.toHandle().destroy(); // SIGTERM, keeping our end of its output open (Process.destroy closes it)
      assertTrue(script.waitFor(60, TimeUnit.SECONDS), "scripts/start did not stop:\n" + String.join("\n", lines));
    }
    reader.join(TimeUnit.SECONDS.toMillis(10));
    List<Long> leaked = pids.stream().filter(pid -> ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).toList();
    leaked.forEach(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
    assertEquals(List.of(), leaked, "service processes left running");
    assertEquals(services().size(), pids.size(), "every service, the Node.js greeter too: " + String.join("\n", lines));
    assertTrue(lines.contains("all stopped"), String.join("\n", lines));
  }

  /** The modules under services/ that have sources, and the gateway, as scripts/start finds them. */
  private static List<String> services() throws IOException {
    try (Stream<Path> dirs = Files.list(ServiceProcess.root().resolve("services"))) {
      // JVM services have sources; Node.js services (the greeter) a package.json
      List<String> services = new ArrayList<>(dirs.filter(dir -> Files.isDirectory(dir.resolve("src/main")) || Files.isRegularFile(dir.resolve("package.json")))
        .map(dir -> dir.getFileName().toString())
        .sorted()
        .toList());
      if (Files.isDirectory(ServiceProcess.root().resolve("gateway/src/main"))) {
        services.add("gateway");
      }
      return services;
    }
  }

  /**
   * Asks {@code uri} until {@code done} holds for the answer, the script ends, or 30 s pass; the
   * last answer.
   */
  private static HttpResponse<String> poll(HttpClient client, Process script, String uri, Predicate<HttpResponse<String>> done)
    throws IOException, InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    HttpResponse<String> answer;
    do {
      answer = client.send(HttpRequest.newBuilder(URI.create(uri)).build(), HttpResponse.BodyHandlers.ofString());
    } while (!done.test(answer) && !script.waitFor(100, TimeUnit.MILLISECONDS) && System.nanoTime() < deadline);
    return answer;
  }
}
