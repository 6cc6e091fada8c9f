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
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code scripts/new-service}, as a user runs it, on a copy of this checkout (the build and other
 * tests run in the real one): an HTTP and a TCP service are made, their tests pass, the manifests
 * with them in still validate, and {@code scripts/start} runs them clustered with the others,
 * the HTTP one reached through the gateway's new route. Bad names and an existing module are
 * refused. The copy is deleted afterwards.
 */
class NewServiceTest {

  /** Building the copy: shared, every service (deploy depends on them all), the gateway and deploy. */
  private static final long BUILD_SECONDS = 600;
  private static final long SCRIPT_SECONDS = 60;

  @Test
  void aNewHttpAndTcpServiceBuildPassTheirTestsValidateAndRunBehindTheGateway() throws Exception {
    Path root = ServiceProcess.root();
    Path copy = Files.createTempDirectory("switchboard-new-service");
    try {
      copyCheckout(root, copy);

      assertEquals(0, run(copy, SCRIPT_SECONDS, "bash", "scripts/new-service", "greet").status());
      assertEquals(0, run(copy, SCRIPT_SECONDS, "bash", "scripts/new-service", "lines", "--tcp").status());
      Result again = run(copy, SCRIPT_SECONDS, "bash", "scripts/new-service", "greet");
      assertEquals(2, again.status(), again.output());
      assertTrue(again.output().contains("services/greet exists already"), again.output());
      Result bad = run(copy, SCRIPT_SECONDS, "bash", "scripts/new-service", "Greet-2");
      assertEquals(2, bad.status(), bad.output());
      assertTrue(bad.output().contains("is not a name"), bad.output());

      // The new modules' own tests and the manifests' validation; and every jar scripts/start runs
      // (deploy depends on every service).
      Result build = run(copy, BUILD_SECONDS, "mvn", "-B", "-o", "-q", "package",
        "-pl", "services/greet,services/lines,gateway,deploy", "-am",
        "-Dtest=GreetVerticleTest,LinesVerticleTest,ManifestValidationTest", "-Dsurefire.failIfNoSpecifiedTests=false");
      assertEquals(0, build.status(), build.output());

      try (StartScript script = StartScript.start(copy, Map.of(), "--instances", "1")) {
        try {
          script.awaitUp(ServiceProcess.START_TIMEOUT_SECONDS * 2);
          assertTrue(script.started().containsKey("greet") && script.started().containsKey("lines"), script.output());
          int gateway = script.port("gateway", "http");
          HttpResponse<String> answer = script.poll(HttpClient.newHttpClient(),
            "http://127.0.0.1:" + gateway + "/greet/hello?name=Ada", a -> a.statusCode() == 200);
          assertEquals(200, answer.statusCode(), answer.body());
          assertEquals("{\"greeting\":\"Hello, Ada!\"}", answer.body());
          try (Socket socket = new Socket("127.0.0.1", script.port("lines", "tcp"))) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write("Ada\n".getBytes(StandardCharsets.UTF_8));
            socket.shutdownOutput();
            assertEquals("Hello, Ada!\n", new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
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
