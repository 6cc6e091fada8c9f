package dev.switchboard.bridge;

import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.internal.net.NetSocketInternal;
import io.vertx.core.json.EncodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetSocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * One client of the bridge: decodes its frames, checks them, and carries them to and from the
 * event bus. All of its state lives on the event loop of its socket.
 * <p>
 * Memory per connection is bounded: an incomplete frame by {@code maxFrameSize}, consumers by
 * {@code maxRegistrations}, requests by {@code maxInFlight}, messages awaiting the client's reply
 * by {@code maxPendingReplies} (each expires after {@code replyTimeout}), and bytes queued for the
 * client by {@code maxWriteQueue}, past which the client is cut off. Everything is released when
 * the socket closes, however it closes.
 */
final class BridgeConnection implements FrameDecoder.Sink {

  private static final Logger log = LoggerFactory.getLogger(BridgeConnection.class);

  /** Time a closing connection has to flush its last frames before it is cut. */
  static final long CLOSE_FLUSH_MILLIS = 2_000;
  /** Failure code for messages the client was not allowed to receive. */
  static final int FAILURE_DENIED = 403;
  /** Failure code for messages too large for a frame or not writable as JSON. */
  static final int FAILURE_UNDELIVERABLE = 413;
  /** Failure code for messages refused because too many wait for the client's reply. */
  static final int FAILURE_BUSY = 503;
  /** Failure code for messages the client did not answer within {@code replyTimeout}. */
  static final int FAILURE_NO_REPLY = 504;
  /** How a traced frame the bridge refused (it could not go on the bus) ends its span. */
  private static final Throwable REFUSED = spanFailure(-1, "the bridge refused the frame");

  private final NetSocket socket;
  private final BridgeOptions options;
  private final EventBus bus;
  private final Authenticator authenticator;
  private final BridgeMetrics metrics;
  private final FrameTracing tracing;
  private final FrameDecoder decoder;
  private final long openedAt;

  private final Map<String, MessageConsumer<Object>> registrations = new HashMap<>();
  /** Messages waiting for the client's answer, oldest first (all share one timeout). */
  private final LinkedHashMap<String, Pending> pendingReplies = new LinkedHashMap<>();
  private long replySequence;
  private int inFlight;
  private Set<String> authorities = Set.of();
  private boolean authenticated;
  /** Digest of the token the connection authenticated with, when authentication is configured. */
  private byte[] tokenFingerprint;
  private long lastRead;
  private boolean closing;
  private boolean released;

  /** A message the client owes an answer, and the span of its delivery (null when not traced). */
  private record Pending(Message<Object> message, long deadline, Object span) {
  }

  BridgeConnection(NetSocket socket, BridgeOptions options, EventBus bus, Authenticator authenticator, BridgeMetrics metrics,
                   FrameTracing tracing) {
    this.socket = socket;
    this.options = options;
    this.bus = bus;
    this.authenticator = authenticator;
    this.metrics = metrics;
    this.tracing = tracing;
    this.decoder = new FrameDecoder(options.maxFrameSize(), this);
    this.openedAt = System.nanoTime();
    this.lastRead = openedAt;
    this.authenticated = !options.authRequired();
  }

  /** Starts reading; {@code onClose} runs once when the socket is gone. */
  void start(Runnable onClose) {
    socket.setWriteQueueMaxSize(options.maxWriteQueue());
    socket.handler(chunk -> {
      lastRead = System.nanoTime();
      decoder.handle(chunk);
    });
    socket.exceptionHandler(e -> log.debug("bridge connection {} failed: {}", socket.remoteAddress(), e.getMessage()));
    socket.shutdownHandler(v -> fail(ErrorCode.SHUTTING_DOWN, "the bridge is shutting down; reconnect", null, null));
    socket.closeHandler(v -> {
      release();
      onClose.run();
    });
  }

