package dev.switchboard.systemtest;

import dev.switchboard.shared.testkit.TestKit;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The http fat jar as a process: streaming with a small heap, and graceful shutdown under load. */
class HttpProcessTest {

  private static final int MIB = 1024 * 1024;

  @Test
  void postsHalfAGibibyteThroughEchoWithA64MibHeap() throws Exception {
    long total = 512L * MIB;
    byte[] block = new byte[MIB];
    new Random(3).nextBytes(block);
    MessageDigest sent = MessageDigest.getInstance("SHA-256");
    for (long i = 0; i < total / MIB; i++) {
      sent.update(block);
    }
    try (ServiceProcess http = ServiceProcess.of("http").jvm("-Xmx64m").args("-instances", "1").start().awaitUp();
         Socket socket = new Socket("127.0.0.1", http.port("http"))) {
      socket.setSoTimeout((int) TimeUnit.SECONDS.toMillis(60));
      OutputStream out = socket.getOutputStream();
      // Sends on its own thread: the echo comes back while the body is still going out.
      CompletableFuture<Void> sending = CompletableFuture.runAsync(() -> {
        try {
          out.write(("POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/octet-stream\r\nContent-Length: " + total + "\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII));
          for (long i = 0; i < total / MIB; i++) {
            out.write(block);
          }
          out.flush();
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
      InputStream in = socket.getInputStream();
      String head = new String(readHead(in), StandardCharsets.US_ASCII);
      assertTrue(head.startsWith("HTTP/1.1 200"), head);
      assertTrue(head.toLowerCase().contains("content-length: " + total), head);
      MessageDigest received = MessageDigest.getInstance("SHA-256");
      long count = 0;
      byte[] buffer = new byte[64 * 1024];
      while (count < total) {
        int n = in.read(buffer, 0, (int) Math.min(buffer.length, total - count));
        if (n < 0) {
          break;
        }
        received.update(buffer, 0, n);
        count += n;
      }
      sending.get(60, TimeUnit.SECONDS);
      assertEquals(total, count);
      assertArrayEquals(sent.digest(), received.digest());
      assertTrue(http.isAlive(), "the server survived with a 64 MiB heap");
      assertEquals(0, http.terminate(), http.output());
    }
  }

  @Test
  void sigtermLetsTheRequestInFlightFinishRefusesNewOnesAndExitsZero() throws Exception {
    int bodySize = 2 * MIB;
    byte[] body = new byte[bodySize];
    new Random(9).nextBytes(body);
    try (ServiceProcess http = ServiceProcess.of("http").property("switchboard.shutdown.grace", "20s").args("-instances", "2").start().awaitUp();
         Socket socket = new Socket("127.0.0.1", http.port("http"))) {
      socket.setSoTimeout((int) TimeUnit.SECONDS.toMillis(60));
      OutputStream out = socket.getOutputStream();
      InputStream in = socket.getInputStream();
      out.write(("POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/octet-stream\r\nContent-Length: " + bodySize + "\r\n\r\n")
        .getBytes(StandardCharsets.US_ASCII));
      out.write(body, 0, bodySize / 2);
      out.flush();
      // The first half comes back before the signal: the request is truly in flight.
      byte[] head = readHead(in);
      String headers = new String(head, StandardCharsets.US_ASCII);
      assertTrue(headers.startsWith("HTTP/1.1 200"), headers);
      byte[] firstHalf = in.readNBytes(bodySize / 2);

      ProcessHandle.of(http.pid()).orElseThrow().destroy(); // SIGTERM
      awaitRefused(http.port("http"));

      out.write(body, bodySize / 2, bodySize - bodySize / 2);
      out.flush();
      byte[] secondHalf = in.readNBytes(bodySize - bodySize / 2);
      ByteArrayOutputStream echoed = new ByteArrayOutputStream(bodySize);
      echoed.write(firstHalf);
      echoed.write(secondHalf);
      assertArrayEquals(body, echoed.toByteArray(), "the whole in-flight body came back");
      assertEquals(0, http.awaitExit(), http.output());
      assertTrue(http.output().contains("SIGTERM received: draining"), http.output());
    }
  }

  /** New connections are refused once the server stops accepting (bounded wait). */
  private static void awaitRefused(int port) throws Exception {
    TestKit.awaitPoll(() -> {
      try (Socket probe = new Socket("127.0.0.1", port)) {
        probe.setSoTimeout(500);
        // Accepted before the listener closed; try again.
        probe.getOutputStream().write("GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        probe.getInputStream().readAllBytes();
        return false;
      } catch (ConnectException refused) {
        return true;
      } catch (java.net.SocketTimeoutException | java.net.SocketException ignored) {
        return false; // still draining this probe; try again
      }
    }, Boolean::booleanValue, Duration.ZERO, Duration.ofSeconds(15), "new connections refused after SIGTERM");
  }

  private static byte[] readHead(InputStream in) throws Exception {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int matched = 0;
    byte[] end = "\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    while (matched < end.length) {
      int b = in.read();
      if (b < 0) {
        throw new AssertionError("connection closed in the response head: " + head);
      }
      head.write(b);
      matched = b == end[matched] ? matched + 1 : (b == end[0] ? 1 : 0);
    }
    return Arrays.copyOf(head.toByteArray(), head.size());
  }
}
