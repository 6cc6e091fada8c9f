package dev.switchboard.files;

import dev.switchboard.shared.testkit.TestKit;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.PoolOptions;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A file or a directory on the way to it is swapped for a symbolic link out of the root, again and
 * again on a background thread, while a client downloads it over real sockets: the bytes behind
 * the link (the secret planted beside the root) are never sent. Each test also checks that it
 * raced: it saw the ordinary file and it saw refusals, so it would catch a server that checks a
 * path and then opens it again (such a server leaked in both tests).
 */
class DownloadRaceTest extends FilesTestBase {

  private static final Logger log = LoggerFactory.getLogger(DownloadRaceTest.class);

  /** At most this many GETs per test... */
  static final int MAX_GETS = 6000;
  /** ...or this long, whichever ends first. */
  static final long MAX_NANOS = TimeUnit.SECONDS.toNanos(8);
  /** GETs in flight at once. */
  static final int PARALLEL = 8;
  /** The swapper's bound, so it stops even if the test thread never tells it to. */
  static final int MAX_SWAPS = 2_000_000;
  /** A GET that receives nothing this long fails (and counts as an unexpected answer). */
  static final long IDLE_MILLIS = 5000;

  @Test
  void neverSendsTheTargetOfALinkSwappedInForTheFile() throws Exception {
    String ordinary = "ordinary file";
    Path file = root.resolve("swapped.txt");
    Files.writeString(file, ordinary);
    Path kept = Files.writeString(root.resolve(".kept-file"), ordinary);
    Path parkedFile = root.resolve(".parked-file");
    Path parkedLink = root.resolve(".parked-link");
    deploy();

    // Each swap is one rename over the name, so the name always exists: the file, or a link out.
    // The file comes back as a new hard link to a kept copy, as quick to make as the symbolic link.
    Tally tally = race("/files/swapped.txt", ordinary, () -> {
      Files.createSymbolicLink(parkedLink, secretFile);
      Files.move(parkedLink, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      Files.createLink(parkedFile, kept);
      Files.move(parkedFile, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    });
    tally.assertNoLeakAndRaced();
  }

  @Test
  void neverSendsThroughALinkSwappedInForADirectoryOnTheWay() throws Exception {
    String ordinary = "ordinary file";
    Path dir = Files.createDirectory(root.resolve("dir"));
    Files.writeString(dir.resolve("file.txt"), ordinary);
    // Outside the root, the same name holds the secret.
    Path outside = Files.createDirectory(temp.resolve("outside"));
    Files.writeString(outside.resolve("file.txt"), secret);
    Path parkedDir = root.resolve(".parked-dir");
    Path parkedLink = root.resolve(".parked-link");
    Files.createSymbolicLink(parkedLink, outside);
    deploy();

    // A directory cannot be renamed over a link (nor a link over it), so the name is briefly
    // missing between the renames: those GETs are 404 too.
    Tally tally = race("/files/dir/file.txt", ordinary, () -> {
      Files.move(dir, parkedDir, StandardCopyOption.ATOMIC_MOVE);
      Files.move(parkedLink, dir, StandardCopyOption.ATOMIC_MOVE);
      Files.move(dir, parkedLink, StandardCopyOption.ATOMIC_MOVE);
      Files.move(parkedDir, dir, StandardCopyOption.ATOMIC_MOVE);
    });
    tally.assertNoLeakAndRaced();
  }

  /** A step of the swapper: one full round from the ordinary state back to it. */
  interface Swap {
    void run() throws IOException;
  }

  /**
   * GETs {@code uri} {@link #PARALLEL} at a time while {@code swap} runs in a loop on its own
   * thread, until {@link #MAX_GETS} or {@link #MAX_NANOS}; then stops the swapper and waits for it.
   */
  private Tally race(String uri, String ordinary, Swap swap) throws Exception {
    WebClient client = WebClient.create(vertx, new WebClientOptions(), new PoolOptions().setHttp1MaxSize(PARALLEL));
    AtomicBoolean stop = new AtomicBoolean();
    AtomicLong swaps = new AtomicLong();
    AtomicReference<Throwable> swapFailure = new AtomicReference<>();
    Thread swapper = new Thread(() -> {
      try {
        while (!stop.get() && swaps.get() < MAX_SWAPS) {
          swap.run();
          swaps.incrementAndGet();
        }
      } catch (Throwable e) {
        swapFailure.set(e);
      }
    }, "swapper");
    swapper.setDaemon(true);
    Tally tally = new Tally(ordinary, secret);
    long deadline = System.nanoTime() + MAX_NANOS;
    swapper.start();
    try {
      while (tally.gets < MAX_GETS && System.nanoTime() < deadline && swapper.isAlive()) {
        List<Future<HttpResponse<Buffer>>> batch = new ArrayList<>();
        for (int i = 0; i < PARALLEL; i++) {
          batch.add(client.get(port, "127.0.0.1", uri).idleTimeout(IDLE_MILLIS).send());
        }
        TestKit.awaitUnchecked(Future.join(batch).recover(e -> Future.succeededFuture()), TIMEOUT);
        batch.forEach(tally::add);
      }
    } finally {
      stop.set(true);
      swapper.join(TIMEOUT.toMillis());
      client.close();
    }
    assertNull(swapFailure.get(), () -> "the swapper failed: " + swapFailure.get());
    tally.swaps = swaps.get();
    return tally;
  }

  /** What the client got. */
  private static final class Tally {

    final String ordinary;
    final String secret;
    int gets;
    int ordinaryBodies;
    int notFound;
    int leaks;
    long swaps;
    final Map<String, Integer> other = new TreeMap<>();

    Tally(String ordinary, String secret) {
      this.ordinary = ordinary;
      this.secret = secret;
    }

    void add(Future<HttpResponse<Buffer>> done) {
      gets++;
      if (done.failed()) {
        other.merge("failed: " + done.cause(), 1, Integer::sum);
        return;
      }
      HttpResponse<Buffer> r = done.result();
      String text = r.bodyAsString();
      if (text.contains(secret)) {
        leaks++;
      } else if (r.statusCode() == 200 && text.equals(ordinary)) {
        ordinaryBodies++;
      } else if (r.statusCode() == 404 && "application/json".equals(r.getHeader("content-type"))
        && "not found".equals(r.bodyAsJsonObject().getString("error"))) {
        notFound++;
      } else {
        other.merge(r.statusCode() + " " + text, 1, Integer::sum);
      }
    }

    void assertNoLeakAndRaced() {
      String summary = gets + " GETs, " + swaps + " swaps: " + ordinaryBodies + " ordinary, " + notFound
        + " not found, " + leaks + " leaked the secret, other " + other;
      log.info("race: {}", summary);
      assertEquals(0, leaks, summary);
      assertEquals(Map.of(), other, summary);
      assertTrue(ordinaryBodies > 0 && notFound > 0, "did not race: " + summary);
      assertTrue(swaps > 0, summary);
    }
  }
}
