package dev.switchboard.bridge;

import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.json.JsonObject;
import io.vertx.core.spi.tracing.SpanKind;
import io.vertx.core.spi.tracing.TagExtractor;
import io.vertx.core.spi.tracing.VertxTracer;
import io.vertx.core.tracing.TracingPolicy;

import java.util.Locale;
import java.util.function.Consumer;

/**
 * The bridge's part of a trace, through the tracer Vert.x was given (none: every method does
 * nothing). A client's {@code send} or {@code publish} is a span of its own, the child of the
 * frame's {@code traceparent} header when it has one, and the bus call it makes is that span's
 * child; a message delivered to a client is a span, the child of the bus consumer's, whose
 * {@code traceparent} the frame carries, ended when the client answers (or at once when nothing
 * waits for an answer). So the program behind the bridge continues the trace from the bridge, not
 * from the sender's header copied through.
 */
final class FrameTracing {

  /** The messaging system named on the bridge's spans. */
  static final String SYSTEM = "vertx-eventbus-bridge";

  private final VertxTracer<Object, Object> tracer;

  @SuppressWarnings("unchecked")
  FrameTracing(VertxTracer<?, ?> tracer) {
    this.tracer = (VertxTracer<Object, Object>) tracer;
  }

  /** Whether spans are recorded at all. */
  boolean enabled() {
    return tracer != null;
  }

  /**
   * Runs {@code onBus} (the bus call for {@code frame}) inside the frame's span, on a context of its
   * own on the same event loop; {@code onBus} is handed a callback to call once, with the failure
   * or null, when the frame's work is done (at once for a send without reply, on the answer for a
   * request). Without a tracer, runs {@code onBus} as it is.
   */
  void received(ClientFrame frame, Consumer<Consumer<Throwable>> onBus) {
    if (tracer == null) {
      onBus.accept(failure -> {
      });
      return;
    }
    ContextInternal context = ContextInternal.current().duplicate();
    SpanKind kind = frame.type() == ClientFrame.Type.PUBLISH ? SpanKind.MESSAGING : SpanKind.RPC;
    String operation = frame.type().name().toLowerCase(Locale.ROOT);
    Object span = tracer.receiveRequest(context, kind, TracingPolicy.ALWAYS, new Tags(frame.address(), operation),
      operation + " " + frame.address(), frame.headers().entrySet(), TagsExtractor.INSTANCE);
    context.dispatch(() -> onBus.accept(failure -> tracer.sendResponse(context, null, span, failure, TagExtractor.empty())));
  }

  /**
   * Starts the span of a message about to be written to a client, from the current context (the
   * bus consumer's), and puts its trace context in {@code headers}; null when nothing is traced.
   */
  Object delivering(String address, boolean send, JsonObject headers) {
    if (tracer == null) {
      return null;
    }
    ContextInternal context = ContextInternal.current();
    if (context == null) {
      return null;
    }
    return tracer.sendRequest(context, send ? SpanKind.RPC : SpanKind.MESSAGING, TracingPolicy.PROPAGATE,
      new Tags(address, send ? "deliver" : "deliver-published"), "deliver " + address, headers::put, TagsExtractor.INSTANCE);
  }

  /** Ends a span {@link #delivering} started: the client answered, failed, or owes nothing. */
  void delivered(Object span, Throwable failure) {
    if (span != null) {
      tracer.receiveResponse(ContextInternal.current(), null, span, failure, TagExtractor.empty());
    }
  }

  /** How a traced frame or delivery failed, for its span: no stack trace, which would say nothing. */
  static ReplyException failure(int code, String why) {
    return new ReplyException(ReplyFailure.RECIPIENT_FAILURE, code, why, true);
  }

  /** What a span says of the frame or delivery it stands for. */
  private record Tags(String address, String operation) {
  }

  /** The same three messaging attributes on every span of the bridge. */
  private static final class TagsExtractor implements TagExtractor<Tags> {
    static final TagsExtractor INSTANCE = new TagsExtractor();

    @Override
    public int len(Tags tags) {
      return NAMES.length;
    }

    @Override
    public String name(Tags tags, int index) {
      return NAMES[index];
    }

    @Override
    public String value(Tags tags, int index) {
      return switch (index) {
        case 0 -> SYSTEM;
        case 1 -> tags.address();
        default -> tags.operation();
      };
    }
  }

  private static final String[] NAMES = {"messaging.system", "messaging.destination.name", "messaging.operation"};
}
