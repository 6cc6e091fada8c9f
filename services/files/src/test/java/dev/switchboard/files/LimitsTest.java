package dev.switchboard.files;

import dev.switchboard.shared.testkit.TestKit;
import io.vertx.core.Promise;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Transfers per client (429) and the idle timeout for stalled clients. */
class LimitsTest extends FilesTestBase {

  static final long BIG = 256L * 1024 * 1024;

  private void bigFile() throws IOException {
    try (RandomAccessFile file = new RandomAccessFile(root.resolve("big.bin").toFile(), "rw")) {
      file.setLength(BIG); // sparse: no time or disk spent
    }
  }

  /** A client that asks for the big file and reads only its first bytes, keeping the transfer open. */
  private Socket stalledDownload() throws IOException {
    Socket socket = new Socket("127.0.0.1", port);
    socket.setReceiveBufferSize(64 * 1024);
    socket.setSoTimeout((int) TIMEOUT.toMillis());
    socket.getOutputStream().write("GET /files/big.bin HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
    byte[] head = new byte[12];
    assertEquals(12, socket.getInputStream().readNBytes(head, 0, 12));
    assertEquals("HTTP/1.1 200", new String(head, StandardCharsets.US_ASCII));
    return socket;
  }

  @Test
  void refusesTransfersOverThePerClientLimitWith429() throws Exception {
    bigFile();
    // Two instances: connections land on both, and the limit is per process, not per instance.
    deploy(new JsonObject().put("maxTransfersPerClient", 2), 2);
    Socket first = stalledDownload();
    try (Socket second = stalledDownload()) {
      assertTrue(second.isConnected());
      Response refused = get("/files/big.bin");
      assertEquals(429, refused.status());
      assertEquals("1", refused.header("retry-after"));
      assertEquals(new JsonObject().put("error", "too many transfers from this client").put("limit", 2), refused.json());
      assertTrue(get("/metrics").text().contains("switchboard_files_refused_transfers_total 1.0"), "429 counted in /metrics");
      // Requests that transfer nothing are not counted.
      assertEquals(200, send(HttpMethod.HEAD, "/files/big.bin", null).status());
      assertEquals(200, get("/files/").status());
      first.close();
      // The slot comes back once the server sees the connection close.
      TestKit.awaitPoll(() -> get("/files/big.bin", "Range", "bytes=0-0").status(), status -> status == 206, POLL, TIMEOUT, "a slot is free again");
    } finally {
      first.close();
    }
  }

  @Test
  void closesAStalledDownloadAfterTheIdleTimeout() throws IOException {
    bigFile();
    deploy(new JsonObject().put("idleTimeout", "500ms"));
    try (Socket socket = stalledDownload()) {
      // The client stalls: nothing to wait for but time, so wait three idle periods.
      Promise<Void> stalled = Promise.promise();
      vertx.setTimer(1500, id -> stalled.complete());
      TestKit.awaitUnchecked(stalled.future(), TIMEOUT);
      long received = 12;
      InputStream in = socket.getInputStream();
      byte[] buffer = new byte[64 * 1024];
      try {
        for (int n; (n = in.read(buffer)) >= 0; ) {
          received += n;
        }
      } catch (SocketException reset) {
        // a reset is as good as a FIN: the server gave up on the connection
      }
      assertTrue(received < BIG / 2, "received " + received + " of " + BIG + " bytes: the connection was not closed");
    }
  }
}
