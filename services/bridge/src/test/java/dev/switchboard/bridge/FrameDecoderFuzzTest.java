package dev.switchboard.bridge;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fuzzes the decoder and the frame checks with Jazzer. In the normal test run this replays the
 * inputs under {@code src/test/resources/dev/switchboard/bridge/FrameDecoderFuzzTestInputs}; a
 * fuzzing run is described in the module README. Whatever the bytes and however they are split:
 * nothing but a {@link FrameException} is thrown, an incomplete frame never holds more than the
 * limit, and nothing is decoded after a fatal error.
 */
class FrameDecoderFuzzTest {

  @FuzzTest(maxDuration = "30s")
  void decoderSurvivesAnyInput(FuzzedDataProvider data) {
    int max = data.consumeInt(256, 4096);
    boolean[] fatal = {false};
    FrameDecoder decoder = new FrameDecoder(max, new FrameDecoder.Sink() {
      @Override
      public void frame(JsonObject frame) {
        assertFalse(fatal[0], "a frame decoded after a fatal error");
        try {
          ClientFrame.parse(frame);
        } catch (FrameException refused) {
          assertFalse(refused.code().fatal(), "field checks never close the connection");
        }
      }

      @Override
      public void refused(FrameException problem) {
        assertFalse(fatal[0], "a refusal after a fatal error");
        fatal[0] = problem.code().fatal();
      }
    });
    while (data.remainingBytes() > 0) {
      byte[] chunk = data.consumeBytes(data.consumeInt(1, 512));
      decoder.handle(Buffer.buffer(chunk));
      assertTrue(decoder.buffered() <= max, "held " + decoder.buffered() + " bytes with a limit of " + max);
    }
  }
}
