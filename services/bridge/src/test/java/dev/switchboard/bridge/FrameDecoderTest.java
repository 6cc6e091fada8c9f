package dev.switchboard.bridge;

import com.sun.management.ThreadMXBean;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The frame decoder without sockets: every split, every bad length, every bad payload. */
class FrameDecoderTest {

  private static final int MAX = 1024;

  /** What a decoder produced: frames as JSON text, refusals as {@code !code}. */
  private final List<String> out = new ArrayList<>();
  private final FrameDecoder decoder = new FrameDecoder(MAX, new FrameDecoder.Sink() {
    @Override
    public void frame(JsonObject frame) {
      out.add(frame.encode());
    }

    @Override
    public void refused(FrameException problem) {
      out.add("!" + problem.code().wireName());
    }
  });

  static byte[] frame(String payload) {
    return frame(payload.getBytes(StandardCharsets.UTF_8));
  }

  static byte[] frame(byte[] payload) {
    return ByteBuffer.allocate(4 + payload.length).putInt(payload.length).put(payload).array();
  }

  static byte[] concat(byte[]... parts) {
    ByteBuffer all = ByteBuffer.allocate(java.util.Arrays.stream(parts).mapToInt(p -> p.length).sum());
    for (byte[] part : parts) {
      all.put(part);
    }
    return all.array();
  }

  private void feed(byte[] bytes) {
    decoder.handle(Buffer.buffer(bytes));
  }

  @Test
  void framesAfterAPauseWaitForResumeWhateverTheSplit() {
    byte[] stream = concat(frame("{\"n\":1}"), frame("{\"n\":2}"), frame("{\"n\":3}"));
    List<String> expected = List.of("{\"n\":1}", "{\"n\":2}", "{\"n\":3}");
    for (int cut = 0; cut <= stream.length; cut++) {
      List<String> frames = new ArrayList<>();
      FrameDecoder[] holder = new FrameDecoder[1];
      FrameDecoder paused = new FrameDecoder(MAX, new FrameDecoder.Sink() {
        @Override
        public void frame(JsonObject frame) {
          frames.add(frame.encode());
          if (frame.getInteger("n") == 1) {
            holder[0].pause(); // as the bridge does while it checks a token
          }
        }

        @Override
        public void refused(FrameException problem) {
          frames.add("!" + problem.code().wireName());
        }
      });
      holder[0] = paused;
      paused.handle(Buffer.buffer(stream).slice(0, cut));
      paused.handle(Buffer.buffer(stream).slice(cut, stream.length));
      assertEquals(expected.subList(0, 1), frames, "cut at " + cut);
      assertEquals(stream.length - frame("{\"n\":1}").length, paused.buffered(), "cut at " + cut);
      paused.resume();
      assertEquals(expected, frames, "cut at " + cut);
      assertEquals(0, paused.buffered());
    }
  }

  @Test
  void aResumeWithinTheFrameThatPausedGoesOnAtOnce() {
    List<String> frames = new ArrayList<>();
    FrameDecoder[] holder = new FrameDecoder[1];
    holder[0] = new FrameDecoder(MAX, new FrameDecoder.Sink() {
      @Override
      public void frame(JsonObject frame) {
        frames.add(frame.encode());
        holder[0].pause();
        holder[0].resume(); // a token checked at once
      }

      @Override
      public void refused(FrameException problem) {
        frames.add("!" + problem.code().wireName());
      }
    });
    holder[0].handle(Buffer.buffer(concat(frame("{\"n\":1}"), frame("{\"n\":2}"))));
    assertEquals(List.of("{\"n\":1}", "{\"n\":2}"), frames);
    assertEquals(0, holder[0].buffered());
  }

  @Test
  void everySplitOfAStreamGivesTheSameFrames() {
    byte[] stream = concat(frame("{\"type\":\"ping\"}"), frame("{\"type\":\"send\",\"address\":\"a\",\"body\":\"é✓😀\"}"), frame("{}"));
    List<String> expected = List.of("{\"type\":\"ping\"}", "{\"type\":\"send\",\"address\":\"a\",\"body\":\"é✓😀\"}", "{}");
    for (int first = 0; first <= stream.length; first++) {
      for (int second = first; second <= stream.length; second += 3) {
        List<String> frames = new ArrayList<>();
        FrameDecoder split = new FrameDecoder(MAX, collector(frames));
        split.handle(Buffer.buffer(stream).slice(0, first));
        split.handle(Buffer.buffer(stream).slice(first, second));
        split.handle(Buffer.buffer(stream).slice(second, stream.length));
        assertEquals(expected, frames, "split at " + first + " and " + second);
        assertEquals(0, split.buffered());
      }
    }
    for (byte b : stream) {
      feed(new byte[] {b});
    }
    assertEquals(expected, out, "one byte at a time");
  }

