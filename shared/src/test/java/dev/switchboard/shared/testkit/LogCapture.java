package dev.switchboard.shared.testkit;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * The lines some loggers write, kept in memory with the MDC each was written with (read on the
 * thread that wrote it), for tests of log output. {@link #await} waits for a line without sleeping:
 * each line wakes it. Close it to detach it and put the loggers' levels back.
 */
public final class LogCapture extends AppenderBase<ILoggingEvent> implements AutoCloseable {

  /** One line: its logger, its message, and the MDC when it was written. */
  public record Line(String logger, String message, Map<String, String> mdc) {
  }

  private final List<Line> lines = new ArrayList<>();
  private final List<Logger> loggers = new ArrayList<>();
  private final List<Level> levels = new ArrayList<>();

  private LogCapture() {
  }

  /** Captures what {@code names} write at {@code level} and above (their level lowered to it if need be). */
  public static LogCapture of(Level level, String... names) {
    LogCapture capture = new LogCapture();
    capture.setName("capture");
    capture.setContext((ch.qos.logback.classic.LoggerContext) LoggerFactory.getILoggerFactory());
    capture.start();
    for (String name : names) {
      Logger logger = (Logger) LoggerFactory.getLogger(name);
      capture.loggers.add(logger);
      capture.levels.add(logger.getLevel());
      if (!logger.isEnabledFor(level)) {
        logger.setLevel(level);
      }
      logger.addAppender(capture);
    }
    return capture;
  }

  @Override
  protected void append(ILoggingEvent event) {
    Line line = new Line(event.getLoggerName(), event.getFormattedMessage(), Map.copyOf(event.getMDCPropertyMap()));
    synchronized (lines) {
      lines.add(line);
      lines.notifyAll();
    }
  }

  /** Every line so far. */
  public List<Line> lines() {
    synchronized (lines) {
      return List.copyOf(lines);
    }
  }

  /** Waits up to {@code seconds} for the lines so far to satisfy {@code done}; returns them, or fails. */
  public List<Line> await(Predicate<List<Line>> done, long seconds) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    synchronized (lines) {
      while (!done.test(lines)) {
        long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
        if (left <= 0) {
          throw new AssertionError("not logged within " + seconds + " s; lines so far: " + lines);
        }
        lines.wait(left);
      }
      return List.copyOf(lines);
    }
  }

  @Override
  public void close() {
    for (int i = 0; i < loggers.size(); i++) {
      loggers.get(i).detachAppender(this);
      loggers.get(i).setLevel(levels.get(i));
    }
    stop();
  }
}
