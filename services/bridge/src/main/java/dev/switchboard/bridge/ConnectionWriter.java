package dev.switchboard.bridge;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetSocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Frames to one bridge client, and the bound on what waits for it: {@code ok} and {@code err}
 * frames, the length prefix, and the write queue, past {@code maxWriteQueue} bytes of which the
 * client is cut off as a slow consumer. Nothing is written once its {@link BridgeConnection} is
 * closing.
 */
final class ConnectionWriter {

  /** Under the connection's name, as before it was split, so that log settings keep matching. */
  private static final Logger log = LoggerFactory.getLogger(BridgeConnection.class);

  private final BridgeConnection connection;
  private final NetSocket socket;
  private final BridgeOptions options;
  private final BridgeMetrics metrics;

  ConnectionWriter(BridgeConnection connection, NetSocket socket, BridgeOptions options, BridgeMetrics metrics) {
    this.connection = connection;
    this.socket = socket;
    this.options = options;
    this.metrics = metrics;
  }

  void ok(ClientFrame frame) {
    if (frame.id() != null) {
      write(new JsonObject().put("type", "ok").put("id", frame.id()));
    }
  }

  /** Sends a non-fatal error about {@code frame}. */
  void error(ErrorCode code, String message, ClientFrame frame) {
    error(code, message, frame, -1);
  }

  /** Sends a non-fatal error about {@code frame} naming the {@code limit} it hit (none when negative). */
  void error(ErrorCode code, String message, ClientFrame frame, long limit) {
    JsonObject err = errAbout(code, message, frame);
    if (limit >= 0) {
      err.put("limit", limit);
    }
    metrics.error(code);
    write(err);
  }

  /** An error about {@code frame}: about a request, addressed to its reply address, where the client waits. */
  static JsonObject errAbout(ErrorCode code, String description, ClientFrame frame) {
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

  void write(JsonObject frame) {
    if (!connection.closing()) {
      writeEncoded(encode(frame));
    }
  }

  /** Writes a frame encoded already; a client whose write queue is then full is cut off. */
  void writeEncoded(Buffer frame) {
    socket.write(frame);
    if (socket.writeQueueFull()) {
      log.debug("bridge connection {} cut off: more than {} bytes wait for it", socket.remoteAddress(), options.maxWriteQueue());
      connection.closeWith(ErrorCode.SLOW_CONSUMER, null);
    }
  }

  static Buffer encode(JsonObject frame) {
    Buffer json = frame.toBuffer();
    return Buffer.buffer(FrameDecoder.PREFIX_LENGTH + json.length()).appendInt(json.length()).appendBuffer(json);
  }
}
