package dev.switchboard.shared.web;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.OutputStreamAppender;

import java.io.BufferedOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * The access log's appender: any thread hands it a line without waiting (an event loop must not),
 * and a thread of its own writes the lines to standard output in blocks. It does what logback's
 * {@code AsyncAppender} in front of a {@code ConsoleAppender} does, without their two costs per
 * line: the writing thread waking up for each line (it looks for lines every {@link #POLL_EVERY}
 * instead, and takes all that have come), and a system call for each line (they gather in a buffer
 * of {@value #BUFFER_BYTES} bytes, written when it is full and whenever the lines waiting run out).
 * Behind the gateway at tens of thousands of requests a second those two were its largest costs of
 * its own.
 *
 * <p>At most {@value #QUEUE_LINES} lines wait, and the writing thread holds at most
 * {@value #BATCH_LINES} more and a buffer's worth while it writes them; a line that finds the queue full is dropped
 * (counted in the logging status) rather than hold the thread that wrote it. A block ends with a whole line,
 * so lines that other appenders write to the same output are never cut into. At stop (logback's
 * shutdown hook) every waiting line is written.
 */
public final class BufferedConsoleAppender extends OutputStreamAppender<ILoggingEvent> {

  /** Lines waiting to be written, at most. */
  static final int QUEUE_LINES = 8192;
  /** Lines the writing thread takes from the queue at a time, at most: all it holds besides the queue. */
  static final int BATCH_LINES = 1024;
  /** Lines are written at most this many bytes at a time (a longer line goes alone). */
  static final int BUFFER_BYTES = 64 * 1024;
  /** How long the writing thread sleeps when it finds no line: the longest a line waits for it. */
  static final Duration POLL_EVERY = Duration.ofMillis(10);
  /** How long a stop waits for the waiting lines to be written. */
  private static final Duration STOP_WAIT = Duration.ofSeconds(5);

  private final OutputStream target;
  private final ArrayBlockingQueue<ILoggingEvent> queue = new ArrayBlockingQueue<>(QUEUE_LINES);
  private final AtomicLong dropped = new AtomicLong();
  private volatile boolean running;
  private Thread writer;

  public BufferedConsoleAppender() {
    this(new FileOutputStream(FileDescriptor.out));
  }

  /** An appender writing to {@code target} instead of standard output (tests). */
  BufferedConsoleAppender(OutputStream target) {
    this.target = target;
  }

  @Override
  public void start() {
    // Closing the appender's stream must not close the process's standard output.
    OutputStream unclosable = new FilterOutputStream(target) {
      @Override
      public void write(byte[] bytes, int offset, int length) throws IOException {
        out.write(bytes, offset, length);
      }

      @Override
      public void close() throws IOException {
        flush();
      }
    };
    setOutputStream(new BufferedOutputStream(unclosable, BUFFER_BYTES));
    setImmediateFlush(false);
    super.start();
    if (!isStarted()) {
      return;
    }
    running = true;
    writer = new Thread(this::write, "access-log-writer");
    writer.setDaemon(true);
    writer.start();
  }

  /** Queues the line: its message, thread and MDC are taken now, on the thread that logged it. */
  @Override
  protected void append(ILoggingEvent event) {
    if (!isStarted()) {
      return;
    }
    event.prepareForDeferredProcessing();
    if (!queue.offer(event)) {
      dropped.incrementAndGet();
    }
  }

  /** The writing thread: takes what has come, writes it, and writes the buffer out when no more is waiting. */
  private void write() {
    List<ILoggingEvent> batch = new ArrayList<>(BATCH_LINES);
    boolean buffered = false;
    while (true) {
      boolean stopping = !running;
      queue.drainTo(batch, BATCH_LINES);
      for (ILoggingEvent event : batch) {
        try {
          subAppend(event);
        } catch (RuntimeException e) {
          // One line that cannot be encoded must not end the thread that writes all the others.
          addError("could not write an access line", e);
        }
      }
      buffered |= !batch.isEmpty();
      batch.clear();
      if (queue.isEmpty()) {
        if (buffered) {
          flush();
          buffered = false;
          reportDropped();
        }
        if (stopping) {
          return;
        }
        LockSupport.parkNanos(POLL_EVERY.toNanos());
      }
    }
  }

  private void flush() {
    streamWriteLock.lock();
    try {
      OutputStream out = getOutputStream();
      if (out != null) {
        out.flush();
      }
    } catch (IOException e) {
      addError("could not write access lines to standard output", e);
    } finally {
      streamWriteLock.unlock();
    }
  }

  private void reportDropped() {
    long count = dropped.getAndSet(0);
    if (count > 0) {
      addWarn(count + " access lines dropped: " + QUEUE_LINES + " were waiting to be written");
    }
  }

  /** Lines dropped since the last block was written (tests). */
  long dropped() {
    return dropped.get();
  }

  @Override
  public void stop() {
    if (!isStarted()) {
      return;
    }
    running = false;
    if (writer != null) {
      LockSupport.unpark(writer);
      try {
        writer.join(STOP_WAIT.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      writer = null;
    }
    super.stop(); // closes the buffer, writing what it holds
  }
}
