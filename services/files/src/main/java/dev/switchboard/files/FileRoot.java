package dev.switchboard.files;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The served directory. Every method here does file-system I/O, so it runs on a worker thread,
 * never on an event loop. A name becomes a file only through {@link #resolve}: the names of a
 * checked {@link RequestPath} are joined to the root's real path, and the real path of the result
 * (symbolic links followed) must still be under it; anything else is "not found". A file whose
 * bytes are sent is opened only through {@link #find}, which does not trust that check: see there.
 */
final class FileRoot {

  /** Prefix of the temporary files uploads write into; hidden, so never served or listed. */
  static final String TEMP_PREFIX = ".upload-";
  static final String TEMP_SUFFIX = ".tmp";
  /** Times {@link #find} starts again when the file changed under it; then it is not found. */
  static final int FIND_ATTEMPTS = 3;

  private static final Set<OpenOption> READ_NO_LINK = Set.of(StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
  /** What {@link #find}'s steps return when a name changed between two of their looks at it. */
  private static final Found CHANGED = new Found(null, null);

  private final Path real;
  private final boolean openat;

  private FileRoot(Path real, boolean openat) {
    this.real = real;
    this.openat = openat;
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
    boolean openat;
    try (DirectoryStream<Path> probe = Files.newDirectoryStream(real)) {
      openat = useOpenat && probe instanceof SecureDirectoryStream;
    }
    return new FileRoot(real, openat);
  }

  Path path() {
    return real;
  }

  /**
   * Whether {@link #find} opens files race-free: the JDK offers a {@link SecureDirectoryStream}
   * ({@code openat(2)}) on this platform, as on Linux.
   */
  boolean raceFree() {
    return openat;
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
   * file nor a directory (a FIFO, a socket, a device), or that kept changing under the lookup.
   *
   * <p>Why a file sent is the file checked. {@link #resolve} gives the real path, which is under
   * the root; but checking a path and then opening it is a race: between the two, a file or any
   * directory on the way can be swapped for a symbolic link out of the root, and an open that
   * follows links would read what the link points to. So the real path is not opened as a path.
   * With {@code openat(2)} (the JDK's {@link SecureDirectoryStream}: Linux, and other systems that
   * have it) it is walked from an open descriptor of the root, one name at a time, each opened
   * relative to the directory opened before it and with {@code O_NOFOLLOW}: a name that is now a
   * link fails to open, atomically, in the kernel, instead of being followed. Every descriptor in
   * the chain is a real directory entered from the root, so the file opened at the end is inside
   * it whatever is renamed, swapped or linked meanwhile (moving a directory elsewhere while it is
   * walked does not change what is in it). What was met instead of a directory or a file (a link,
   * or nothing) starts the lookup again from the path, which is then "not found" if it now leads
   * out; after {@link #FIND_ATTEMPTS} it is "not found" anyway. The JDK does not say why an open
   * failed ({@code ELOOP} is a bare {@code IOException}), so an open of a name that was a directory
   * or a file a moment before and fails for a reason other than "no such file" or "access denied"
   * counts as such a change: the name may have been a link for just that moment.
   *
   * <p>The JDK cannot {@code fstat} an open channel, so the attributes (ETag, date) are read by
   * name, before and after the open, and kept only when both are of the same file (device and
   * inode); a different one means the name was replaced meanwhile (an upload), and the lookup
   * starts again. The size is the open channel's own ({@code fstat}), so the length sent is always
   * that of the bytes sent.
   *
   * <p>Without {@code openat} (the JDK offers none on Windows) the real path is opened with
   * {@code NOFOLLOW_LINKS} (a link as last name refused), then checked again: still its own real
   * path, still the same file. That narrows the window to the open itself but does not close it:
   * a directory swapped for a link and back during the open is not seen. The service warns at
   * start when it runs so.
   */
  Found find(RequestPath path, boolean open) throws IOException {
    for (int attempt = 0; attempt < FIND_ATTEMPTS; attempt++) {
      Path resolved = resolve(path);
      if (resolved == null) {
        return null;
      }
      Found found;
      try {
        found = openat ? walk(resolved, open) : recheck(resolved, open);
      } catch (NoSuchFileException e) {
        return null;
      }
      if (found != CHANGED) {
        return found;
      }
    }
    return null;
  }

  /** {@link #find} with {@code openat}: down from the root's descriptor, no link followed. */
  private Found walk(Path resolved, boolean open) throws IOException {
    if (resolved.equals(real)) {
      return new Found(Stat.of(real), null);
    }
    List<Path> names = new ArrayList<>();
    real.relativize(resolved).forEach(names::add);
    SecureDirectoryStream<Path> dir = (SecureDirectoryStream<Path>) Files.newDirectoryStream(real);
    try {
      for (Path name : names.subList(0, names.size() - 1)) {
        SecureDirectoryStream<Path> next;
        try {
          next = dir.newDirectoryStream(name, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException | AccessDeniedException e) {
          throw e;
        } catch (IOException e) {
          return CHANGED; // a link (ELOOP), or a file (ENOTDIR), where the directory was
        }
        SecureDirectoryStream<Path> previous = dir;
        dir = next;
        previous.close();
      }
      Path name = names.get(names.size() - 1);
      BasicFileAttributes before = attributes(dir, name);
      if (!before.isRegularFile()) { // read without following links: a link is no regular file
        return notAFile(before, resolved);
      }
      FileChannel channel = null;
      if (open) {
        SeekableByteChannel opened;
        try {
          opened = dir.newByteChannel(name, READ_NO_LINK);
        } catch (NoSuchFileException | AccessDeniedException e) {
          throw e;
        } catch (IOException e) {
          return CHANGED; // a link now: O_NOFOLLOW refused it (ELOOP)
        }
        channel = fileChannel(opened);
      }
      return identified(resolved, before.fileKey(), channel);
    } finally {
      dir.close();
    }
  }

  /** {@link #find} without {@code openat}: open the real path, then check it again. */
  private Found recheck(Path resolved, boolean open) throws IOException {
    BasicFileAttributes before = Files.readAttributes(resolved, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    if (!before.isRegularFile()) { // read without following links: a link is no regular file
      return notAFile(before, resolved);
    }
    FileChannel channel = null;
    if (open) {
      try {
        channel = FileChannel.open(resolved, READ_NO_LINK);
      } catch (NoSuchFileException | AccessDeniedException e) {
        throw e;
      } catch (IOException e) {
        return CHANGED;
      }
    }
    try {
      if (!resolved.toRealPath().equals(resolved)) {
        closeQuietly(channel);
        return CHANGED;
      }
    } catch (IOException | RuntimeException e) {
      closeQuietly(channel);
      throw e;
    }
    return identified(resolved, before.fileKey(), channel);
  }

  /**
   * The found file when {@code resolved} still names the file of {@code key} (device and inode),
   * described by one {@code lstat} of it and the size of {@code channel} when open; otherwise
   * {@link #CHANGED}, and the channel closed.
   */
  /**
   * What a looked-up name that is no regular file comes to: a link, which turned up since the path
   * was checked ({@code CHANGED}: look again), a directory (listed), or anything else (null: 404).
   */
  private static Found notAFile(BasicFileAttributes seen, Path resolved) throws IOException {
    if (seen.isSymbolicLink()) {
      return CHANGED;
    }
    return seen.isDirectory() ? new Found(Stat.of(resolved), null) : null;
  }

  private static Found identified(Path resolved, Object key, FileChannel channel) throws IOException {
    try {
      Identity now = Identity.of(resolved);
      if (key == null ? now.key() != null : !key.equals(now.key())) {
        closeQuietly(channel);
        return CHANGED;
      }
      long size = channel == null ? now.size() : channel.size();
      return new Found(Stat.of(resolved, false, size, now.modifiedNanos(), now.inode()), channel);
    } catch (IOException | RuntimeException e) {
      closeQuietly(channel);
      throw e;
    }
  }

  /** The attributes of {@code name} in {@code dir} itself, a link not followed ({@code fstatat}). */
  private static BasicFileAttributes attributes(SecureDirectoryStream<Path> dir, Path name) throws IOException {
    return dir.getFileAttributeView(name, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS).readAttributes();
  }

  private static FileChannel fileChannel(SeekableByteChannel channel) throws IOException {
    if (channel instanceof FileChannel file) {
      return file;
    }
    channel.close();
    throw new IOException("the platform opened a " + channel.getClass().getName() + ", not a FileChannel");
  }

  private static void closeQuietly(FileChannel channel) {
    if (channel != null) {
      try {
        channel.close();
      } catch (IOException e) {
        // Nothing was read from it; the descriptor is released either way.
      }
    }
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

  /** A file's identity and what its ETag is made of, from one {@code lstat}. */
  private record Identity(Object key, long inode, long modifiedNanos, long size) {

    static Identity of(Path path) throws IOException {
      try {
        Map<String, Object> a = Files.readAttributes(path, "unix:fileKey,ino,lastModifiedTime,size", LinkOption.NOFOLLOW_LINKS);
        return new Identity(a.get("fileKey"), ((Number) a.get("ino")).longValue(),
          ((FileTime) a.get("lastModifiedTime")).to(TimeUnit.NANOSECONDS), ((Number) a.get("size")).longValue());
      } catch (UnsupportedOperationException | IllegalArgumentException e) {
        BasicFileAttributes a = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        Object key = a.fileKey();
        return new Identity(key, key == null ? 0 : key.hashCode(), a.lastModifiedTime().to(TimeUnit.NANOSECONDS), a.size());
      }
    }
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