  /**
   * Called now and then by the verticle: closes the connection when it has been idle or
   * unauthenticated too long, and fails the messages the client did not answer in time.
   */
  void sweep(long now) {
    if (closing) {
      return;
    }
    if (!authenticated && now - openedAt > options.authTimeout().toNanos()) {
      fail(ErrorCode.AUTH_TIMEOUT, "not authenticated within " + options.authTimeout().toMillis() + " ms", null, null);
      return;
    }
    if (now - lastRead > options.idleTimeout().toNanos()) {
      fail(ErrorCode.IDLE_TIMEOUT, "nothing received for " + options.idleTimeout().toMillis() + " ms; send ping to stay connected", null, null);
      return;
    }
    Iterator<Pending> oldest = pendingReplies.values().iterator();
    while (oldest.hasNext()) {
      Pending pending = oldest.next();
      if (now - pending.deadline() < 0) {
        break;
      }
      oldest.remove();
      failPending(pending, FAILURE_NO_REPLY, "the bridge client did not answer within " + options.replyTimeout().toMillis() + " ms");
    }
  }

  // ---- frames from the client

  @Override
  public void frame(JsonObject json) {
    if (closing) {
      return;
    }
    ClientFrame frame;
    try {
      frame = ClientFrame.parse(json);
    } catch (FrameException problem) {
      refused(problem);
      return;
    }
    metrics.frame(frame.type());
    if (frame.type() == ClientFrame.Type.AUTH) {
      authenticate(frame);
    } else if (authenticated || frame.type() == ClientFrame.Type.PING) {
      // a ping says nothing and learns nothing; the Vert.x clients send one before anything else
      if (frame.token() != null && tokenFingerprint != null && !Authenticator.sameToken(tokenFingerprint, frame.token())) {
        error(ErrorCode.TOKEN_MISMATCH, "this connection authenticated with another token; send auth to change it, or connect again", frame);
      } else {
        carryOut(frame);
      }
    } else if (frame.token() != null) {
      authenticate(frame);
    } else {
      error(ErrorCode.AUTH_REQUIRED, "send auth with a token first, or put 'Bearer <token>' in the authorization header of this frame", frame);
    }
  }

  private void carryOut(ClientFrame frame) {
    switch (frame.type()) {
      case AUTH -> ok(frame);
      case PING -> write(frame.id() == null ? new JsonObject().put("type", "pong") : new JsonObject().put("type", "pong").put("id", frame.id()));
      case SEND -> send(frame);
      case PUBLISH -> publish(frame);
      case REGISTER -> register(frame);
      case UNREGISTER -> unregister(frame);
    }
  }

  @Override
  public void refused(FrameException problem) {
    JsonObject err = errFrame(problem.code(), problem.getMessage(), problem.id(), problem.address(), problem.sourceAddress());
    if (problem.code() == ErrorCode.FRAME_TOO_LARGE) {
      err.put("limit", options.maxFrameSize());
    }
    if (problem.code().fatal()) {
      closeWith(problem.code(), err);
    } else {
      metrics.error(problem.code());
      write(err);
    }
  }

  /**
   * Checks the token of an auth frame, or of the authorization header of another frame, which is
   * then carried out with the authorities it grants. Later frames wait, unread, until the answer,
   * so that they are carried out in order and as authenticated.
   */
  private void authenticate(ClientFrame frame) {
    holdFrames();
    authenticator.authenticate(frame.token()).onComplete(result -> {
      if (closing) {
        return;
      }
      if (result.failed()) {
        log.debug("bridge connection {} refused: {}", socket.remoteAddress(), result.cause() == null ? "" : result.cause().getMessage());
        closeWith(ErrorCode.AUTH_FAILED, errAbout(ErrorCode.AUTH_FAILED, "token refused", frame));
        return;
      }
      authenticated = true;
      authorities = result.result();
      tokenFingerprint = options.authRequired() ? Authenticator.fingerprint(frame.token()) : null;
      carryOut(frame);
      releaseFrames();
    });
  }

  private void holdFrames() {
    decoder.pause();
    socket.pause();
  }

