package dev.switchboard.systemtest;

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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A service fat jar running as its own process. Its output is collected; {@link #awaitUp} waits
 * for the launcher's {@code "<service> up: ..."} line and reads the bound ports from it.
 */
final class ServiceProcess implements AutoCloseable {

  static final long START_TIMEOUT_SECONDS = 90;
  private static final Pattern ENDPOINT = Pattern.compile("(\\w+)=(?:http://)?[^\\s:]+:(\\d+)");

  private final String service;
  private final Process process;
  private final List<String> lines = new CopyOnWriteArrayList<>();
  private final CompletableFuture<String> upLine = new CompletableFuture<>();
  private final Thread reader;

  private ServiceProcess(String service, Process process) {
    this.service = service;
    this.process = process;
    this.reader = new Thread(this::readOutput, service + "-output");
    reader.setDaemon(true);
    reader.start();
  }

  /** A loopback port free now, for a member or a service of a test. */
  static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  static Path root() {
    return Path.of(System.getProperty("switchboard.root", "..")).toAbsolutePath().normalize();
  }

  static Path jar(String service) {
    Path module = Files.isDirectory(root().resolve("services").resolve(service)) ? root().resolve("services").resolve(service) : root().resolve(service);
    Path jar = module.resolve("target").resolve("switchboard-" + service + ".jar");
    if (!Files.isRegularFile(jar)) {
      throw new IllegalStateException(jar + " is missing: run mvn package first");
    }
    return jar;
  }

  /** A builder for {@code java [jvmArgs] -jar switchboard-<service>.jar [args]}. */
  static Builder of(String service) {
    return new Builder(service);
  }

  /** Waits for the launcher's start line; fails if the process exits or takes too long. */
  ServiceProcess awaitUp() throws Exception {
    CompletableFuture<Object> exited = process.onExit().thenApply(p -> "exited");
    CompletableFuture.anyOf(upLine, exited).get(START_TIMEOUT_SECONDS, TimeUnit.SECONDS);
    if (!upLine.isDone()) {
      throw new IllegalStateException(service + " exited with " + process.exitValue() + " before it was up:\n" + output());
    }
    return this;
  }

  /** The port of an endpoint in the start line, e.g. {@code tcp}, {@code admin}, {@code http}. */
  int port(String endpoint) {
    Matcher m = ENDPOINT.matcher(upLine.join());
    while (m.find()) {
      if (m.group(1).equals(endpoint)) {
        return Integer.parseInt(m.group(2));
      }
    }
    throw new IllegalArgumentException("no " + endpoint + " in: " + upLine.join());
  }

  String upLine() {
    return upLine.join();
  }

  /** Sends SIGTERM and waits for the exit code (and the last lines of output). */
  int terminate() throws Exception {
    // Process.destroy() would also close our end of the output, losing the shutdown lines.
    process.toHandle().destroy();
    return awaitExit();
  }

  int awaitExit() throws Exception {
    if (!process.waitFor(START_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
      throw new TimeoutException(service + " did not exit:\n" + output());
    }
    // The output thread may still be reading the last lines.
    reader.join(TimeUnit.SECONDS.toMillis(10));
    return process.exitValue();
  }

  long pid() {
    return process.pid();
  }

  /** SIGKILL: the process dies at once, as in a crash or an OOM kill. */
  void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(START_TIMEOUT_SECONDS, TimeUnit.SECONDS);
  }

  /** Waits until the process writes another line, or {@code most} passes. */
  void awaitOutput(Duration most) throws InterruptedException {
    synchronized (lines) {
      lines.wait(Math.max(1, most.toMillis()));
    }
  }

  boolean isAlive() {
    return process.isAlive();
  }

  String output() {
    return String.join("\n", lines);
  }

  @Override
  public void close() {
    if (process.isAlive()) {
      process.destroyForcibly();
    }
  }

  private void readOutput() {
    try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = in.readLine()) != null) {
        synchronized (lines) {
          lines.add(line);
          lines.notifyAll();
        }
        if (line.contains(" " + service + " up: ")) {
          upLine.complete(line);
        }
      }
    } catch (IOException e) {
      lines.add("(output ended: " + e.getMessage() + ")");
    }
  }

  static final class Builder {

    private final String service;
    private final List<String> jvmArgs = new ArrayList<>();
    private final List<String> args = new ArrayList<>();
    private final Map<String, String> env = new HashMap<>();

    private Builder(String service) {
      this.service = service;
      // Loopback and free ports unless a test says otherwise.
      set("host", "127.0.0.1");
      set("port", "0");
    }

    /** A setting of this service, as a system property {@code switchboard.<service>.<key>}. */
    Builder set(String key, String value) {
      return property("switchboard." + service + "." + key, value);
    }

    Builder property(String name, String value) {
      jvmArgs.removeIf(a -> a.startsWith("-D" + name + "="));
      jvmArgs.add("-D" + name + "=" + value);
      return this;
    }

    Builder jvm(String... more) {
      jvmArgs.addAll(List.of(more));
      return this;
    }

    Builder args(String... more) {
      args.addAll(List.of(more));
      return this;
    }

    /** Joins the Hazelcast cluster {@code cluster} as the member on {@code memberPort} of {@code members}. */
    Builder clustered(String cluster, int memberPort, String members) {
      return env("SWITCHBOARD_CLUSTER_NAME", cluster)
        .env("SWITCHBOARD_CLUSTER_PORT", String.valueOf(memberPort))
        .env("SWITCHBOARD_CLUSTER_PORT_COUNT", "1")
        .env("SWITCHBOARD_CLUSTER_MEMBERS", members)
        .args("-cluster");
    }

    Builder env(String name, String value) {
      env.put(name, value);
      return this;
    }

    ServiceProcess start() throws IOException {
      List<String> command = new ArrayList<>();
      command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      command.addAll(jvmArgs);
      command.add("-jar");
      command.add(jar(service).toString());
      command.addAll(args);
      ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
      builder.environment().keySet().removeIf(k -> k.startsWith("SWITCHBOARD_"));
      builder.environment().putAll(env);
      return new ServiceProcess(service, builder.start());
    }
  }
}
