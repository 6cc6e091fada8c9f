package dev.switchboard.shared.testkit;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.Inflater;

/**
 * A WebSocket client on a plain socket, for what a well-behaved client library refuses to do:
 * handshakes and frames that break RFC 6455, compressed frames nobody negotiated, and never
 * reading. Blocking, for one test thread; every read is bounded by {@link #READ_TIMEOUT_MILLIS}
 * and every write by {@link #WRITE_TIMEOUT_MILLIS} (the socket is closed when a write would block
 * longer, so a server that stops reading cannot hang a test).
 */
public final class RawWebSocket implements AutoCloseable {

  public static final int CONTINUATION = 0x0;
  public static final int TEXT = 0x1;
  public static final int BINARY = 0x2;
  public static final int CLOSE = 0x8;
  public static final int PING = 0x9;
  public static final int PONG = 0xA;
  /** Reserved bits as {@link #frame}'s {@code rsv} argument takes them (RSV1 is permessage-deflate's). */
  public static final int RSV1 = 4;
  public static final int RSV2 = 2;
  public static final int RSV3 = 1;

  /** What {@link #awaitClose()} returns when the TCP connection ended without a close frame. */
  public static final int NO_CLOSE_FRAME = -1;
  /** The close code a close frame without a body stands for (RFC 6455 section 7.1.5). */
  public static final int NO_STATUS = 1005;

  public static final int CONNECT_TIMEOUT_MILLIS = 5_000;
  public static final int READ_TIMEOUT_MILLIS = 10_000;
  public static final long WRITE_TIMEOUT_MILLIS = 10_000;
  /** Longest frame {@link #read} accepts from a server. */
  public static final int MAX_READ_FRAME = 16 * 1024 * 1024;
  private static final int MAX_HEAD = 64 * 1024;
  private static final String ACCEPT_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

