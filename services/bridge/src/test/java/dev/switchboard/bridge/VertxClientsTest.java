package dev.switchboard.bridge;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Vert.x project's own TCP bridge clients against the bridge, with no code of ours in them: they
 * authenticate with the authorization header (they have no auth frame), and read the code of an
 * {@code err} in its {@code message}.
 * <p>
 * The Node.js client (npm {@code vertx3-tcp-eventbus-client}) is installed by this test with
 * {@code npm ci} in {@code src/test/vertx-clients} and run there. The Python client (of
 * {@code vertx-eventbus-bridge-clients}) is published nowhere this build can install from, so its
 * test replays the frames it writes, as it writes them, and checks what it reads of the answers.
 */
class VertxClientsTest extends BridgeTestBase {

  private static final Path CLIENT_DIR = Path.of("src", "test", "vertx-clients");
  private static final String NODE_CLIENT = "vertx3-tcp-eventbus-client";
  private static final long INSTALL_MINUTES = 3;
  private static final long CLIENT_SECONDS = 60;

  private static JsonObject settings() {
    return standardSettings().put("tokens", new JsonArray(List.of(TOKEN + " admin", LIMITED_TOKEN)));
  }

  @Test
  void theVertxNodeClientRequestsRegistersAndReadsErrors() throws Exception {
    installNodeClient();
    int port = startBridge(settings());
    List<String> output = run(CLIENT_SECONDS, "node", "tcp-client.cjs", String.valueOf(port), TOKEN);
    output.forEach(line -> System.out.println("[tcp-client.cjs] " + line));
    assertTrue(output.contains("OK"), String.join("\n", output));
  }

  @Test
  void theFramesOfTheVertxPythonClientAreUnderstoodBothWays() throws Exception {
    int port = startBridge(settings());
    try (BridgeTestClient client = BridgeTestClient.connect(port)) {
      // What EventBus.connect() writes first, from its ping thread: json.dumps of {"type": "ping"}.
      client.writeRaw(text("{\"type\": \"ping\"}"));
      assertEquals("pong", client.read().getString("type"), "the client only looks at type for a pong");

      // send(address, headers, body, reply_handler): the reply address is a uuid1, the keys in this order.
      String replyAddress = "6f1c2a9e-4b7d-11ef-9a1c-0242ac120002";
      client.writeRaw(text("{\"type\": \"send\", \"address\": \"test.echo\", \"replyAddress\": \"" + replyAddress + "\", "
        + "\"headers\": {\"authorization\": \"Bearer " + TOKEN + "\"}, \"body\": {\"hello\": \"python\"}}"));
      JsonObject reply = client.read();
      // _receive dispatches a "message" with an "address" to the handlers of that address
      assertEquals("message", reply.getString("type"), reply::encode);
      assertEquals(replyAddress, reply.getString("address"));
      assertEquals("python", reply.getJsonObject("body").getString("hello"));

      // register_handler(address, handler): no headers (the connection is authenticated already)
      client.writeRaw(text("{\"type\": \"register\", \"address\": \"client.python\"}"));
      // publish(address, headers, body): headers None, so no key
      client.writeRaw(text("{\"type\": \"publish\", \"address\": \"client.python\", \"body\": {\"n\": 1}}"));
      JsonObject received = client.read();
      assertEquals("message", received.getString("type"), received::encode);
      assertEquals("client.python", received.getString("address"));
      assertEquals(1, received.getJsonObject("body").getInteger("n"));

      // a refused send: _receive hands every "err" to err_handler, which reads the code in "message"
      client.writeRaw(text("{\"type\": \"send\", \"address\": \"denied.echo\", \"replyAddress\": \"" + replyAddress.replace('6', '7')
        + "\", \"body\": {}}"));
      JsonObject refused = client.read();
      assertEquals("err", refused.getString("type"), refused::encode);
      assertEquals("access_denied", refused.getString("message"), refused::encode);

      // a handler's failure: as from Vert.x's bridge, failureCode, failureType and its message
      client.writeRaw(text("{\"type\": \"send\", \"address\": \"test.fail\", \"replyAddress\": \"" + replyAddress.replace('6', '8')
        + "\", \"body\": {}}"));
      JsonObject failed = client.read();
      assertEquals("err", failed.getString("type"), failed::encode);
      assertEquals(TestConsumers.FAILURE_CODE, failed.getInteger("failureCode"));
      assertEquals("RECIPIENT_FAILURE", failed.getString("failureType"));
      assertEquals(TestConsumers.FAILURE_MESSAGE, failed.getString("message"));
    }
  }

  /** A frame as the Python client builds it: struct.pack("!I", len) + the UTF-8 of its JSON text. */
  private static byte[] text(String json) {
    byte[] payload = json.getBytes(StandardCharsets.UTF_8);
    return ByteBuffer.allocate(4 + payload.length).putInt(payload.length).put(payload).array();
  }

  /** Runs {@code npm ci} in the client folder unless the package is there already. */
  private static void installNodeClient() throws Exception {
    if (Files.isRegularFile(CLIENT_DIR.resolve(Path.of("node_modules", NODE_CLIENT, "package.json")))) {
      return;
    }
    List<String> output = run(TimeUnit.MINUTES.toSeconds(INSTALL_MINUTES), "npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error");
    assertTrue(Files.isRegularFile(CLIENT_DIR.resolve(Path.of("node_modules", NODE_CLIENT, "package.json"))),
      "npm ci did not install " + NODE_CLIENT + ":\n" + String.join("\n", output));
  }

  /** Runs a command in the client folder; fails unless it exits 0 within {@code seconds}. */
  private static List<String> run(long seconds, String... command) throws Exception {
    Process process;
    try {
      process = new ProcessBuilder(command).directory(CLIENT_DIR.toFile()).redirectErrorStream(true).start();
    } catch (IOException e) {
      throw new AssertionError("cannot run " + command[0] + " (install Node.js 18+ and npm; .ci/run does): " + e.getMessage(), e);
    }
    process.getOutputStream().close();
    List<String> output = new ArrayList<>();
    Thread reader = new Thread(() -> {
      try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = in.readLine()) != null) {
          synchronized (output) {
            output.add(line);
          }
        }
      } catch (IOException e) {
        synchronized (output) {
          output.add("(output ended: " + e.getMessage() + ")");
        }
      }
    }, command[0] + "-output");
    reader.setDaemon(true);
    reader.start();
    boolean finished = process.waitFor(seconds, TimeUnit.SECONDS);
    if (!finished) {
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
    reader.join(TimeUnit.SECONDS.toMillis(10));
    synchronized (output) {
      List<String> lines = List.copyOf(output);
      assertTrue(finished, String.join(" ", command) + " did not finish in " + seconds + " s:\n" + String.join("\n", lines));
      assertEquals(0, process.exitValue(), () -> String.join(" ", command) + " failed:\n" + String.join("\n", lines));
      return lines;
    }
  }
}
