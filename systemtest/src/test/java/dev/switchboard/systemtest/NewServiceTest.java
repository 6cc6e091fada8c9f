package dev.switchboard.systemtest;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code scripts/new-service}, as a user runs it, on a copy of this checkout (the build and other
 * tests run in the real one): bad names, taken names and unknown options are refused with exit 2
 * and nothing written; an HTTP service with a dash in its name and a TCP service are made, their
 * own tests pass, the manifests with them in still validate and their Deployments keep the shape
 * of http's and echo's, and {@code scripts/start} runs them clustered with the others, the HTTP
 * one reached through the gateway's new route with its settings read from the environment. The
 * copy is deleted afterwards.
 */
class NewServiceTest {

  /** Building the copy: shared, every service (deploy, which validates, builds after them all), the gateway, deploy. */
  private static final long BUILD_SECONDS = 900;
  private static final long SCRIPT_SECONDS = 60;
  private static final String HTTP_SERVICE = "hello-web";
  private static final String TCP_SERVICE = "lines";

  @Test
  void madeServicesBuildPassTheirTestsValidateAndRunBehindTheGateway() throws Exception {
    Path root = ServiceProcess.root();
    Path copy = Files.createTempDirectory("switchboard-new-service");
    try {
      copyCheckout(root, copy);

      Map<String, String> before = listing(copy);
      refused(copy, "is not a name", "Hello-Web");
      refused(copy, "is not a name", "hello--web");
      refused(copy, "services/echo exists already", "echo");
      refused(copy, "taken by the project", "gateway");
      refused(copy, "would share environment variables with echo", "echo-admin");
      refused(copy, "a path the gateway already serves or routes", "api");
      refused(copy, "a Java keyword", "new");
      refused(copy, "unknown option --udp", "fresh", "--udp");
      assertEquals(before, listing(copy), "a refusal changed the checkout");

      Result http = run(copy, SCRIPT_SECONDS, "bash", "scripts/new-service", HTTP_SERVICE);
      assertEquals(0, http.status(), http.output());
      assertTrue(http.output().contains("created services/hello-web/src/main/java/dev/switchboard/hello_web/HelloWebVerticle.java"), http.output());
      assertTrue(http.output().contains("(default route /hello-web/ hello-web)"), http.output());
      Result tcp = run(copy, SCRIPT_SECONDS, "bash", "scripts/new-service", TCP_SERVICE, "--tcp");
      assertEquals(0, tcp.status(), tcp.output());
      refused(copy, "services/hello-web exists already", HTTP_SERVICE);

      assertSameShape(copy, HTTP_SERVICE, "http", Map.of("containerPort: " + port(http), "containerPort: 3000"));
      assertSameShape(copy, TCP_SERVICE, "echo", Map.of("- name: tcp", "- name: echo",
        "containerPort: " + port(tcp), "containerPort: 9999", "containerPort: " + (port(tcp) + 1), "containerPort: 9998"));

      // The new modules' own tests and the manifests' validation. Maven builds every service too:
      // deploy depends on each service's jar, and offline, with nothing installed, only the reactor has them.
      Result build = run(copy, BUILD_SECONDS, "mvn", "-B", "-o", "-q", "package",
        "-pl", "services/" + HTTP_SERVICE + ",services/" + TCP_SERVICE + ",gateway,deploy", "-am",
        "-Dtest=HelloWebVerticleTest,LinesVerticleTest,ManifestValidationTest", "-Dsurefire.failIfNoSpecifiedTests=false");
      assertEquals(0, build.status(), build.output());
      for (String report : List.of("services/hello-web/target/surefire-reports/TEST-dev.switchboard.hello_web.HelloWebVerticleTest.xml",
        "services/lines/target/surefire-reports/TEST-dev.switchboard.lines.LinesVerticleTest.xml",
        "deploy/target/surefire-reports/TEST-dev.switchboard.deploy.ManifestValidationTest.xml")) {
        assertTrue(Files.isRegularFile(copy.resolve(report)), report + " is missing: the test did not run");
      }

      try (StartScript script = StartScript.start(copy, Map.of(), "--instances", "1")) {
        try {
          script.awaitUp(ServiceProcess.START_TIMEOUT_SECONDS * 2);
          assertTrue(script.started().containsKey(HTTP_SERVICE) && script.started().containsKey(TCP_SERVICE), script.output());
          // SWITCHBOARD_HELLO_WEB_HOST and _PORT reached it: 127.0.0.1 and a free port, not its defaults.
          assertTrue(script.hasEndpoint(HTTP_SERVICE, "http") && script.output().contains("http=http://127.0.0.1:"), script.output());
          assertNotEquals(port(http), script.port(HTTP_SERVICE, "http"), script.output());

          int gateway = script.port("gateway", "http");
          HttpResponse<String> answer = script.poll(HttpClient.newHttpClient(),
            "http://127.0.0.1:" + gateway + "/hello-web/hello?name=Ada", a -> a.statusCode() == 200);
          assertEquals(200, answer.statusCode(), answer.body());
          assertEquals("{\"greeting\":\"Hello, Ada!\"}", answer.body());
          try (Socket socket = new Socket("127.0.0.1", script.port(TCP_SERVICE, "tcp"))) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write("Ada\nGrace\n".getBytes(StandardCharsets.UTF_8));
            socket.shutdownOutput();
            assertEquals("Hello, Ada!\nHello, Grace!\n", new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
          }
        } finally {
          script.stop();
          assertEquals(List.of(), script.leaked(), "processes still running after scripts/start stopped");
        }
      }
    } finally {
      delete(copy);
    }
  }

