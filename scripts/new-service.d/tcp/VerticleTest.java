package dev.switchboard.__NAME__;

import dev.switchboard.shared.testkit.OptionsChecks;
import dev.switchboard.shared.testkit.TestKit;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The __NAME__ service on 127.0.0.1, port 0: greetings per line, a line too long, and its options. */
class __CLASS__VerticleTest {

  private static final int READ_TIMEOUT_MS = (int) Duration.ofSeconds(10).toMillis();

  private Vertx vertx;
  private int port;

  @BeforeEach
  void deploy() throws Exception {
    vertx = TestKit.vertx();
    port = TestKit.await(TestKit.deploy(vertx, __CLASS__Verticle.DEFINITION, new JsonObject().put("maxLineLength", 16), 2)).port("tcp");
  }

  @AfterEach
  void close() throws Exception {
    TestKit.await(vertx.close());
  }

  @Test
  void greetsEachLine() throws Exception {
    assertEquals("Hello, Ada!\nHello, Grace!\n", exchange("Ada\nGrace\n"));
  }

  @Test
  void aLineTooLongGetsAnErrorAndTheConnectionCloses() throws Exception {
    assertEquals("error: a line is at most 16 bytes\n", exchange("x".repeat(17) + "\n"));
  }

  @Test
  void everyOptionReadsBackAndIsDescribed() {
    OptionsChecks.readsBackAndDescribesEveryKey(__CLASS__Options.SCHEMA,
      new __CLASS__Options("127.0.0.1", 1, 2, 5, Duration.ofSeconds(7)));
  }

  /** Writes {@code lines}, half-closes, and reads everything until the server closes. */
  private String exchange(String lines) throws Exception {
    try (Socket socket = new Socket("127.0.0.1", port)) {
      socket.setSoTimeout(READ_TIMEOUT_MS);
      OutputStream out = socket.getOutputStream();
      out.write(lines.getBytes(StandardCharsets.UTF_8));
      socket.shutdownOutput();
      InputStream in = socket.getInputStream();
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }
}
