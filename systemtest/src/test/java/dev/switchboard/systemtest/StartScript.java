package dev.switchboard.systemtest;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * {@code scripts/start} run as a user runs it, but on free ports and in a cluster of its own: no
 * {@code SWITCHBOARD_*} setting of the caller's reaches it, every service listens on 127.0.0.1 and
 * port 0, and its Hazelcast members take a random block of ports. Its output is read line by line:
 * the {@code started NAME (pid N, ...)} lines and the endpoints table it prints once everything is up.
 */
final class StartScript implements AutoCloseable {

  private static final Pattern STARTED = Pattern.compile("started ([\\w-]+) \\(pid (\\d+),");
  /** The line scripts/start prints last, once everything is up. */
  private static final String UP = "Ctrl-C stops everything";
  /** The services' grace period is 10 s and the script kills what is left after 30 s. */
  private static final long STOP_SECONDS = 60;
  /** How long {@link #poll} asks, and how long one request may take. */
  private static final Duration POLL_LIMIT = Duration.ofSeconds(30);
  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);
  private static final long POLL_MS = 100;

  private final Process script;
  private final List<String> lines = new CopyOnWriteArrayList<>();
  private final CompletableFuture<Void> up = new CompletableFuture<>();
  private final Thread reader;

  private StartScript(Process script) {
    this.script = script;
    this.reader = new Thread(this::read, "scripts-start-output");
    reader.setDaemon(true);
    reader.start();
  }

  /** Starts {@code scripts/start ARGS} with the isolating environment, plus {@code env}. */
  static StartScript start(Map<String, String> env, String... args) throws IOException {
    return start(ServiceProcess.root(), env, args);
  }

  /** The same, for the checkout at {@code root} (a copy a test changed). */
  static StartScript start(Path root, Map<String, String> env, String... args) throws IOException {
    // A block of 20 Hazelcast ports away from the default 5701, most likely free.
    int base = 20_000 + new Random().nextInt(20_000);
    List<String> command = new ArrayList<>(List.of("bash", root.resolve("scripts/start").toString()));
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    Map<String, String> environment = builder.environment();
    environment.keySet().removeIf(k -> k.startsWith("SWITCHBOARD_"));
    environment.put("SWITCHBOARD_CLUSTER_NAME", "start-" + UUID.randomUUID());
    environment.put("SWITCHBOARD_CLUSTER_PORT", String.valueOf(base));
    environment.put("SWITCHBOARD_CLUSTER_MEMBERS", "127.0.0.1:" + base + "-" + (base + 19));
    // Every service on free ports; a service reads only the keys it knows, so the rest is ignored.
    for (String service : services(root)) {
      String prefix = "SWITCHBOARD_" + service.toUpperCase(Locale.ROOT).replace('-', '_');
      environment.put(prefix + "_HOST", "127.0.0.1");
      environment.put(prefix + "_PORT", "0");
      environment.put(prefix + "_ADMIN_PORT", "0");
    }
    environment.put("SWITCHBOARD_GATEWAY_TCP_ROUTES", "0 echo");
    environment.putAll(env);
    return new StartScript(builder.start());
  }

  /** The modules under services/ that have sources, and the gateway, as scripts/start finds them. */
  static List<String> services() throws IOException {
    return services(ServiceProcess.root());
  }

  /** The same, in the checkout at {@code root}. */
  static List<String> services(Path root) throws IOException {
    try (Stream<Path> dirs = Files.list(root.resolve("services"))) {
      // JVM services have sources; Node.js services (the greeter) a package.json
      List<String> services = new ArrayList<>(dirs.filter(dir -> Files.isDirectory(dir.resolve("src/main")) || Files.isRegularFile(dir.resolve("package.json")))
        .map(dir -> dir.getFileName().toString())
        .sorted()
        .toList());
      if (Files.isDirectory(root.resolve("gateway/src/main"))) {
        services.add("gateway");
      }
      return services;
    }
  }

  /** The JVM services among {@link #services()}: the processes that announce themselves in the cluster's registry. */
  static List<String> jvmServices() throws IOException {
    Path root = ServiceProcess.root();
    return services().stream()
      .filter(s -> Files.isDirectory(root.resolve("services").resolve(s).resolve("src/main")) || Files.isDirectory(root.resolve(s).resolve("src/main")))
      .toList();
  }

  /** Waits (bounded) for the script's last line; fails with its output if it ends first or takes longer. */
  void awaitUp(long seconds) throws Exception {
    CompletableFuture<Object> ended = script.onExit().thenApply(p -> "ended");
    CompletableFuture.anyOf(up, ended).get(seconds, TimeUnit.SECONDS);
    if (!up.isDone()) {
      reader.join(TimeUnit.SECONDS.toMillis(10));
      throw new AssertionError("scripts/start ended with " + script.exitValue() + " before it was up:\n" + output());
    }
  }

  String output() {
    return String.join("\n", lines);
  }

  List<String> lines() {
    return List.copyOf(lines);
  }

  /** What the script started, by name, in order: {@code started NAME (pid N, ...)}. */
  Map<String, Long> started() {
    Map<String, Long> started = new LinkedHashMap<>();
    for (String line : lines) {
      Matcher m = STARTED.matcher(line);
      if (m.find()) {
        started.put(m.group(1), Long.parseLong(m.group(2)));
      }
    }
    return started;
  }

  /**
   * The port of {@code endpoint} in {@code name}'s row of the endpoints table, e.g. {@code ("gateway",
   * "admin")} from {@code   gateway  admin=http://127.0.0.1:40113 http=...}.
   */
  int port(String name, String endpoint) {
    Pattern row = Pattern.compile("(?m)^\\s+" + Pattern.quote(name) + "\\s+.*\\b" + Pattern.quote(endpoint) + "=(?:[a-z]+://)?[^\\s:]+:(\\d+)");
    Matcher m = row.matcher(output());
    if (!m.find()) {
      throw new AssertionError("no " + endpoint + " of " + name + " in the endpoints:\n" + output());
    }
    return Integer.parseInt(m.group(1));
  }

  /** Whether {@code name}'s row of the endpoints table names {@code endpoint}. */
  boolean hasEndpoint(String name, String endpoint) {
    return Pattern.compile("(?m)^\\s+" + Pattern.quote(name) + "\\s+.*\\b" + Pattern.quote(endpoint) + "=").matcher(output()).find();
  }

  /**
   * GETs {@code uri} until {@code done} holds for the answer, the script ends, or {@code limit}
   * passes; the last answer.
   */
  HttpResponse<String> poll(HttpClient client, String uri, Predicate<HttpResponse<String>> done, Duration limit)
    throws IOException, InterruptedException {
    long deadline = System.nanoTime() + limit.toNanos();
    HttpRequest request = HttpRequest.newBuilder(URI.create(uri)).timeout(REQUEST_TIMEOUT).build();
    HttpResponse<String> answer;
    do {
      answer = client.send(request, HttpResponse.BodyHandlers.ofString());
    } while (!done.test(answer) && !script.waitFor(POLL_MS, TimeUnit.MILLISECONDS) && System.nanoTime() < deadline);
    return answer;
  }

  /** {@link #poll(HttpClient, String, Predicate, Duration)} for up to 30 s. */
  HttpResponse<String> poll(HttpClient client, String uri, Predicate<HttpResponse<String>> done)
    throws IOException, InterruptedException {
    return poll(client, uri, done, POLL_LIMIT);
  }

  /**
   * SIGTERM, as Ctrl-C, keeping our end of its output open (Process.destroy would close it); fails
   * if the script has not ended within {@link #STOP_SECONDS}.
   */
  void stop() throws InterruptedException {
    script.toHandle().destroy();
    if (!script.waitFor(STOP_SECONDS, TimeUnit.SECONDS)) {
      throw new AssertionError("scripts/start did not stop:\n" + output());
    }
    reader.join(TimeUnit.SECONDS.toMillis(10));
  }

  /** The started processes still running, killed now so that a failed test leaves none behind. */
  List<Long> leaked() {
    List<Long> leaked = started().values().stream().filter(pid -> ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).toList();
    leaked.forEach(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
    return leaked;
  }

  /** After a failure: the script and whatever it started are killed. */
  @Override
  public void close() {
    if (script.isAlive()) {
      script.destroyForcibly();
    }
    leaked();
  }

  private void read() {
    try (BufferedReader in = new BufferedReader(new InputStreamReader(script.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = in.readLine()) != null) {
        lines.add(line);
        if (line.startsWith(UP)) {
          up.complete(null);
        }
      }
    } catch (IOException e) {
      lines.add("(output ended: " + e.getMessage() + ")");
    }
  }
}
