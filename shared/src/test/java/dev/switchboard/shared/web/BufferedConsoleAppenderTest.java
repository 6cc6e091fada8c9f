package dev.switchboard.shared.web;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.encoder.Encoder;
import ch.qos.logback.core.encoder.EncoderBase;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;

import static dev.switchboard.shared.testkit.TestKit.awaitPoll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The access log's appender: lines written whole, in blocks, soon after they come; an output that
 * stops taking them never holds the thread that logs.
 */
class BufferedConsoleAppenderTest {

  /** The process's logging, with a logger of the test's own: a context made here would lack logback's MDC adapter. */
  private final LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
  private final Logger logger = context.getLogger("test.buffered." + UUID.randomUUID());
  /** The length of each write to the output. */
  private final List<Integer> writes = Collections.synchronizedList(new ArrayList<>());
  private final ByteArrayOutputStream written = new ByteArrayOutputStream();
  /** Released when the output may take writes: a test holds it to play an output nobody reads. */
  private final CountDownLatch open = new CountDownLatch(1);
  private BufferedConsoleAppender appender;

  @AfterEach
  void stop() {
    open.countDown();
    if (appender != null) {
      logger.detachAppender(appender);
      appender.stop();
    }
  }

  @Test
  void linesComeOutWholeInBlocksSoonAfterTheyAreLogged() throws Exception {
    start(true);
    String line = "x".repeat(99); // 100 bytes with its newline
    int lines = 3 * BufferedConsoleAppender.BUFFER_BYTES / 100;
    for (int i = 0; i < lines; i++) {
      logger.info(line);
    }
    awaitPoll(written::size, size -> size == lines * 100, Duration.ofMillis(10), Duration.ofSeconds(5), "every line written");
    assertTrue(writes.size() < lines / 10, "written in blocks, not line by line: " + writes.size() + " writes");
    for (int size : writes) {
      assertEquals(0, size % 100, "a write of whole lines: " + writes);
      assertTrue(size <= BufferedConsoleAppender.BUFFER_BYTES, "at most a buffer at a time: " + writes);
    }

    logger.info("{\"status\":200}");
    String out = awaitPoll(() -> written.toString(StandardCharsets.UTF_8), s -> s.endsWith("\n{\"status\":200}\n"),
      Duration.ofMillis(10), Duration.ofSeconds(5), "a line alone written without waiting for more");
    assertEquals(lines * 100 + 15, out.length());
  }

  @Test
  void aLineLongerThanTheBufferGoesWholeAndAlone() throws Exception {
    start(true);
    String longLine = "y".repeat(BufferedConsoleAppender.BUFFER_BYTES + 10);
    logger.info(longLine);
    awaitPoll(written::size, size -> size == longLine.length() + 1, Duration.ofMillis(10), Duration.ofSeconds(5), "the line");
    assertEquals(List.of(longLine.length() + 1), writes);
  }

  @Test
  @Timeout(30)
  void anOutputThatTakesNothingCostsLinesNotTheLoggingThread() throws Exception {
    start(false);
    String line = "z".repeat(99);
    // The queue, and the batch and the buffer the writing thread holds while its output takes nothing.
    int held = BufferedConsoleAppender.QUEUE_LINES + BufferedConsoleAppender.BATCH_LINES
      + BufferedConsoleAppender.BUFFER_BYTES / 100;
    int lines = held + 2_000;
    for (int i = 0; i < lines; i++) {
      logger.info(line); // would hang here if a full queue held the caller
    }
    long dropped = appender.dropped();
    assertTrue(dropped >= 2_000, "lines beyond the queue and the writer's batch are dropped: " + dropped);
    open.countDown();
    appender.stop();
    assertEquals((lines - dropped) * 100, written.size(), "the lines kept are all written by stop");
  }

  @Test
  void aLineThatCannotBeEncodedIsSkippedAndTheOthersStillGoOut() throws Exception {
    EncoderBase<ILoggingEvent> failing = new EncoderBase<>() {
      @Override
      public byte[] headerBytes() {
        return null;
      }

      @Override
      public byte[] encode(ILoggingEvent event) {
        if (event.getFormattedMessage().equals("boom")) {
          throw new IllegalStateException("cannot encode");
        }
        return (event.getFormattedMessage() + "\n").getBytes(StandardCharsets.UTF_8);
      }

      @Override
      public byte[] footerBytes() {
        return null;
      }
    };
    start(true, failing);
    logger.info("a");
    logger.info("boom");
    logger.info("b");
    awaitPoll(() -> written.toString(StandardCharsets.UTF_8), "a\nb\n"::equals, Duration.ofMillis(10), Duration.ofSeconds(5),
      "the lines around the one that failed");
  }

  private void start(boolean writable) {
    PatternLayoutEncoder encoder = new PatternLayoutEncoder();
    encoder.setContext(context);
    encoder.setPattern("%msg%n");
    encoder.start();
    start(writable, encoder);
  }

  /** Starts the appender; its output takes writes at once if {@code writable}, else once {@link #open} is released. */
  private void start(boolean writable, Encoder<ILoggingEvent> encoder) {
    if (writable) {
      open.countDown();
    }
    OutputStream target = new OutputStream() {
      @Override
      public void write(int b) {
        throw new AssertionError("written a byte at a time");
      }

      @Override
      public void write(byte[] bytes, int offset, int length) {
        try {
          open.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
        writes.add(length);
        written.write(bytes, offset, length);
      }
    };
    appender = new BufferedConsoleAppender(target);
    appender.setContext(context);
    appender.setEncoder(encoder);
    appender.start();
    assertTrue(appender.isStarted());
    logger.setAdditive(false);
    logger.setLevel(Level.INFO);
    logger.addAppender(appender);
  }
}
