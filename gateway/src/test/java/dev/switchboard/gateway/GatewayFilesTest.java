package dev.switchboard.gateway;

import dev.switchboard.files.FilesOptions;
import dev.switchboard.files.FilesVerticle;
import dev.switchboard.shared.IngressOptions;
import dev.switchboard.shared.registry.ServiceRegistry;
import dev.switchboard.shared.testkit.RawHttp;
import dev.switchboard.shared.testkit.TestCluster;
import dev.switchboard.shared.testkit.TestKit;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.HexFormat;
import java.util.Map;
import java.util.Random;

import static dev.switchboard.gateway.TestGateway.TIMEOUT;
import static dev.switchboard.shared.testkit.TestKit.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The file service behind the gateway's default {@code /files/} route: downloads, ranges,
 * conditional requests and a streamed upload larger than the gateway's own body limit pass through
 * unchanged, with backpressure.
 */
class GatewayFilesTest {

  private static final String TOKEN = "files-token-0123456789";
  private static final int FILE_SIZE = 6 << 20;
  /** Larger than the gateway's 10 MiB default: only the route's own maxBody=4g lets it through. */
  private static final int UPLOAD_SIZE = 24 << 20;
  private static final int CHUNK = 64 * 1024;

  @TempDir
  static Path root;
  private static byte[] content;
  private static TestCluster cluster;
  private static Vertx clientVertx;
  private static HttpClient client;
  private static int port;

  @BeforeAll
  static void start() throws Exception {
    content = new byte[FILE_SIZE];
    new Random(11).nextBytes(content);
    Files.write(root.resolve("video.bin"), content);
    cluster = TestCluster.started(2);
    // The gateway, on 127.0.0.1, is the files node's trusted proxy: its X-Forwarded-For names the client.
    TestKit.Deployed files = await(TestKit.deploy(cluster.node(1), FilesVerticle.DEFINITION,
      new JsonObject().put("root", root.toString()).put("token", TOKEN), 1,
      new IngressOptions(IngressOptions.DEFAULT_HEAD_TIMEOUT, List.of("127.0.0.1"))), TIMEOUT);
    await(ServiceRegistry.announce(cluster.node(1), files.runtime()), TIMEOUT);
    port = await(TestGateway.deploy(cluster.node(0), new JsonObject(), 2), TIMEOUT).port("http");
    clientVertx = TestKit.vertx();
    client = clientVertx.createHttpClient();
  }

  @AfterAll
  static void stop() throws Exception {
    TestGateway.close(clientVertx, cluster);
  }

  @Test
  void downloadsRangesAndConditionalRequestsPassThrough() throws Exception {
    Answer whole = get("/files/video.bin", Map.of());
    assertEquals(200, whole.status());
    assertArrayEquals(content, whole.body().getBytes());
    String etag = whole.headers().get("ETag");

    Answer range = get("/files/video.bin", Map.of("Range", "bytes=1000-1999"));
    assertEquals(206, range.status());
    assertEquals("bytes 1000-1999/" + FILE_SIZE, range.headers().get("Content-Range"));
    assertArrayEquals(Arrays.copyOfRange(content, 1000, 2000), range.body().getBytes());

    Answer unchanged = get("/files/video.bin", Map.of("If-None-Match", etag));
    assertEquals(304, unchanged.status());
    assertEquals(0, unchanged.body().length());

    Answer listing = get("/files/", Map.of());
    assertEquals(200, listing.status());
    assertTrue(listing.json().getJsonArray("entries").stream().anyMatch(e -> ((JsonObject) e).getString("name").equals("video.bin")),
      listing.toString());
  }

  @Test
  void aStreamedUploadLargerThanTheGatewayDefaultLimitArrivesWhole() throws Exception {
    byte[] upload = new byte[UPLOAD_SIZE];
    new Random(12).nextBytes(upload);
    RequestOptions put = new RequestOptions().setMethod(HttpMethod.PUT).setHost("127.0.0.1").setPort(port)
      .setURI("/files/upload.bin").putHeader("Authorization", "Bearer " + TOKEN);
    int status = await(TestKit.onContext(clientVertx, () -> client.request(put).compose(request -> {
      request.setChunked(true);
      Future<Integer> answered = request.response().compose(r -> r.body().map(b -> r.statusCode()));
      write(request, upload, 0);
      return answered;
    })), TIMEOUT);
    assertTrue(status == 200 || status == 201, "upload answered " + status);
    assertEquals(sha256(upload), sha256(Files.readAllBytes(root.resolve("upload.bin"))), "the file on disk is the upload");
  }

  /**
   * The file service's limit of transfers per client counts the clients behind the gateway, not the
   * gateway: one client's downloads that never read (as many as its limit) leave another client's
   * download answered, while that client's next one is refused.
   */
  @Test
  void oneClientsStalledDownloadsLeaveOtherClientsAnswered() throws Exception {
    // Larger than every buffer between the file service and a client that stopped reading.
    try (java.io.RandomAccessFile big = new java.io.RandomAccessFile(root.resolve("big.bin").toFile(), "rw")) {
      big.setLength(256L << 20); // sparse
    }
    List<RawHttp> stalled = new ArrayList<>();
    try {
      for (int i = 0; i < FilesOptions.DEFAULT_MAX_TRANSFERS_PER_CLIENT; i++) {
        RawHttp download = RawHttp.connect("127.0.0.2", port).write(get("/files/big.bin"));
        assertEquals(200, download.readHead().status(), "stalled download " + i);
        stalled.add(download); // never read further
      }
      try (RawHttp more = RawHttp.connect("127.0.0.2", port)) {
        assertEquals(429, more.write(get("/files/big.bin")).read().status(), "the stalling client is over its own limit");
      }
      try (RawHttp other = RawHttp.connect("127.0.0.3", port)) {
        RawHttp.Response whole = other.write(get("/files/video.bin")).read();
        assertEquals(200, whole.status(), "another client: " + whole.head());
        assertArrayEquals(content, whole.body());
      }
    } finally {
      for (RawHttp download : stalled) {
        download.close();
      }
    }
  }

  private static String get(String path) {
    return "GET " + path + " HTTP/1.1\r\nHost: gateway\r\n\r\n";
  }

  /** Writes {@code bytes} from {@code offset} in chunks, waiting for the write queue to drain: backpressure. */
  private static void write(HttpClientRequest request, byte[] bytes, int offset) {
    while (offset < bytes.length) {
      int end = Math.min(bytes.length, offset + CHUNK);
      request.write(Buffer.buffer(Arrays.copyOfRange(bytes, offset, end)));
      offset = end;
      if (request.writeQueueFull()) {
        int next = offset;
        request.drainHandler(v -> write(request, bytes, next));
        return;
      }
    }
    request.end();
  }

  private static Answer get(String uri, Map<String, String> headers) throws Exception {
    return Answer.send(clientVertx, client, port, HttpMethod.GET, uri, headers, null);
  }

  private static String sha256(byte[] bytes) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
  }
}
