package dev.switchboard.deploy;

import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The dev overlay's pods run together: {@code scripts/kube-local up} plays every Deployment's pod
 * spec with {@code podman kube play} on a network of its own, where the Services' DNS names resolve
 * to their pods, and waits until Hazelcast's DNS discovery has formed the cluster; {@code check}
 * runs every probe inside its pod, talks to the gateway on loopback (HTTP, a BFF screen, chat over
 * WebSockets, TCP echo) and restarts a pod, which must rejoin; {@code down} removes it all. Runs
 * after {@link ImagesIT} (failsafe runs this module's tests in alphabetical order), whose images of
 * this build it plays; needs podman and root, as that one does.
 */
class KubeLocalIT {

  private static final Path ROOT = Path.of("").toAbsolutePath().getParent();
  /** Seven JVMs and a Node.js process starting together on two shared cores; images built if missing. */
  private static final long UP_TIMEOUT_MINUTES = 10;
  private static final long CHECK_TIMEOUT_MINUTES = 6;
  private static final long DOWN_TIMEOUT_MINUTES = 3;

  record Run(int exit, List<String> lines) {
    String output() {
      return String.join("\n", lines);
    }

    boolean has(String prefix) {
      return lines.stream().anyMatch(l -> l.startsWith(prefix));
    }
  }

  @Test
  void devOverlayRunsAsPodsFormsTheClusterByDnsAndServesThroughTheGateway() throws Exception {
    String name = "kube-it-" + ProcessHandle.current().pid();
    int port = freePortPair();
    try {
      Run up = script(UP_TIMEOUT_MINUTES, "up", "--name", name, "--port", String.valueOf(port));
      assertEquals(0, up.exit(), up.output());
      assertTrue(up.has("kube-local: cluster formed: "), up.output());

      Run check = script(CHECK_TIMEOUT_MINUTES, "check", "--name", name);
      assertEquals(0, check.exit(), check.output());
      for (String service : ManifestValidationTest.services()) {
        assertTrue(check.has("kube-local: ok   " + service + " readinessProbe inside the pod: 200"),
          service + "'s readiness probe was not run inside its pod:\n" + check.output());
      }
      assertTrue(check.has("kube-local: ok   gateway readinessProbe inside the pod: 200"), check.output());
      for (String expected : List.of("GET /api/echo through the gateway", "GET /bff/web/home through the gateway, every part answered",
        "chat over WebSockets through the gateway", "TCP echo through the gateway", "http stopped (SIGTERM",
        "the gateway no longer sees http", "http started again", "GET /api/echo through the gateway after the restart")) {
        assertTrue(check.has("kube-local: ok   " + expected), expected + " was not checked:\n" + check.output());
      }
    } finally {
      Run down = script(DOWN_TIMEOUT_MINUTES, "down", "--name", name);
      assertEquals(0, down.exit(), down.output());
      assertTrue(down.has("kube-local: removed network " + name), down.output());
    }
  }

  /** A port whose next port is free too: the gateway Service's HTTP port and its TCP echo port. */
  private static int freePortPair() throws IOException {
    InetAddress loopback = InetAddress.getLoopbackAddress();
    for (int attempt = 0; attempt < 20; attempt++) {
      try (ServerSocket first = new ServerSocket(0, 1, loopback)) {
        int port = first.getLocalPort();
        if (port >= 65535) {
          continue;
        }
        try (ServerSocket second = new ServerSocket(port + 1, 1, loopback)) {
          return port;
        } catch (IOException taken) {
          // the next one is in use: try another pair
        }
      }
    }
    throw new IOException("no two consecutive free ports on loopback");
  }

  /** Runs the script, its output echoed and kept; past the time-out it is killed with its children. */
  private static Run script(long timeoutMinutes, String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of("bash", ROOT.resolve("scripts/kube-local").toString()));
    command.addAll(List.of(args));
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    List<String> lines = Collections.synchronizedList(new ArrayList<>());
    Thread reader = new Thread(() -> {
      try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = out.readLine()) != null) {
          System.out.println(line);
          lines.add(line);
        }
      } catch (IOException e) {
        lines.add("reading the script's output failed: " + e);
      }
    }, "kube-local " + args[0]);
    reader.start();
    boolean finished = process.waitFor(timeoutMinutes, TimeUnit.MINUTES);
    if (!finished) {
      process.descendants().forEach(ProcessHandle::destroyForcibly);
      process.destroyForcibly().waitFor();
    }
    reader.join(TimeUnit.SECONDS.toMillis(10));
    List<String> kept = new ArrayList<>(lines);
    if (!finished) {
      kept.add("scripts/kube-local " + args[0] + " did not finish within " + timeoutMinutes + " min");
      return new Run(-1, kept);
    }
    return new Run(process.exitValue(), kept);
  }
}
