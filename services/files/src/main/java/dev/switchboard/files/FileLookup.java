package dev.switchboard.files;

import dev.switchboard.files.FileRoot.Found;
import dev.switchboard.files.FileRoot.Stat;

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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * One look, for {@link FileRoot#find}, at the real path a request resolved to: the attributes of
 * what is there and, for a download, the file open for reading, such that the file sent is the
 * file checked. Blocking; kept apart from the root because it is the one place where that promise
 * is made, and it takes a page to explain.
 *
 * <p>Why a file sent is the file checked. {@link FileRoot#resolve} gives the real path, which is
 * under the root; but checking a path and then opening it is a race: between the two, a file or
 * any directory on the way can be swapped for a symbolic link out of the root, and an open that
 * follows links would read what the link points to. So the real path is not opened as a path.
 * With {@code openat(2)} (the JDK's {@link SecureDirectoryStream}: Linux, and other systems that
 * have it) it is walked from an open descriptor of the root, one name at a time, each opened
 * relative to the directory opened before it and with {@code O_NOFOLLOW}: a name that is now a
 * link fails to open, atomically, in the kernel, instead of being followed. Every descriptor in
 * the chain is a real directory entered from the root, so the file opened at the end is inside
 * it whatever is renamed, swapped or linked meanwhile (moving a directory elsewhere while it is
 * walked does not change what is in it). What was met instead of a directory or a file (a link,
 * or nothing) is {@link #CHANGED}: {@link FileRoot#find} starts again from the path, which is then
 * "not found" if it now leads out. The JDK does not say why an open failed ({@code ELOOP} is a
 * bare {@code IOException}), so an open of a name that was a directory or a file a moment before
 * and fails for a reason other than "no such file" or "access denied" counts as such a change:
 * the name may have been a link for just that moment.
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
final class FileLookup {

  /** What a look returns when a name changed between two of its looks at it. */
  static final Found CHANGED = new Found(null, null);

  private static final Set<OpenOption> READ_NO_LINK = Set.of(StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);

  private final Path real;
  private final boolean openat;

  /** For the root whose real path is {@code real}; {@code openat} false forces the fallback. */
  FileLookup(Path real, boolean openat) {
    this.real = real;
    this.openat = openat;
  }

  /** Whether the JDK of this platform offers {@code openat}: {@code dir} lists as a {@link SecureDirectoryStream}. */
  static boolean hasOpenat(Path dir) throws IOException {
    try (DirectoryStream<Path> probe = Files.newDirectoryStream(dir)) {
      return probe instanceof SecureDirectoryStream;
    }
  }

  boolean raceFree() {
    return openat;
  }

  /**
   * What is at {@code resolved} (a real path under the root): a file (open when {@code open}), a
   * directory, {@code null} for anything else, or {@link #CHANGED}.
   *
   * @throws java.nio.file.NoSuchFileException when a name on the way is gone
   */
  Found at(Path resolved, boolean open) throws IOException {
    return openat ? walk(resolved, open) : recheck(resolved, open);
  }

  /** With {@code openat}: down from the root's descriptor, no link followed. */
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

  /** Without {@code openat}: open the real path, then check it again. */
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
   * What a looked-up name that is no regular file comes to: a link, which turned up since the path
   * was checked ({@code CHANGED}: look again), a directory (listed), or anything else (null: 404).
   */
  private static Found notAFile(BasicFileAttributes seen, Path resolved) throws IOException {
    if (seen.isSymbolicLink()) {
      return CHANGED;
    }
    return seen.isDirectory() ? new Found(Stat.of(resolved), null) : null;
  }

  /**
   * The found file when {@code resolved} still names the file of {@code key} (device and inode),
   * described by one {@code lstat} of it and the size of {@code channel} when open; otherwise
   * {@link #CHANGED}, and the channel closed.
   */
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
}
