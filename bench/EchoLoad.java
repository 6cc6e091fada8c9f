import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A bounded load for a TCP echo server: a fixed number of connections for a fixed time, then it
 * stops by itself and closes everything. Every byte that comes back is checked against what was
 * sent; any difference, short echo, timeout or I/O error is counted, described on stderr and makes
 * the exit status 1.
 *
 * <pre>java bench/EchoLoad.java HOST PORT pingpong|stream [CONNECTIONS=100] [SECONDS=10] [SIZE=64]</pre>
 *
 * <ul>
 *   <li>{@code pingpong}: each connection sends SIZE bytes and waits for all of them to come back
 *   before sending the next; reports round trips per second and their p50/p99/p999.</li>
 *   <li>{@code stream}: each connection has a writer thread sending continuously (64 messages of
 *   SIZE bytes per write) and a reader thread checking the echo; after SECONDS the writer
 *   half-closes and the reader drains what is still owed. Reports echoed bytes per second in the
 *   window, and that as messages of SIZE bytes.</li>
 * </ul>
 *
 * Prints {@code START} when every connection is open and the measured window begins, {@code END}
 * when it ends (only what happens in between is counted; the echo of bytes still in flight is
 * checked after it), then one {@code RESULT key=value ...} line, which also gives the CPU seconds
 * this load used in the window ({@code load_cpu_s}). Only loopback addresses are accepted: this is
 * a benchmark for one machine, not a tool to point at other hosts.
 */
public final class EchoLoad {

  private static final int MAX_CONNECTIONS = 10_000;
  private static final int MAX_SECONDS = 3_600;
  private static final int MAX_SIZE = 1 << 20;
  /** Round-trip samples kept per connection; round trips beyond it are counted, not sampled. */
  private static final int MAX_SAMPLES_PER_CONNECTION = 1 << 20;
  /** How long a read may block, and how long the stream's tail may take to come back. */
  private static final long DRAIN_MILLIS = 15_000;
  private static final int POLL_MILLIS = 200;
  private static final long THREAD_STACK = 256 * 1024;
  private static final int MAX_REPORTED_ERRORS = 10;

  private final List<Socket> sockets;
  private final byte[] pattern;
  private final int size;
  private final AtomicLong errors = new AtomicLong();
  /** This process's CPU time at START and at END, so a script can tell what the load itself cost. */
  private long cpuAtStart;
  private long cpuAtEnd;

  private EchoLoad(List<Socket> sockets, int size) {
    this.sockets = sockets;
    this.size = size;
    // Long enough that a shifted or repeated chunk cannot pass for the right one.
    this.pattern = new byte[size * 251];
    for (int i = 0; i < pattern.length; i++) {
      pattern[i] = (byte) (i * 31 + (i >>> 7));
    }
  }

  public static void main(String[] args) throws Exception {
    if (args.length < 3 || args.length > 6) {
      usage("expected 3 to 6 arguments");
    }
    InetAddress host = InetAddress.getByName(args[0]);
    if (!host.isLoopbackAddress()) {
      usage("HOST must be a loopback address, got " + host.getHostAddress());
    }
    int port = intArg(args, 1, -1, 1, 65_535, "PORT");
    String mode = args[2];
    if (!mode.equals("pingpong") && !mode.equals("stream")) {
      usage("mode must be pingpong or stream, got " + mode);
    }
    int connections = intArg(args, 3, 100, 1, MAX_CONNECTIONS, "CONNECTIONS");
    int seconds = intArg(args, 4, 10, 1, MAX_SECONDS, "SECONDS");
    int size = intArg(args, 5, 64, 1, MAX_SIZE, "SIZE");

    List<Socket> sockets = new ArrayList<>();
    int status;
    try {
      for (int i = 0; i < connections; i++) {
        Socket socket = new Socket();
        sockets.add(socket);
        socket.setTcpNoDelay(true);
        socket.connect(new InetSocketAddress(host, port), (int) DRAIN_MILLIS);
        socket.setSoTimeout((int) DRAIN_MILLIS);
      }
      EchoLoad load = new EchoLoad(sockets, size);
      String result = mode.equals("pingpong") ? load.pingPong(seconds) : load.stream(seconds);
      System.out.println(result + " errors=" + load.errors.get());
      status = load.errors.get() == 0 ? 0 : 1;
    } finally {
      for (Socket socket : sockets) {
        socket.close();
      }
    }
    System.exit(status);
  }

