package dev.switchboard.shared.ws;

import dev.switchboard.shared.Require;
import dev.switchboard.shared.Settings;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.json.JsonObject;

/**
 * What one WebSocket connection may cost: the limits a {@link WebSocketGuard} enforces, and that
 * the frame decoder in front of it must be given (see {@link #applyTo(HttpServerOptions)}).
 *
 * @param maxFrame      longest frame payload in bytes; the decoder refuses a longer frame from its
 *                      header, before reading it (close 1009)
 * @param maxMessage    longest message in bytes, all its fragments together (close 1009); at least
 *                      {@code maxFrame}
 * @param writeQueueMax bytes waiting to be sent to the peer after a flush beyond which the peer is
 *                      taken as not reading and cut off (close 1008 attempted, TCP dropped). A
 *                      writer that honours {@code writeQueueFull()} keeps up to Vert.x's high-water
 *                      mark plus one frame queued: set this above that
 * @param pingRate      pings per second a peer may send on average; each is answered with a pong
 * @param pingBurst     pings a peer may send at once above the average; one more is close 1008
 */
public record WebSocketLimits(int maxFrame, int maxMessage, int writeQueueMax, int pingRate, int pingBurst) {

  /** Vert.x's own default frame limit. */
  public static final int DEFAULT_MAX_FRAME = 64 * 1024;
  /** Vert.x's own default message limit (four frames). */
  public static final int DEFAULT_MAX_MESSAGE = 256 * 1024;
  /** Well above Vert.x's default high-water mark (64 KiB) plus a frame. */
  public static final int DEFAULT_WRITE_QUEUE_MAX = 1024 * 1024;
  /** Generous for heartbeats and latency probes, which send one every few seconds at most. */
  public static final int DEFAULT_PING_RATE = 10;
  public static final int DEFAULT_PING_BURST = 20;

  /** The smallest frame limit: a control frame may carry 125 bytes and a data frame must hold one. */
  public static final int MIN_FRAME = 125;
  /** The smallest write-queue bound: a few close and pong frames. */
  public static final int MIN_WRITE_QUEUE = 1024;
  public static final int MAX_PINGS = 1_000_000;

  /** Every limit at its default. */
  public static final WebSocketLimits DEFAULT = new WebSocketLimits(DEFAULT_MAX_FRAME, DEFAULT_MAX_MESSAGE,
    DEFAULT_WRITE_QUEUE_MAX, DEFAULT_PING_RATE, DEFAULT_PING_BURST);

  public WebSocketLimits {
    Require.range("maxFrame", maxFrame, MIN_FRAME, Integer.MAX_VALUE);
    Require.range("maxMessage", maxMessage, maxFrame, Integer.MAX_VALUE);
    Require.range("writeQueueMax", writeQueueMax, MIN_WRITE_QUEUE, Integer.MAX_VALUE);
    Require.range("pingRate", pingRate, 1, MAX_PINGS);
    Require.range("pingBurst", pingBurst, 1, MAX_PINGS);
  }

  /** The defaults with one message limit for frames and messages alike (one frame may carry a whole message). */
  public static WebSocketLimits ofMessage(int maxMessage) {
    return DEFAULT.withMaxFrame(maxMessage).withMaxMessage(maxMessage);
  }

  public WebSocketLimits withMaxFrame(int maxFrame) {
    return new WebSocketLimits(maxFrame, Math.max(maxFrame, maxMessage), writeQueueMax, pingRate, pingBurst);
  }

  public WebSocketLimits withMaxMessage(int maxMessage) {
    return new WebSocketLimits(maxFrame, maxMessage, writeQueueMax, pingRate, pingBurst);
  }

  public WebSocketLimits withWriteQueueMax(int writeQueueMax) {
    return new WebSocketLimits(maxFrame, maxMessage, writeQueueMax, pingRate, pingBurst);
  }

  public WebSocketLimits withPings(int pingRate, int pingBurst) {
    return new WebSocketLimits(maxFrame, maxMessage, writeQueueMax, pingRate, pingBurst);
  }

  /**
   * Gives a server's frame decoder these limits and turns compression off: a frame past
   * {@code maxFrame} is then refused from its header, and a frame with a reserved bit set is a
   * protocol error, as {@link WebSocketGuard} expects (Vert.x's inflater would expand a frame
   * before any limit is checked). {@link PerMessageDeflate} turns it back on, bounded.
   */
  public HttpServerOptions applyTo(HttpServerOptions options) {
    return options
      .setMaxWebSocketFrameSize(maxFrame)
      .setMaxWebSocketMessageSize(maxMessage)
      .setPerMessageWebSocketCompressionSupported(false)
      .setPerFrameWebSocketCompressionSupported(false);
  }

  /** The same for the client side of a connection (a relay's connection to its backend). */
  public WebSocketClientOptions applyTo(WebSocketClientOptions options) {
    return options
      .setMaxFrameSize(maxFrame)
      .setMaxMessageSize(maxMessage)
      .setTryUsePerMessageCompression(false)
      .setTryUsePerFrameCompression(false);
  }

  /** Reads the limits from {@code json} (keys as the components; sizes may be written {@code 64k}), defaults for what is absent. */
  public static WebSocketLimits fromJson(String section, JsonObject json) {
    Settings s = Settings.of(section, json);
    return s.build(() -> new WebSocketLimits(
      size(s, "maxFrame", DEFAULT_MAX_FRAME),
      size(s, "maxMessage", DEFAULT_MAX_MESSAGE),
      size(s, "writeQueueMax", DEFAULT_WRITE_QUEUE_MAX),
      s.integer("pingRate", DEFAULT_PING_RATE),
      s.integer("pingBurst", DEFAULT_PING_BURST)));
  }

  private static int size(Settings s, String key, int defaultValue) {
    return (int) Require.range(key, s.size(key, defaultValue), 0, Integer.MAX_VALUE);
  }

  public JsonObject toJson() {
    return new JsonObject()
      .put("maxFrame", maxFrame)
      .put("maxMessage", maxMessage)
      .put("writeQueueMax", writeQueueMax)
      .put("pingRate", pingRate)
      .put("pingBurst", pingBurst);
  }
}
