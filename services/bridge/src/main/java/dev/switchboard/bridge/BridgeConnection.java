package dev.switchboard.bridge;

import io.vertx.core.eventbus.EventBus;
import io.vertx.core.internal.net.NetSocketInternal;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetSocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * One client of the bridge: decodes its frames, checks them, and carries them to and from the
 * event bus. All of its state lives on the event loop of its socket.
 * <p>
 * Memory per connection is bounded: an incomplete frame by {@code maxFrameSize}, consumers by
 * {@code maxRegistrations}, requests by {@code maxInFlight}, messages awaiting the client's reply
 * by {@code maxPendingReplies} (each expires after {@code replyTimeout}), and bytes queued for the
 * client by {@code maxWriteQueue}, past which the client is cut off. Everything is released when
 * the socket closes, however it closes.
 * <p>
 * This class keeps the socket: reading, the dispatch of each frame once it is parsed and its token
 * checked, the idle and authentication timeouts, closing and release. What the client puts on the
 * bus is carried by its {@link ConnectionRequests}, what the bus sends it by its
 * {@link ConnectionDeliveries}, and every frame to it is written by its {@link ConnectionWriter}.
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

  private final NetSocket socket;
  private final BridgeOptions options;
  private final Authenticator authenticator;
  private final BridgeMetrics metrics;
  private final FrameDecoder decoder;
  private final ConnectionWriter writer;
  private final ConnectionDeliveries deliveries;
  private final ConnectionRequests requests;
  private final long openedAt;

  private Set<String> authorities = Set.of();
  private boolean authenticated;
  /** Digest of the token the connection authenticated with, when authentication is configured. */
  private byte[] tokenFingerprint;
  private long lastRead;
  private boolean closing;
  private boolean released;

  BridgeConnection(NetSocket socket, BridgeOptions options, EventBus bus, Authenticator authenticator, BridgeMetrics metrics,
                   FrameTracing tracing) {
    this.socket = socket;
    this.options = options;
    this.authenticator = authenticator;
    this.metrics = metrics;
    this.decoder = new FrameDecoder(options.maxFrameSize(), this);
    this.writer = new ConnectionWriter(this, socket, options, metrics);
    this.deliveries = new ConnectionDeliveries(this, options, bus, metrics, tracing, writer);
    this.requests = new ConnectionRequests(this, options, bus, metrics, tracing, writer, deliveries);
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
    deliveries.expire(now);
  }

  /** True from the moment the connection starts to close: nothing more is read, carried or written. */
  boolean closing() {
    return closing;
  }

  /** What the client's token grants; empty before it authenticated, and without authentication. */
  Set<String> authorities() {
    return authorities;
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
        writer.error(ErrorCode.TOKEN_MISMATCH, "this connection authenticated with another token; send auth to change it, or connect again", frame);
      } else {
        carryOut(frame);
      }
    } else if (frame.token() != null) {
      authenticate(frame);
    } else {
      writer.error(ErrorCode.AUTH_REQUIRED, "send auth with a token first, or put 'Bearer <token>' in the authorization header of this frame", frame);
    }
  }

  private void carryOut(ClientFrame frame) {
    switch (frame.type()) {
      case AUTH -> writer.ok(frame);
      case PING -> writer.write(frame.id() == null ? new JsonObject().put("type", "pong") : new JsonObject().put("type", "pong").put("id", frame.id()));
      case SEND -> requests.send(frame);
      case PUBLISH -> requests.publish(frame);
      case REGISTER -> deliveries.register(frame);
      case UNREGISTER -> deliveries.unregister(frame);
    }
  }

  @Override
  public void refused(FrameException problem) {
    JsonObject err = ConnectionWriter.errFrame(problem.code(), problem.getMessage(), problem.id(), problem.address(), problem.sourceAddress());
    if (problem.code() == ErrorCode.FRAME_TOO_LARGE) {
      err.put("limit", options.maxFrameSize());
    }
    if (problem.code().fatal()) {
      closeWith(problem.code(), err);
    } else {
      metrics.error(problem.code());
      writer.write(err);
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
        closeWith(ErrorCode.AUTH_FAILED, ConnectionWriter.errAbout(ErrorCode.AUTH_FAILED, "token refused", frame));
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

  // ---- closing

  /** Sends a fatal error and closes. */
  private void fail(ErrorCode code, String message, Object id, String address) {
    closeWith(code, ConnectionWriter.errFrame(code, message, id, address, null));
  }

  /**
   * Closes the connection for {@code code}: with {@code err} written first and a short flush, or,
   * for a slow consumer, at once and with nothing more written.
   */
  void closeWith(ErrorCode code, JsonObject err) {
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
    writer.write(err);
    closing = true;
    decoder.stop();
    release();
    socket.close();
    // a client that stops reading now must not keep the socket open: cut it after a short flush
    ((NetSocketInternal) socket).channelHandlerContext().executor().schedule(this::cut, CLOSE_FLUSH_MILLIS, TimeUnit.MILLISECONDS);
  }

  /**
   * Closes the channel at once, dropping what is queued for a client that does not read. Closing
   * from Vert.x's handler context skips its own close, which would wait for the queue to flush.
   */
  private void cut() {
    ((NetSocketInternal) socket).channelHandlerContext().close();
  }

  /** Unregisters every consumer and fails every message the client still owes an answer. */
  private void release() {
    if (released) {
      return;
    }
    released = true;
    closing = true;
    decoder.stop();
    deliveries.release();
  }
}
