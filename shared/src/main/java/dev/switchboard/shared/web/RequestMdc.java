package dev.switchboard.shared.web;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;
import org.slf4j.MDC;
import org.slf4j.Marker;

/**
 * Puts the id and trace id of the request being handled ({@link RequestScope#current()}) into the
 * SLF4J MDC as {@value #REQUEST_ID} and {@value #TRACE_ID} just before a log line is made, and takes
 * them out for a line written outside any request. A Vert.x event loop runs many requests'
 * callbacks in turn, so the MDC cannot be set once per request; the request's own Vert.x context
 * goes with its work instead, and is read here when, and only when, a line is really written.
 * Installed in {@code logback.xml} as a {@code turboFilter}; it never filters anything out.
 */
public final class RequestMdc extends TurboFilter {

  /** The MDC key of the request id: {@code %X{requestId}} in a pattern. */
  public static final String REQUEST_ID = "requestId";
  /** The MDC key of the trace id, when the request carried a {@code traceparent}. */
  public static final String TRACE_ID = "traceId";

  @Override
  public FilterReply decide(Marker marker, Logger logger, Level level, String format, Object[] params, Throwable t) {
    // Lines below the logger's level are not made: no need to look (nor to pay for looking).
    if (logger == null || level == null || !level.isGreaterOrEqual(logger.getEffectiveLevel())) {
      return FilterReply.NEUTRAL;
    }
    RequestScope scope = RequestScope.current();
    if (scope == null) {
      if (MDC.get(REQUEST_ID) != null) {
        MDC.remove(REQUEST_ID);
        MDC.remove(TRACE_ID);
      }
      return FilterReply.NEUTRAL;
    }
    // Changed only when it differs: each change makes logback copy the thread's MDC for the next line.
    if (!scope.id().equals(MDC.get(REQUEST_ID))) {
      MDC.put(REQUEST_ID, scope.id());
    }
    String traceId = scope.traceId();
    if (traceId == null ? MDC.get(TRACE_ID) != null : !traceId.equals(MDC.get(TRACE_ID))) {
      if (traceId == null) {
        MDC.remove(TRACE_ID);
      } else {
        MDC.put(TRACE_ID, traceId);
      }
    }
    return FilterReply.NEUTRAL;
  }
}
