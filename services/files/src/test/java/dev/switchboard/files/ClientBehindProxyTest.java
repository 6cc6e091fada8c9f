package dev.switchboard.files;

import dev.switchboard.shared.IngressOptions;
import dev.switchboard.shared.testkit.RawHttp;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.io.RandomAccessFile;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Behind a trusted proxy (the gateway), the per-client transfer limit counts the client the proxy
 * names in {@code X-Forwarded-For}, not the proxy: one client's stalled downloads leave the others'
 * slots alone. From anyone else the header is ignored.
 */
class ClientBehindProxyTest extends FilesTestBase {

  private static final int LIMIT = FilesOptions.DEFAULT_MAX_TRANSFERS_PER_CLIENT;
  private static final long BIG = 64L * 1024 * 1024;

  @Test
  void aClientsStalledDownloadsThroughAProxyLeaveOtherClientsAnswered() throws Exception {
    try (RandomAccessFile file = new RandomAccessFile(root.resolve("big.bin").toFile(), "rw")) {
      file.setLength(BIG); // sparse
    }
    java.nio.file.Files.writeString(root.resolve("hello.txt"), "hello");
    deploy(new JsonObject(), 2, new IngressOptions(Duration.ofSeconds(10), List.of("127.0.0.1")));
    List<RawHttp> stalled = new ArrayList<>();
    try {
      for (int i = 0; i < LIMIT; i++) {
        RawHttp download = RawHttp.connect(port).write(get("/files/big.bin", "10.9.9.9"));
        assertEquals(200, download.readHead().status(), "download " + i + " of the slow client");
        stalled.add(download); // never read further
      }
      try (RawHttp more = RawHttp.connect(port)) {
        assertEquals(429, more.write(get("/files/big.bin", "10.9.9.9")).read().status(), "the slow client is over its limit");
      }
      try (RawHttp other = RawHttp.connect(port)) {
        RawHttp.Response answer = other.write(get("/files/hello.txt", "10.8.8.8")).read();
        assertEquals(200, answer.status(), "another client behind the same proxy: " + answer.head());
      }
      try (RawHttp untrusted = RawHttp.connect("127.0.0.2", port)) {
        // From a peer that is not a trusted proxy, the header counts for nothing: this is client 127.0.0.2.
        RawHttp.Response answer = untrusted.write(get("/files/hello.txt", "10.9.9.9")).read();
        assertEquals(200, answer.status(), answer.head());
      }
    } finally {
      for (RawHttp download : stalled) {
        download.close();
      }
    }
  }

  private static String get(String path, String forwardedFor) {
    return "GET " + path + " HTTP/1.1\r\nHost: files\r\nX-Forwarded-For: " + forwardedFor + "\r\n\r\n";
  }
}