  private String pingPong(int seconds) throws InterruptedException {
    int n = sockets.size();
    long[][] samples = new long[n][];
    long[] roundTrips = new long[n];
    CountDownLatch done = new CountDownLatch(n);
    long start = beginWindow();
    long deadline = start + TimeUnit.SECONDS.toNanos(seconds);
    for (int c = 0; c < n; c++) {
      int index = c;
      Socket socket = sockets.get(c);
      thread("pingpong-" + c, done, () -> {
        byte[] in = new byte[size];
        long[] rtts = new long[1024];
        int sampled = 0;
        long count = 0;
        long offset = 0;
        OutputStream out = socket.getOutputStream();
        InputStream input = socket.getInputStream();
        try {
          while (System.nanoTime() < deadline) {
            int from = (int) (offset % (pattern.length - size + 1));
            long sent = System.nanoTime();
            out.write(pattern, from, size);
            readFully(input, in);
            long now = System.nanoTime();
            if (!Arrays.equals(in, 0, size, pattern, from, from + size)) {
              error("connection " + index + ": echo of message " + count + " differs from what was sent");
              return;
            }
            if (now > deadline) {
              break; // checked, but outside the measured window
            }
            long rtt = now - sent;
            offset += size;
            count++;
            if (sampled == rtts.length && rtts.length < MAX_SAMPLES_PER_CONNECTION) {
              rtts = Arrays.copyOf(rtts, rtts.length * 2);
            }
            if (sampled < rtts.length) {
              rtts[sampled++] = rtt;
            }
          }
        } finally {
          samples[index] = Arrays.copyOf(rtts, sampled);
          roundTrips[index] = count;
        }
      });
    }
    endWindow(deadline);
    awaitAll(done, seconds);
    long total = Arrays.stream(roundTrips).sum();
    long[] all = Arrays.stream(samples).filter(s -> s != null).flatMapToLong(Arrays::stream).sorted().toArray();
    return String.format(Locale.ROOT,
      "RESULT mode=pingpong connections=%d size=%d seconds=%d msgs=%d msgs_per_s=%.0f p50_us=%d p99_us=%d p999_us=%d bytes_per_s=%.0f load_cpu_s=%.2f",
      sockets.size(), size, seconds, total, total / (double) seconds,
      percentileMicros(all, 0.50), percentileMicros(all, 0.99), percentileMicros(all, 0.999), total * (double) size / seconds,
      windowCpuSeconds());
  }

  private String stream(int seconds) throws InterruptedException {
    int n = sockets.size();
    int batch = 64 * size;
    AtomicLong inWindow = new AtomicLong();
    AtomicLong echoed = new AtomicLong();
    CountDownLatch done = new CountDownLatch(2 * n);
    long start = beginWindow();
    long deadline = start + TimeUnit.SECONDS.toNanos(seconds);
    for (int c = 0; c < n; c++) {
      int index = c;
      Socket socket = sockets.get(c);
      // The exact number of bytes sent, once the writer has finished (half-closed or failed).
      AtomicLong sentTotal = new AtomicLong();
      CountDownLatch writerDone = new CountDownLatch(1);
      thread("writer-" + c, done, () -> {
        OutputStream out = socket.getOutputStream();
        long offset = 0;
        try {
          while (System.nanoTime() < deadline) {
            int from = (int) (offset % pattern.length);
            int length = Math.min(batch, pattern.length - from);
            out.write(pattern, from, length);
            offset += length;
          }
          socket.shutdownOutput();
        } catch (IOException e) {
          if (!socket.isClosed()) {
            throw e;
          } // else the reader closed it and has reported why
        } finally {
          sentTotal.set(offset);
          writerDone.countDown();
        }
      });
      thread("reader-" + c, done, () -> {
        String failure = null;
        try {
          failure = drain(socket, sentTotal, writerDone, deadline, inWindow, echoed);
        } finally {
          if (failure != null) {
            error("connection " + index + ": " + failure);
            socket.close(); // unblocks the writer
          }
        }
      });
    }
    endWindow(deadline);
    awaitAll(done, seconds);
    double bytesPerSecond = inWindow.get() / (double) seconds;
    return String.format(Locale.ROOT,
      "RESULT mode=stream connections=%d size=%d seconds=%d msgs_per_s=%.0f bytes_per_s=%.0f echoed_bytes=%d load_cpu_s=%.2f",
      sockets.size(), size, seconds, bytesPerSecond / size, bytesPerSecond, echoed.get(), windowCpuSeconds());
  }

