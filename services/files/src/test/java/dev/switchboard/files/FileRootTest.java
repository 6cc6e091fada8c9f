package dev.switchboard.files;

import dev.switchboard.files.FileRoot.Found;
import dev.switchboard.files.FileRoot.Stat;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@link FileRoot#find} without a socket, with {@code openat} ({@code true}) and in the fallback
 * for platforms without it ({@code false}): what it opens, what it refuses, and that a file swapped
 * for a link out of the root is never opened.
 */
class FileRootTest {

  @TempDir
  Path temp;

  private FileRoot root(boolean openat) throws IOException {
    FileRoot root = FileRoot.open(Files.createDirectories(temp.resolve("root")).toString(), openat);
    if (openat) {
      assumeTrue(root.raceFree(), "no SecureDirectoryStream on this platform");
    }
    assertEquals(openat, root.raceFree());
    return root;
  }

  private static String read(Found found) throws IOException {
    ByteBuffer bytes = ByteBuffer.allocate((int) found.channel().size());
    while (bytes.hasRemaining() && found.channel().read(bytes) >= 0) {
      // until full
    }
    found.channel().close();
    return new String(bytes.array(), StandardCharsets.UTF_8);
  }

  @ParameterizedTest
  @ValueSource(booleans = {true, false})
  void opensFilesAndLinksInsideWithTheAttributesAListingGives(boolean openat) throws IOException {
    FileRoot root = root(openat);
    Path file = Files.writeString(Files.createDirectories(root.path().resolve("a").resolve("b")).resolve("f.txt"), "inside");
    Files.createSymbolicLink(root.path().resolve("link"), file);
    Files.createSymbolicLink(root.path().resolve("dirlink"), file.getParent());

    for (String name : new String[] {"a/b/f.txt", "link", "dirlink/f.txt"}) {
      Found found = root.find(RequestPath.parseDecoded(name), true);
      assertNotNull(found, name);
      assertEquals(Stat.of(file), found.stat(), name);
      assertEquals("inside", read(found), name);
      Found head = root.find(RequestPath.parseDecoded(name), false);
      assertNull(head.channel(), name);
      assertEquals(Stat.of(file), head.stat(), name);
    }
    Found dir = root.find(RequestPath.parseDecoded("a/b"), true);
    assertTrue(dir.stat().directory());
    assertNull(dir.channel());
    assertTrue(root.find(RequestPath.parseDecoded(""), true).stat().directory());
  }

  @ParameterizedTest
  @ValueSource(booleans = {true, false})
  void findsNothingOutsideMissingHiddenOrSpecial(boolean openat) throws IOException, InterruptedException {
    FileRoot root = root(openat);
    Path secret = Files.writeString(temp.resolve("secret.txt"), "secret");
    Files.createSymbolicLink(root.path().resolve("out"), secret);
    Files.createSymbolicLink(root.path().resolve("outdir"), temp);
    Files.writeString(root.path().resolve(".hidden"), "hidden");
    for (String name : new String[] {"out", "outdir/secret.txt", "missing", ".hidden"}) {
      assertNull(root.find(RequestPath.parseDecoded(name), true), name);
    }
    // A FIFO would block the open until a writer comes: it is refused before any open.
    Path fifo = root.path().resolve("fifo");
    Process mkfifo;
    try {
      mkfifo = new ProcessBuilder("mkfifo", fifo.toString()).start();
    } catch (IOException e) {
      assumeTrue(false, "no mkfifo: " + e.getMessage());
      return;
    }
    assumeTrue(mkfifo.waitFor(10, TimeUnit.SECONDS) && mkfifo.exitValue() == 0, "mkfifo failed");
    assertNull(root.find(RequestPath.parseDecoded("fifo"), true));
  }

  @ParameterizedTest
  @ValueSource(booleans = {true, false})
  void neverOpensTheTargetOfALinkSwappedInForTheFile(boolean openat) throws Exception {
    FileRoot root = root(openat);
    Path secret = Files.writeString(temp.resolve("secret.txt"), "secret");
    Path file = Files.writeString(root.path().resolve("f.txt"), "ordinary");
    Path kept = Files.writeString(root.path().resolve(".kept-file"), "ordinary");
    Path parkedFile = root.path().resolve(".parked-file");
    Path parkedLink = root.path().resolve(".parked-link");
    AtomicBoolean stop = new AtomicBoolean();
    AtomicLong swaps = new AtomicLong();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    Thread swapper = new Thread(() -> {
      try {
        while (!stop.get() && swaps.get() < 1_000_000) {
          Files.createSymbolicLink(parkedLink, secret);
          Files.move(parkedLink, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
          Files.createLink(parkedFile, kept);
          Files.move(parkedFile, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
          swaps.incrementAndGet();
        }
      } catch (Throwable e) {
        failure.set(e);
      }
    }, "swapper");
    swapper.setDaemon(true);
    int ordinary = 0;
    int notFound = 0;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    swapper.start();
    try {
      for (int i = 0; i < 20_000 && System.nanoTime() < deadline && swapper.isAlive(); i++) {
        Found found = root.find(RequestPath.parseDecoded("f.txt"), true);
        if (found == null) {
          notFound++;
        } else {
          assertEquals("ordinary", read(found));
          ordinary++;
        }
      }
    } finally {
      stop.set(true);
      swapper.join(TimeUnit.SECONDS.toMillis(30));
    }
    assertNull(failure.get());
    assertTrue(ordinary > 0 && notFound > 0, "did not race: " + ordinary + " opened, " + notFound + " not found");
  }
}