  @ParameterizedTest
  @ValueSource(ints = {0, -1, -1024, Integer.MIN_VALUE})
  void zeroAndNegativeLengthsAreFatal(int length) {
    feed(concat(ByteBuffer.allocate(4).putInt(length).array(), frame("{}")));
    assertEquals(List.of("!invalid_length"), out);
  }

  @ParameterizedTest
  @ValueSource(ints = {MAX + 1, 65_536, Integer.MAX_VALUE})
  void lengthsOverTheLimitAreFatalBeforeAnyPayload(int length) {
    feed(ByteBuffer.allocate(4).putInt(length).array());
    assertEquals(List.of("!frame_too_large"), out, "refused on the prefix alone");
    feed(frame("{}"));
    assertEquals(List.of("!frame_too_large"), out, "nothing is decoded after a fatal error");
    assertEquals(0, decoder.buffered());
  }

  @Test
  void aTwoGigabytePrefixAllocatesNothing() {
    ThreadMXBean threads = (ThreadMXBean) ManagementFactory.getThreadMXBean();
    byte[] prefix = ByteBuffer.allocate(4).putInt(Integer.MAX_VALUE).array();
    for (int i = 0; i < 100; i++) {
      // warm up: class loading and the first error message allocate on their own
      new FrameDecoder(MAX, collector(new ArrayList<>())).handle(Buffer.buffer(prefix));
    }
    long before = threads.getCurrentThreadAllocatedBytes();
    feed(prefix);
    long allocated = threads.getCurrentThreadAllocatedBytes() - before;
    assertEquals(List.of("!frame_too_large"), out);
    assertTrue(allocated < 16 * 1024, "allocated " + allocated + " bytes for a 2 GiB prefix");
  }

  @Test
  void anIncompleteFrameHoldsOnlyWhatArrived() {
    byte[] whole = frame("{\"type\":\"publish\",\"address\":\"a\",\"body\":\"" + "x".repeat(900) + "\"}");
    feed(java.util.Arrays.copyOf(whole, 4 + 100));
    assertEquals(100, decoder.buffered());
    assertEquals(List.of(), out);
    feed(java.util.Arrays.copyOfRange(whole, 104, whole.length));
    assertEquals(1, out.size());
    assertEquals(0, decoder.buffered());
  }

  @Test
  void truncatedPrefixWaitsForTheRest() {
    feed(new byte[] {0, 0});
    assertEquals(List.of(), out);
    feed(new byte[] {0, 2, '{', '}'});
    assertEquals(List.of("{}"), out);
  }

  @Test
  void invalidUtf8IsRefusedAndDecodingGoesOn() {
    byte[][] invalid = {
      {'"', (byte) 0xC3, (byte) 0x28, '"'},            // bad continuation
      {'"', (byte) 0xC0, (byte) 0xAF, '"'},            // overlong '/'
      {'"', (byte) 0xED, (byte) 0xA0, (byte) 0x80, '"'}, // lone surrogate
      {'"', (byte) 0xF8, (byte) 0x88, (byte) 0x80, (byte) 0x80, (byte) 0x80, '"'}, // 5-byte form
      {'"', (byte) 0xE2, (byte) 0x82, '"'},            // truncated sequence
    };
    for (byte[] payload : invalid) {
      feed(frame(payload));
    }
    feed(frame("{\"ok\":1}"));
    assertEquals(List.of("!invalid_utf8", "!invalid_utf8", "!invalid_utf8", "!invalid_utf8", "!invalid_utf8", "{\"ok\":1}"), out);
  }

  @Test
  void invalidJsonIsRefusedAndDecodingGoesOn() {
    for (String payload : List.of(" ", "{", "{}}", "nul", "{} x", "{\"a\":}", "{'a':1}", "[".repeat(1020), "{\"a\":NaN}")) {
      feed(frame(payload));
    }
    feed(frame("{\"ok\":2}"));
    assertEquals(9, out.stream().filter("!invalid_json"::equals).count(), out::toString);
    assertEquals("{\"ok\":2}", out.get(out.size() - 1));
  }

  @Test
  void jsonThatIsNotAnObjectIsAnInvalidFrame() {
    for (String payload : List.of("[]", "\"text\"", "1", "null", "true")) {
      feed(frame(payload));
    }
    assertEquals(List.of("!invalid_frame", "!invalid_frame", "!invalid_frame", "!invalid_frame", "!invalid_frame"), out);
  }

  private static FrameDecoder.Sink collector(List<String> frames) {
    return new FrameDecoder.Sink() {
      @Override
      public void frame(JsonObject frame) {
        frames.add(frame.encode());
      }

      @Override
      public void refused(FrameException problem) {
        frames.add("!" + problem.code().wireName());
      }
    };
  }
}