  /**
   * Reads and checks one connection's echo until every byte sent has come back; returns what went
   * wrong, or null.
   */
  private String drain(Socket socket, AtomicLong sentTotal, CountDownLatch writerDone, long deadline,
      AtomicLong inWindow, AtomicLong echoed) throws IOException {
    InputStream input = socket.getInputStream();
    socket.setSoTimeout(POLL_MILLIS);
    byte[] in = new byte[64 * 1024];
    long offset = 0;
    long drainUntil = 0;
    while (true) {
      if (writerDone.getCount() == 0) {
        if (offset == sentTotal.get()) {
          return null; // all back; the server may close now or stay half-open, either is fine
        }
        if (drainUntil == 0) {
          drainUntil = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(DRAIN_MILLIS);
        } else if (System.nanoTime() > drainUntil) {
          return offset + " of " + sentTotal.get() + " bytes echoed " + DRAIN_MILLIS + " ms after the last write";
        }
      }
      int read;
      try {
        read = input.read(in);
      } catch (SocketTimeoutException e) {
        continue;
      }
      if (read < 0) {
        // The server closes after our half-close; the writer may not have recorded its total yet.
        boolean finished = await(writerDone, DRAIN_MILLIS);
        return finished && offset == sentTotal.get() ? null
          : "server closed after echoing " + offset + " bytes of " + (finished ? sentTotal.get() + "" : "more still being sent");
      }
      long differs = mismatch(in, read, offset);
      if (differs >= 0) {
        return "echoed byte " + differs + " differs from what was sent";
      }
      offset += read;
      echoed.addAndGet(read);
      if (System.nanoTime() < deadline) {
        inWindow.addAndGet(read);
      }
    }
  }

  private static boolean await(CountDownLatch latch, long millis) {
    try {
      return latch.await(millis, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** Tells a watching script that the measured window starts now. */
  private long beginWindow() {
    System.out.println("START");
    System.out.flush();
    cpuAtStart = processCpuNanos();
    return System.nanoTime();
  }

  /** Tells a watching script that the measured window ends now; the drain that follows is not counted. */
  private void endWindow(long deadline) throws InterruptedException {
    long left;
    while ((left = deadline - System.nanoTime()) > 0) {
      TimeUnit.NANOSECONDS.sleep(left);
    }
    cpuAtEnd = processCpuNanos();
    System.out.println("END");
    System.out.flush();
  }

  /** CPU seconds this load used in its window; -1 where the JVM cannot tell. */
  private double windowCpuSeconds() {
    return cpuAtStart < 0 || cpuAtEnd < 0 ? -1 : (cpuAtEnd - cpuAtStart) / 1e9;
  }

  private static long processCpuNanos() {
    return ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os
      ? os.getProcessCpuTime() : -1;
  }

  private void awaitAll(CountDownLatch done, int seconds) throws InterruptedException {
    // Every thread is bounded by the deadline plus read timeouts; this is the backstop.
    if (!done.await(seconds * 1000L + 2 * DRAIN_MILLIS + 5_000, TimeUnit.MILLISECONDS)) {
      error(done.getCount() + " connection threads still running after the drain period");
    }
  }

  private interface Work {
    void run() throws IOException;
  }

  private void thread(String name, CountDownLatch done, Work work) {
    Thread thread = new Thread(null, () -> {
      try {
        work.run();
      } catch (IOException e) {
        error(name + ": " + e);
      } finally {
        done.countDown();
      }
    }, name, THREAD_STACK);
    thread.setDaemon(true);
    thread.start();
  }

  private void error(String description) {
    if (errors.incrementAndGet() <= MAX_REPORTED_ERRORS) {
      System.err.println("EchoLoad error: " + description);
    }
  }

  /** The stream offset of the first of {@code in[0, length)} that is not the pattern at {@code offset}, or -1. */
  private long mismatch(byte[] in, int length, long offset) {
    int at = 0;
    while (at < length) {
      int from = (int) ((offset + at) % pattern.length);
      int run = Math.min(length - at, pattern.length - from);
      int i = Arrays.mismatch(in, at, at + run, pattern, from, from + run);
      if (i >= 0) {
        return offset + at + i;
      }
      at += run;
    }
    return -1;
  }

  private static void readFully(InputStream in, byte[] buffer) throws IOException {
    int read = 0;
    while (read < buffer.length) {
      int n = in.read(buffer, read, buffer.length - read);
      if (n < 0) {
        throw new IOException("server closed after " + read + " of " + buffer.length + " bytes of an echo");
      }
      read += n;
    }
  }

  private static long percentileMicros(long[] sorted, double p) {
    if (sorted.length == 0) {
      return 0;
    }
    int index = (int) Math.min(sorted.length - 1, Math.ceil(sorted.length * p) - 1);
    return sorted[Math.max(0, index)] / 1000;
  }

  private static int intArg(String[] args, int index, int fallback, int min, int max, String name) {
    if (args.length <= index) {
      return fallback;
    }
    try {
      int value = Integer.parseInt(args[index]);
      if (value >= min && value <= max) {
        return value;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    usage(name + " must be a whole number from " + min + " to " + max + ", got " + args[index]);
    return fallback;
  }

  private static void usage(String problem) {
    System.err.println("EchoLoad: " + problem);
    System.err.println("usage: java EchoLoad.java HOST PORT pingpong|stream [CONNECTIONS=100] [SECONDS=10] [SIZE=64]");
    System.exit(2);
  }
}
