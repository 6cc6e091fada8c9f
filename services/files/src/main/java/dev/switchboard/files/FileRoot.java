package dev.switchboard.files;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The served directory. Every method here does file-system I/O, so it runs on a worker thread,
 * never on an event loop. A name becomes a file only through {@link #resolve}: the names of a
 * checked {@link RequestPath} are joined to the root's real path, and the real path of the result
 * (symbolic links followed) must still be under it; anything else is "not found". A file whose
 * bytes are sent is opened only through {@link #find}, which does not trust that check: see
 * {@link FileLookup}.
 */
final class FileRoot {

  /** Prefix of the temporary files uploads write into; hidden, so never served or listed. */
  static final String TEMP_PREFIX = ".upload-";
  static final String TEMP_SUFFIX = ".tmp";
  /** Times {@link #find} starts again when the file changed under it; then it is not found. */
  static final int FIND_ATTEMPTS = 3;

  private final Path real;
  private final FileLookup lookup;

  private FileRoot(Path real, FileLookup lookup) {
    this.real = real;
    this.lookup = lookup;
  }

  /** Opens {@code dir} as the root, creating it (and its parents) when missing. Blocking. */
  static FileRoot open(String dir) throws IOException {
    return open(dir, true);
  }

  /** As {@link #open(String)}; {@code useOpenat} false forces the fallback of {@link #find} (for its tests). */
  static FileRoot open(String dir, boolean useOpenat) throws IOException {
    Path path = Path.of(dir).toAbsolutePath();
    Files.createDirectories(path);
    Path real = path.toRealPath();
    if (!Files.isDirectory(real)) {
      throw new IOException(dir + " is not a directory");
    }
    boolean openat = FileLookup.hasOpenat(real); // probed either way: the root must be readable
    return new FileRoot(real, new FileLookup(real, openat && useOpenat));
  }

  Path path() {
    return real;
  }

  /**
   * Whether {@link #find} opens files race-free: the JDK offers a
   * {@link java.nio.file.SecureDirectoryStream} ({@code openat(2)}) on this platform, as on Linux.
   */
  boolean raceFree() {
    return lookup.raceFree();
  }

  /**
   * The real path of an existing file or directory named by {@code path}, or {@code null} when it
   * does not exist, is hidden, or is (or passes through) a link leading out of the root.
   */
  Path resolve(RequestPath path) throws IOException {
    if (path.hidden()) {
      return null;
    }
    Path candidate = join(path);
    Path resolved;
    try {
      resolved = candidate.toRealPath();
    } catch (NoSuchFileException e) {
      return null;
    }
    return inside(resolved) ? resolved : null;
  }

  /**
   * A file or directory found for a read: the file's attributes and, when asked for, the file open
   * for reading; {@code null} as {@link #resolve}, and also for anything that is neither a regular
   * file nor a directory (a FIFO, a socket, a device), or that kept changing under the lookup. The
   * file open is the one checked, whatever is swapped for a link meanwhile: {@link FileLookup} says
   * how. A name that changed under a look is looked up again from its path, which is then "not
   * found" if it now leads out; after {@link #FIND_ATTEMPTS} it is "not found" anyway.
   */
  Found find(RequestPath path, boolean open) throws IOException {
    for (int attempt = 0; attempt < FIND_ATTEMPTS; attempt++) {
      Path resolved = resolve(path);
      if (resolved == null) {
        return null;
      }
      Found found;
      try {
        found = lookup.at(resolved, open);
      } catch (NoSuchFileException e) {
        return null;
      }
      if (found != FileLookup.CHANGED) {
        return found;
      }
    }
    return null;
  }

  /**
   * Where a write to {@code path} goes: the real directory it lands in (created under the root
   * when missing) and the name in it. The last name is not followed if it is a link: a write
   * replaces the link, never its target. {@code null} when a parent leaves the root, is hidden,
   * or (without {@code create}) does not exist.
   */
  Target target(RequestPath path, boolean create) throws IOException {
    if (path.names().isEmpty() || path.hidden()) {
      return null;
    }
    Path parent = join(path).getParent();
    // The deepest existing ancestor must really be inside the root before anything is created.
    Path existing = parent;
    while (!Files.exists(existing, LinkOption.NOFOLLOW_LINKS)) {
      if (!create) {
        return null;
      }
      existing = existing.getParent();
    }
    Path realExisting;
    try {
      realExisting = existing.toRealPath();
    } catch (NoSuchFileException e) {
      return null; // a dangling link on the way
    }
    if (!inside(realExisting)) {
      return null;
    }
    Path realParent = realExisting.resolve(existing.relativize(parent));
    Files.createDirectories(realParent);
    realParent = realParent.toRealPath();
    if (!inside(realParent)) {
      return null;
    }
    return new Target(realParent, path.name());
  }

  /** One page of a directory's entries sorted by name, those after {@code after}. */
  JsonObject list(Path dir, String after, int limit) throws IOException {
    List<String> names = new ArrayList<>();
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
      for (Path entry : entries) {
        String name = entry.getFileName().toString();
        if (!name.startsWith(".") && (after == null || name.compareTo(after) > 0)) {
          names.add(name);
        }
      }
    }
    names.sort(null);
    JsonArray page = new JsonArray();
    String last = null;
    int i = 0;
    for (; i < names.size() && page.size() < limit; i++) {
      Path entry = dir.resolve(names.get(i));
      Path resolved;
      try {
        resolved = entry.toRealPath();
      } catch (IOException e) {
        continue; // vanished, or a dangling link: not an entry anyone can fetch
      }
      if (!inside(resolved)) {
        continue;
      }
      Stat stat;
      try {
        stat = Stat.of(resolved);
      } catch (IOException e) {
        continue;
      }
      page.add(stat.toJson(names.get(i)));
      last = names.get(i);
    }
    return new JsonObject().put("entries", page).put("next", i < names.size() ? last : null);
  }

  private Path join(RequestPath path) {
    Path joined = real;
    for (String name : path.names()) {
      joined = joined.resolve(name);
    }
    // The names are checked, so this cannot fail; it is the last line of defence if they were not.
    if (!joined.normalize().startsWith(real)) {
      throw new IllegalStateException("path escaped the root");
    }
    return joined;
  }

  private boolean inside(Path resolved) {
    if (!resolved.startsWith(real)) {
      return false;
    }
    // A link inside the root may still point at a hidden file (an upload in progress).
    for (Path name : real.relativize(resolved)) {
      if (name.toString().startsWith(".")) {
        return false;
      }
    }
    return true;
  }

  /**
   * What {@link #find} found: a file's or directory's attributes, and the open file when its bytes
   * are to be sent (the caller closes it).
   */
  record Found(Stat stat, FileChannel channel) {
  }

  /** The directory a write lands in, and the name it takes there. */
  record Target(Path dir, String name) {

    Path file() {
      return dir.resolve(name);
    }
  }

  /**
   * A file or directory's attributes, and its strong validator: size, modification time in
   * nanoseconds and inode. Uploads replace a file by renaming a new one over it, so every
   * version has its own inode and time, and the ETag changes with every write.
   */
  record Stat(Path path, boolean directory, long size, long modifiedNanos, String etag) {

    static Stat of(Path path) throws IOException {
      BasicFileAttributes attributes = Files.readAttributes(path, BasicFileAttributes.class);
      long nanos = attributes.lastModifiedTime().to(TimeUnit.NANOSECONDS);
      long inode = 0;
      try {
        Object ino = Files.getAttribute(path, "unix:ino");
        inode = ino instanceof Number n ? n.longValue() : 0;
      } catch (UnsupportedOperationException | IllegalArgumentException e) {
        Object key = attributes.fileKey();
        inode = key == null ? 0 : key.hashCode();
      }
      return of(path, attributes.isDirectory(), attributes.size(), nanos, inode);
    }

    static Stat of(Path path, boolean directory, long size, long modifiedNanos, long inode) {
      String etag = "\"" + Long.toHexString(size) + "-" + Long.toHexString(modifiedNanos) + "-" + Long.toHexString(inode) + "\"";
      return new Stat(path, directory, size, modifiedNanos, etag);
    }

    long modifiedMillis() {
      return TimeUnit.NANOSECONDS.toMillis(modifiedNanos);
    }

    JsonObject toJson(String name) {
      JsonObject json = new JsonObject().put("name", name).put("type", directory ? "directory" : "file");
      if (!directory) {
        json.put("size", size);
      }
      return json.put("modified", Instant.ofEpochMilli(modifiedMillis()).toString()).put("etag", etag);
    }
  }
}