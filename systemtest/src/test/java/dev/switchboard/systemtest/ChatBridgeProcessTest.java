package dev.switchboard.systemtest;

import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A backend posting into a chat room: the chat and bridge jars clustered, and a Node.js program
 * with the project's bridge client ({@code services/bridge/clients/node}) sending {@code chat.post}
 * through the bridge. A WebSocket member of the room receives the post as a system message with
 * the number the program was answered; bad posts are refused with 400.
 */
class ChatBridgeProcessTest {

  private static final long WAIT_SECONDS = 30;
  private static final Pattern POSTED = Pattern.compile("^posted \\{\"room\":\"lobby\",\"seq\":(\\d+),\"id\":\"([0-9a-f-]{36})\"}$");

  @Test
  void aNodeProgramPostsIntoARoomThroughTheBridge() throws Exception {
    String cluster = "systemtest-chat-post-" + UUID.randomUUID();
    int chatMember = ServiceProcess.freePort();
    int bridgeMember = ServiceProcess.freePort();
    String members = "127.0.0.1:" + chatMember + ",127.0.0.1:" + bridgeMember;
    String token = "chat-post-" + UUID.randomUUID();
    try (ServiceProcess chat = ServiceProcess.of("chat").clustered(cluster, chatMember, members).args("-instances", "1").start();
         ServiceProcess bridge = ServiceProcess.of("bridge").set("adminPort", "0").set("inbound", "chat.post").set("tokens", token)
           .clustered(cluster, bridgeMember, members).args("-instances", "1").start()) {
      chat.awaitUp();
      bridge.awaitUp();
      ChatSocket ann = ChatSocket.connect(HttpClient.newHttpClient(), chat.port("http"));
      ann.send("{\"type\":\"join\",\"room\":\"lobby\",\"nickname\":\"ann\"}");
      ann.await("\"presence\"");

      ProcessBuilder builder = new ProcessBuilder("node", ServiceProcess.root().resolve("systemtest/src/test/node/chat-post.mjs").toString())
        .redirectErrorStream(true);
      builder.environment().put("BRIDGE_HOST", "127.0.0.1");
      builder.environment().put("BRIDGE_PORT", String.valueOf(bridge.port("tcp")));
      builder.environment().put("BRIDGE_TOKEN", token);
      builder.environment().put("CHAT_ROOM", "lobby");
      Process node;
      try {
        node = builder.start();
      } catch (IOException e) {
        throw new AssertionError("node is not installed (.ci/run installs it): " + e.getMessage(), e);
      }
      List<String> output = new CopyOnWriteArrayList<>();
      Thread reader = new Thread(() -> {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(node.getInputStream(), StandardCharsets.UTF_8))) {
          for (String line; (line = in.readLine()) != null; ) {
            output.add(line);
          }
        } catch (IOException e) {
          output.add("(output ended: " + e.getMessage() + ")");
        }
      }, "node-output");
      reader.setDaemon(true);
      reader.start();
      if (!node.waitFor(2 * WAIT_SECONDS, TimeUnit.SECONDS)) {
        node.destroyForcibly();
        throw new AssertionError("the Node program did not finish in " + 2 * WAIT_SECONDS + " s:\n" + String.join("\n", output));
      }
      reader.join(TimeUnit.SECONDS.toMillis(10));
      assertEquals(0, node.exitValue(), () -> String.join("\n", output) + "\n--- bridge ---\n" + bridge.output());
      Matcher posted = POSTED.matcher(output.isEmpty() ? "" : output.get(output.size() - 1));
      assertTrue(posted.matches(), String.join("\n", output));

      String message = ann.await("posted from Node");
      assertTrue(message.contains("\"sender\":\"deploy-bot\""), message);
      assertTrue(message.contains("\"seq\":" + posted.group(1) + ","), message);
      assertTrue(message.contains("\"id\":\"" + posted.group(2) + "\""), message);
      assertTrue(message.contains("\"system\":true"), message);
      ann.close();

      assertEquals(0, bridge.terminate(), bridge.output());
      assertEquals(0, chat.terminate(), chat.output());
    }
  }
}
