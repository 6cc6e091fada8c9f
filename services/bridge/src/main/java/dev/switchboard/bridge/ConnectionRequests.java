package dev.switchboard.bridge;

import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * What one bridge client puts on the bus: {@code send} and {@code publish}, each allowed by an
 * inbound permission, with the frame's headers and a timeout up to {@code maxRequestTimeout};
 * requests (a {@code send} with a reply address), at most {@code maxInFlight} at a time, whose
 * answer or failure goes back to the client; and the client's answers to messages it was
 * delivered, matched by reply label against its {@link ConnectionDeliveries}.
 */
final class ConnectionRequests {

  /** Under the connection's name, as before it was split, so that log settings keep matching. */
  private static final Logger log = LoggerFactory.getLogger(BridgeConnection.class);

  /** How a traced frame the bridge refused (it could not go on the bus) ends its span. */
  private static final Throwable REFUSED = FrameTracing.failure(-1, "the bridge refused the frame");

  private final BridgeConnection connection;
  private final BridgeOptions options;
  private final EventBus bus;
  private final BridgeMetrics metrics;
  private final FrameTracing tracing;
  private final ConnectionWriter writer;
  private final ConnectionDeliveries deliveries;
  private int inFlight;

  ConnectionRequests(BridgeConnection connection, BridgeOptions options, EventBus bus, BridgeMetrics metrics, FrameTracing tracing,
                     ConnectionWriter writer, ConnectionDeliveries deliveries) {
    this.connection = connection;
    this.options = options;
    this.bus = bus;
    this.metrics = metrics;
    this.tracing = tracing;
    this.writer = writer;
    this.deliveries = deliveries;
  }

  void send(ClientFrame frame) {
    ConnectionDeliveries.Pending pending = deliveries.take(frame.address());
    if (pending != null) {
      answer(pending, frame);
      return;
    }
    if (frame.address().startsWith(ClientFrame.REPLY_PREFIX)) {
      writer.error(ErrorCode.UNKNOWN_REPLY, "nothing waits for an answer at this address: answered already, or the wait of "
        + options.replyTimeout().toMillis() + " ms is over", frame);
      return;
    }
    if (!options.inbound().allows(frame.address(), frame.body(), connection.authorities())) {
      writer.error(ErrorCode.ACCESS_DENIED, "no inbound permission allows sending to " + frame.address(), frame);
      return;
    }
    DeliveryOptions delivery = delivery(frame);
    if (delivery == null) {
      return;
    }
    tracing.received(frame, done -> toBus(frame,
      () -> bus.send(frame.address(), frame.body(), delivery),
      () -> bus.request(frame.address(), frame.body(), delivery), done));
  }

  /** The client answers a message it received: a reply, a failure, or a reply that wants one back. */
  private void answer(ConnectionDeliveries.Pending pending, ClientFrame frame) {
    Message<Object> message = pending.message();
    if (frame.failureCode() != null) {
      deliveries.failPending(pending, frame.failureCode(), frame.message() == null ? "" : frame.message());
      writer.ok(frame);
      return;
    }
    DeliveryOptions delivery = delivery(frame);
    if (delivery == null) {
      tracing.delivered(pending.span(), FrameTracing.failure(-1, "the client's answer was refused"));
      return;
    }
    tracing.delivered(pending.span(), null);
    toBus(frame,
      () -> message.reply(frame.body(), delivery),
      () -> message.replyAndRequest(frame.body(), delivery), failure -> {
      });
  }

