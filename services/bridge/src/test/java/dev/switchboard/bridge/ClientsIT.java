package dev.switchboard.bridge;

import dev.switchboard.shared.testkit.TestCluster;
import dev.switchboard.shared.testkit.TestKit;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Runs the Node.js and Python client suites against the bridge fat jar built in this run: the jar
 * runs as its own process, clustered with a Vert.x node in this JVM that serves the test addresses
 * of {@link TestConsumers}. The contract the suites rely on (settings, tokens, addresses,
 * environment) is written in {@code clients/README.md}.
 */
class ClientsIT {

  static final String TOKEN = "it-admin-token-0123456789";
  static final String LIMITED_TOKEN = "it-limited-token-0123456789";
  static final long START_SECONDS = 90;
  static final long SUITE_MINUTES = 4;
  private static final Pattern TCP_ENDPOINT = Pattern.compile("tcp=[^\\s:]+:(\\d+)");

  private static TestCluster cluster;
  private static Process bridge;
  private static int bridgePort;
  private static final List<String> bridgeOutput = new ArrayList<>();

  @BeforeAll
  static void startBridge() throws Exception {
    cluster = TestKit.await(TestCluster.start(1), Duration.ofSeconds(START_SECONDS));
    Vertx node = cluster.node(0);
    TestKit.await(TestConsumers.register(node), Duration.ofSeconds(START_SECONDS));

    int memberPort = freePort();
    List<String> members = new ArrayList<>(cluster.options(memberPort).members());
    members.add("127.0.0.1:" + memberPort);
    Path jar = Path.of("target", "switchboard-bridge.jar").toAbsolutePath();
    assertTrue(Files.isRegularFile(jar), jar + " is missing: the client suites run after mvn package");
    ProcessBuilder builder = new ProcessBuilder(javaCommand(), "-jar", jar.toString(), "-cluster", "-instances", "1")
      .redirectErrorStream(true);
    Map<String, String> env = builder.environment();
    env.keySet().removeIf(key -> key.startsWith("SWITCHBOARD_"));
    env.put("SWITCHBOARD_CLUSTER_NAME", cluster.name());
    env.put("SWITCHBOARD_CLUSTER_PORT", String.valueOf(memberPort));
    env.put("SWITCHBOARD_CLUSTER_PORT_COUNT", "1");
    env.put("SWITCHBOARD_CLUSTER_MEMBERS", String.join(",", members));
    env.put("SWITCHBOARD_BRIDGE_HOST", "127.0.0.1");
    env.put("SWITCHBOARD_BRIDGE_PORT", "0");
    env.put("SWITCHBOARD_BRIDGE_ADMIN_PORT", "0");
    env.put("SWITCHBOARD_BRIDGE_INBOUND", "test.*,client.*,secret.* authority=admin");
    env.put("SWITCHBOARD_BRIDGE_OUTBOUND", "client.*,test.news,secret.* authority=admin");
    env.put("SWITCHBOARD_BRIDGE_TOKENS", TOKEN + " admin," + LIMITED_TOKEN);
    env.put("SWITCHBOARD_BRIDGE_IDLE_TIMEOUT", "60s");
    bridge = builder.start();
    CompletableFuture<Integer> port = new CompletableFuture<>();
    Thread reader = new Thread(() -> readOutput(bridge, bridgeOutput, line -> {
      Matcher m = TCP_ENDPOINT.matcher(line);
      if (line.contains(" bridge up: ") && m.find()) {
        port.complete(Integer.parseInt(m.group(1)));
      }
    }), "bridge-output");
    reader.setDaemon(true);
    reader.start();
    bridge.onExit().thenRun(() -> port.completeExceptionally(new IllegalStateException("the bridge exited:\n" + String.join("\n", bridgeOutput))));
    bridgePort = port.get(START_SECONDS, TimeUnit.SECONDS);
  }

  @AfterAll
  static void stop() throws Exception {
    if (bridge != null) {
      bridge.destroyForcibly().waitFor(START_SECONDS, TimeUnit.SECONDS);
    }
    if (cluster != null) {
      TestKit.await(cluster.close(), Duration.ofSeconds(START_SECONDS));
    }
  }

  @Test
  void nodeClientSuite() throws Exception {
    runSuite("node", "--test", "clients/node/test/");
  }

  @Test
  void pythonClientSuite() throws Exception {
    runSuite("python3", "-m", "unittest", "discover", "-s", "clients/python/tests", "-t", "clients/python", "-v");
  }

  private static void runSuite(String... command) throws Exception {
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.environment().put("BRIDGE_HOST", "127.0.0.1");
    builder.environment().put("BRIDGE_PORT", String.valueOf(bridgePort));
    builder.environment().put("BRIDGE_TOKEN", TOKEN);
    builder.environment().put("BRIDGE_TOKEN_LIMITED", LIMITED_TOKEN);
    Process suite;
    try {
      suite = builder.start();
    } catch (IOException e) {
      throw new AssertionError(command[0] + " is not installed (.ci/run installs it): " + e.getMessage(), e);
    }
    List<String> output = new ArrayList<>();
    Thread reader = new Thread(() -> readOutput(suite, output, line -> System.out.println("[" + command[0] + "] " + line)));
    reader.start();
    if (!suite.waitFor(SUITE_MINUTES, TimeUnit.MINUTES)) {
      suite.destroyForcibly();
      throw new AssertionError(String.join(" ", command) + " did not finish in " + SUITE_MINUTES + " minutes");
    }
    reader.join(TimeUnit.SECONDS.toMillis(10));
    assertEquals(0, suite.exitValue(), () -> String.join(" ", command) + " failed:\n" + String.join("\n", output)
      + "\n--- bridge output ---\n" + String.join("\n", bridgeOutput));
  }

  private static void readOutput(Process process, List<String> lines, java.util.function.Consumer<String> each) {
    try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = in.readLine()) != null) {
        synchronized (lines) {
          lines.add(line);
        }
        each.accept(line);
      }
    } catch (IOException e) {
      lines.add("(output ended: " + e.getMessage() + ")");
    }
  }

  private static String javaCommand() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }
}
