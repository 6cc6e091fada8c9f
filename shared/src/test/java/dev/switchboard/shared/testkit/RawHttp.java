package dev.switchboard.shared.testkit;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;

/**
 * HTTP/1.1 on a plain socket, for what a client library will not do: stop mid-body, send malformed
 * chunks, wait for {@code 100 Continue}, die with a reset. Blocking; used from the test thread only.
 */
public final class RawHttp implements AutoCloseable {

  /** A response head and, when asked for, its body. */
  public record Response(int status, String head, byte[] body) {

    public String header(String name) {
      for (String line : head.split("\r\n")) {
        int colon = line.indexOf(':');
        if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase(name)) {
          return line.substring(colon + 1).trim();
        }
      }
      return null;
    }

    public String text() {
      return new String(body, StandardCharsets.UTF_8);
    }
  }

  private final Socket socket;
  private final InputStream in;
  private final OutputStream out;

  private RawHttp(Socket socket) throws IOException {
    this.socket = socket;
    this.in = socket.getInputStream();
    this.out = socket.getOutputStream();
  }

  public static RawHttp connect(int port) throws IOException {
    return connect("127.0.0.1", port);
  }

  /** A connection from {@code localAddress} (a loopback address such as 127.0.0.2: another client) to the port. */
  public static RawHttp connect(String localAddress, int port) throws IOException {
    Socket socket = new Socket();
    socket.bind(new InetSocketAddress(localAddress, 0));
    socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
    socket.setSoTimeout(10_000);
    socket.setTcpNoDelay(true);
    return new RawHttp(socket);
  }

  public RawHttp write(String text) throws IOException {
    return write(text.getBytes(StandardCharsets.ISO_8859_1));
  }

  public RawHttp write(byte[] bytes) throws IOException {
    out.write(bytes);
    out.flush();
    return this;
  }

  public RawHttp write(byte[] bytes, int offset, int length) throws IOException {
    out.write(bytes, offset, length);
    out.flush();
    return this;
  }

  /**
   * Writes a body of {@code bytes} zeros in writes of {@code piece} bytes; as chunks of that size,
   * and the last chunk, when {@code chunked}. A write fails if the server resets the connection.
   */
  public RawHttp writeBody(int bytes, int piece, boolean chunked) throws IOException {
    for (int sent = 0; sent < bytes; sent += piece) {
      int size = Math.min(piece, bytes - sent);
      if (chunked) {
        write(Integer.toHexString(size) + "\r\n");
      }
      write(new byte[size]);
      if (chunked) {
        write("\r\n");
      }
    }
    return chunked ? write("0\r\n\r\n") : this;
  }

  /** The next response head alone, its body left unread (a client that stops reading there). */
  public Response readHead() throws IOException {
    String head = readHead0();
    return new Response(Integer.parseInt(head.substring(9, 12)), head, new byte[0]);
  }

  /** The next response head (an interim 1xx included); its body is read when it declares a length. */
  public Response read() throws IOException {
    String head = readHead0();
    int status = Integer.parseInt(head.substring(9, 12));
    Response response = new Response(status, head, new byte[0]);
    String length = response.header("Content-Length");
    if (length != null && status >= 200) {
      return new Response(status, head, in.readNBytes(Integer.parseInt(length)));
    }
    return response;
  }

  /** How the server ended the connection, as the rest of what it sends is read. */
  private enum Ending { FIN, RESET, OPEN }

  /** True when the server closes the connection (EOF or reset) within the socket timeout. */
  public boolean closedByServer() throws IOException {
    return ending() != Ending.OPEN;
  }

  /**
   * True when the server ends the connection with a FIN once everything it was sent was read;
   * false on a reset (the kernel's answer to a close with bytes still unread or arriving).
   */
  public boolean closedCleanly() throws IOException {
    Ending ending = ending();
    if (ending == Ending.OPEN) {
      throw new AssertionError("the server kept the connection open");
    }
    return ending == Ending.FIN;
  }

  /** Reads and drops what the server still sends until it ends the connection or the socket timeout passes. */
  private Ending ending() {
    try {
      while (in.read() >= 0) {
        // dropped
      }
      return Ending.FIN;
    } catch (SocketTimeoutException e) {
      return Ending.OPEN;
    } catch (IOException e) {
      return Ending.RESET;
    }
  }

  public void timeout(int millis) throws IOException {
    socket.setSoTimeout(millis);
  }

  /** Dies as a crashed client does: a TCP reset, nothing flushed. */
  public void abort() throws IOException {
    socket.setSoLinger(true, 0);
    socket.close();
  }

  private String readHead0() throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int matched = 0;
    while (matched < 4) {
      int b = in.read();
      if (b < 0) {
        throw new EOFException("connection closed in a response head: " + head.toString(StandardCharsets.ISO_8859_1));
      }
      head.write(b);
      matched = (b == '\r' && (matched == 0 || matched == 2)) || (b == '\n' && (matched == 1 || matched == 3)) ? matched + 1 : 0;
    }
    return head.toString(StandardCharsets.ISO_8859_1);
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