  /**
   * Puts {@code frame} on the bus: without a reply address with {@code send}, confirmed by an
   * {@code ok}; with one as a request, within {@code maxInFlight}, whose answer goes back to the
   * client at that address. {@code done} learns when the frame's work is over, and how.
   */
  private void toBus(ClientFrame frame, Runnable send, Supplier<Future<Message<Object>>> request, Consumer<Throwable> done) {
    if (frame.replyAddress() == null) {
      if (onBus(frame, send)) {
        writer.ok(frame);
        done.accept(null);
      } else {
        done.accept(REFUSED);
      }
      return;
    }
    if (inFlight >= options.maxInFlight()) {
      writer.error(ErrorCode.TOO_MANY_REQUESTS, options.maxInFlight() + " requests are waiting for answers already", frame, options.maxInFlight());
      done.accept(REFUSED);
      return;
    }
    boolean sent = onBus(frame, () -> {
      Future<Message<Object>> answer = request.get();
      inFlight++;
      answer.onComplete(result -> {
        answered(frame, result);
        done.accept(result.cause());
      });
    });
    if (!sent) {
      done.accept(REFUSED);
    }
  }

  private void answered(ClientFrame request, AsyncResult<Message<Object>> result) {
    inFlight--;
    if (connection.closing()) {
      if (result.succeeded() && result.result().replyAddress() != null) {
        result.result().fail(BridgeConnection.FAILURE_NO_REPLY, "the bridge client has disconnected");
      }
      return;
    }
    if (result.succeeded()) {
      deliveries.deliver(result.result(), request.replyAddress(), true);
      return;
    }
    Throwable cause = result.cause();
    ErrorCode code = ErrorCode.INTERNAL_ERROR;
    JsonObject err;
    if (cause instanceof ReplyException failure) {
      code = switch (failure.failureType()) {
        case NO_HANDLERS -> ErrorCode.NO_HANDLERS;
        case TIMEOUT -> ErrorCode.TIMEOUT;
        case RECIPIENT_FAILURE -> ErrorCode.RECIPIENT_FAILURE;
        default -> ErrorCode.INTERNAL_ERROR;
      };
      // as in Vert.x's TCP bridge, the message of a failed request is the failure's own
      String text = failure.getMessage() == null ? code.wireName() : failure.getMessage();
      err = ConnectionWriter.errFrame(code, text, request.id(), request.replyAddress(), request.address())
        .put("message", text)
        .put("failureCode", failure.failureCode())
        .put("failureType", failure.failureType().name());
    } else {
      log.warn("request to {} failed", request.address(), cause);
      err = ConnectionWriter.errFrame(code, "the request failed in the bridge", request.id(), request.replyAddress(), request.address());
    }
    metrics.error(code);
    writer.write(err);
  }

  void publish(ClientFrame frame) {
    if (!options.inbound().allows(frame.address(), frame.body(), connection.authorities())) {
      writer.error(ErrorCode.ACCESS_DENIED, "no inbound permission allows publishing to " + frame.address(), frame);
      return;
    }
    DeliveryOptions delivery = delivery(frame);
    if (delivery == null) {
      return;
    }
    tracing.received(frame, done -> {
      if (onBus(frame, () -> bus.publish(frame.address(), frame.body(), delivery))) {
        writer.ok(frame);
        done.accept(null);
      } else {
        done.accept(REFUSED);
      }
    });
  }

  private DeliveryOptions delivery(ClientFrame frame) {
    DeliveryOptions delivery = new DeliveryOptions();
    long timeout = frame.timeout() == null ? options.requestTimeout().toMillis() : frame.timeout();
    if (timeout > options.maxRequestTimeout().toMillis()) {
      writer.error(ErrorCode.INVALID_HEADERS, "timeout header exceeds the limit of " + options.maxRequestTimeout().toMillis() + " ms", frame,
        options.maxRequestTimeout().toMillis());
      return null;
    }
    delivery.setSendTimeout(timeout);
    frame.headers().forEach(delivery::addHeader);
    return delivery;
  }

  /** Runs a bus call, turning a body the bus cannot carry (e.g. an integer beyond 64 bits) into an error frame. */
  private boolean onBus(ClientFrame frame, Runnable call) {
    try {
      call.run();
      return true;
    } catch (IllegalArgumentException | IllegalStateException e) {
      writer.error(ErrorCode.INVALID_FRAME, "the body cannot travel on the event bus: " + e.getMessage(), frame);
      return false;
    }
  }
}
