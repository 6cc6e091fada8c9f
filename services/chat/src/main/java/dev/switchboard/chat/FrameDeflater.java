package dev.switchboard.chat;

import io.netty.buffer.ByteBuf;

import java.util.zip.Deflater;

/**
 * Compresses whole frames for the connections that negotiated permessage-deflate (RFC 7692
 * section 7.2.1): the payload deflated on its own and flushed, the trailing {@code 00 00 ff ff}
 * taken off, RSV1 set. It never refers to an earlier message, which the RFC allows whatever
 * context takeover was negotiated, so one compressed frame is valid for every such connection: a
 * room's message is compressed once, not once per member, and no connection keeps a deflater.
 * One per verticle instance, used on its event loop only; {@link #close()} when the instance stops.
 */
final class FrameDeflater {

  /** Room for output beyond the payload's length: a compressed form that does not fit is not smaller anyway. */
  static final int SLACK = 16;
  /** What a sync flush ends with, and a permessage-deflate payload without (section 7.2.1). */
  static final int TAIL = 4;

  private final Deflater deflater;
  private final int threshold;
  private boolean closed;

  /** {@code threshold}: payloads shorter than this many bytes are sent as they are. */
  FrameDeflater(int level, int threshold) {
    this.deflater = new Deflater(level, true);
    this.threshold = threshold;
  }

  /**
   * The compressed form of {@code frame} (a whole frame of {@link ChatFrames}), or null when its
   * payload is below the threshold or does not get smaller. The caller releases what it gets.
   */
  ByteBuf deflate(ByteBuf frame) {
    int at = frame.readerIndex();
    int header = ChatFrames.headerLength(frame);
    int length = frame.readableBytes() - header;
    if (closed || length < threshold || length == 0) {
      return null;
    }
    byte[] out = new byte[length + SLACK];
    deflater.reset();
    deflater.setInput(frame.nioBuffer(at + header, length));
    int written = deflater.deflate(out, 0, out.length, Deflater.SYNC_FLUSH);
    if (!deflater.needsInput() || written == out.length) {
      return null; // did not fit in length + SLACK: not smaller
    }
    int compressed = written - TAIL;
    if (compressed >= length) {
      return null;
    }
    ByteBuf deflated = ChatFrames.header((frame.getByte(at) & 0xFF) | ChatFrames.RSV1, compressed);
    deflated.writeBytes(out, 0, compressed);
    return deflated;
  }

  /** Frees zlib's memory; frames made after this (a connection closing late) go uncompressed. */
  void close() {
    closed = true;
    deflater.end();
  }
}
