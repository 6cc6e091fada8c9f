package dev.switchboard.chat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.vertx.core.buffer.Buffer;

/**
 * Whole unmasked WebSocket frames (RFC 6455 section 5.2: FIN, opcode, length, payload), made once
 * and copied into any number of connections' outbound bytes; released by the caller. A server's
 * frames are never masked, so the bytes are the same for every receiver. Free of sockets.
 */
final class ChatFrames {

  /** The first byte's bit that marks a frame compressed with permessage-deflate (RSV1). */
  static final int RSV1 = 0x40;

  private ChatFrames() {
  }

  /** Bytes of a whole frame made here before its payload: 2, 4 or 10 by the length's form. */
  static int headerLength(ByteBuf frame) {
    int length = frame.getByte(frame.readerIndex() + 1) & 0x7F;
    return length < 126 ? 2 : length == 126 ? 4 : 10;
  }

  /** A whole text frame (FIN, opcode 1) carrying {@code text}. */
  static ByteBuf frame(String text) {
    int length = ByteBufUtil.utf8Bytes(text);
    ByteBuf frame = header(0x81, length);
    ByteBufUtil.reserveAndWriteUtf8(frame, text, length);
    return frame;
  }

  /** The same for a whole binary frame (FIN, opcode 2) carrying {@code payload}. */
  static ByteBuf binaryFrame(Buffer payload) {
    ByteBuf frame = header(0x82, payload.length());
    frame.writeBytes(payload.getBytes());
    return frame;
  }

  /** A buffer with room for the frame, its header written: first byte, then the length in its shortest form. */
  static ByteBuf header(int first, int length) {
    int header = length < 126 ? 2 : length <= 0xFFFF ? 4 : 10;
    ByteBuf frame = ByteBufAllocator.DEFAULT.buffer(header + length);
    frame.writeByte(first);
    if (length < 126) {
      frame.writeByte(length);
    } else if (length <= 0xFFFF) {
      frame.writeByte(126).writeShort(length);
    } else {
      frame.writeByte(127).writeLong(length);
    }
    return frame;
  }
}
