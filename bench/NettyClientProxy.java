import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpUtil;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.internal.ContextInternal;

import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The gateway benchmark's measure of a design in between: Vert.x's HTTP server in front, as the
 * gateway's edge is written, and Netty's HTTP client codec behind it, on the verticle's own event
 * loop, in place of Vert.x's HTTP client (its pool, request objects and futures). Round-robin over
 * the backends, keep-alive connections kept per verticle, the answer read whole (the benchmark's
 * are a few bytes). Only requests without a body: the benchmark sends none. It shows how much of
 * the distance between the bare Vert.x proxy and Netty's floor ({@code NettyProxy.java}) is the
 * client side alone.
 *
 * <pre>java -cp gateway/target/switchboard-gateway.jar bench/NettyClientProxy.java PORT BACKEND_PORT[,...] [INSTANCES]</pre>
 *
 * Listens on 127.0.0.1 only and forwards to 127.0.0.1 only; prints "netty client proxy up" once listening.
 */
public class NettyClientProxy {

  /** The largest answer read; the benchmark's are a few bytes. */
  private static final int MAX_ANSWER_BYTES = 1 << 20;

  public static void main(String[] args) {
    if (args.length < 2) {
      System.err.println("usage: java -cp GATEWAY_JAR bench/NettyClientProxy.java PORT BACKEND_PORT[,...] [INSTANCES]");
      System.exit(2);
    }
    int port = Integer.parseInt(args[0]);
    InetSocketAddress[] backends = Arrays.stream(args[1].split(","))
      .map(p -> new InetSocketAddress("127.0.0.1", Integer.parseInt(p)))
      .toArray(InetSocketAddress[]::new);
    int instances = args.length > 2 ? Integer.parseInt(args[2]) : Runtime.getRuntime().availableProcessors();
    Vertx vertx = Vertx.vertx(new VertxOptions().setPreferNativeTransport(true));
    vertx.deployVerticle(() -> new Proxy(port, backends), new DeploymentOptions().setInstances(instances))
      .onSuccess(id -> System.out.println("netty client proxy up: http://127.0.0.1:" + port + " instances=" + instances))
      .onFailure(e -> {
        e.printStackTrace();
        System.exit(1);
      });
  }

  static final class Proxy extends VerticleBase {
    private final int port;
    private final InetSocketAddress[] backends;
    private final List<ArrayDeque<Channel>> idle = new ArrayList<>();
    private EventLoop loop;
    private ChannelFactory<? extends Channel> channels;
    private int next;

    Proxy(int port, InetSocketAddress[] backends) {
      this.port = port;
      this.backends = backends;
      for (int i = 0; i < backends.length; i++) {
        idle.add(new ArrayDeque<>());
      }
    }

    @Override
    public Future<?> start() {
      ContextInternal own = (ContextInternal) context;
      loop = own.nettyEventLoop();
      channels = own.owner().transport().channelFactory(false);
      return vertx.createHttpServer(new HttpServerOptions().setTcpNoDelay(true))
        .requestHandler(this::forward)
        .listen(port, "127.0.0.1");
    }

    private void forward(HttpServerRequest request) {
      int backend = next;
      next = (next + 1) % backends.length;
      FullHttpRequest out = new DefaultFullHttpRequest(io.netty.handler.codec.http.HttpVersion.HTTP_1_1,
        io.netty.handler.codec.http.HttpMethod.valueOf(request.method().name()), request.uri(), Unpooled.EMPTY_BUFFER);
      for (Map.Entry<String, String> header : request.headers()) {
        out.headers().add(header.getKey(), header.getValue());
      }
      HttpUtil.setContentLength(out, 0);
      Channel channel;
      while ((channel = idle.get(backend).pollLast()) != null) {
        if (channel.isActive()) {
          send(channel, backend, out, request.response());
          return;
        }
      }
      ChannelFuture connecting = new Bootstrap().group(loop).channelFactory(channels)
        .option(ChannelOption.TCP_NODELAY, true)
        .handler(new ChannelInitializer<>() {
          @Override
          protected void initChannel(Channel ch) {
            ch.pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(MAX_ANSWER_BYTES), new Answers());
          }
        })
        .connect(backends[backend]);
      connecting.addListener(done -> {
        if (done.isSuccess()) {
          send(connecting.channel(), backend, out, request.response());
        } else {
          out.release();
          request.response().setStatusCode(502).end();
        }
      });
    }

    private void send(Channel channel, int backend, FullHttpRequest out, HttpServerResponse response) {
      ((Answers) channel.pipeline().last()).next = answer -> {
        if (answer == null) {
          response.setStatusCode(502).end(); // the backend closed the connection before it answered
          return;
        }
        response.setStatusCode(answer.status().code());
        for (Map.Entry<String, String> header : answer.headers()) {
          response.headers().add(header.getKey(), header.getValue());
        }
        response.end(Buffer.buffer(ByteBufUtil.getBytes(answer.content())));
        if (HttpUtil.isKeepAlive(answer)) {
          idle.get(backend).addLast(channel);
        } else {
          channel.close();
        }
      };
      channel.writeAndFlush(out);
    }
  }

  /** A backend connection's answers, each to the request waiting for it; null when it closed first. */
  static final class Answers extends SimpleChannelInboundHandler<FullHttpResponse> {
    Consumer<FullHttpResponse> next;

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse answer) {
      Consumer<FullHttpResponse> waiting = next;
      next = null;
      if (waiting == null) {
        ctx.close(); // an answer nobody asked for
        return;
      }
      waiting.accept(answer);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      Consumer<FullHttpResponse> waiting = next;
      next = null;
      if (waiting != null) {
        waiting.accept(null);
      }
    }
  }
}
