package dev.switchboard.files;

import dev.switchboard.shared.testkit.TestKit;
import io.netty.util.internal.PlatformDependent;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetSocket;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The service at the size it is for: a 1 GiB file downloaded byte-exact, a slow reader of it that
 * does not make the server's memory grow, and a 1 GiB upload cut at half that leaves nothing.
 */
class BigFileTest extends FilesTestBase {

  private static final Logger log = LoggerFactory.getLogger(BigFileTest.class);

  static final long GIB = 1L << 30;
  static final int BLOCK = 1 << 20;
  /** Reading pace of the slow client, and for how long it reads. */
  static final int SLOW_BYTES_PER_SECOND = 1 << 20;
  static final long SLOW_MILLIS = 10_000;
  /** How much the server's memory may move while it serves the slow client: far less than the file. */
  static final long FLAT_MEMORY_SLACK = 48L << 20;

  /**
   * Writes {@code size} bytes of pseudo-random blocks, each stamped with its index so that a block
   * sent twice or out of order changes the checksum, and returns their SHA-256.
   */
  static byte[] writeBigFile(Path file, long size) throws Exception {
    MessageDigest sha = MessageDigest.getInstance("SHA-256");
    byte[] block = new byte[BLOCK];
    new Random(42).nextBytes(block);
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      for (long written = 0, index = 0; written < size; written += BLOCK, index++) {
        ByteBuffer.wrap(block).putLong(index);
        ByteBuffer buffer = ByteBuffer.wrap(block, 0, (int) Math.min(BLOCK, size - written));
        sha.update(buffer.duplicate());
        while (buffer.hasRemaining()) {
          channel.write(buffer);
        }
      }
    }
    return sha.digest();
  }

  @Test
  void downloadsOneGibibyteByteExact() throws Exception {
    byte[] expected = writeBigFile(root.resolve("big.bin"), GIB);
    deploy();
    MessageDigest sha = MessageDigest.getInstance("SHA-256");
    AtomicLong received = new AtomicLong();
    HttpClient client = client();
    TestKit.awaitUnchecked(client.request(new RequestOptions().setMethod(HttpMethod.GET).setURI("/files/big.bin"))
      .compose(request -> request.send())
      .compose(response -> {
        assertEquals(200, response.statusCode());
        assertEquals(String.valueOf(GIB), response.getHeader("content-length"));
        response.handler(chunk -> {
          received.addAndGet(chunk.length());
          sha.update(chunk.getBytes());
        });
        return response.end();
      }), TIMEOUT);
    assertEquals(GIB, received.get());
    assertArrayEquals(expected, sha.digest());
  }

  @Test
  void keepsHeapAndDirectMemoryFlatForASlowReader() throws Exception {
    writeBigFile(root.resolve("big.bin"), GIB);
    // Shorter than the test, longer than the time the slow client takes to drain one 1 MiB sendfile region.
    deploy(new JsonObject().put("idleTimeout", "4s"));
    AtomicLong received = new AtomicLong();
    NetSocket socket = TestKit.awaitUnchecked(vertx.createNetClient().connect(port, "127.0.0.1"), TIMEOUT);
    Promise<Void> closed = Promise.promise();
    socket.closeHandler(v -> closed.tryComplete());
    // Token bucket: every 100 ms the client may read a tenth of its per-second budget, then pauses.
    long slice = SLOW_BYTES_PER_SECOND / 10;
    long[] allowed = {slice};
    socket.handler(chunk -> {
      if (received.addAndGet(chunk.length()) >= allowed[0]) {
        socket.pause();
      }
    });
    long pacer = vertx.setPeriodic(100, id -> {
      allowed[0] += slice;
      socket.resume();
    });
    TestKit.awaitUnchecked(socket.write("GET /files/big.bin HTTP/1.1\r\nHost: x\r\n\r\n"), TIMEOUT);

    long[] baseline = null;
    long[] worst = {0, 0};
    long start = System.nanoTime();
    for (int sample = 0; sample < SLOW_MILLIS / 500; sample++) {
      Promise<Void> tick = Promise.promise();
      vertx.setTimer(500, id -> tick.complete());
      TestKit.awaitUnchecked(tick.future(), TIMEOUT);
      long[] now = memory(sample == 1 || sample == SLOW_MILLIS / 500 - 1);
      if (sample == 1) {
        baseline = now; // after the first second: pools warm, transfer going
      } else if (baseline != null) {
        worst[0] = Math.max(worst[0], now[0] - baseline[0]);
        worst[1] = Math.max(worst[1], now[1] - baseline[1]);
      }
    }
    long elapsedMillis = (System.nanoTime() - start) / 1_000_000;
    vertx.cancelTimer(pacer);
    assertTrue(!closed.future().isComplete(), "a slow but moving client must not be cut off by the idle timeout");
    long bytes = received.get();
    log.info("slow reader: {} MiB in {} ms; heap grew at most {} MiB, direct memory {} MiB", bytes >> 20, elapsedMillis,
      worst[0] >> 20, worst[1] >> 20);
    // The pace really was about 1 MiB/s: at most the budget plus what sits in socket buffers.
    assertTrue(bytes >= (SLOW_BYTES_PER_SECOND * elapsedMillis / 1000) / 2, "received " + bytes);
    assertTrue(bytes <= SLOW_BYTES_PER_SECOND * (elapsedMillis / 1000 + 2), "received " + bytes);
    assertTrue(worst[0] < FLAT_MEMORY_SLACK, "heap grew by " + (worst[0] >> 20) + " MiB while serving " + (bytes >> 20) + " MiB");
    assertTrue(worst[1] < FLAT_MEMORY_SLACK, "direct memory grew by " + (worst[1] >> 20) + " MiB");
    TestKit.awaitUnchecked(socket.close(), TIMEOUT);
  }

  /**
   * Heap in use (after a collection when asked, so garbage does not count as growth) and direct
   * memory: Netty's own counter of the direct buffers it allocates without a cleaner (Vert.x's
   * pooled buffers) plus the JDK's direct buffer pool. Client and server share this JVM, so this
   * bounds the server's share from above.
   */
  private static long[] memory(boolean collect) {
    if (collect) {
      System.gc();
    }
    long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    long direct = Math.max(0, PlatformDependent.usedDirectMemory());
    for (BufferPoolMXBean pool : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
      if (pool.getName().equals("direct")) {
        direct += pool.getMemoryUsed();
      }
    }
    return new long[] {heap, direct};
  }

  @Test
  void leavesNothingWhenAOneGibibyteUploadIsCutAtHalf() throws Exception {
    deploy(new JsonObject().put("maxUploadSize", GIB));
    byte[] block = new byte[BLOCK];
    new Random(1).nextBytes(block);
    try (Socket socket = new Socket("127.0.0.1", port)) {
      OutputStream out = socket.getOutputStream();
      out.write(("PUT /files/half.bin HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TOKEN
        + "\r\nContent-Length: " + GIB + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      for (long sent = 0; sent < GIB / 2; sent += BLOCK) {
        out.write(block);
      }
      out.flush();
      TestKit.awaitPoll(this::leftovers, files -> files.size() == 1, POLL, TIMEOUT, "the temporary file exists");
      socket.setSoLinger(true, 0); // a reset, as a killed client's kernel sends
    }
    TestKit.awaitPoll(this::leftovers, List::isEmpty, POLL, TIMEOUT, "nothing is left");
    assertEquals(List.of(), leftovers());
    assertEquals(404, get("/files/half.bin").status());
    // The service still takes a whole upload afterwards.
    assertEquals(201, put("/files/after.bin", Buffer.buffer(block)).status());
  }
}
