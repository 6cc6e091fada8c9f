package dev.switchboard.systemtest;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/** A Node.js program of this repository as a child process, its output kept for assertion messages. */
final class NodeProcess implements AutoCloseable {

  private final Process process;
  private final List<String> output = new CopyOnWriteArrayList<>();
  private final CompletableFuture<String> marker = new CompletableFuture<>();

  private NodeProcess(Process process, String upMarker) {
    this.process = process;
    Thread reader = new Thread(() -> {
      try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        for (String line; (line = in.readLine()) != null; ) {
          output.add(line);
          if (line.contains(upMarker)) {
            marker.complete(line);
          }
        }
      } catch (IOException e) {
        output.add("(output ended: " + e.getMessage() + ")");
      }
    }, "node-output");
    reader.setDaemon(true);
    reader.start();
  }

  /** Starts {@code node SCRIPT} (relative to the repository root) with only {@code env} of the SWITCHBOARD_ variables. */
  static NodeProcess start(String script, Map<String, String> env, String upMarker) {
    ProcessBuilder builder = new ProcessBuilder("node", ServiceProcess.root().resolve(script).toString()).redirectErrorStream(true);
    builder.environment().keySet().removeIf(k -> k.startsWith("SWITCHBOARD_"));
    builder.environment().putAll(env);
    try {
      return new NodeProcess(builder.start(), upMarker);
    } catch (IOException e) {
      throw new AssertionError("node is not installed (.ci/run installs it): " + e.getMessage(), e);
    }
  }

  /** The first line holding the up marker, once written; fails after {@code limit} or when the process ends. */
  String awaitUp(Duration limit) throws Exception {
    CompletableFuture.anyOf(marker, process.onExit()).get(limit.toSeconds(), TimeUnit.SECONDS);
    if (!marker.isDone()) {
      throw new IllegalStateException("node exited with " + process.exitValue() + " before it was up:\n" + output());
    }
    return marker.join();
  }

  /** SIGTERM, and the exit code once it has stopped (within {@code limit}). */
  int terminate(Duration limit) throws InterruptedException {
    process.toHandle().destroy();
    if (!process.waitFor(limit.toSeconds(), TimeUnit.SECONDS)) {
      throw new IllegalStateException("node did not stop on SIGTERM:\n" + output());
    }
    return process.exitValue();
  }

  long pid() {
    return process.pid();
  }

  boolean isAlive() {
    return process.isAlive();
  }

  String output() {
    return String.join("\n", output);
  }

  @Override
  public void close() {
    if (process.isAlive()) {
      process.destroyForcibly();
    }
  }
}