  private void releaseFrames() {
    decoder.resume();
    if (!closing && !decoder.paused()) {
      socket.resume();
    }
  }

  private void send(ClientFrame frame) {
    Pending pending = pendingReplies.remove(frame.address());
    if (pending != null) {
      answer(pending, frame);
      return;
    }
    if (frame.address().startsWith(ClientFrame.REPLY_PREFIX)) {
      error(ErrorCode.UNKNOWN_REPLY, "nothing waits for an answer at this address: answered already, or the wait of "
        + options.replyTimeout().toMillis() + " ms is over", frame);
      return;
    }
    if (!options.inbound().allows(frame.address(), frame.body(), authorities)) {
      error(ErrorCode.ACCESS_DENIED, "no inbound permission allows sending to " + frame.address(), frame);
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
  private void answer(Pending pending, ClientFrame frame) {
    Message<Object> message = pending.message();
    if (frame.failureCode() != null) {
      failPending(pending, frame.failureCode(), frame.message() == null ? "" : frame.message());
      ok(frame);
      return;
    }
    DeliveryOptions delivery = delivery(frame);
    if (delivery == null) {
      tracing.delivered(pending.span(), spanFailure(-1, "the client's answer was refused"));
      return;
    }
    tracing.delivered(pending.span(), null);
    toBus(frame,
      () -> message.reply(frame.body(), delivery),
      () -> message.replyAndRequest(frame.body(), delivery), failure -> {
      });
  }

  /** Fails a message the client owed an answer, and ends its delivery's span with that failure. */
  private void failPending(Pending pending, int code, String why) {
    tracing.delivered(pending.span(), spanFailure(code, why));
    pending.message().fail(code, why);
  }

  /**
   * Puts {@code frame} on the bus: without a reply address with {@code send}, confirmed by an
   * {@code ok}; with one as a request, within {@code maxInFlight}, whose answer goes back to the
   * client at that address. {@code done} learns when the frame's work is over, and how.
   */
  private void toBus(ClientFrame frame, Runnable send, Supplier<Future<Message<Object>>> request, Consumer<Throwable> done) {
    if (frame.replyAddress() == null) {
      if (onBus(frame, send)) {
        ok(frame);
        done.accept(null);
      } else {
        done.accept(REFUSED);
      }
      return;
    }
    if (inFlight >= options.maxInFlight()) {
      error(ErrorCode.TOO_MANY_REQUESTS, options.maxInFlight() + " requests are waiting for answers already", frame, options.maxInFlight());
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
    if (closing) {
      if (result.succeeded() && result.result().replyAddress() != null) {
        result.result().fail(FAILURE_NO_REPLY, "the bridge client has disconnected");
      }
      return;
    }
    if (result.succeeded()) {
      deliver(result.result(), request.replyAddress(), true);
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
      err = errFrame(code, text, request.id(), request.replyAddress(), request.address())
        .put("message", text)
        .put("failureCode", failure.failureCode())
        .put("failureType", failure.failureType().name());
    } else {
      log.warn("request to {} failed", request.address(), cause);
      err = errFrame(code, "the request failed in the bridge", request.id(), request.replyAddress(), request.address());
    }
    metrics.error(code);
    write(err);
  }

  private void publish(ClientFrame frame) {
    if (!options.inbound().allows(frame.address(), frame.body(), authorities)) {
      error(ErrorCode.ACCESS_DENIED, "no inbound permission allows publishing to " + frame.address(), frame);
      return;
    }
    DeliveryOptions delivery = delivery(frame);
    if (delivery == null) {
      return;
    }
    tracing.received(frame, done -> {
      if (onBus(frame, () -> bus.publish(frame.address(), frame.body(), delivery))) {
        ok(frame);
        done.accept(null);
      } else {
        done.accept(REFUSED);
      }
    });
  }

  private void register(ClientFrame frame) {
    String address = frame.address();
    if (registrations.containsKey(address)) {
      ok(frame);
      return;
    }
    Permissions.Delivery allowed = options.outbound().delivery(address, authorities);
    if (allowed == Permissions.Delivery.NONE) {
      error(ErrorCode.ACCESS_DENIED, "no outbound permission allows registering " + address, frame);
      return;
    }
    if (registrations.size() >= options.maxRegistrations()) {
      error(ErrorCode.TOO_MANY_REGISTRATIONS, options.maxRegistrations() + " addresses are registered already", frame, options.maxRegistrations());
      return;
    }
    MessageConsumer<Object> consumer = bus.consumer(address, message -> {
      if (allowed == Permissions.Delivery.MATCHING && !options.outbound().allows(address, message.body(), authorities)) {
        metrics.dropped();
        if (message.replyAddress() != null) {
          message.fail(FAILURE_DENIED, "the bridge client may not receive this message");
        }
        return;
      }
      deliver(message, address, false);
    });
    registrations.put(address, consumer);
    consumer.completion().onComplete(done -> {
      if (closing) {
        return;
      }
      if (done.succeeded()) {
        ok(frame);
      } else {
        registrations.remove(address, consumer);
        log.warn("registering {} for a bridge client failed", address, done.cause());
        error(ErrorCode.INTERNAL_ERROR, "the registration failed in the bridge", frame);
      }
    });
  }

  private void unregister(ClientFrame frame) {
    MessageConsumer<Object> consumer = registrations.remove(frame.address());
    if (consumer == null) {
      error(ErrorCode.UNKNOWN_ADDRESS, frame.address() + " is not registered", frame);
      return;
    }
    consumer.unregister().onComplete(done -> {
      if (!closing) {
        ok(frame);
      }
    });
  }

  // ---- frames to the client

  /**
   * Writes a bus message to the client, as a delivery for a registered {@code address} or as the
   * answer to a request ({@code address} = the client's reply label).
   */
  private void deliver(Message<Object> message, String address, boolean answer) {
    if (closing) {
      if (message.replyAddress() != null) {
        message.fail(FAILURE_NO_REPLY, "the bridge client has disconnected");
      }
      return;
    }
    boolean wantsReply = message.replyAddress() != null;
    if (wantsReply && pendingReplies.size() >= options.maxPendingReplies()) {
      metrics.dropped();
      message.fail(FAILURE_BUSY, "the bridge client has " + options.maxPendingReplies() + " messages to answer already");
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
      encoded = encode(frame);
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
    writeEncoded(encoded);
  }

  private void undeliverable(Message<Object> message, String address, boolean answer, Object span, String why) {
    metrics.dropped();
    tracing.delivered(span, spanFailure(FAILURE_UNDELIVERABLE, why));
    if (message.replyAddress() != null) {
      message.fail(FAILURE_UNDELIVERABLE, why);
    }
    if (answer) {
      metrics.error(ErrorCode.FRAME_TOO_LARGE);
      write(errFrame(ErrorCode.FRAME_TOO_LARGE, why, null, address, null).put("limit", options.maxFrameSize()));
    }
  }

  private void ok(ClientFrame frame) {
    if (frame.id() != null) {
      write(new JsonObject().put("type", "ok").put("id", frame.id()));
    }
  }

  /** Sends a non-fatal error about {@code frame}. */
  private void error(ErrorCode code, String message, ClientFrame frame) {
    error(code, message, frame, -1);
  }

  /** Sends a non-fatal error about {@code frame} naming the {@code limit} it hit (none when negative). */
  private void error(ErrorCode code, String message, ClientFrame frame, long limit) {
    JsonObject err = errAbout(code, message, frame);
    if (limit >= 0) {
      err.put("limit", limit);
    }
    metrics.error(code);
    write(err);
  }

  /** An error about {@code frame}: about a request, addressed to its reply address, where the client waits. */
  private static JsonObject errAbout(ErrorCode code, String description, ClientFrame frame) {
    return frame.type() == ClientFrame.Type.SEND && frame.replyAddress() != null
      ? errFrame(code, description, frame.id(), frame.replyAddress(), frame.address())
      : errFrame(code, description, frame.id(), frame.address(), null);
  }

  /**
   * An {@code err} frame: the code in {@code message}, where Vert.x's TCP bridge and its clients
   * have it, and again in {@code code}; the sentence for humans in {@code description}.
   */
  static JsonObject errFrame(ErrorCode code, String description, Object id, String address, String sourceAddress) {
    JsonObject err = new JsonObject().put("type", "err").put("message", code.wireName()).put("code", code.wireName()).put("description", description);
    if (id != null) {
      err.put("id", id);
    }
    if (address != null) {
      err.put("address", address);
    }
    if (sourceAddress != null) {
      err.put("sourceAddress", sourceAddress);
    }
    return err;
  }

  /** Sends a fatal error and closes. */
  private void fail(ErrorCode code, String message, Object id, String address) {
    closeWith(code, errFrame(code, message, id, address, null));
  }

  private void closeWith(ErrorCode code, JsonObject err) {
    if (closing) {
      return;
    }
    metrics.error(code);
    if (code == ErrorCode.SLOW_CONSUMER) {
      closing = true;
      decoder.stop();
      release();
      cut();
      return;
    }
    write(err);
    closing = true;
    decoder.stop();
    release();
    socket.close();
    // a client that stops reading now must not keep the socket open: cut it after a short flush
    ((NetSocketInternal) socket).channelHandlerContext().executor().schedule(this::cut, CLOSE_FLUSH_MILLIS, TimeUnit.MILLISECONDS);
  }

  private void write(JsonObject frame) {
    if (!closing) {
      writeEncoded(encode(frame));
    }
  }

  private void writeEncoded(Buffer frame) {
    socket.write(frame);
    if (socket.writeQueueFull()) {
      log.debug("bridge connection {} cut off: more than {} bytes wait for it", socket.remoteAddress(), options.maxWriteQueue());
      closeWith(ErrorCode.SLOW_CONSUMER, null);
    }
  }

  /**
   * Closes the channel at once, dropping what is queued for a client that does not read. Closing
   * from Vert.x's handler context skips its own close, which would wait for the queue to flush.
   */
  private void cut() {
    ((NetSocketInternal) socket).channelHandlerContext().close();
  }

  // ---- helpers

  /** How a traced frame or delivery failed, for its span: no stack trace, which would say nothing. */
  private static ReplyException spanFailure(int code, String why) {
    return new ReplyException(ReplyFailure.RECIPIENT_FAILURE, code, why, true);
  }

  private DeliveryOptions delivery(ClientFrame frame) {
    DeliveryOptions delivery = new DeliveryOptions();
    long timeout = frame.timeout() == null ? options.requestTimeout().toMillis() : frame.timeout();
    if (timeout > options.maxRequestTimeout().toMillis()) {
      error(ErrorCode.INVALID_HEADERS, "timeout header exceeds the limit of " + options.maxRequestTimeout().toMillis() + " ms", frame,
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
      error(ErrorCode.INVALID_FRAME, "the body cannot travel on the event bus: " + e.getMessage(), frame);
      return false;
    }
  }

  private static JsonObject headers(MultiMap headers) {
    JsonObject json = new JsonObject();
    for (Map.Entry<String, String> header : headers) {
      json.put(header.getKey(), header.getValue());
    }
    return json;
  }

  static Buffer encode(JsonObject frame) {
    Buffer json = frame.toBuffer();
    return Buffer.buffer(FrameDecoder.PREFIX_LENGTH + json.length()).appendInt(json.length()).appendBuffer(json);
  }

  /** Unregisters every consumer and fails every message the client still owes an answer. */
  private void release() {
    if (released) {
      return;
    }
    released = true;
    closing = true;
    decoder.stop();
    registrations.values().forEach(MessageConsumer::unregister);
    registrations.clear();
    pendingReplies.values().forEach(pending -> failPending(pending, FAILURE_NO_REPLY, "the bridge client has disconnected"));
    pendingReplies.clear();
  }
}
