package dev.switchboard.chat;

import io.netty.buffer.ByteBuf;
import io.vertx.core.buffer.Buffer;

/**
 * One event or message on its way to any number of connections: its frame made once, and
 * compressed at most once, when the first connection that negotiated permessage-deflate takes it
 * (see {@link FrameDeflater}). Used on one event loop; released by whoever made it.
 */
final class Outgoing {

  private final ByteBuf plain;
  /** Null with compression off. */
  private final FrameDeflater deflater;
  private ByteBuf deflated;
  private boolean deflateTried;

  private Outgoing(ByteBuf plain, FrameDeflater deflater) {
    this.plain = plain;
    this.deflater = deflater;
  }

  /** A text frame; {@code deflater} null when compression is off. */
  static Outgoing text(String text, FrameDeflater deflater) {
    return new Outgoing(ChatFrames.frame(text), deflater);
  }

  /** A binary frame; {@code deflater} null when compression is off. */
  static Outgoing binary(Buffer payload, FrameDeflater deflater) {
    return new Outgoing(ChatFrames.binaryFrame(payload), deflater);
  }

  /** The bytes for a connection: compressed when it negotiated the extension and that is smaller. */
  ByteBuf bytes(boolean deflating) {
    if (!deflating || deflater == null) {
      return plain;
    }
    if (!deflateTried) {
      deflateTried = true;
      deflated = deflater.deflate(plain);
    }
    return deflated != null ? deflated : plain;
  }

  void release() {
    plain.release();
    if (deflated != null) {
      deflated.release();
      deflated = null;
    }
  }
}