  private static final ScheduledExecutorService WATCHDOG = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread thread = new Thread(r, "raw-websocket-write-watchdog");
    thread.setDaemon(true);
    return thread;
  });

  /** A frame read from the server. */
  public record Frame(boolean fin, int rsv, int opcode, byte[] payload) {

    /** The close code of a close frame, {@link #NO_STATUS} for one without a body. */
    public int closeCode() {
      return payload.length >= 2 ? ((payload[0] & 0xff) << 8) | (payload[1] & 0xff) : NO_STATUS;
    }

    public String text() {
      return new String(payload, StandardCharsets.UTF_8);
    }
  }

  /** An HTTP response head (and its body when it has a {@code Content-Length}). */
  public record Response(int status, Map<String, List<String>> headers, String body) {

    /** The first value of a header, by its name in any case; null if absent. */
    public String header(String name) {
      List<String> values = headers.get(name.toLowerCase(Locale.ROOT));
      return values == null || values.isEmpty() ? null : values.get(0);
    }
  }

  /**
   * An opening handshake to send, valid by default (RFC 6455 section 4.1) and changed header by
   * header into the invalid ones a test needs.
   */
  public static final class Request {
    private String method = "GET";
    private final String path;
    private String version = "HTTP/1.1";
    private final List<String[]> headers = new ArrayList<>();

    private Request(String path) {
      this.path = path;
    }

    /** A valid upgrade request for {@code path} on {@code host:port}, with a fresh key. */
    public static Request upgrade(String host, int port, String path) {
      byte[] nonce = new byte[16];
      ThreadLocalRandom.current().nextBytes(nonce);
      return new Request(path)
        .set("Host", host + ":" + port)
        .set("Upgrade", "websocket")
        .set("Connection", "Upgrade")
        .set("Sec-WebSocket-Key", Base64.getEncoder().encodeToString(nonce))
        .set("Sec-WebSocket-Version", "13");
    }

    public Request method(String method) {
      this.method = method;
      return this;
    }

    public Request httpVersion(String version) {
      this.version = version;
      return this;
    }

    /** Replaces every value of header {@code name} with {@code value}. */
    public Request set(String name, String value) {
      without(name);
      headers.add(new String[] {name, value});
      return this;
    }

    /** Adds one more value of {@code name}, keeping those there. */
    public Request add(String name, String value) {
      headers.add(new String[] {name, value});
      return this;
    }

    public Request without(String name) {
      headers.removeIf(h -> h[0].equalsIgnoreCase(name));
      return this;
    }

    public Request setAll(Map<String, String> extra) {
      extra.forEach(this::set);
      return this;
    }

    /** The first value of header {@code name}, or null. */
    public String header(String name) {
      return headers.stream().filter(h -> h[0].equalsIgnoreCase(name)).map(h -> h[1]).findFirst().orElse(null);
    }

    public String render() {
      StringBuilder head = new StringBuilder(method).append(' ').append(path).append(' ').append(version).append("\r\n");
      for (String[] header : headers) {
        head.append(header[0]).append(": ").append(header[1]).append("\r\n");
      }
      return head.append("\r\n").toString();
    }
  }

  private final Socket socket;
  private final DataInputStream in;
  private final OutputStream out;
  private Response handshake;
  private volatile boolean writeTimedOut;

  private RawWebSocket(Socket socket) throws IOException {
    this.socket = socket;
    this.in = new DataInputStream(socket.getInputStream());
    this.out = socket.getOutputStream();
  }

  /** A plain TCP connection, nothing sent; {@code receiveBuffer} > 0 shrinks the socket's receive buffer. */
  public static RawWebSocket open(String host, int port, int receiveBuffer) throws IOException {
    Socket socket = new Socket();
    if (receiveBuffer > 0) {
      socket.setReceiveBufferSize(receiveBuffer);
    }
    socket.connect(new InetSocketAddress(host, port), CONNECT_TIMEOUT_MILLIS);
    socket.setSoTimeout(READ_TIMEOUT_MILLIS);
    socket.setTcpNoDelay(true);
    return new RawWebSocket(socket);
  }

  /** Connects and completes a valid opening handshake for {@code path}. */
  public static RawWebSocket connect(String host, int port, String path) throws IOException {
    return connect(host, port, Request.upgrade(host, port, path), 0);
  }

  /**
   * Connects and sends {@code request}; a server answer other than 101 is an {@link IOException}
   * naming it. {@code receiveBuffer} > 0 shrinks the socket's receive buffer (for a client that
   * will not read).
   */
  public static RawWebSocket connect(String host, int port, Request request, int receiveBuffer) throws IOException {
    RawWebSocket ws = open(host, port, receiveBuffer);
    try {
      ws.handshake = ws.exchange(request);
    } catch (IOException e) {
      ws.close();
      throw e;
    }
    if (ws.handshake.status() != 101) {
      ws.close();
      throw new IOException("handshake refused: " + ws.handshake.status() + " " + ws.handshake.body());
    }
    return ws;
  }

  /** Sends {@code request} on a new connection and returns the server's answer (for handshakes that must be refused). */
  public static Response exchange(String host, int port, Request request) throws IOException {
    try (RawWebSocket raw = open(host, port, 0)) {
      return raw.exchange(request);
    }
  }

  /** The server's answer to the opening handshake. */
  public Response handshake() {
    return handshake;
  }

  /** The {@code Sec-WebSocket-Accept} a server must answer to {@code key} (RFC 6455 section 4.2.2). */
  public static String acceptFor(String key) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-1").digest((key + ACCEPT_GUID).getBytes(StandardCharsets.US_ASCII));
      return Base64.getEncoder().encodeToString(digest);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private Response exchange(Request request) throws IOException {
    write(request.render().getBytes(StandardCharsets.US_ASCII));
    String head = readHead();
    String[] lines = head.split("\r\n");
    String[] statusLine = lines[0].split(" ", 3);
    if (statusLine.length < 2 || !statusLine[0].startsWith("HTTP/")) {
      throw new IOException("not an HTTP response: " + lines[0]);
    }
    Map<String, List<String>> headers = new TreeMap<>();
    for (int i = 1; i < lines.length; i++) {
      int colon = lines[i].indexOf(':');
      if (colon > 0) {
        headers.computeIfAbsent(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT), k -> new ArrayList<>())
          .add(lines[i].substring(colon + 1).trim());
      }
    }
    int status = Integer.parseInt(statusLine[1]);
    String body = "";
    List<String> length = headers.get("content-length");
    if (status != 101 && length != null) {
      byte[] bytes = new byte[Math.min(Integer.parseInt(length.get(0)), MAX_HEAD)];
      in.readFully(bytes);
      body = new String(bytes, StandardCharsets.UTF_8);
    }
    return new Response(status, Collections.unmodifiableMap(headers), body);
  }

  private String readHead() throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int matched = 0;
    while (matched < 4) {
      int b = in.read();
      if (b < 0) {
        throw new EOFException("connection closed during the handshake after: " + head);
      }
      head.write(b);
      if (head.size() > MAX_HEAD) {
        throw new IOException("response head longer than " + MAX_HEAD + " bytes");
      }
      matched = (b == '\r' && (matched == 0 || matched == 2)) || (b == '\n' && (matched == 1 || matched == 3)) ? matched + 1 : (b == '\r' ? 1 : 0);
    }
    return head.toString(StandardCharsets.ISO_8859_1);
  }

  // ---- sending

  /** Writes one masked frame with any bits: {@code rsv} is 0-7 ({@link #RSV1} | ...), {@code opcode} 0-15. */
  public void frame(boolean fin, int rsv, int opcode, byte[] payload) throws IOException {
    write(encode(fin, rsv, opcode, payload, true));
  }

  /** Writes one frame without a mask, which a client must never do. */
  public void unmasked(int opcode, byte[] payload) throws IOException {
    write(encode(true, 0, opcode, payload, false));
  }

  /**
   * Writes only the header of a masked frame declaring {@code length} payload bytes (masked with a
   * zero key, so whatever {@link #raw} sends next is the payload as is).
   */
  public void header(boolean fin, int rsv, int opcode, long length) throws IOException {
    ByteArrayOutputStream frame = new ByteArrayOutputStream();
    frame.write((fin ? 0x80 : 0) | (rsv << 4) | opcode);
    writeLength(frame, length, true);
    frame.writeBytes(new byte[4]);
    write(frame.toByteArray());
  }

  /** Writes {@code bytes} as they are. */
  public void raw(byte[] bytes) throws IOException {
    write(bytes);
  }

  public void text(String text) throws IOException {
    frame(true, 0, TEXT, text.getBytes(StandardCharsets.UTF_8));
  }

  public void ping(byte[] payload) throws IOException {
    frame(true, 0, PING, payload);
  }

  public void pong(byte[] payload) throws IOException {
    frame(true, 0, PONG, payload);
  }

  public void close(int code) throws IOException {
    frame(true, 0, CLOSE, closePayload(code));
  }

  /** A masked frame as bytes, for tests that send many in one write. */
  public static byte[] encode(boolean fin, int rsv, int opcode, byte[] payload, boolean masked) {
    ByteArrayOutputStream frame = new ByteArrayOutputStream(payload.length + 14);
    frame.write((fin ? 0x80 : 0) | (rsv << 4) | opcode);
    writeLength(frame, payload.length, masked);
    if (!masked) {
      frame.writeBytes(payload);
      return frame.toByteArray();
    }
    byte[] mask = new byte[4];
    ThreadLocalRandom.current().nextBytes(mask);
    frame.writeBytes(mask);
    byte[] masking = new byte[payload.length];
    for (int i = 0; i < payload.length; i++) {
      masking[i] = (byte) (payload[i] ^ mask[i & 3]);
    }
    frame.writeBytes(masking);
    return frame.toByteArray();
  }

  private static void writeLength(ByteArrayOutputStream frame, long length, boolean masked) {
    int mask = masked ? 0x80 : 0;
    if (length < 126) {
      frame.write(mask | (int) length);
    } else if (length < 65536) {
      frame.write(mask | 126);
      frame.write((int) (length >> 8) & 0xff);
      frame.write((int) length & 0xff);
    } else {
      frame.write(mask | 127);
      for (int shift = 56; shift >= 0; shift -= 8) {
        frame.write((int) (length >> shift) & 0xff);
      }
    }
  }

  public static byte[] closePayload(int code) {
    return new byte[] {(byte) (code >> 8), (byte) code};
  }

  public static byte[] closePayload(int code, byte[] reason) {
    byte[] payload = new byte[2 + reason.length];
    payload[0] = (byte) (code >> 8);
    payload[1] = (byte) code;
    System.arraycopy(reason, 0, payload, 2, reason.length);
    return payload;
  }

  /**
   * {@code data} compressed as a permessage-deflate frame carries it (RFC 7692 section 7.2.1: raw
   * deflate, the final empty block's {@code 00 00 ff ff} taken off).
   */
  public static byte[] deflate(byte[] data) {
    Deflater deflater = new Deflater(Deflater.BEST_COMPRESSION, true);
    deflater.setInput(data);
    return flushDeflate(deflater);
  }

  /**
   * The payload of a compressed message from a server, inflated (the {@code 00 00 ff ff} put back,
   * RFC 7692 section 7.2.2), each message on its own; an {@link IOException} if it is not deflate or
   * inflates past {@link #MAX_READ_FRAME}.
   */
  public static byte[] inflate(byte[] payload) throws IOException {
    Inflater inflater = new Inflater(true);
    try {
      inflater.setInput(ByteBuffer.allocate(payload.length + 4).put(payload).put(new byte[] {0, 0, (byte) 0xff, (byte) 0xff}).flip());
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      byte[] chunk = new byte[64 * 1024];
      while (!inflater.needsInput() && out.size() <= MAX_READ_FRAME) {
        out.write(chunk, 0, inflater.inflate(chunk));
      }
      if (out.size() > MAX_READ_FRAME) {
        throw new IOException("inflates to more than " + MAX_READ_FRAME + " bytes");
      }
      return out.toByteArray();
    } catch (DataFormatException e) {
      throw new IOException("not deflate: " + e.getMessage(), e);
    } finally {
      inflater.end();
    }
  }

  /** {@code count} zero bytes compressed as {@link #deflate} would, without ever holding them: a deflate bomb. */
  public static byte[] deflateZeros(long count) {
    Deflater deflater = new Deflater(Deflater.BEST_COMPRESSION, true);
    ByteArrayOutputStream compressed = new ByteArrayOutputStream();
    byte[] zeros = new byte[64 * 1024];
    byte[] chunk = new byte[64 * 1024];
    for (long left = count; left > 0; left -= zeros.length) {
      deflater.setInput(zeros, 0, (int) Math.min(zeros.length, left));
      while (!deflater.needsInput()) {
        compressed.write(chunk, 0, deflater.deflate(chunk, 0, chunk.length, Deflater.NO_FLUSH));
      }
    }
    compressed.writeBytes(flushDeflate(deflater));
    return compressed.toByteArray();
  }

  private static byte[] flushDeflate(Deflater deflater) {
    ByteArrayOutputStream compressed = new ByteArrayOutputStream();
    byte[] chunk = new byte[64 * 1024];
    int n;
    while ((n = deflater.deflate(chunk, 0, chunk.length, Deflater.SYNC_FLUSH)) > 0) {
      compressed.write(chunk, 0, n);
      if (n < chunk.length) {
        break;
      }
    }
    deflater.end();
    byte[] bytes = compressed.toByteArray();
    int end = bytes.length;
    if (end >= 4 && bytes[end - 4] == 0 && bytes[end - 3] == 0 && bytes[end - 2] == (byte) 0xff && bytes[end - 1] == (byte) 0xff) {
      end -= 4;
    }
    return Arrays.copyOf(bytes, end);
  }

  /**
   * Writes, giving up (the socket closed, an {@link IOException} thrown) when the write has not
   * finished within {@link #WRITE_TIMEOUT_MILLIS}: a server that stops reading fills the socket.
   */
  private void write(byte[] bytes) throws IOException {
    ScheduledFuture<?> watchdog = WATCHDOG.schedule(() -> {
      writeTimedOut = true;
      try {
        socket.close();
      } catch (IOException e) {
        // closing is all it can do
      }
    }, WRITE_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
    try {
      out.write(bytes);
      out.flush();
    } finally {
      watchdog.cancel(false);
    }
  }

  /** True once a write has been given up on because the server stopped taking bytes without closing. */
  public boolean writeTimedOut() {
    return writeTimedOut;
  }

  /**
   * Whether the server has dropped the connection, found without reading: a pong (which a server
   * ignores) is sent, and a connection the server closed refuses it, at the latest on the next call
   * (the first write after a close only brings the reset back).
   */
  public boolean isDropped() {
    try {
      write(encode(true, 0, PONG, new byte[0], true));
      return false;
    } catch (IOException e) {
      return !writeTimedOut;
    }
  }

  // ---- reading

  /** The next frame, or null when the server closed the TCP connection (or reset it). */
  public Frame read() throws IOException {
    int b0;
    try {
      b0 = in.read();
    } catch (SocketTimeoutException e) {
      throw new IOException("no frame within " + READ_TIMEOUT_MILLIS + " ms", e);
    } catch (SocketException e) {
      return null; // reset
    }
    if (b0 < 0) {
      return null;
    }
    try {
      int b1 = in.readUnsignedByte();
      long length = b1 & 0x7f;
      if (length == 126) {
        length = in.readUnsignedShort();
      } else if (length == 127) {
        length = in.readLong();
      }
      if (length < 0 || length > MAX_READ_FRAME) {
        throw new IOException("frame length from the server out of bounds: " + length);
      }
      if ((b1 & 0x80) != 0) {
        throw new IOException("the server masked a frame (RFC 6455 section 5.1 forbids it)");
      }
      byte[] payload = new byte[(int) length];
      in.readFully(payload);
      return new Frame((b0 & 0x80) != 0, (b0 >> 4) & 0x7, b0 & 0x0f, payload);
    } catch (EOFException | SocketException e) {
      throw new IOException("connection ended inside a frame", e);
    }
  }

  /**
   * Reads until the server's close frame and returns its code ({@link #NO_STATUS} for one without
   * a body); {@link #NO_CLOSE_FRAME} if the TCP connection ended without one.
   */
  public int awaitClose() throws IOException {
    while (true) {
      Frame frame = read();
      if (frame == null) {
        return NO_CLOSE_FRAME;
      }
      if (frame.opcode() == CLOSE) {
        return frame.closeCode();
      }
    }
  }

  /** Reads until a frame of {@code opcode} arrives (bounded by the read timeout); an {@link EOFException} if the connection ends first. */
  public Frame awaitOpcode(int opcode) throws IOException {
    while (true) {
      Frame frame = read();
      if (frame == null) {
        throw new EOFException("connection ended before a frame with opcode " + opcode);
      }
      if (frame.opcode() == opcode) {
        return frame;
      }
      if (frame.opcode() == CLOSE) {
        throw new EOFException("closed with " + frame.closeCode() + " before a frame with opcode " + opcode);
      }
    }
  }

  /** Sends a ping and reads until the pong with the same payload (other frames, such as the server's own answers, are skipped). */
  public void roundTrip(byte[] payload) throws IOException {
    ping(payload);
    while (true) {
      Frame pong = awaitOpcode(PONG);
      if (Arrays.equals(pong.payload(), payload)) {
        return;
      }
    }
  }

  public InputStream input() {
    return in;
  }

  public Socket socket() {
    return socket;
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
