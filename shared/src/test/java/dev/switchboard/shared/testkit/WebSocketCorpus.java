package dev.switchboard.shared.testkit;

import dev.switchboard.shared.testkit.RawWebSocket.Request;
import dev.switchboard.shared.testkit.RawWebSocket.Response;
import dev.switchboard.shared.ws.WebSocketLimits;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import static dev.switchboard.shared.testkit.RawWebSocket.BINARY;
import static dev.switchboard.shared.testkit.RawWebSocket.CLOSE;
import static dev.switchboard.shared.testkit.RawWebSocket.CONTINUATION;
import static dev.switchboard.shared.testkit.RawWebSocket.PING;
import static dev.switchboard.shared.testkit.RawWebSocket.PONG;
import static dev.switchboard.shared.testkit.RawWebSocket.RSV1;
import static dev.switchboard.shared.testkit.RawWebSocket.RSV2;
import static dev.switchboard.shared.testkit.RawWebSocket.RSV3;
import static dev.switchboard.shared.testkit.RawWebSocket.TEXT;
import static dev.switchboard.shared.testkit.RawWebSocket.closePayload;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * RFC 6455 cases any WebSocket server can be put through over real sockets: each case says what a
 * client sends and what the RFC requires of the server (the close code it sends, the status of a
 * refused handshake, a pong, the connection still open and answering a ping). The server under
 * test is a {@link Target}: where it listens, the limits it enforces, how to make it send data to
 * a client that does not read, and how to read its memory. Run it as
 * {@code @TestFactory Stream<DynamicTest> rfc6455() { return WebSocketCorpus.tests(target); }}.
 *
 * <p>What the server must tolerate: any valid text or binary message (it may answer it, but not
 * close), and unsolicited pongs. Compression must be off (the deflate cases check that it is),
 * unless the target says it negotiates permessage-deflate ({@link Target#withDeflate()}): then the
 * deflate cases check that it is negotiated when offered, that a compressed message is taken, and
 * that a deflate bomb is refused with 1009 while memory stays flat; a connection that did not
 * offer it must still refuse RSV1 with 1002.
 */
public final class WebSocketCorpus {

  /** How far the server's memory may grow while it refuses a deflate bomb or a flood. */
  public static final long MEMORY_BOUND = 8 * 1024 * 1024;
  /** What the deflate bomb inflates to. */
  public static final long BOMB_INFLATED = 110L * 1024 * 1024;
  /** Zeros per byte of a bomb that must fit a frame: deflate's best is about 1030 to 1. */
  public static final long BOMB_RATIO = 1000;
  /** Bombs sent, each on a connection of its own, to a server that negotiates compression. */
  public static final int BOMB_FRAMES = 4;
  /** The offer of a browser or the {@code ws} client. */
  public static final String DEFLATE_OFFER = "permessage-deflate; client_max_window_bits";
  /** The declared length of a frame whose payload never comes. */
  public static final long HUGE_FRAME = 64L * 1024 * 1024;
  /** Bytes of the huge frame actually sent before the answer is awaited. */
  public static final int HUGE_FRAME_SENT = 64 * 1024;
  /** A client that never reads, with a receive buffer this small, fills up quickly. */
  public static final int NON_READER_RECEIVE_BUFFER = 4096;
  /** Kernel buffers on both ends (loopback send buffers grow to a few MiB) that a flood may fill before the server's own queue. */
  public static final long KERNEL_SLACK = 16L * 1024 * 1024;
  public static final int FLOOD_PAYLOAD = 125;
  public static final int FLOOD_BATCH = 256;
  /** How long a {@link ServerPush} may keep sending before a non-reading client must have been cut off. */
  public static final long PUSH_TIMEOUT_MILLIS = 30_000;

  private static final AtomicLong PING_IDS = new AtomicLong();
  private static volatile byte[] bomb;
  private static final Map<Long, byte[]> bombs = new ConcurrentHashMap<>();

  private WebSocketCorpus() {
  }

  /** Makes the server under test send data to a client that never reads. */
  @FunctionalInterface
  public interface ServerPush {
    /**
     * Called once with the connected, never-reading {@code reader}: arranges for the server to send
     * it data (joins it to a room, subscribes it...) and returns what makes the server send it one
     * more burst.
     */
    Burst to(RawWebSocket reader) throws Exception;
  }

  /**
   * One burst of data from the server to the non-reading client, a few KiB at least; best returned
   * once the server has sent it (or queued it), so that bursts do not run far ahead of the server.
   */
  @FunctionalInterface
  public interface Burst {
    void send() throws Exception;
  }

  /**
   * The server under test.
   *
   * @param host    where it listens
   * @param port    its port
   * @param path    the WebSocket's path
   * @param headers extra handshake headers (an {@code Origin}, a token...), in every request
   * @param limits  what it enforces: frame and message sizes, its write-queue bound, its ping rate
   * @param push    how to make it send data to a client that does not read; null skips that case
   * @param memory  readings of its memory ({@link ServerMemory#unknown()} skips those checks)
   * @param deflate whether it negotiates permessage-deflate with a client that offers it
   */
  public record Target(String host, int port, String path, Map<String, String> headers, WebSocketLimits limits,
                       ServerPush push, ServerMemory memory, boolean deflate) {

    public Target {
      Objects.requireNonNull(host);
      Objects.requireNonNull(path);
      Objects.requireNonNull(limits);
      headers = Map.copyOf(headers);
      memory = memory == null ? ServerMemory.unknown() : memory;
    }

    /** A server in this JVM, without a push and with no extra headers. */
    public static Target of(String host, int port, String path, WebSocketLimits limits) {
      return new Target(host, port, path, Map.of(), limits, null, ServerMemory.thisJvm(), false);
    }

    public Target withHeaders(Map<String, String> extra) {
      return new Target(host, port, path, extra, limits, push, memory, deflate);
    }

    public Target withPush(ServerPush serverPush) {
      return new Target(host, port, path, headers, limits, serverPush, memory, deflate);
    }

    public Target withMemory(ServerMemory serverMemory) {
      return new Target(host, port, path, headers, limits, push, serverMemory, deflate);
    }

    /** The same server, negotiating permessage-deflate with a client that offers it. */
    public Target withDeflate() {
      return new Target(host, port, path, headers, limits, push, memory, true);
    }

    /** A valid handshake for this server, to change for a case. */
    public Request request() {
      return Request.upgrade(host, port, path).setAll(headers);
    }

    /** A connection with a completed handshake. */
    public RawWebSocket connect() throws IOException {
      return RawWebSocket.connect(host, port, request(), 0);
    }

    /** A connection that offered permessage-deflate, whatever came of it. */
    RawWebSocket connectOfferingDeflate() throws IOException {
      return RawWebSocket.connect(host, port, request().set("Sec-WebSocket-Extensions", DEFLATE_OFFER), 0);
    }

    RawWebSocket connectNonReader() throws IOException {
      return RawWebSocket.connect(host, port, request(), NON_READER_RECEIVE_BUFFER);
    }
  }

  /** What a case checks, once it has a connection or an answer. */
  @FunctionalInterface
  public interface Check {
    void run(Target target) throws Exception;
  }

  /**
   * One case.
   *
   * @param name    {@code group/what}, unique
   * @param sends   what the client sends
   * @param expects what RFC 6455 requires of the server
   * @param check   sends it to a target and asserts the outcome
   */
  public record Case(String name, String sends, String expects, Check check) {

    public String displayName() {
      return name + ": " + sends + " -> " + expects;
    }
  }

  /** Every case, as dynamic tests against {@code target}. */
  public static Stream<DynamicTest> tests(Target target) {
    return cases(target.deflate()).stream().map(c -> DynamicTest.dynamicTest(c.displayName(), () -> c.check().run(target)));
  }

  // ---- the cases

  /** The corpus for a server without compression. */
  public static List<Case> cases() {
    return cases(false);
  }

  /**
   * The corpus: handshakes, framing, closing, UTF-8, limits, compression, floods and slow readers;
   * the compression cases for a server that negotiates permessage-deflate when {@code deflate}.
   */
  public static List<Case> cases(boolean deflate) {
    List<Case> cases = new ArrayList<>();

    // Opening handshake (RFC 6455 section 4.2.1, 4.2.2, 4.4)
    cases.add(handshake("handshake/valid", "a valid upgrade request", r -> r, accepted()));
    cases.add(handshake("handshake/key-missing", "no Sec-WebSocket-Key", r -> r.without("Sec-WebSocket-Key"), refused(400)));
    cases.add(handshake("handshake/key-not-base64", "Sec-WebSocket-Key: not*base64*at*all*!!!!!",
      r -> r.set("Sec-WebSocket-Key", "not*base64*at*all*!!!!!"), refused(400)));
    cases.add(handshake("handshake/key-15-bytes", "a key of 15 bytes", r -> r.set("Sec-WebSocket-Key", key(15)), refused(400)));
    cases.add(handshake("handshake/key-17-bytes", "a key of 17 bytes", r -> r.set("Sec-WebSocket-Key", key(17)), refused(400)));
    cases.add(handshake("handshake/key-empty", "an empty Sec-WebSocket-Key", r -> r.set("Sec-WebSocket-Key", ""), refused(400)));
    cases.add(handshake("handshake/key-twice", "two Sec-WebSocket-Key headers", r -> r.add("Sec-WebSocket-Key", key(16)), refused(400)));
    for (String version : List.of("8", "12", "14")) {
      cases.add(handshake("handshake/version-" + version, "Sec-WebSocket-Version: " + version,
        r -> r.set("Sec-WebSocket-Version", version), refused(426, "Sec-WebSocket-Version", "13")));
    }
    cases.add(handshake("handshake/version-missing", "no Sec-WebSocket-Version", r -> r.without("Sec-WebSocket-Version"),
      refused(426, "Sec-WebSocket-Version", "13")));
    cases.add(handshake("handshake/upgrade-missing", "no Upgrade header", r -> r.without("Upgrade"), refused(426, "Upgrade", "websocket")));
    cases.add(handshake("handshake/upgrade-other", "Upgrade: IRC/6.9", r -> r.set("Upgrade", "IRC/6.9"), refused(426, "Upgrade", "websocket")));
    cases.add(handshake("handshake/connection-missing", "no Connection: Upgrade", r -> r.without("Connection"), refused(400, 426)));
    cases.add(handshake("handshake/connection-keep-alive", "Connection: keep-alive (no upgrade token)",
      r -> r.set("Connection", "keep-alive"), refused(400, 426)));
    cases.add(handshake("handshake/post", "POST instead of GET", r -> r.method("POST").set("Content-Length", "0"),
      refused(405, "Allow", "GET")));
    cases.add(handshake("handshake/http-1.0", "the upgrade over HTTP/1.0", r -> r.httpVersion("HTTP/1.0"), refused(400, 426, 505)));
    cases.add(handshake("deflate/offered", "Sec-WebSocket-Extensions: " + DEFLATE_OFFER,
      r -> r.set("Sec-WebSocket-Extensions", DEFLATE_OFFER),
      deflate ? acceptedWith("Sec-WebSocket-Extensions", "permessage-deflate") : acceptedWithout("Sec-WebSocket-Extensions")));

    // Framing (section 5)
    cases.add(frames("framing/rsv1", "a text frame with RSV1 and no extension", ws -> ws.frame(true, RSV1, TEXT, ascii("{}")), closes(1002)));
    cases.add(frames("framing/rsv2", "a text frame with RSV2", ws -> ws.frame(true, RSV2, TEXT, ascii("{}")), closes(1002)));
    cases.add(frames("framing/rsv3", "a text frame with RSV3", ws -> ws.frame(true, RSV3, TEXT, ascii("{}")), closes(1002)));
    for (int opcode : new int[] {0x3, 0x4, 0x5, 0x6, 0x7, 0xB, 0xC, 0xD, 0xE, 0xF}) {
      cases.add(frames(String.format("framing/opcode-%X", opcode), String.format("a frame with reserved opcode %X", opcode),
        ws -> ws.frame(true, 0, opcode, new byte[0]), closes(1002)));
    }
    cases.add(frames("framing/unmasked", "an unmasked text frame", ws -> ws.unmasked(TEXT, ascii("{}")), closes(1002)));
    cases.add(frames("framing/continuation-first", "a continuation frame with no message begun",
      ws -> ws.frame(true, 0, CONTINUATION, ascii("x")), closes(1002)));
    cases.add(frames("framing/text-inside-fragmented", "a new text frame inside a fragmented message",
      ws -> {
        ws.frame(false, 0, TEXT, ascii("{"));
        ws.frame(true, 0, TEXT, ascii("{}"));
      }, closes(1002)));
    cases.add(frames("framing/binary-inside-fragmented", "a binary frame inside a fragmented text message",
      ws -> {
        ws.frame(false, 0, TEXT, ascii("ab"));
        ws.frame(true, 0, BINARY, new byte[] {1});
      }, closes(1002)));
    for (int opcode : new int[] {PING, PONG, CLOSE}) {
      cases.add(frames(String.format("framing/fragmented-control-%X", opcode), String.format("control frame %X without FIN", opcode),
        ws -> ws.frame(false, 0, opcode, new byte[0]), closes(1002)));
    }
    cases.add(frames("framing/ping-126-bytes", "a ping with 126 bytes of payload", ws -> ws.ping(new byte[126]), closes(1002)));
    cases.add(frames("framing/length-not-minimal", "a 5-byte text frame whose length uses the 16-bit form",
      ws -> ws.raw(new byte[] {(byte) 0x81, (byte) (0x80 | 126), 0, 5, 0, 0, 0, 0, 'h', 'e', 'l', 'l', 'o'}), closes(1002)));
    cases.add(frames("framing/length-msb-set", "a 64-bit length with its most significant bit set",
      ws -> ws.raw(new byte[] {(byte) 0x82, (byte) (0x80 | 127), (byte) 0x80, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0}), closes(1002)));
    cases.add(frames("framing/ping", "a ping with 125 bytes of payload", ws -> { }, pongs(payload(125))));
    cases.add(frames("framing/ping-empty", "a ping without payload", ws -> { }, pongs(new byte[0])));
    cases.add(frames("framing/ping-between-fragments", "a ping between two fragments of a text message",
      ws -> {
        ws.frame(false, 0, TEXT, ascii("frag"));
        ws.roundTrip(ascii("between"));
        ws.frame(true, 0, CONTINUATION, ascii("ment"));
      }, staysOpen()));
    cases.add(frames("framing/unsolicited-pong", "a pong nobody asked for", ws -> ws.pong(ascii("unasked")), staysOpen()));
    cases.add(frames("framing/text", "a text message", ws -> ws.text("{\"hello\":\"world\"}"), staysOpen()));
    cases.add(frames("framing/binary", "a binary message", ws -> ws.frame(true, 0, BINARY, new byte[] {0, 1, 2, (byte) 0xff}), staysOpen()));
    cases.add(frames("framing/fragmented-with-empty", "a text message in three fragments, the middle one empty",
      ws -> {
        ws.frame(false, 0, TEXT, ascii("{\"a\""));
        ws.frame(false, 0, CONTINUATION, new byte[0]);
        ws.frame(true, 0, CONTINUATION, ascii(":1}"));
      }, staysOpen()));

    // Closing (section 5.5.1, 7.4)
    for (int code : new int[] {1000, 1001, 3000, 4999}) {
      cases.add(frames("close/echo-" + code, "a close frame with code " + code, ws -> ws.close(code), closes(code)));
    }
    for (int code : new int[] {0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535}) {
      cases.add(frames("close/invalid-" + code, "a close frame with code " + code, ws -> ws.close(code), closes(1002)));
    }
    cases.add(frames("close/one-byte-body", "a close frame with a 1-byte body", ws -> ws.frame(true, 0, CLOSE, new byte[] {3}), closes(1002)));
    cases.add(frames("close/reason-not-utf8", "close 1000 with a reason that is not UTF-8",
      ws -> ws.frame(true, 0, CLOSE, closePayload(1000, new byte[] {'b', 'y', (byte) 0xC3, 0x28})), closes(1007, 1002)));
    cases.add(frames("close/empty", "a close frame without a body", ws -> ws.frame(true, 0, CLOSE, new byte[0]),
      closes(1000, RawWebSocket.NO_STATUS)));

    // UTF-8 (section 8.1)
    cases.add(frames("utf8/invalid", "text C3 28", ws -> ws.frame(true, 0, TEXT, bytes(0x22, 0xC3, 0x28, 0x22)), closes(1007)));
    cases.add(frames("utf8/invalid-across-fragments", "E2 ending one fragment, 28 A1 starting the next",
      ws -> {
        ws.frame(false, 0, TEXT, bytes(0x22, 0xE2));
        ws.frame(true, 0, CONTINUATION, bytes(0x28, 0xA1, 0x22));
      }, closes(1007)));
    cases.add(frames("utf8/invalid-before-the-end", "a first fragment with C0 AF, and no more",
      ws -> ws.frame(false, 0, TEXT, bytes('o', 'k', 0xC0, 0xAF)), closes(1007)));
    cases.add(frames("utf8/overlong-2", "the overlong two-byte slash C0 AF", ws -> ws.frame(true, 0, TEXT, bytes(0xC0, 0xAF)), closes(1007)));
    cases.add(frames("utf8/overlong-3", "the overlong three-byte slash E0 80 AF", ws -> ws.frame(true, 0, TEXT, bytes(0xE0, 0x80, 0xAF)),
      closes(1007)));
    cases.add(frames("utf8/overlong-4", "the overlong four-byte slash F0 80 80 AF",
      ws -> ws.frame(true, 0, TEXT, bytes(0xF0, 0x80, 0x80, 0xAF)), closes(1007)));
    cases.add(frames("utf8/surrogate", "the surrogate U+D800 as ED A0 80", ws -> ws.frame(true, 0, TEXT, bytes(0xED, 0xA0, 0x80)), closes(1007)));
    cases.add(frames("utf8/above-10ffff", "U+110000 as F4 90 80 80", ws -> ws.frame(true, 0, TEXT, bytes(0xF4, 0x90, 0x80, 0x80)),
      closes(1007)));
    cases.add(frames("utf8/truncated", "a text message ending in the middle of a character (E2 82)",
      ws -> ws.frame(true, 0, TEXT, bytes('a', 0xE2, 0x82)), closes(1007)));
    cases.add(frames("utf8/valid-4-byte-split-everywhere", "\"a\\uD83D\\uDE00b\" in two fragments split at each byte, then a byte a fragment",
      ws -> {
        byte[] text = "a😀b".getBytes(StandardCharsets.UTF_8);
        for (int split = 1; split < text.length; split++) {
          ws.frame(false, 0, TEXT, Arrays.copyOfRange(text, 0, split));
          ws.frame(true, 0, CONTINUATION, Arrays.copyOfRange(text, split, text.length));
        }
        for (int i = 0; i < text.length; i++) {
          ws.frame(i == text.length - 1, 0, i == 0 ? TEXT : CONTINUATION, new byte[] {text[i]});
        }
      }, staysOpen()));
    cases.add(frames("utf8/valid-every-length", "one text message with 1-, 2-, 3- and 4-byte characters and the edges of each",
      ws -> ws.text("\u0000\u007f\u0080\u07ff\u0800\ud7ff\ue000\uffff\ud800\udc00\udbff\udfff"), staysOpen()));

    // Limits
    cases.add(custom("limits/frame-declaring-64MiB", "a binary frame header declaring 64 MiB, then 64 KiB of it",
      "close 1009 before the rest is sent", WebSocketCorpus::hugeFrame));
    cases.add(frames("limits/frame-at-max", "one text frame of exactly maxFrame bytes",
      (ws, t) -> ws.frame(true, 0, TEXT, filler(t.limits().maxFrame())), staysOpen()));
    cases.add(frames("limits/frame-over-max", "one text frame of maxFrame + 1 bytes",
      (ws, t) -> ws.frame(true, 0, TEXT, filler(t.limits().maxFrame() + 1)), closes(1009)));
    cases.add(frames("limits/message-at-max", "a text message of exactly maxMessage bytes in fragments",
      (ws, t) -> fragments(ws, t, t.limits().maxMessage()), staysOpen()));
    cases.add(frames("limits/message-over-max", "a text message of maxMessage + 1 bytes in fragments",
      (ws, t) -> fragments(ws, t, t.limits().maxMessage() + 1L), closes(1009)));

    if (deflate) {
      // Compression negotiated when offered (RFC 7692), inflating bounded by the limits
      cases.add(custom("deflate/compressed-frame", "with the extension negotiated, a text frame with RSV1 and a real deflate payload",
        "stays open: a ping after it is answered", WebSocketCorpus::compressedFrame));
      cases.add(custom("deflate/compressed-fragments", "with the extension negotiated, one compressed text message in two fragments",
        "stays open: a ping after it is answered", WebSocketCorpus::compressedFragments));
      cases.add(custom("deflate/bomb", "with the extension negotiated, " + BOMB_FRAMES + " RSV1 frames of maxFrame bytes at most, each on "
          + "its own connection, each inflating to " + BOMB_RATIO + " times that (110 MiB at most)",
        "close 1009 each time, the server's memory not growing by more than " + MEMORY_BOUND / (1024 * 1024) + " MiB",
        WebSocketCorpus::negotiatedDeflateBomb));
      cases.add(frames("deflate/not-offered", "a text frame with RSV1 on a connection that did not offer the extension",
        ws -> ws.frame(true, RSV1, TEXT, RawWebSocket.deflate(ascii("{\"compressed\":true}"))), closes(1002)));
    } else {
      // Compression never negotiated (RFC 7692)
      cases.add(frames("deflate/compressed-frame", "a text frame with RSV1 and a real deflate payload",
        ws -> ws.frame(true, RSV1, TEXT, RawWebSocket.deflate(ascii("{\"compressed\":true}"))), closes(1002)));
      cases.add(custom("deflate/bomb", "a 112 KB RSV1 frame that inflates to 110 MiB",
        "close 1002 at once, the server's memory not growing by more than " + MEMORY_BOUND / (1024 * 1024) + " MiB",
        WebSocketCorpus::deflateBomb));
    }

    // Clients that do not read
    cases.add(custom("flood/pings-never-read", "pings as fast as the socket takes them, never reading a pong",
      "the connection dropped (close 1008 if anything) before writeQueueMax plus kernel buffers of pongs, memory bounded",
      WebSocketCorpus::pingFlood));
    cases.add(custom("flood/server-data-never-read", "nothing; the server is made to send data to this client, which never reads",
      "the connection cut off", WebSocketCorpus::slowReader));
    return List.copyOf(cases);
  }

  // ---- building cases

  /** Sends on a connection. */
  @FunctionalInterface
  interface Frames {
    void send(RawWebSocket ws, Target target) throws Exception;
  }

  /** Sends on a connection, needing nothing of the target. */
  @FunctionalInterface
  interface SimpleFrames {
    void send(RawWebSocket ws) throws Exception;
  }

  /** What the server must do after the frames: described, and checked on the connection. */
  record After(String text, Verify verify) {
  }

  @FunctionalInterface
  interface Verify {
    void on(RawWebSocket ws) throws Exception;
  }

  /** What a handshake must get: described, whether it upgrades, and checked on the response. */
  record Answer(String text, boolean upgrades, ResponseCheck check) {
  }

  @FunctionalInterface
  interface ResponseCheck {
    void on(Request request, Response response);
  }

  private static Case handshake(String name, String sends, UnaryOperator<Request> change, Answer answer) {
    return new Case(name, sends, answer.text(), target -> {
      Request request = change.apply(target.request());
      if (answer.upgrades()) {
        try (RawWebSocket ws = RawWebSocket.connect(target.host(), target.port(), request, 0)) {
          answer.check().on(request, ws.handshake());
          ws.roundTrip(ascii("after the handshake"));
        }
      } else {
        answer.check().on(request, RawWebSocket.exchange(target.host(), target.port(), request));
      }
    });
  }

  private static Answer accepted() {
    return new Answer("101 with the Sec-WebSocket-Accept of the key", true, (request, response) -> {
      assertEquals(101, response.status());
      assertEquals(RawWebSocket.acceptFor(request.header("Sec-WebSocket-Key")), response.header("Sec-WebSocket-Accept"));
      assertEquals("websocket", String.valueOf(response.header("Upgrade")).toLowerCase());
    });
  }

  private static Answer acceptedWithout(String header) {
    return new Answer("101 without " + header + " (nothing negotiated)", true, (request, response) -> {
      assertEquals(101, response.status());
      assertNull(response.header(header), header + " in the answer");
    });
  }

  private static Answer acceptedWith(String header, String value) {
    return new Answer("101 with " + header + ": " + value, true, (request, response) -> {
      assertEquals(101, response.status());
      String answered = response.header(header);
      assertTrue(answered != null && answered.toLowerCase().startsWith(value), header + ": " + answered + ", expected " + value);
    });
  }

  private static Answer refused(int... statuses) {
    Set<Integer> allowed = IntStream.of(statuses).boxed().collect(Collectors.toCollection(TreeSet::new));
    return new Answer("HTTP " + join(allowed), false, (request, response) ->
      assertTrue(allowed.contains(response.status()), "status " + response.status() + " (" + response.body() + "), expected " + join(allowed)));
  }

  private static Answer refused(int status, String header, String value) {
    return new Answer("HTTP " + status + " with " + header + ": " + value, false, (request, response) -> {
      assertEquals(status, response.status(), response.body());
      assertEquals(value.toLowerCase(), String.valueOf(response.header(header)).toLowerCase(), header);
    });
  }

  private static Case frames(String name, String sends, SimpleFrames frames, After after) {
    return frames(name, sends, (ws, target) -> frames.send(ws), after);
  }

  private static Case frames(String name, String sends, Frames frames, After after) {
    return new Case(name, sends, after.text(), target -> {
      try (RawWebSocket ws = target.connect()) {
        frames.send(ws, target);
        after.verify().on(ws);
      }
    });
  }

  private static Case custom(String name, String sends, String expects, Check check) {
    return new Case(name, sends, expects, check);
  }

  private static After closes(int... codes) {
    Set<Integer> allowed = IntStream.of(codes).boxed().collect(Collectors.toCollection(TreeSet::new));
    return new After("close " + join(allowed), ws -> {
      int code = ws.awaitClose();
      assertNotEquals(RawWebSocket.NO_CLOSE_FRAME, code, "the connection ended without a close frame; expected " + join(allowed));
      assertTrue(allowed.contains(code), "close " + code + ", expected " + join(allowed));
    });
  }

  private static After staysOpen() {
    return new After("stays open: a ping after it is answered", ws ->
      ws.roundTrip(ascii("still there? " + PING_IDS.incrementAndGet())));
  }

  private static After pongs(byte[] payload) {
    return new After("a pong with the same " + payload.length + " bytes, and stays open", ws -> {
      ws.ping(payload);
      assertTrue(Arrays.equals(payload, ws.awaitOpcode(PONG).payload()), "the pong's payload");
      ws.roundTrip(ascii("and again"));
    });
  }

  // ---- the cases that need more than frames and an answer

  private static void hugeFrame(Target target) throws Exception {
    try (RawWebSocket ws = target.connect()) {
      ws.header(true, 0, BINARY, HUGE_FRAME);
      try {
        ws.raw(new byte[HUGE_FRAME_SENT]);
      } catch (IOException e) {
        // The server may have refused the frame and closed before this part arrived: what is asked of it.
      }
      assertEquals(1009, ws.awaitClose(), "close code for a frame over the limit");
    }
  }

  private static void deflateBomb(Target target) throws Exception {
    byte[] payload = bomb();
    try (RawWebSocket ws = target.connect()) {
      long before = target.memory().allocated();
      try {
        ws.frame(true, RSV1, BINARY, payload);
      } catch (IOException e) {
        // Refused and closed while the payload was still arriving: what is asked of it.
      }
      assertEquals(1002, ws.awaitClose(), "close code for a compressed frame nobody negotiated");
      assertGrowth(target, before, target.memory().allocated(), "allocated while refusing a deflate bomb");
    }
  }

  private static void compressedFrame(Target target) throws Exception {
    try (RawWebSocket ws = target.connectOfferingDeflate()) {
      assertNegotiated(ws);
      ws.frame(true, RSV1, TEXT, RawWebSocket.deflate(ascii("{\"compressed\":true}")));
      ws.roundTrip(ascii("still there? " + PING_IDS.incrementAndGet()));
    }
  }

  private static void compressedFragments(Target target) throws Exception {
    byte[] whole = RawWebSocket.deflate(ascii("{\"compressed\":\"" + "in two fragments ".repeat(20) + "\"}"));
    int half = whole.length / 2;
    try (RawWebSocket ws = target.connectOfferingDeflate()) {
      assertNegotiated(ws);
      ws.frame(false, RSV1, TEXT, Arrays.copyOfRange(whole, 0, half));
      ws.frame(true, 0, CONTINUATION, Arrays.copyOfRange(whole, half, whole.length));
      ws.roundTrip(ascii("still there? " + PING_IDS.incrementAndGet()));
    }
  }

  private static void negotiatedDeflateBomb(Target target) throws Exception {
    byte[] payload = bombWithin(target.limits().maxFrame());
    long before = target.memory().allocated();
    for (int i = 0; i < BOMB_FRAMES; i++) {
      try (RawWebSocket ws = target.connectOfferingDeflate()) {
        assertNegotiated(ws);
        try {
          ws.frame(true, RSV1, BINARY, payload);
        } catch (IOException e) {
          // Refused and closed while the payload was still arriving: what is asked of it.
        }
        assertEquals(1009, ws.awaitClose(), "close code for a frame inflating past the limit, bomb " + (i + 1));
      }
    }
    assertGrowth(target, before, target.memory().allocated(), "allocated while refusing " + BOMB_FRAMES + " deflate bombs");
  }

  private static void assertNegotiated(RawWebSocket ws) {
    String extensions = ws.handshake().header("Sec-WebSocket-Extensions");
    assertTrue(extensions != null && extensions.toLowerCase().startsWith("permessage-deflate"), "negotiated: " + extensions);
  }

  /**
   * The largest bomb whose compressed frame the decoder takes ({@code maxFrame} bytes at most), so
   * that it reaches the inflater: zeros deflate about 1000 to 1, so {@code maxFrame} thousand of
   * them, {@link #BOMB_INFLATED} at most.
   */
  public static byte[] bombWithin(int maxFrame) {
    long inflated = Math.min(BOMB_INFLATED, maxFrame * BOMB_RATIO);
    byte[] made = bombs.computeIfAbsent(inflated, RawWebSocket::deflateZeros);
    if (made.length > maxFrame) {
      throw new IllegalStateException(inflated + " zeros deflate to " + made.length + " bytes, over maxFrame " + maxFrame);
    }
    return made;
  }

  /** 110 MiB of zeros, deflated once per run: about 112 KB. */
  static byte[] bomb() {
    byte[] made = bomb;
    if (made == null) {
      made = RawWebSocket.deflateZeros(BOMB_INFLATED);
      bomb = made;
    }
    return made;
  }

  private static void pingFlood(Target target) throws Exception {
    long before = target.memory().retained();
    long budget = (target.limits().writeQueueMax() + KERNEL_SLACK) / (FLOOD_PAYLOAD + 2) + target.limits().pingBurst();
    ByteArrayOutputStream batch = new ByteArrayOutputStream();
    byte[] payload = payload(FLOOD_PAYLOAD);
    for (int i = 0; i < FLOOD_BATCH; i++) {
      batch.writeBytes(RawWebSocket.encode(true, 0, PING, payload, true));
    }
    byte[] pings = batch.toByteArray();
    long sent = 0;
    boolean dropped = false;
    try (RawWebSocket ws = target.connectNonReader()) {
      while (sent < budget) {
        try {
          ws.raw(pings);
        } catch (IOException e) {
          assertFalse(ws.writeTimedOut(), "the server stopped reading pings but kept the connection");
          dropped = true;
          break;
        }
        sent += FLOOD_BATCH;
      }
      assertTrue(dropped, "still connected after " + sent + " pings never read");
      int code = closeCodeIfAny(ws);
      assertTrue(code == RawWebSocket.NO_CLOSE_FRAME || code == 1008, "close " + code + ", expected 1008 or none");
    }
    assertGrowth(target, before, target.memory().retained(), "retained after a ping flood");
  }

  private static void slowReader(Target target) throws Exception {
    Assumptions.assumeTrue(target.push() != null, "no way to make this server send data was given");
    try (RawWebSocket reader = target.connectNonReader()) {
      Burst burst = target.push().to(reader);
      boolean dropped = false;
      long bursts = 0;
      long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(PUSH_TIMEOUT_MILLIS);
      while (!dropped && System.nanoTime() < deadline) {
        burst.send();
        bursts++;
        dropped = reader.isDropped();
      }
      assertFalse(reader.writeTimedOut(), "the server stopped reading from a client it kept");
      assertTrue(dropped, "a client that never reads was still connected after " + bursts + " bursts in " + PUSH_TIMEOUT_MILLIS + " ms");
    }
  }

  /** The close code among what the server sent before it dropped the connection; a frame cut short counts as none. */
  private static int closeCodeIfAny(RawWebSocket ws) {
    try {
      return ws.awaitClose();
    } catch (IOException e) {
      return RawWebSocket.NO_CLOSE_FRAME;
    }
  }

  private static void assertGrowth(Target target, long before, long after, String what) {
    if (before < 0 || after < 0) {
      return; // not measurable for this target
    }
    long growth = after - before;
    assertTrue(growth < MEMORY_BOUND, what + ": " + growth / 1024 + " KiB, bound " + MEMORY_BOUND / 1024 + " KiB");
  }

  // ---- payloads

  /** A text message of {@code length} bytes in fragments of at most maxFrame bytes, and at least two. */
  private static void fragments(RawWebSocket ws, Target target, long length) throws IOException {
    int fragment = (int) Math.min(target.limits().maxFrame(), Math.max(1, (length + 3) / 4));
    long sent = 0;
    boolean first = true;
    while (sent < length) {
      int size = (int) Math.min(fragment, length - sent);
      sent += size;
      try {
        ws.frame(sent == length, 0, first ? TEXT : CONTINUATION, filler(size));
      } catch (IOException e) {
        return; // closed while fragments were still coming: the close is read next
      }
      first = false;
    }
  }

  private static byte[] filler(int length) {
    byte[] bytes = new byte[length];
    Arrays.fill(bytes, (byte) 'a');
    return bytes;
  }

  private static byte[] payload(int length) {
    byte[] bytes = new byte[length];
    for (int i = 0; i < length; i++) {
      bytes[i] = (byte) ('0' + i % 10);
    }
    return bytes;
  }

  private static byte[] ascii(String text) {
    return text.getBytes(StandardCharsets.US_ASCII);
  }

  private static byte[] bytes(int... values) {
    byte[] bytes = new byte[values.length];
    for (int i = 0; i < values.length; i++) {
      bytes[i] = (byte) values[i];
    }
    return bytes;
  }

  /** A base64 key of {@code length} bytes. */
  private static String key(int length) {
    byte[] nonce = new byte[length];
    Arrays.fill(nonce, (byte) 7);
    return Base64.getEncoder().encodeToString(nonce);
  }

  private static String join(Set<Integer> values) {
    return values.stream().map(String::valueOf).collect(Collectors.joining(" or "));
  }
}
