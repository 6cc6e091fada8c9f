package dev.switchboard.chat;

import dev.switchboard.shared.bus.Addresses;
import dev.switchboard.shared.testkit.Browsers;
import dev.switchboard.shared.testkit.TestKit;
import dev.switchboard.shared.testkit.TestTokens;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The chat page in a real browser: headless Chromium ({@code /usr/bin/chromium}, or
 * {@code CHROMIUM} from the environment) driven by playwright-core from {@code src/test/browser}
 * (installed with {@code npm ci} there). A missing tool fails the test and says what to install.
 */
class ChatPageBrowserTest extends ChatTestBase {

  private static final Path BROWSER_DIR = Path.of("src", "test", "browser");
  private static final long BROWSER_SECONDS = 90;

  @Test
  void pageIsServedWithItsScriptAndStyle() {
    deploy(new JsonObject());
    WebClient web = WebClient.create(vertx);
    HttpResponse<Buffer> page = TestKit.awaitUnchecked(web.get(port, "127.0.0.1", "/").send(), ChatTestClient.WAIT);
    assertEquals(200, page.statusCode());
    assertTrue(page.getHeader("content-type").startsWith("text/html"), page.getHeader("content-type"));
    assertTrue(page.bodyAsString().contains("<script src=\"chat.js\"></script>"));
    for (String asset : List.of("/chat.js", "/chat.css")) {
      assertEquals(200, TestKit.awaitUnchecked(web.get(port, "127.0.0.1", asset).send(), ChatTestClient.WAIT).statusCode(), asset);
    }
    assertEquals(404, TestKit.awaitUnchecked(web.get(port, "127.0.0.1", "/../pom.xml").send(), ChatTestClient.WAIT).statusCode());
  }

  @Test
  void twoPagesChatAReloadGetsTheHistoryBackAndADropResumesWithSince(@TempDir Path profile) throws Exception {
    String chromium = Browsers.chromium(BROWSER_DIR);
    deploy(new JsonObject());
    run(chromium, "two-pages.mjs", profile);
  }

  @Test
  void onePageInTwoRoomsShowsEachSwitchesKeepsThemOverAReloadAndLeavesOne(@TempDir Path profile) throws Exception {
    String chromium = Browsers.chromium(BROWSER_DIR);
    deploy(new JsonObject());
    TestKit.awaitUnchecked(TestKit.onContext(vertx, () -> vertx.eventBus().request(Addresses.CHAT_POST,
      new JsonObject().put("room", "lobby").put("sender", "greeter-bot").put("text", "welcome to the lobby"))), ChatTestClient.WAIT);
    run(chromium, "rooms-page.mjs", profile);
  }

  @Test
  void pagesWithATokenChatUnderItsNicknameAndABadTokenStopsThePage(@TempDir Path profile, @TempDir Path keys) throws Exception {
    String chromium = Browsers.chromium(BROWSER_DIR);
    TestTokens tokens = TestTokens.create("page-k1");
    deployWithAuth(new JsonObject(), TestTokens.options(tokens.writeJwks(keys.resolve("jwks.json"))));
    run(chromium, "token-pages.mjs", profile, tokens.token("ann"), tokens.token("bob"));
  }

  private void run(String chromium, String script, Path profile, String... extra) throws Exception {
    Path output = Files.createTempFile("chat-browser", ".log");
    try {
      List<String> command = new java.util.ArrayList<>(List.of("node", script, "http://127.0.0.1:" + port, chromium, profile.toString()));
      command.addAll(List.of(extra));
      Process node = new ProcessBuilder(command)
        .directory(BROWSER_DIR.toFile())
        .redirectErrorStream(true)
        .redirectOutput(output.toFile())
        .start();
      if (!node.waitFor(BROWSER_SECONDS, TimeUnit.SECONDS)) {
        node.descendants().forEach(ProcessHandle::destroyForcibly);
        node.destroyForcibly();
        fail("browser test did not finish in " + BROWSER_SECONDS + " s: " + read(output));
      }
      String log = read(output);
      assertEquals(0, node.exitValue(), log);
      assertTrue(log.contains("OK "), log);
    } catch (IOException e) {
      fail("cannot run node (install Node.js 18+): " + e.getMessage());
    } finally {
      Files.deleteIfExists(output);
    }
  }

  private static String read(Path file) throws IOException {
    return Files.readString(file, StandardCharsets.UTF_8);
  }
}
