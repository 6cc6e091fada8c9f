package dev.switchboard.bridge;

import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.EncodeException;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Bus messages to one bridge client: its registrations (a consumer an address, at most
 * {@code maxRegistrations}, each message checked against the outbound permissions), the
 * {@code message} frames written for them and for the answers to its requests (none over
 * {@code maxFrameSize}), and the messages that wait for the client's answer under a reply label
 * of the connection (at most {@code maxPendingReplies}, each failed after {@code replyTimeout}).
 * All are released, consumers unregistered and waiting messages failed, when the connection ends.
 */
final class ConnectionDeliveries {

  /** Under the connection's name, as before it was split, so that log settings keep matching. */
  private static final Logger log = LoggerFactory.getLogger(BridgeConnection.class);

  private final BridgeConnection connection;
  private final BridgeOptions options;
  private final EventBus bus;
  private final BridgeMetrics metrics;
  private final FrameTracing tracing;
  private final ConnectionWriter writer;

  private final Map<String, MessageConsumer<Object>> registrations = new HashMap<>();
  /** Messages waiting for the client's answer, oldest first (all share one timeout). */
  private final LinkedHashMap<String, Pending> pendingReplies = new LinkedHashMap<>();
  private long replySequence;

  /** A message the client owes an answer, and the span of its delivery (null when not traced). */
  record Pending(Message<Object> message, long deadline, Object span) {
  }

  ConnectionDeliveries(BridgeConnection connection, BridgeOptions options, EventBus bus, BridgeMetrics metrics, FrameTracing tracing,
                       ConnectionWriter writer) {
    this.connection = connection;
    this.options = options;
    this.bus = bus;
    this.metrics = metrics;
    this.tracing = tracing;
    this.writer = writer;
  }

  void register(ClientFrame frame) {
    String address = frame.address();
    if (registrations.containsKey(address)) {
      writer.ok(frame);
      return;
    }
    Permissions.Delivery allowed = options.outbound().delivery(address, connection.authorities());
    if (allowed == Permissions.Delivery.NONE) {
      writer.error(ErrorCode.ACCESS_DENIED, "no outbound permission allows registering " + address, frame);
      return;
    }
    if (registrations.size() >= options.maxRegistrations()) {
      writer.error(ErrorCode.TOO_MANY_REGISTRATIONS, options.maxRegistrations() + " addresses are registered already", frame, options.maxRegistrations());
      return;
    }
    MessageConsumer<Object> consumer = bus.consumer(address, message -> {
      if (allowed == Permissions.Delivery.MATCHING && !options.outbound().allows(address, message.body(), connection.authorities())) {
        metrics.dropped();
        if (message.replyAddress() != null) {
          message.fail(BridgeConnection.FAILURE_DENIED, "the bridge client may not receive this message");
        }
        return;
      }
      deliver(message, address, false);
    });
    registrations.put(address, consumer);
    consumer.completion().onComplete(done -> {
      if (connection.closing()) {
        return;
      }
      if (done.succeeded()) {
        writer.ok(frame);
      } else {
        registrations.remove(address, consumer);
        log.warn("registering {} for a bridge client failed", address, done.cause());
        writer.error(ErrorCode.INTERNAL_ERROR, "the registration failed in the bridge", frame);
      }
    });
  }

  void unregister(ClientFrame frame) {
    MessageConsumer<Object> consumer = registrations.remove(frame.address());
    if (consumer == null) {
      writer.error(ErrorCode.UNKNOWN_ADDRESS, frame.address() + " is not registered", frame);
      return;
    }
    consumer.unregister().onComplete(done -> {
      if (!connection.closing()) {
        writer.ok(frame);
      }
    });
  }

