import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;

import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The floor under every JVM proxy in the gateway benchmark: Netty's HTTP/1.1 codec on both sides and
 * nothing above it. Each client connection's requests go round-robin to the backends over
 * keep-alive connections owned by the same event loop (no hop between threads, no pool shared
 * between loops); the decoded head and body are forwarded as they arrive, with the forwarded
 * headers a proxy sets, and the answer comes back the same way, flushed when it ends. No routing,
 * timeouts, limits, health checks, metrics or logs: it shows how fast a proxy on the JVM can be
 * below Vert.x's request and response objects, on the same machine in the same run.
 *
 * <pre>java -cp gateway/target/switchboard-gateway.jar bench/NettyProxy.java PORT BACKEND_PORT[,...] [THREADS] [edge|edge-nolog]</pre>
 *
 * With {@code edge}, each request also does what the gateway's edge does on its way, written as
 * directly as Netty allows, to show what a gateway on Netty's codec could keep of its lead: the
 * identity headers stripped, a request id (the client's when it is safe, a random UUID otherwise)
 * sent to the node and back to the client, the security headers, a timer for the route's timeout,
 * a node's in-flight count and circuit check, a Micrometer timer per status and a counter per node
 * resolved once, and a JSON access line through the gateway's logback set-up (the
 * {@code switchboard.access} logger and its buffered appender; not with {@code edge-nolog}, for the
 * bench's runs with access logs off).
 *
 * Listens on 127.0.0.1 only and forwards to 127.0.0.1 only; prints "netty proxy up" once listening.
 * A client that pipelines gets its answers in order: a connection's next request waits until the
 * answer before it has ended.
 */
public class NettyProxy {

  /** Idle connections an event loop keeps to one backend; more are closed when they come back. */
  private static final int IDLE_PER_BACKEND = 256;

  public static void main(String[] args) throws InterruptedException {
    if (args.length < 2) {
      System.err.println("usage: java -cp GATEWAY_JAR bench/NettyProxy.java PORT BACKEND_PORT[,...] [THREADS]");
      System.exit(2);
    }
    int port = Integer.parseInt(args[0]);
    InetSocketAddress[] backends = Arrays.stream(args[1].split(","))
      .map(p -> new InetSocketAddress("127.0.0.1", Integer.parseInt(p)))
      .toArray(InetSocketAddress[]::new);
    int threads = args.length > 2 ? Integer.parseInt(args[2]) : Runtime.getRuntime().availableProcessors();
    Edge edge = args.length > 3 && args[3].startsWith("edge") ? new Edge(backends.length, !args[3].equals("edge-nolog")) : null;
    boolean epoll = Epoll.isAvailable();
    IoHandlerFactory io = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
    EventLoopGroup loops = new MultiThreadIoEventLoopGroup(threads, io);
    Class<? extends ServerChannel> serverType = epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
    Class<? extends Channel> clientType = epoll ? EpollSocketChannel.class : NioSocketChannel.class;
    ThreadLocal<Backends> perLoop = ThreadLocal.withInitial(() -> new Backends(backends, clientType, edge));
    new ServerBootstrap().group(loops).channel(serverType)
      .childOption(ChannelOption.TCP_NODELAY, true)
      .childHandler(new ChannelInitializer<>() {
        @Override
        protected void initChannel(Channel ch) {
          ch.pipeline().addLast(new HttpServerCodec(), new Downstream(perLoop, edge));
        }
      })
      .bind("127.0.0.1", port).sync();
    System.out.println("netty proxy up: http://127.0.0.1:" + port + " threads=" + threads + (epoll ? " epoll" : " nio")
      + (edge != null ? " edge" : ""));
  }

  /** The edge's process-wide state: meters resolved once, each node's in-flight and failure counts. */
  static final class Edge {
    static final Logger ACCESS = LoggerFactory.getLogger("switchboard.access");
    static final Pattern SAFE_ID = Pattern.compile("[A-Za-z0-9._:-]{1,128}");
    static final long ROUTE_TIMEOUT_MS = 30_000;
    /** Consecutive failures after which a node's circuit is open. */
    static final int OPEN_AFTER = 5;
    static final String[] SECURITY_HEADERS = {
      "x-content-type-options", "nosniff", "x-frame-options", "DENY", "referrer-policy", "no-referrer"};

    final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    final Timer[] byStatus = new Timer[600];
    final Counter[] byNode;
    final AtomicInteger[] inFlight;
    final AtomicInteger[] failures;
    final boolean accessLog;

    Edge(int nodes, boolean accessLog) {
      this.accessLog = accessLog;
      byNode = new Counter[nodes];
      inFlight = new AtomicInteger[nodes];
      failures = new AtomicInteger[nodes];
      for (int i = 0; i < nodes; i++) {
        byNode[i] = Counter.builder("gateway_requests").tag("backend", "n" + i).register(registry);
        inFlight[i] = new AtomicInteger();
        failures[i] = new AtomicInteger();
      }
    }

    Timer timer(int status) {
      Timer timer = byStatus[status];
      if (timer == null) {
        timer = Timer.builder("gateway_route_seconds").tag("route", "/").tag("status", String.valueOf(status))
          .register(registry);
        byStatus[status] = timer;
      }
      return timer;
    }

    boolean open(int node) {
      return failures[node].get() >= OPEN_AFTER;
    }

    static String requestId(String given) {
      if (given != null && SAFE_ID.matcher(given).matches()) {
        return given;
      }
      ThreadLocalRandom random = ThreadLocalRandom.current();
      return new UUID((random.nextLong() & ~0xF000L) | 0x4000L,
        (random.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L).toString();
    }
  }

  /** One request on its way through the edge: what its answer and its access line need. */
  static final class Passage {
    final String id;
    final String method;
    final String uri;
    final String client;
    final long startNanos = System.nanoTime();
    final long startMillis = System.currentTimeMillis();
    ScheduledFuture<?> timeout;
    int node = -1;
    int status;

    Passage(String id, String method, String uri, String client) {
      this.id = id;
      this.method = method;
      this.uri = uri;
      this.client = client;
    }

    void answered(Edge edge, HttpResponse response) {
      response.headers().set("x-request-id", id);
      for (int i = 0; i < Edge.SECURITY_HEADERS.length; i += 2) {
        if (!response.headers().contains(Edge.SECURITY_HEADERS[i])) {
          response.headers().set(Edge.SECURITY_HEADERS[i], Edge.SECURITY_HEADERS[i + 1]);
        }
      }
      int status = response.status().code();
      if (node >= 0) {
        if (status >= 500) {
          edge.failures[node].incrementAndGet();
        } else {
          edge.failures[node].set(0);
        }
      }
      this.status = status;
    }

    void ended(Edge edge) {
      timeout.cancel(false);
      long nanos = System.nanoTime() - startNanos;
      if (node >= 0) {
        edge.inFlight[node].decrementAndGet();
        edge.byNode[node].increment();
      }
      edge.timer(status).record(nanos, TimeUnit.NANOSECONDS);
      if (!edge.accessLog) {
        return;
      }
      StringBuilder line = new StringBuilder(256)
        .append("{\"time\":\"").append(java.time.Instant.ofEpochMilli(startMillis))
        .append("\",\"requestId\":\"").append(id)
        .append("\",\"client\":\"").append(client)
        .append("\",\"method\":\"").append(method)
        .append("\",\"uri\":\"").append(uri)
        .append("\",\"route\":\"/\",\"status\":").append(status)
        .append(",\"durationMs\":").append(nanos / 1_000_000).append('.');
      int micros = (int) (nanos / 1_000 % 1_000);
      line.append(micros < 100 ? (micros < 10 ? "00" : "0") : "").append(micros)
        .append(",\"upstream\":\"n").append(node).append("\"}");
      Edge.ACCESS.info(line.toString());
    }
  }

  /** One event loop's view of the backends: the round-robin position and the idle connections. */
  static final class Backends {
    private final InetSocketAddress[] addresses;
    private final Class<? extends Channel> channelType;
    private final Edge edge;
    private final List<ArrayDeque<Channel>> idle = new ArrayList<>();
    private int next;

    Backends(InetSocketAddress[] addresses, Class<? extends Channel> channelType, Edge edge) {
      this.addresses = addresses;
      this.channelType = channelType;
      this.edge = edge;
      for (int i = 0; i < addresses.length; i++) {
        idle.add(new ArrayDeque<>());
      }
    }

    /** A connection to the next backend, idle or new, on the event loop of {@code client}. */
    ChannelFuture acquire(Channel client) {
      int backend = pick();
      ArrayDeque<Channel> free = idle.get(backend);
      Channel channel;
      while ((channel = free.pollLast()) != null) {
        if (channel.isActive()) {
          return channel.newSucceededFuture();
        }
      }
      return new Bootstrap().group(client.eventLoop()).channel(channelType)
        .option(ChannelOption.TCP_NODELAY, true)
        .handler(new ChannelInitializer<>() {
          @Override
          protected void initChannel(Channel ch) {
            ch.pipeline().addLast(new HttpClientCodec(), new Upstream(Backends.this, backend));
          }
        })
        .connect(addresses[backend]);
    }

    /** The next backend round-robin, passing over those whose circuit is open while another is not. */
    private int pick() {
      int backend = next;
      next = (next + 1) % addresses.length;
      for (int tried = 1; edge != null && edge.open(backend) && tried < addresses.length; tried++) {
        backend = next;
        next = (next + 1) % addresses.length;
      }
      return backend;
    }

    void release(Channel channel, int backend) {
      ArrayDeque<Channel> free = idle.get(backend);
      if (free.size() < IDLE_PER_BACKEND) {
        free.addLast(channel);
      } else {
        channel.close();
      }
    }
  }

  /** A client's connection: its request goes to one backend connection until the answer ends. */
  static final class Downstream extends ChannelInboundHandlerAdapter {
    private final ThreadLocal<Backends> perLoop;
    /** The edge's state, or null for the bare proxy. */
    private final Edge edge;
    /** The current request's passage through the edge. */
    private Passage passage;
    /** What came while the backend connected, or a pipelined request before its turn. */
    private final ArrayDeque<HttpObject> waiting = new ArrayDeque<>();
    private Channel client;
    private Channel backend;
    private boolean connecting;
    /** The current request's body is still coming from the client. */
    private boolean sending;
    /** The current request's answer has not ended. */
    private boolean answering;

    Downstream(ThreadLocal<Backends> perLoop, Edge edge) {
      this.perLoop = perLoop;
      this.edge = edge;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
      client = ctx.channel();
      ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      HttpObject object = (HttpObject) msg;
      if (connecting || (object instanceof HttpRequest && answering) || !waiting.isEmpty()) {
        waiting.add(object);
      } else {
        handle(object);
      }
    }

    private void handle(HttpObject object) {
      if (object instanceof HttpRequest request) {
        start(request);
        return;
      }
      if (object instanceof LastHttpContent) {
        sending = false;
      }
      if (backend != null) {
        backend.write(object);
      } else {
        ReferenceCountUtil.release(object); // the body of a request already answered
      }
    }

    private void start(HttpRequest request) {
      InetSocketAddress peer = (InetSocketAddress) client.remoteAddress();
      String address = peer.getAddress().getHostAddress();
      if (edge != null) {
        request.headers().remove("x-switchboard-subject").remove("x-switchboard-scopes");
        String id = Edge.requestId(request.headers().get("x-request-id"));
        request.headers().set("x-request-id", id);
        passage = new Passage(id, request.method().name(), request.uri(), address);
        passage.timeout = client.eventLoop().schedule(() -> { client.close(); }, Edge.ROUTE_TIMEOUT_MS, TimeUnit.MILLISECONDS);
      }
      request.headers()
        .add("x-forwarded-for", address)
        .set("x-forwarded-proto", "http")
        .set("x-forwarded-host", request.headers().get(HttpHeaderNames.HOST, ""));
      answering = true;
      sending = !(request instanceof LastHttpContent);
      ChannelFuture connection = perLoop.get().acquire(client);
      if (connection.isDone()) {
        attach(connection, request);
        return;
      }
      connecting = true;
      connection.addListener(done -> {
        connecting = false;
        attach(connection, request);
        drain();
      });
    }

    private void attach(ChannelFuture connection, HttpRequest request) {
      if (!connection.isSuccess()) {
        ReferenceCountUtil.release(request);
        if (passage != null) {
          passage.timeout.cancel(false);
          passage = null;
        }
        FullHttpResponse bad = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.BAD_GATEWAY,
          Unpooled.EMPTY_BUFFER);
        bad.headers().set(HttpHeaderNames.CONTENT_LENGTH, 0);
        answering = false;
        client.writeAndFlush(bad);
        return;
      }
      backend = connection.channel();
      Upstream upstream = (Upstream) backend.pipeline().last();
      upstream.downstream = this;
      if (passage != null) {
        passage.node = upstream.index;
        edge.inFlight[upstream.index].incrementAndGet();
      }
      backend.write(request);
    }

    /** Sends on, in order, what waited, up to a request whose turn has not come. */
    private void drain() {
      HttpObject object;
      while (!connecting && (object = waiting.peek()) != null
          && !(object instanceof HttpRequest && answering)) {
        handle(waiting.poll());
      }
      if (backend != null && !connecting) {
        backend.flush();
      }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
      if (backend != null && !connecting) {
        backend.flush();
      }
    }

    /** The backend's answer, piece by piece; its end frees the backend connection for others. */
    void answer(HttpObject object, boolean ends, boolean reusable, Upstream from) {
      if (passage != null) {
        if (object instanceof HttpResponse response) {
          passage.answered(edge, response);
        }
        if (ends) {
          passage.ended(edge);
          passage = null;
        }
      }
      if (!ends) {
        client.write(object);
        return;
      }
      client.writeAndFlush(object);
      Channel done = backend;
      backend = null;
      answering = false;
      if (reusable && !sending) {
        from.backends.release(done, from.index);
      } else {
        done.close(); // an answer that came before the whole request leaves the connection mid-request
      }
      if (!waiting.isEmpty()) {
        drain();
      }
    }

    void backendFailed() {
      backend = null;
      client.close();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      if (passage != null) {
        passage.timeout.cancel(false);
      }
      waiting.forEach(ReferenceCountUtil::release);
      waiting.clear();
      if (backend != null) {
        backend.close(); // mid-answer: the connection cannot serve another client
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }
  }

  /** A backend connection: hands each piece of the answer to the client it is serving. */
  static final class Upstream extends ChannelInboundHandlerAdapter {
    final Backends backends;
    final int index;
    Downstream downstream;
    private boolean keepAlive;

    Upstream(Backends backends, int index) {
      this.backends = backends;
      this.index = index;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (downstream == null) {
        ReferenceCountUtil.release(msg);
        ctx.close();
        return;
      }
      if (msg instanceof HttpResponse response) {
        keepAlive = HttpUtil.isKeepAlive(response);
      }
      boolean ends = msg instanceof LastHttpContent;
      Downstream to = downstream;
      if (ends) {
        downstream = null;
      }
      to.answer((HttpObject) msg, ends, keepAlive, this);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      if (downstream != null) {
        downstream.backendFailed();
        downstream = null;
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }
  }
}
