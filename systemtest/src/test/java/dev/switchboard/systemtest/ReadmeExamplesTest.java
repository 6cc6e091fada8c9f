package dev.switchboard.systemtest;

import dev.switchboard.systemtest.ReadmeExamples.Block;
import dev.switchboard.systemtest.ReadmeExamples.Command;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The READMEs' examples run as printed against {@code scripts/start}, and print what the READMEs
 * say they print. The script runs on free ports ({@link StartScript}); the examples' default ports
 * are replaced by the ones this run got, and nothing else is changed.
 */
class ReadmeExamplesTest {

  /** The READMEs whose marked examples run here, each with at least one. */
  private static final List<String> READMES = List.of("README.md", "services/bridge/clients/node/README.md");
  /** One block's commands, together: 100 MB through the http service is the longest of them. */
  private static final long BLOCK_SECONDS = 180;

  @Test
  void everyCheckedExampleRunsAsPrintedAndPrintsWhatItSays() throws Exception {
    Path root = ServiceProcess.root();
    List<Block> blocks = new ArrayList<>();
    for (String readme : READMES) {
      List<Block> found = ReadmeExamples.blocks(root.resolve(readme));
      assertFalse(found.isEmpty(), readme + " marks no example with " + ReadmeExamples.MARK);
      blocks.addAll(found);
    }
    try (StartScript script = StartScript.start(Map.of(), "--instances", "1")) {
      try {
        script.awaitUp(ServiceProcess.START_TIMEOUT_SECONDS * 2);
        Map<Integer, Integer> ports = defaultPorts(script);
        awaitServing(script, ports.get(8080));
        List<String> failures = new ArrayList<>();
        for (Block block : blocks) {
          failures.addAll(ReadmeExamples.isShell(block.language()) ? runShell(root, block, ports) : runNode(root, block, ports));
        }
        assertEquals(List.of(), failures, "examples that did not print what their README says");
      } finally {
        script.stop();
        assertEquals(List.of(), script.leaked(), "processes still running after scripts/start stopped");
      }
    }
  }

  /** The ports the READMEs write (scripts/start's defaults), each to the one this run got. */
  private static Map<Integer, Integer> defaultPorts(StartScript script) {
    return Map.of(
      8080, script.port("gateway", "http"),
      8081, script.port("gateway", "admin"),
      8999, script.port("gateway", "tcp-echo"),
      3000, script.port("http", "http"),
      3001, script.port("files", "http"),
      3002, script.port("chat", "http"),
      9999, script.port("echo", "tcp"),
      9998, script.port("echo", "admin"),
      7000, script.port("bridge", "tcp"),
      7001, script.port("bridge", "admin"));
  }

  /** Waits (bounded) until the gateway has found every service and the greeter serves: what a user waits for by reading the start lines. */
  private static void awaitServing(StartScript script, int gateway) throws Exception {
    HttpClient client = HttpClient.newHttpClient();
    for (String path : List.of("/api/echo?msg=ready", "/api/greet?name=ready", "/files/", "/bff/web/home?name=ready")) {
      HttpResponse<String> answer = script.poll(client, "http://127.0.0.1:" + gateway + path, a -> a.statusCode() == 200);
      assertEquals(200, answer.statusCode(), path + ": " + answer.body());
    }
  }

  /**
   * Runs a shell block's commands in one bash, in order, from the checkout's root; each must end
   * with status 0 and print its lines.
   */
  private static List<String> runShell(Path root, Block block, Map<Integer, Integer> ports) throws Exception {
    List<Command> commands = ReadmeExamples.commands(block.lines());
    StringBuilder program = new StringBuilder("exec 2>&1\n");
    for (int i = 0; i < commands.size(); i++) {
      program.append("echo '@@command ").append(i).append("'\n")
        .append(ReadmeExamples.onPorts(commands.get(i).text(), ports)).append('\n')
        .append("echo \"@@status $?\"\n");
    }
    // Whatever a command left in the background (a server started with &) ends with the block.
    program.append("kill $(jobs -p) 2>/dev/null; wait\n");
    String output = run(new ProcessBuilder("bash", "-c", program.toString()).directory(root.toFile()), null);
    List<String> failures = new ArrayList<>();
    String[] parts = output.split("(?m)^@@command \\d+\n", -1);
    for (int i = 0; i < commands.size(); i++) {
      Command command = commands.get(i);
      String where = where(block) + " line " + block.line() + ": " + command.text();
      String part = i + 1 < parts.length ? parts[i + 1] : "";
      int status = part.lastIndexOf("@@status ");
      if (status < 0) {
        failures.add(where + "\n  did not finish; the block printed:\n" + output);
        break;
      }
      String printed = part.substring(0, status);
      String code = part.substring(status + "@@status ".length()).strip();
      String missing = ReadmeExamples.missing(command.prints(), printed);
      if (!code.equals("0") || missing != null) {
        failures.add(where + "\n  status " + code + (missing == null ? "" : ", no line like: " + missing) + "\n  printed:\n" + printed);
      }
    }
    return failures;
  }

  /** Runs a JavaScript block as an ES module from its README's folder, with the bridge token this run made. */
  private static List<String> runNode(Path root, Block block, Map<Integer, Integer> ports) throws Exception {
    assertTrue(block.language().equals("js"), where(block) + " line " + block.line() + ": only sh and js examples can be checked");
    String token = Files.readString(root.resolve(".run/bridge-token")).strip();
    ProcessBuilder node = new ProcessBuilder("node", "--input-type=module").directory(block.readme().getParent().toFile());
    node.environment().put("BRIDGE_TOKEN", token);
    String output = run(node, ReadmeExamples.onPorts(String.join("\n", block.lines()), ports));
    String missing = ReadmeExamples.missing(block.prints(), output);
    return missing == null ? List.of()
      : List.of(where(block) + " line " + block.line() + " (js)\n  no line like: " + missing + "\n  printed:\n" + output);
  }

  /** The block's README, from the checkout's root. */
  private static Path where(Block block) {
    return ServiceProcess.root().relativize(block.readme());
  }

  /** Runs a process without the caller's SWITCHBOARD_* settings, {@code input} on its standard input; what it printed. */
  private static String run(ProcessBuilder builder, String input) throws IOException, InterruptedException {
    builder.redirectErrorStream(true).environment().keySet().removeIf(k -> k.startsWith("SWITCHBOARD_"));
    Process process = builder.start();
    try (var in = process.getOutputStream()) {
      if (input != null) {
        in.write(input.getBytes(StandardCharsets.UTF_8));
      }
    }
    byte[][] output = new byte[1][];
    Thread reader = new Thread(() -> {
      try {
        output[0] = process.getInputStream().readAllBytes();
      } catch (IOException e) {
        output[0] = ("(output lost: " + e + ")").getBytes(StandardCharsets.UTF_8);
      }
    });
    reader.start();
    if (!process.waitFor(BLOCK_SECONDS, TimeUnit.SECONDS)) {
      process.descendants().forEach(ProcessHandle::destroyForcibly);
      process.destroyForcibly();
      fail("an example did not finish within " + BLOCK_SECONDS + " s: " + builder.command());
    }
    reader.join(TimeUnit.SECONDS.toMillis(10));
    return new String(output[0] == null ? new byte[0] : output[0], StandardCharsets.UTF_8).replace("\r", "");
  }
}
