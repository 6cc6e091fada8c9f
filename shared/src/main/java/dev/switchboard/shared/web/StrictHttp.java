package dev.switchboard.shared.web;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.impl.VertxHttpRequestDecoder;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.impl.ConnectionBase;
import io.vertx.core.net.impl.VertxHandler;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * HTTP/1.1 framing as RFC 9112 asks, and a time limit for every request head, on a Vert.x HTTP
 * server's HTTP/1.x connections (HTTP/2 ones are left alone). Netty's decoder, as Vert.x 5.0.8 sets
 * it up, takes {@code Content-Length} together with {@code Transfer-Encoding} (it drops the length),
 * reads {@code gzip, chunked} as chunked, and any head as slowly as a client sends it. Here:
 * <ul>
 *   <li>{@code Transfer-Encoding} with {@code Content-Length}, a {@code Transfer-Encoding} whose last
 *       coding is not {@code chunked} (or names it twice), or one in an HTTP/1.0 request: 400, as
 *       §6.1 and §6.3 require (the body's length cannot be known);</li>
 *   <li>a transfer coding other than {@code chunked} before a final {@code chunked} ({@code gzip,
 *       chunked}): 501, which §6.1 asks for a coding the server does not implement;</li>
 *   <li>two {@code Host} headers, or none in an HTTP/1.1 request: 400 (§3.2);</li>
 *   <li>a version other than HTTP/1.0 and HTTP/1.1 (an HTTP/2 preface sent to a server without h2c,
 *       {@code HTTP/2.0} or {@code HTTP/1.2} in a request line): 505 (RFC 9110 §15.6.6), where
 *       Vert.x would answer 501 without a body, in a status line echoing the client's version;</li>
 *   <li>a head not complete {@code headTimeout} after its first byte: 408 (a slow head holds a
 *       connection for no longer; an idle keep-alive connection, with no byte of a next head, is the
 *       server's idle timeout's business).</li>
 * </ul>
 * Every refusal is a small JSON body ({@link JsonErrors#invalidRequest}, or written here for the
 * 408), and the connection is closed after it: its framing can no longer be trusted.
 *
 * <p>It costs a request a few field writes: the checks run once per head in Netty's decoder, and a
 * timer is only set for a head that did not arrive whole in one read.
 */
public final class StrictHttp {

  /** The names Vert.x gives its request decoder and its h2c upgrade handler in a connection's pipeline. */
  private static final String DECODER = "httpDecoder";
  private static final String H2C_UPGRADE = "h2c";
  private static final String FIRST_REQUEST = "switchboard-first-request";
  private static final String CHUNKED = "chunked";

  private StrictHttp() {
  }

  /**
   * An HTTP server whose HTTP/1.x connections are held to RFC 9112 framing and {@code headTimeout}.
   * Turn h2c off in {@code options} unless it is wanted: see {@link #apply} for what it leaves open.
   */
  public static HttpServer server(Vertx vertx, HttpServerOptions options, Duration headTimeout) {
    return vertx.createHttpServer(options).connectionHandler(connection -> apply(connection, options, headTimeout));
  }

  /**
   * Holds {@code connection}, just accepted by a server made with {@code options}, to RFC 9112
   * framing and {@code headTimeout}: for servers with a connection handler of their own, which
   * calls this first. A connection that is not HTTP/1.x is left as it is.
   *
   * <p>On a server with h2c on, Vert.x reads the first request of a connection (to see whether it
   * asks for HTTP/2) before the connection exists: that request is checked as decoded (what Netty
   * dropped of it cannot be: a {@code Content-Length} beside {@code Transfer-Encoding: chunked},
   * which then frames the body, as RFC 9112 lets a server do), and the strict decoder takes over
   * once it has ended.
   */
  public static void apply(HttpConnection connection, HttpServerOptions options, Duration headTimeout) {
    if (!(connection instanceof ConnectionBase base)) {
      return;
    }
    ChannelPipeline pipeline = base.channelHandlerContext().pipeline();
    if (!(pipeline.get(DECODER) instanceof VertxHttpRequestDecoder)) {
      return;
    }
    Decoder decoder = new Decoder(options, headTimeout.toNanos());
    if (pipeline.get(H2C_UPGRADE) == null) {
      pipeline.replace(DECODER, DECODER, decoder);
    } else {
      // Right before Vert.x's handler: the h2c handler hands the first request on from there.
      pipeline.addBefore(pipeline.context(VertxHandler.class).name(), FIRST_REQUEST, new FirstRequest(decoder));
    }
  }

  /**
   * Answers a connection before any request of it could be: {@code status} with a JSON body
   * {@code {"error": error}}, written straight to the socket (through TLS, when the connection has
   * it), then the connection closed. An HTTP/2 connection is closed without an answer: it has no
   * request to answer, and HTTP/1.1 bytes would mean nothing to its client.
   */
  public static void refuse(HttpConnection connection, int status, String reason, String error) {
    if (connection instanceof ConnectionBase base) {
      answer(base.channelHandlerContext().pipeline(), status, reason, error);
    } else {
      connection.close();
    }
  }

  private static void answer(ChannelPipeline pipeline, int status, String reason, String error) {
    String body = new JsonObject().put("error", error).encode();
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    String head = "HTTP/1.1 " + status + " " + reason + "\r\ncontent-type: application/json\r\nconnection: close\r\n"
      + (status == 429 ? "retry-after: 1\r\n" : "") + "content-length: " + bytes.length + "\r\n\r\n";
    ChannelHandlerContext decoder = pipeline.context(DECODER);
    if (decoder == null) {
      pipeline.close();
      return;
    }
    ByteBuf answer = Unpooled.buffer(head.length() + bytes.length)
      .writeBytes(head.getBytes(StandardCharsets.US_ASCII)).writeBytes(bytes);
    // From the request decoder: past the response encoder after it, which has no response to
    // encode, and through the TLS handler before it.
    decoder.writeAndFlush(answer).addListener(ChannelFutureListener.CLOSE);
  }

  /**
   * The first request of an h2c server's connection, decoded before the strict decoder could be
   * put in: checked as it stands, and the strict decoder swapped in at its end, when the decoder
   * is between messages (what it already holds of a next one is handed over).
   */
  private static final class FirstRequest extends ChannelInboundHandlerAdapter {

    private final Decoder decoder;
    private boolean refused;

    FirstRequest(Decoder decoder) {
      this.decoder = decoder;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (refused) {
        ReferenceCountUtil.release(msg);
        return;
      }
      if (msg instanceof HttpRequest request && request.decoderResult().isSuccess()) {
        try {
          check(request);
        } catch (HttpFramingException e) {
          refused = true;
          ReferenceCountUtil.release(msg);
          answer(ctx.pipeline(), e.status(), e.status() == 501 ? "Not Implemented" : "Bad Request", e.getMessage());
          return;
        }
      }
      ctx.fireChannelRead(msg);
      if (msg instanceof LastHttpContent && ctx.pipeline().get(DECODER) instanceof VertxHttpRequestDecoder) {
        ctx.pipeline().replace(DECODER, DECODER, decoder);
        ctx.pipeline().remove(this);
      }
    }
  }

  /**
   * Vert.x's request decoder with RFC 9112's framing rules and the head timer. A head is "in
   * progress" from the first read that arrives while no request is being received until the
   * decoder hands the request on.
   */
  static final class Decoder extends VertxHttpRequestDecoder {

    private final long headTimeoutNanos;
    /** A request's head was handed on, its body (if any) not yet ended. */
    private boolean inBody;
    /** When the first byte of the head in progress arrived; 0 when none is. */
    private long headStarted;
    private ScheduledFuture<?> timer;

    Decoder(HttpServerOptions options, long headTimeoutNanos) {
      super(options);
      this.headTimeoutNanos = headTimeoutNanos;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
      if (!inBody && headStarted == 0) {
        headStarted = System.nanoTime();
      }
      super.channelRead(ctx, msg);
      if (headStarted != 0 && timer == null && ctx.channel().isActive()) {
        long left = headTimeoutNanos - (System.nanoTime() - headStarted);
        timer = ctx.executor().schedule(() -> expired(ctx), Math.max(0, left), TimeUnit.NANOSECONDS);
      }
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf buffer, List<Object> out) throws Exception {
      int before = out.size();
      super.decode(ctx, buffer, out);
      for (int i = before; i < out.size(); i++) {
        Object decoded = out.get(i);
        if (decoded instanceof HttpRequest) {
          inBody = true;
          headStarted = 0;
          cancelTimer();
        }
        if (decoded instanceof LastHttpContent) {
          inBody = false;
        }
      }
    }

    @Override
    protected boolean isContentAlwaysEmpty(HttpMessage message) {
      // Called once per head, after its headers and before its body's framing is read from them:
      // an exception here makes the request one whose decoding failed, for invalidRequestHandler.
      check(message);
      return super.isContentAlwaysEmpty(message);
    }

    private void expired(ChannelHandlerContext ctx) {
      timer = null;
      if (headStarted == 0 || !ctx.channel().isActive()) {
        return;
      }
      long left = headTimeoutNanos - (System.nanoTime() - headStarted);
      if (left > 0) {
        timer = ctx.executor().schedule(() -> expired(ctx), left, TimeUnit.NANOSECONDS);
        return;
      }
      // No request exists to answer through Vert.x: the answer is written as bytes.
      answer(ctx.pipeline(), 408, "Request Timeout",
        "request head not complete within " + TimeUnit.NANOSECONDS.toMillis(headTimeoutNanos) + " ms");
    }

    @Override
    protected void handlerRemoved0(ChannelHandlerContext ctx) throws Exception {
      cancelTimer();
      super.handlerRemoved0(ctx);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
      cancelTimer();
      super.channelInactive(ctx);
    }

    private void cancelTimer() {
      if (timer != null) {
        timer.cancel(false);
        timer = null;
      }
    }
  }

  /** Throws {@link HttpFramingException} when {@code message}'s head breaks RFC 9112's framing rules. */
  static void check(HttpMessage message) {
    HttpVersion version = message.protocolVersion();
    if (version != HttpVersion.HTTP_1_1 && version != HttpVersion.HTTP_1_0) {
      // The answer's status line takes the request's version: it must be one the client can read.
      message.setProtocolVersion(HttpVersion.HTTP_1_1);
      throw new HttpFramingException(505, "HTTP version not supported: " + version.text());
    }
    HttpHeaders headers = message.headers();
    // Counted without copying the values out: this runs for every request of every server.
    Iterator<String> hosts = headers.valueStringIterator(HttpHeaderNames.HOST);
    if (!hosts.hasNext()) {
      if (message.protocolVersion() == HttpVersion.HTTP_1_1) {
        throw new HttpFramingException(400, "no Host header");
      }
    } else {
      hosts.next();
      if (hosts.hasNext()) {
        throw new HttpFramingException(400, "more than one Host header");
      }
    }
    if (!headers.contains(HttpHeaderNames.TRANSFER_ENCODING)) {
      return;
    }
    List<String> encodings = headers.getAll(HttpHeaderNames.TRANSFER_ENCODING);
    if (headers.contains(HttpHeaderNames.CONTENT_LENGTH)) {
      throw new HttpFramingException(400, "Content-Length together with Transfer-Encoding");
    }
    if (message.protocolVersion() != HttpVersion.HTTP_1_1) {
      throw new HttpFramingException(400, "Transfer-Encoding in an HTTP/1.0 request");
    }
    String last = null;
    int chunked = 0;
    boolean unknown = false;
    for (String line : encodings) {
      for (String coding : line.split(",", -1)) {
        String name = coding.trim().toLowerCase(Locale.ROOT);
        if (name.isEmpty()) {
          continue;
        }
        last = name;
        if (name.equals(CHUNKED)) {
          chunked++;
        } else {
          unknown = true;
        }
      }
    }
    if (!CHUNKED.equals(last) || chunked > 1) {
      throw new HttpFramingException(400, "Transfer-Encoding must end with a single chunked");
    }
    if (unknown) {
      throw new HttpFramingException(501, "transfer codings other than chunked are not implemented");
    }
  }
}
