package dev.switchboard.echo;

import dev.switchboard.shared.testkit.TestKit;
import dev.switchboard.shared.testkit.TestKit.Deployed;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A client that writes and never reads must stall on its own TCP window: the server stops reading
 * from it while its write queue is full, so what the server holds for it stays bounded.
 */
class EchoBackpressureTest {

  private static final Logger log = LoggerFactory.getLogger(EchoBackpressureTest.class);
  private static final long ATTEMPT = 256L * 1024 * 1024;
  /**
   * What may be in flight once the client stalls: both sockets' kernel buffers in both directions
   * (loopback auto-tuning allows a few MiB each) plus the server's write queue (64 KiB) and one read.
   * A server that kept reading would take all 256 MiB.
   */
  private static final long ACCEPTED_LIMIT = 64L * 1024 * 1024;
  /** Without progress for this long the client counts as stalled by the server. */
  private static final long STALL_NANOS = TimeUnit.SECONDS.toNanos(2);
  private static final long DEADLINE_NANOS = TimeUnit.SECONDS.toNanos(60);

  private final byte[] pattern = new byte[1 << 20];
  private Vertx vertx;

  @BeforeEach
  void setUp() {
    new Random(7).nextBytes(pattern);
    vertx = TestKit.vertx();
  }

  @AfterEach
  void tearDown() throws Exception {
    TestKit.await(vertx.close());
  }

  @Test
  void clientWritingWithoutReadingStallsAndLosesNoBytes() throws Exception {
    Deployed echo = TestKit.await(TestKit.deploy(vertx, EchoVerticle.DEFINITION, new JsonObject(), 2));
    Runtime jvm = Runtime.getRuntime();
    long heapBefore = jvm.totalMemory() - jvm.freeMemory();

    try (SocketChannel channel = SocketChannel.open(new InetSocketAddress("127.0.0.1", echo.port("tcp")));
         Selector selector = Selector.open()) {
      channel.configureBlocking(false);
      SelectionKey key = channel.register(selector, SelectionKey.OP_WRITE);
      long written = writeUntilStalled(channel, selector);
      long heapAfter = jvm.totalMemory() - jvm.freeMemory();
      log.info("client stalled after {} of {} bytes; test JVM heap {} MiB -> {} MiB",
        written, ATTEMPT, heapBefore >> 20, heapAfter >> 20);
      assertTrue(written < ACCEPTED_LIMIT, "server accepted " + written + " bytes from a client that never reads");
      assertEquals(1.0, echo.runtime().meters().get("switchboard.echo.connections.open").gauge().value());

      // Now read: every byte accepted comes back, in order, and the connection is still usable.
      key.interestOps(SelectionKey.OP_READ);
      long read = readBack(channel, selector, written);
      assertEquals(written, read);
    }
  }

  @Test
  void clientThatHalfClosesGetsEveryByteBackBeforeTheServerCloses() throws Exception {
    Deployed echo = TestKit.await(TestKit.deploy(vertx, EchoVerticle.DEFINITION, new JsonObject(), 2));
    int total = 32 * 1024 * 1024;
    try (Socket socket = new Socket("127.0.0.1", echo.port("tcp"))) {
      socket.setSoTimeout((int) TimeUnit.SECONDS.toMillis(30));
      CompletableFuture<Void> sending = CompletableFuture.runAsync(() -> {
        try {
          for (int sent = 0; sent < total; sent += pattern.length) {
            socket.getOutputStream().write(pattern);
          }
          socket.shutdownOutput(); // FIN while the server still owes most of the echo
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
      InputStream in = socket.getInputStream();
      byte[] buffer = new byte[64 * 1024];
      long read = 0;
      int n;
      while ((n = in.read(buffer)) > 0) {
        for (int i = 0; i < n; i++) {
          if (buffer[i] != pattern[(int) ((read + i) % pattern.length)]) {
            fail("byte " + (read + i) + " differs from what was sent");
          }
        }
        read += n;
      }
      sending.get(30, TimeUnit.SECONDS);
      assertEquals(total, read, "every byte came back before the server closed");
    }
  }

  private long writeUntilStalled(SocketChannel channel, Selector selector) throws IOException {
    ByteBuffer chunk = ByteBuffer.allocate(64 * 1024);
    long written = 0;
    long lastProgress = System.nanoTime();
    long start = lastProgress;
    while (written < ATTEMPT && System.nanoTime() - lastProgress < STALL_NANOS) {
      if (System.nanoTime() - start > DEADLINE_NANOS) {
        fail("the client neither finished nor stalled within the deadline");
      }
      selector.select(200);
      selector.selectedKeys().clear();
      if (!chunk.hasRemaining() || chunk.position() == 0) {
        fill(chunk, written);
      }
      int n = channel.write(chunk);
      if (n > 0) {
        written += n;
        lastProgress = System.nanoTime();
        if (!chunk.hasRemaining()) {
          chunk.clear();
          chunk.limit(0);
        }
      }
    }
    return written;
  }

  private void fill(ByteBuffer chunk, long offset) {
    chunk.clear();
    for (int i = 0; i < chunk.capacity(); i++) {
      chunk.put(pattern[(int) ((offset + i) % pattern.length)]);
    }
    chunk.flip();
  }

  private long readBack(SocketChannel channel, Selector selector, long expected) throws IOException {
    ByteBuffer in = ByteBuffer.allocate(256 * 1024);
    long read = 0;
    long start = System.nanoTime();
    while (read < expected) {
      if (System.nanoTime() - start > DEADLINE_NANOS) {
        fail("only " + read + " of " + expected + " bytes came back within the deadline");
      }
      selector.select(200);
      selector.selectedKeys().clear();
      in.clear();
      int n = channel.read(in);
      if (n < 0) {
        fail("connection closed after " + read + " of " + expected + " bytes");
      }
      for (int i = 0; i < n; i++) {
        if (in.get(i) != pattern[(int) ((read + i) % pattern.length)]) {
          fail("byte " + (read + i) + " differs from what was sent");
        }
      }
      read += n;
    }
    return read;
  }
}
