import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A bounded load for a TCP echo server: a fixed number of connections for a fixed time, then it
 * stops by itself. Every byte that comes back is checked against what was sent.
 *
 * <pre>java bench/EchoLoad.java HOST PORT pingpong|stream [CONNECTIONS] [SECONDS] [SIZE]</pre>
 *
 * pingpong: each connection sends SIZE bytes and waits for all of them before the next message;
 * reports round trips per second and their p50/p99. stream: each connection writes continuously
 * (64 messages of SIZE bytes per write) while a second thread reads; reports echoed bytes per
 * second and that as messages of SIZE bytes.
 */
public final class EchoLoad {

  private static final int MAX_SAMPLES_PER_CONNECTION = 1 << 20;
  private static final long DRAIN_SECONDS = 15;

  public static void main(String[] args) throws Exception {
    if (args.length < 3) {
      System.err.println("usage: java EchoLoad.java HOST PORT pingpong|stream [CONNECTIONS] [SECONDS] [SIZE]");
      System.exit(2);
    }
    String host = args[0];
    int port = Integer.parseInt(args[1]);
    String mode = args[2];
    int connections = args.length > 3 ? Integer.parseInt(args[3]) : 100;
    int seconds = args.length > 4 ? Integer.parseInt(args[4]) : 10;
    int size = args.length > 5 ? Integer.parseInt(args[5]) : 64;
    byte[] pattern = new byte[size * 251];
    for (int i = 0; i < pattern.length; i++) {
      pattern[i] = (byte) (i * 31 + (i >>> 7));
    }

    List<Socket> sockets = new ArrayList<>();
    for (int i = 0; i < connections; i++) {
      Socket socket = new Socket();
      socket.setTcpNoDelay(true);
      socket.connect(new InetSocketAddress(host, port), 5_000);
      socket.setSoTimeout((int) TimeUnit.SECONDS.toMillis(DRAIN_SECONDS));
      sockets.add(socket);
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    AtomicLong errors = new AtomicLong();
    String result;
    if (mode.equals("pingpong")) {
      result = pingPong(sockets, pattern, size, deadline, seconds, errors);
    } else if (mode.equals("stream")) {
      result = stream(sockets, pattern, size, deadline, seconds, errors);
    } else {
      throw new IllegalArgumentException("mode must be pingpong or stream: " + mode);
    }
    for (Socket socket : sockets) {
      socket.close();
    }
    System.out.println(result + " errors=" + errors.get());
    System.exit(errors.get() == 0 ? 0 : 1);
  }

  private static String pingPong(List<Socket> sockets, byte[] pattern, int size, long deadline, int seconds, AtomicLong errors) throws Exception {
    long[][] samples = new long[sockets.size()][];
    int[] counts = new int[sockets.size()];
    CountDownLatch done = new CountDownLatch(sockets.size());
    for (int c = 0; c < sockets.size(); c++) {
      int index = c;
      Socket socket = sockets.get(c);
      samples[c] = new long[1024];
      new Thread(() -> {
        byte[] in = new byte[size];
        long offset = 0;
        try {
          OutputStream out = socket.getOutputStream();
          InputStream input = socket.getInputStream();
          while (System.nanoTime() < deadline) {
            int from = (int) (offset % (pattern.length - size));
            long start = System.nanoTime();
            out.write(pattern, from, size);
            readFully(input, in);
            long rtt = System.nanoTime() - start;
            if (!Arrays.equals(in, 0, size, pattern, from, from + size)) {
              errors.incrementAndGet();
              break;
            }
            offset += size;
            if (counts[index] == samples[index].length && counts[index] < MAX_SAMPLES_PER_CONNECTION) {
              samples[index] = Arrays.copyOf(samples[index], samples[index].length * 2);
            }
            if (counts[index] < samples[index].length) {
              samples[index][counts[index]++] = rtt;
            }
          }
        } catch (IOException e) {
          errors.incrementAndGet();
        } finally {
          done.countDown();
        }
      }, "pingpong-" + c).start();
    }
    done.await(seconds + DRAIN_SECONDS, TimeUnit.SECONDS);
    long total = 0;
    for (int count : counts) {
      total += count;
    }
    long[] all = new long[(int) total];
    int at = 0;
    for (int c = 0; c < samples.length; c++) {
      System.arraycopy(samples[c], 0, all, at, counts[c]);
      at += counts[c];
    }
    Arrays.sort(all);
    long p50 = all.length == 0 ? 0 : all[all.length / 2] / 1000;
    long p99 = all.length == 0 ? 0 : all[(int) Math.min(all.length - 1, Math.round(all.length * 0.99))] / 1000;
    return String.format("RESULT mode=pingpong connections=%d msgs_per_s=%.0f p50_us=%d p99_us=%d bytes_per_s=%.0f",
      sockets.size(), total / (double) seconds, p50, p99, total * (double) size / seconds);
  }

  private static String stream(List<Socket> sockets, byte[] pattern, int size, long deadline, int seconds, AtomicLong errors) throws Exception {
    int batch = 64 * size;
    AtomicLong receivedInWindow = new AtomicLong();
    CountDownLatch done = new CountDownLatch(sockets.size() * 2);
    long windowEnd = deadline;
    for (int c = 0; c < sockets.size(); c++) {
      Socket socket = sockets.get(c);
      AtomicLong sent = new AtomicLong();
      CountDownLatch writerDone = new CountDownLatch(1);
      new Thread(() -> {
        try {
          OutputStream out = socket.getOutputStream();
          byte[] chunk = new byte[batch];
          long offset = 0;
          while (System.nanoTime() < deadline) {
            for (int i = 0; i < batch; i++) {
              chunk[i] = pattern[(int) ((offset + i) % pattern.length)];
            }
            out.write(chunk);
            offset += batch;
            sent.set(offset);
          }
          socket.shutdownOutput();
        } catch (IOException e) {
          System.err.println("writer: " + e);
          errors.incrementAndGet();
        } finally {
          writerDone.countDown();
          done.countDown();
        }
      }, "writer-" + c).start();
      new Thread(() -> {
        try {
          InputStream input = socket.getInputStream();
          byte[] in = new byte[64 * 1024];
          long offset = 0;
          while (true) {
            int n = input.read(in);
            if (n < 0) {
              break;
            }
            for (int i = 0; i < n; i++) {
              if (in[i] != pattern[(int) ((offset + i) % pattern.length)]) {
                System.err.println("byte " + (offset + i) + " differs from what was sent");
                errors.incrementAndGet();
                return;
              }
            }
            offset += n;
            if (System.nanoTime() < windowEnd) {
              receivedInWindow.addAndGet(n);
            }
            if (writerDone.getCount() == 0 && offset == sent.get()) {
              break;
            }
          }
          if (offset != sent.get()) {
            System.err.println("received " + offset + " of " + sent.get() + " bytes");
            errors.incrementAndGet();
          }
        } catch (IOException e) {
          System.err.println("reader: " + e);
          errors.incrementAndGet();
        } finally {
          done.countDown();
        }
      }, "reader-" + c).start();
    }
    if (!done.await(seconds + DRAIN_SECONDS, TimeUnit.SECONDS)) {
      errors.incrementAndGet();
    }
    double bytesPerSecond = receivedInWindow.get() / (double) seconds;
    return String.format("RESULT mode=stream connections=%d msgs_per_s=%.0f p50_us=0 p99_us=0 bytes_per_s=%.0f",
      sockets.size(), bytesPerSecond / size, bytesPerSecond);
  }

  private static void readFully(InputStream in, byte[] buffer) throws IOException {
    int read = 0;
    while (read < buffer.length) {
      int n = in.read(buffer, read, buffer.length - read);
      if (n < 0) {
        throw new IOException("closed after " + read + " bytes");
      }
      read += n;
    }
  }
}