  /**
   * Writes a bus message to the client, as a delivery for a registered {@code address} or as the
   * answer to a request ({@code address} = the client's reply label).
   */
  void deliver(Message<Object> message, String address, boolean answer) {
    if (connection.closing()) {
      if (message.replyAddress() != null) {
        message.fail(BridgeConnection.FAILURE_NO_REPLY, "the bridge client has disconnected");
      }
      return;
    }
    boolean wantsReply = message.replyAddress() != null;
    if (wantsReply && pendingReplies.size() >= options.maxPendingReplies()) {
      metrics.dropped();
      message.fail(BridgeConnection.FAILURE_BUSY, "the bridge client has " + options.maxPendingReplies() + " messages to answer already");
      return;
    }
    JsonObject headers = headers(message.headers());
    // An answer to the client's own request belongs to the client's span; a delivery is one of its own.
    Object span = answer ? null : tracing.delivering(address, message.isSend(), headers);
    JsonObject frame = new JsonObject()
      .put("type", "message")
      .put("address", address)
      .put("headers", headers)
      .put("send", answer || message.isSend());
    if (message.body() != null) {
      frame.put("body", message.body());
    }
    String replyLabel = null;
    if (wantsReply) {
      replyLabel = ClientFrame.REPLY_PREFIX + (++replySequence);
      frame.put("replyAddress", replyLabel);
    }
    Buffer encoded;
    try {
      encoded = ConnectionWriter.encode(frame);
    } catch (EncodeException e) {
      undeliverable(message, address, answer, span, "the message body cannot be written as JSON");
      return;
    }
    if (encoded.length() - FrameDecoder.PREFIX_LENGTH > options.maxFrameSize()) {
      undeliverable(message, address, answer, span, "the message is larger than the bridge's maxFrameSize of " + options.maxFrameSize() + " bytes");
      return;
    }
    if (replyLabel != null) {
      pendingReplies.put(replyLabel, new Pending(message, System.nanoTime() + options.replyTimeout().toNanos(), span));
    } else {
      tracing.delivered(span, null);
    }
    metrics.delivered();
    writer.writeEncoded(encoded);
  }

  private void undeliverable(Message<Object> message, String address, boolean answer, Object span, String why) {
    metrics.dropped();
    tracing.delivered(span, FrameTracing.failure(BridgeConnection.FAILURE_UNDELIVERABLE, why));
    if (message.replyAddress() != null) {
      message.fail(BridgeConnection.FAILURE_UNDELIVERABLE, why);
    }
    if (answer) {
      metrics.error(ErrorCode.FRAME_TOO_LARGE);
      writer.write(ConnectionWriter.errFrame(ErrorCode.FRAME_TOO_LARGE, why, null, address, null).put("limit", options.maxFrameSize()));
    }
  }

  /** The message waiting for the client's answer at {@code replyLabel}, no longer waiting; null when none does. */
  Pending take(String replyLabel) {
    return pendingReplies.remove(replyLabel);
  }

  /** Fails a message the client owed an answer, and ends its delivery's span with that failure. */
  void failPending(Pending pending, int code, String why) {
    tracing.delivered(pending.span(), FrameTracing.failure(code, why));
    pending.message().fail(code, why);
  }

  /** Fails the messages whose answer the client did not send by their deadline. */
  void expire(long now) {
    Iterator<Pending> oldest = pendingReplies.values().iterator();
    while (oldest.hasNext()) {
      Pending pending = oldest.next();
      if (now - pending.deadline() < 0) {
        break;
      }
      oldest.remove();
      failPending(pending, BridgeConnection.FAILURE_NO_REPLY, "the bridge client did not answer within " + options.replyTimeout().toMillis() + " ms");
    }
  }

  /** Unregisters every consumer and fails every message the client still owes an answer. */
  void release() {
    registrations.values().forEach(MessageConsumer::unregister);
    registrations.clear();
    pendingReplies.values().forEach(pending -> failPending(pending, BridgeConnection.FAILURE_NO_REPLY, "the bridge client has disconnected"));
    pendingReplies.clear();
  }

  private static JsonObject headers(MultiMap headers) {
    JsonObject json = new JsonObject();
    for (Map.Entry<String, String> header : headers) {
      json.put(header.getKey(), header.getValue());
    }
    return json;
  }
}