  /** The script refuses {@code args} with exit 2 and one line saying {@code why}. */
  private static void refused(Path copy, String why, String... args) throws Exception {
    String[] command = Stream.concat(Stream.of("bash", "scripts/new-service"), Stream.of(args)).toArray(String[]::new);
    Result result = run(copy, SCRIPT_SECONDS, command);
    assertEquals(2, result.status(), String.join(" ", args) + ": " + result.output());
    assertEquals(1, result.output().lines().count(), result.output());
    assertTrue(result.output().contains(why), result.output());
  }

  /** The default port the script chose, from its first line ({@code ..., port 3100}). */
  private static int port(Result made) {
    String first = made.output().lines().findFirst().orElseThrow();
    return Integer.parseInt(first.replaceAll(".*, port (\\d+).*", "$1"));
  }

  /**
   * The made service's Deployment is {@code model}'s with the names and ports changed (comments
   * aside): a template that fell behind a change to the services' Deployments fails here.
   */
  private static void assertSameShape(Path copy, String service, String model, Map<String, String> changes) throws IOException {
    String made = Files.readString(copy.resolve("deploy/k8s/base/" + service + "-deployment.yaml"))
      .replaceAll("\\b" + service + "\\b", model);
    for (Map.Entry<String, String> change : changes.entrySet()) {
      made = made.replace(change.getKey(), change.getValue());
    }
    String expected = Files.readString(copy.resolve("deploy/k8s/base/" + model + "-deployment.yaml"));
    assertEquals(withoutComments(expected), withoutComments(made),
      "scripts/new-service.d/k8s's Deployment template no longer matches " + model + "'s: change the template with it");
  }

  private static List<String> withoutComments(String yaml) {
    return yaml.lines().filter(l -> !l.strip().startsWith("#")).toList();
  }

  /** The files git tracks or would track (nothing built: the copy builds what it runs). */
  private static void copyCheckout(Path root, Path copy) throws Exception {
    Result files = run(root, SCRIPT_SECONDS, "git", "ls-files", "-co", "--exclude-standard");
    assertEquals(0, files.status(), files.output());
    for (String line : files.output().lines().filter(l -> !l.isBlank()).toList()) {
      Path from = root.resolve(line);
      if (Files.isRegularFile(from)) {
        Path to = copy.resolve(line);
        Files.createDirectories(to.getParent());
        Files.copy(from, to);
        to.toFile().setExecutable(from.toFile().canExecute());
      }
    }
  }

  /** Every file under {@code dir} with its size and modification time. */
  private static Map<String, String> listing(Path dir) throws IOException {
    Map<String, String> files = new TreeMap<>();
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path path : paths.filter(Files::isRegularFile).toList()) {
        files.put(dir.relativize(path).toString(), Files.size(path) + " " + Files.getLastModifiedTime(path));
      }
    }
    return files;
  }

  private record Result(int status, String output) {
  }

  /** Runs a command in {@code dir} without the caller's SWITCHBOARD_* settings, for at most {@code seconds}. */
  private static Result run(Path dir, long seconds, String... command) throws Exception {
    ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true);
    builder.environment().keySet().removeIf(k -> k.startsWith("SWITCHBOARD_"));
    Path log = Files.createTempFile("new-service", ".log");
    try {
      Process process = builder.redirectOutput(log.toFile()).start();
      if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        throw new AssertionError(String.join(" ", command) + " did not finish within " + seconds + " s:\n" + Files.readString(log));
      }
      return new Result(process.exitValue(), Files.readString(log));
    } finally {
      Files.deleteIfExists(log);
    }
  }

  private static void delete(Path dir) throws IOException {
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(path);
      }
    }
  }
}
