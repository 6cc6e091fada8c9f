package dev.switchboard.bridge;

import io.vertx.core.json.JsonObject;

import javax.net.SocketFactory;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A blocking bridge client for tests: writes frames (or any bytes) and reads frames in order,
 * never waiting more than {@link #READ_TIMEOUT_MILLIS} for one.
 */
final class BridgeTestClient implements AutoCloseable {

  static final int READ_TIMEOUT_MILLIS = 10_000;

  private final Socket socket;
  private final DataInputStream in;
  private final OutputStream out;

  private BridgeTestClient(Socket socket) throws IOException {
    this.socket = socket;
    socket.setSoTimeout(READ_TIMEOUT_MILLIS);
    socket.setTcpNoDelay(true);
    this.in = new DataInputStream(socket.getInputStream());
    this.out = socket.getOutputStream();
  }

  static BridgeTestClient connect(int port) throws IOException {
    return connect(SocketFactory.getDefault(), port);
  }

  static BridgeTestClient connect(SocketFactory factory, int port) throws IOException {
    return new BridgeTestClient(factory.createSocket("127.0.0.1", port));
  }

  Socket socket() {
    return socket;
  }

  static byte[] frameBytes(JsonObject frame) {
    byte[] json = frame.encode().getBytes(StandardCharsets.UTF_8);
    return ByteBuffer.allocate(4 + json.length).putInt(json.length).put(json).array();
  }

  BridgeTestClient send(JsonObject frame) throws IOException {
    return writeRaw(frameBytes(frame));
  }

  BridgeTestClient writeRaw(byte[] bytes) throws IOException {
    out.write(bytes);
    out.flush();
    return this;
  }

  /** The next frame; fails on timeout or when the bridge closed the connection. */
  JsonObject read() throws IOException {
    int length = in.readInt();
    byte[] payload = new byte[length];
    in.readFully(payload);
    return new JsonObject(new String(payload, StandardCharsets.UTF_8));
  }

  /** Sends a frame and returns the next frame read. */
  JsonObject call(JsonObject frame) throws IOException {
    send(frame);
    return read();
  }

  /** Reads until the bridge closes the connection; returns the frames it sent before. */
  List<JsonObject> readUntilClosed() throws IOException {
    List<JsonObject> frames = new ArrayList<>();
    while (true) {
      try {
        frames.add(read());
      } catch (EOFException | SocketException closed) {
        return frames;
      } catch (SocketTimeoutException e) {
        throw new AssertionError("the bridge did not close the connection within " + READ_TIMEOUT_MILLIS + " ms; frames so far: " + frames, e);
      }
    }
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
