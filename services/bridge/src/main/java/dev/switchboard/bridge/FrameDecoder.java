package dev.switchboard.bridge;

import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Cuts a byte stream into frames: a 4-byte big-endian length, then that many bytes of UTF-8 JSON
 * holding an object.
 * <p>
 * The length is checked as soon as its 4 bytes are in, before any of the payload is kept, and a
 * payload is only ever held as far as it has arrived: memory per connection is bounded by
 * {@code maxFrameSize} whatever a client announces. A bad length is fatal (the stream cannot be
 * resynchronised) and stops the decoder; a payload that is not UTF-8, not JSON or not an object is
 * reported and decoding goes on with the next frame.
 * <p>
 * A sink may {@link #pause()} the decoder from within {@link Sink#frame}: the rest of the chunk
 * being decoded is kept, unread, until {@link #resume()}. The caller pauses its source as well, so
 * what is kept is bounded by one chunk.
 */
public final class FrameDecoder implements Handler<Buffer> {

  /** Bytes of the length prefix. */
  public static final int PREFIX_LENGTH = 4;

  /** Where decoded frames and refused ones go. */
  public interface Sink {

    /** A frame whose payload is a JSON object. */
    void frame(JsonObject frame);

    /** A refused frame; after a fatal code the decoder has stopped. */
    void refused(FrameException problem);
  }

  private final int maxFrameSize;
  private final Sink sink;
  private final CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
    .onMalformedInput(CodingErrorAction.REPORT)
    .onUnmappableCharacter(CodingErrorAction.REPORT);

  private int prefixRead;
  private int length;
  private Buffer payload;
  private boolean stopped;
  private boolean paused;
  private boolean decoding;
  /** Input not decoded yet because the decoder was paused. */
  private Buffer held;

  public FrameDecoder(int maxFrameSize, Sink sink) {
    if (maxFrameSize < 1) {
      throw new IllegalArgumentException("maxFrameSize must be at least 1");
    }
    this.maxFrameSize = maxFrameSize;
    this.sink = sink;
  }

  /** Ignores all further input; frames not yet complete are dropped. */
  public void stop() {
    stopped = true;
    payload = null;
    held = null;
  }

  /** Delivers no more frames until {@link #resume()}; input that arrives meanwhile is kept. */
  public void pause() {
    paused = true;
  }

  /** Whether the decoder is paused. */
  public boolean paused() {
    return paused;
  }

  /** Delivers the frames kept while paused, then goes on with new input. */
  public void resume() {
    paused = false;
    if (!decoding && held != null) {
      Buffer rest = held;
      held = null;
      handle(rest);
    }
  }

  /** Bytes of an incomplete frame held now, and of input kept while paused (for tests of the memory bound). */
  public int buffered() {
    return (payload == null ? 0 : payload.length()) + (held == null ? 0 : held.length());
  }

  @Override
  public void handle(Buffer chunk) {
    if (stopped) {
      return;
    }
    if (paused || held != null) {
      held = held == null ? chunk.copy() : held.appendBuffer(chunk);
      return;
    }
    decoding = true;
    try {
      decode(chunk);
    } finally {
      decoding = false;
    }
  }

  private void decode(Buffer chunk) {
    int position = 0;
    int end = chunk.length();
    while (position < end && !stopped) {
      if (paused) {
        held = chunk.getBuffer(position, end);
        return;
      }
      if (payload == null) {
        if (prefixRead == 0 && end - position >= PREFIX_LENGTH) {
          length = chunk.getInt(position);
          position += PREFIX_LENGTH;
          prefixRead = PREFIX_LENGTH;
        } else {
          length = (length << 8) | (chunk.getByte(position++) & 0xff);
          prefixRead++;
        }
        if (prefixRead < PREFIX_LENGTH) {
          continue;
        }
        prefixRead = 0;
        if (!lengthAccepted()) {
          return;
        }
        if (end - position >= length) {
          Buffer whole = chunk.slice(position, position + length);
          position += length;
          length = 0;
          decodePayload(whole);
          continue;
        }
        payload = Buffer.buffer(Math.min(length, 64 * 1024));
      }
      int take = Math.min(length - payload.length(), end - position);
      payload.appendBuffer(chunk, position, take);
      position += take;
      if (payload.length() == length) {
        Buffer whole = payload;
        payload = null;
        length = 0;
        decodePayload(whole);
      }
    }
  }

  private boolean lengthAccepted() {
    if (length <= 0) {
      fail(new FrameException(ErrorCode.INVALID_LENGTH, "frame length " + length + " is not from 1 to " + maxFrameSize));
      return false;
    }
    if (length > maxFrameSize) {
      fail(new FrameException(ErrorCode.FRAME_TOO_LARGE, "frame length " + length + " exceeds the limit of " + maxFrameSize + " bytes"));
      return false;
    }
    return true;
  }

  private void fail(FrameException problem) {
    stop();
    sink.refused(problem);
  }

  private void decodePayload(Buffer bytes) {
    String text;
    try {
      text = utf8.decode(ByteBuffer.wrap(bytes.getBytes())).toString();
    } catch (CharacterCodingException e) {
      sink.refused(new FrameException(ErrorCode.INVALID_UTF8, "frame payload is not valid UTF-8"));
      return;
    }
    Object value;
    try {
      value = Json.decodeValue(text);
    } catch (DecodeException e) {
      sink.refused(new FrameException(ErrorCode.INVALID_JSON, "frame payload is not JSON: " + firstLine(e.getMessage())));
      return;
    }
    if (value instanceof JsonObject object) {
      sink.frame(object);
    } else {
      sink.refused(new FrameException(ErrorCode.INVALID_FRAME, "frame payload must be a JSON object"));
    }
  }

  /** Jackson's messages quote the input at length; the first line says what is wrong. */
  private static String firstLine(String message) {
    if (message == null) {
      return "unreadable";
    }
    int newline = message.indexOf('\n');
    String line = newline < 0 ? message : message.substring(0, newline);
    return line.length() > 200 ? line.substring(0, 200) : line;
  }
}
