package dev.switchboard.bridge;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Field checks of client frames: each problem named by its code, with the frame's id and address. */
class ClientFrameTest {

  private static FrameException refused(String json) {
    return assertThrows(FrameException.class, () -> ClientFrame.parse(new JsonObject(json)), json);
  }

  private static void assertRefused(String json, ErrorCode code, Object id, String address) {
    FrameException problem = refused(json);
    assertEquals(code, problem.code(), json + ": " + problem.getMessage());
    assertEquals(id, problem.id(), json);
    assertEquals(address, problem.address(), json);
  }

  @Test
  void typeIsRequiredAndKnown() {
    assertRefused("{}", ErrorCode.INVALID_FRAME, null, null);
    assertRefused("{\"type\":5,\"id\":\"x\"}", ErrorCode.INVALID_FRAME, "x", null);
    assertRefused("{\"type\":\"message\",\"address\":\"a\",\"id\":3}", ErrorCode.UNKNOWN_TYPE, 3L, "a");
    assertRefused("{\"type\":\"PING\"}", ErrorCode.UNKNOWN_TYPE, null, null);
  }

  @Test
  void addressIsRequiredWhereItIsUsed() {
    for (String type : new String[] {"send", "publish", "register", "unregister"}) {
      assertRefused("{\"type\":\"" + type + "\",\"id\":1}", ErrorCode.MISSING_ADDRESS, 1L, null);
      assertRefused("{\"type\":\"" + type + "\",\"address\":[]}", ErrorCode.INVALID_ADDRESS, null, null);
      assertRefused("{\"type\":\"" + type + "\",\"address\":\"\"}", ErrorCode.INVALID_ADDRESS, null, "");
      assertEquals(ErrorCode.INVALID_ADDRESS, refused("{\"type\":\"" + type + "\",\"address\":\"" + "a".repeat(257) + "\"}").code());
    }
  }

  @Test
  void idMustBeAShortStringOrAnInteger() {
    assertEquals(ErrorCode.INVALID_FRAME, refused("{\"type\":\"ping\",\"id\":1.5}").code());
    assertEquals(ErrorCode.INVALID_FRAME, refused("{\"type\":\"ping\",\"id\":\"" + "i".repeat(65) + "\"}").code());
    assertEquals(ErrorCode.INVALID_FRAME, refused("{\"type\":\"ping\",\"id\":true}").code());
  }

  @Test
  void headersAreScalarsAndTimeoutIsPositive() throws Exception {
    assertRefused("{\"type\":\"publish\",\"address\":\"a\",\"headers\":[]}", ErrorCode.INVALID_HEADERS, null, "a");
    assertRefused("{\"type\":\"publish\",\"address\":\"a\",\"headers\":{\"x\":null}}", ErrorCode.INVALID_HEADERS, null, "a");
    FrameException request = refused("{\"type\":\"send\",\"address\":\"a\",\"replyAddress\":\"r\",\"headers\":{\"timeout\":0}}");
    assertEquals(ErrorCode.INVALID_HEADERS, request.code());
    assertEquals("r", request.address(), "errors about a request go to its reply address");
    assertEquals("a", request.sourceAddress());
    ClientFrame frame = ClientFrame.parse(new JsonObject("{\"type\":\"send\",\"address\":\"a\",\"headers\":{\"timeout\":\"250\",\"n\":1,\"b\":true,\"localOnly\":true}}"));
    assertEquals(250L, frame.timeout());
    assertEquals(Map.of("n", "1", "b", "true"), frame.headers());
  }

  @Test
  void failureFieldsAndTokenHaveTheirTypes() throws Exception {
    assertEquals(ErrorCode.INVALID_FRAME, refused("{\"type\":\"send\",\"address\":\"a\",\"failureCode\":\"x\"}").code());
    assertEquals(ErrorCode.INVALID_FRAME, refused("{\"type\":\"send\",\"address\":\"a\",\"failureCode\":1,\"message\":{}}").code());
    assertEquals(ErrorCode.INVALID_FRAME, refused("{\"type\":\"auth\"}").code());
    assertEquals(ErrorCode.INVALID_FRAME, refused("{\"type\":\"auth\",\"token\":7}").code());
    ClientFrame failure = ClientFrame.parse(new JsonObject().put("type", "send").put("address", "a").put("failureCode", 7).put("message", "m".repeat(5000)));
    assertEquals(7, failure.failureCode());
    assertEquals(ClientFrame.MAX_FAILURE_MESSAGE_LENGTH, failure.message().length());
    assertNull(failure.replyAddress());
  }
}
