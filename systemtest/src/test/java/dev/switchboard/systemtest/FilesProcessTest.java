package dev.switchboard.systemtest;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The files fat jar as a process: a large round trip with a small heap, and a start with no configuration. */
class FilesProcessTest {

  private static final int MIB = 1024 * 1024;
  private static final String TOKEN = "process-test-token-0123456789";

  @TempDir
  Path temp;

  @Test
  void uploadsAndDownloadsAQuarterGibibyteWithA64MibHeap() throws Exception {
    long total = 256L * MIB;
    byte[] block = new byte[MIB];
    new Random(5).nextBytes(block);
    MessageDigest sent = MessageDigest.getInstance("SHA-256");
    for (long i = 0; i < total / MIB; i++) {
      sent.update(block);
    }
    Path root = Files.createDirectory(temp.resolve("root"));
    try (ServiceProcess files = ServiceProcess.of("files").jvm("-Xmx64m").set("root", root.toString())
      .env("SWITCHBOARD_FILES_TOKEN", TOKEN).args("-instances", "1").start().awaitUp()) {
      URI uri = URI.create("http://127.0.0.1:" + files.port("http") + "/files/big/upload.bin");
      HttpClient client = HttpClient.newHttpClient();
      HttpResponse<String> put = client.send(HttpRequest.newBuilder(uri)
          .header("Authorization", "Bearer " + TOKEN)
          .PUT(HttpRequest.BodyPublishers.ofInputStream(() -> new RepeatingStream(block, total / MIB))).build(),
        HttpResponse.BodyHandlers.ofString());
      assertEquals(201, put.statusCode(), put.body());
      HttpResponse<InputStream> get = client.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofInputStream());
      assertEquals(200, get.statusCode());
      MessageDigest received = MessageDigest.getInstance("SHA-256");
      long count = 0;
      try (InputStream in = get.body()) {
        byte[] buffer = new byte[64 * 1024];
        for (int n; (n = in.read(buffer)) >= 0; ) {
          received.update(buffer, 0, n);
          count += n;
        }
      }
      assertEquals(total, count);
      assertArrayEquals(sent.digest(), received.digest());
      assertEquals(0, files.terminate(), files.output());
    }
  }

  @Test
  void startsWithoutConfigurationServingAFilesDirectoryReadOnly() throws Exception {
    // Its own process: the working directory matters here, and ServiceProcess keeps the test's.
    Path work = Files.createDirectory(temp.resolve("work"));
    List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
      "-Dswitchboard.files.port=0", "-Dswitchboard.files.host=127.0.0.1", "-jar", ServiceProcess.jar("files").toString(),
      "-instances", "1");
    ProcessBuilder builder = new ProcessBuilder(command).directory(work.toFile()).redirectErrorStream(true);
    builder.environment().keySet().removeIf(k -> k.startsWith("SWITCHBOARD_"));
    Process process = builder.start();
    List<String> lines = new ArrayList<>();
    try {
      CompletableFuture<Integer> port = CompletableFuture.supplyAsync(() -> {
        Pattern up = Pattern.compile(" files up: http=http://[^:]+:(\\d+)");
        try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
          for (String line; (line = in.readLine()) != null; ) {
            lines.add(line);
            Matcher m = up.matcher(line);
            if (m.find()) {
              return Integer.parseInt(m.group(1));
            }
          }
        } catch (IOException e) {
          throw new IllegalStateException(e);
        }
        throw new IllegalStateException("exited before it was up: " + lines);
      });
      int p = port.get(ServiceProcess.START_TIMEOUT_SECONDS, TimeUnit.SECONDS);
      assertTrue(Files.isDirectory(work.resolve("files")), "the default root ./files was created");
      Files.writeString(work.resolve("files").resolve("hello.txt"), "hello");
      HttpClient client = HttpClient.newHttpClient();
      URI uri = URI.create("http://127.0.0.1:" + p + "/files/hello.txt");
      assertEquals("hello", client.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString()).body());
      HttpResponse<String> put = client.send(HttpRequest.newBuilder(uri).header("Authorization", "Bearer anything-at-all-0123")
        .PUT(HttpRequest.BodyPublishers.ofString("x")).build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(403, put.statusCode(), put.body());
      assertTrue(put.body().contains("read-only"), put.body());
      process.toHandle().destroy();
      assertTrue(process.waitFor(ServiceProcess.START_TIMEOUT_SECONDS, TimeUnit.SECONDS), String.join("\n", lines));
      assertEquals(0, process.exitValue(), String.join("\n", lines));
    } finally {
      process.destroyForcibly();
    }
  }

  /** {@code count} copies of {@code block}, generated as read: the test's memory stays small too. */
  private static final class RepeatingStream extends InputStream {

    private final byte[] block;
    private long remaining;
    private int position;

    RepeatingStream(byte[] block, long count) {
      this.block = block;
      this.remaining = count;
    }

    @Override
    public int read() {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) {
      if (remaining == 0) {
        return -1;
      }
      int n = Math.min(len, block.length - position);
      System.arraycopy(block, position, b, off, n);
      position += n;
      if (position == block.length) {
        position = 0;
        remaining--;
      }
      return n;
    }
  }

}
