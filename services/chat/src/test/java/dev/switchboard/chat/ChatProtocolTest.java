package dev.switchboard.chat;

import dev.switchboard.chat.ChatProtocol.Auth;
import dev.switchboard.chat.ChatProtocol.Join;
import dev.switchboard.chat.ChatProtocol.Leave;
import dev.switchboard.chat.ChatProtocol.Message;
import dev.switchboard.chat.ChatProtocol.Post;
import dev.switchboard.chat.ChatProtocol.ProtocolError;
import dev.switchboard.chat.ChatProtocol.Typing;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The wire format without sockets: every command, every rule, and garbage. */
class ChatProtocolTest {

  private static final int MAX_TEXT = 10;

  private static String code(String frame) {
    return assertThrows(ProtocolError.class, () -> ChatProtocol.parse(frame, MAX_TEXT)).code;
  }

  @Test
  void parsesEveryCommand() throws ProtocolError {
    assertEquals(new Join("lobby", "Zoë 2", null), ChatProtocol.parse("{\"type\":\"join\",\"room\":\"lobby\",\"nickname\":\"Zoë 2\"}", MAX_TEXT));
    assertEquals(new Join("a-b_c", "x", 42L), ChatProtocol.parse("{\"type\":\"join\",\"room\":\"a-b_c\",\"nickname\":\"x\",\"since\":42}", MAX_TEXT));
    assertEquals(new Join("r", "x", 0L), ChatProtocol.parse("{\"type\":\"join\",\"room\":\"r\",\"nickname\":\"x\",\"since\":0.0}", MAX_TEXT));
    assertInstanceOf(Leave.class, ChatProtocol.parse("{\"type\":\"leave\"}", MAX_TEXT));
    assertInstanceOf(Typing.class, ChatProtocol.parse("{\"type\":\"typing\",\"extra\":1}", MAX_TEXT));
    assertEquals(new Message("hi", null), ChatProtocol.parse("{\"type\":\"message\",\"text\":\"hi\"}", MAX_TEXT));
    assertEquals(new Message("hi", "c-1"), ChatProtocol.parse("{\"type\":\"message\",\"text\":\"hi\",\"clientId\":\"c-1\"}", MAX_TEXT));
  }

  @Test
  void commandsForSeveralRoomsNameTheirRoom() throws ProtocolError {
    assertEquals(new Join("lobby", "ann", 3L, null, true),
      ChatProtocol.parse("{\"type\":\"join\",\"room\":\"lobby\",\"nickname\":\"ann\",\"since\":3,\"add\":true}", MAX_TEXT));
    assertEquals(new Join("lobby", "ann", null, null, false),
      ChatProtocol.parse("{\"type\":\"join\",\"room\":\"lobby\",\"nickname\":\"ann\",\"add\":false}", MAX_TEXT));
    assertEquals(new Leave("lobby"), ChatProtocol.parse("{\"type\":\"leave\",\"room\":\"lobby\"}", MAX_TEXT));
    assertEquals(new Leave(), ChatProtocol.parse("{\"type\":\"leave\",\"room\":null}", MAX_TEXT));
    assertEquals(new Message("hi", "c-1", "kitchen"), ChatProtocol.parse("{\"type\":\"message\",\"text\":\"hi\",\"clientId\":\"c-1\",\"room\":\"kitchen\"}", MAX_TEXT));
    assertEquals(new Typing("kitchen"), ChatProtocol.parse("{\"type\":\"typing\",\"room\":\"kitchen\"}", MAX_TEXT));
    assertEquals(ChatProtocol.INVALID_FIELD, code("{\"type\":\"join\",\"room\":\"lobby\",\"nickname\":\"ann\",\"add\":\"yes\"}"));
    assertEquals(ChatProtocol.INVALID_FIELD, code("{\"type\":\"join\",\"room\":\"lobby\",\"nickname\":\"ann\",\"add\":1}"));
    assertEquals(ChatProtocol.INVALID_FIELD, code("{\"type\":\"leave\",\"room\":\"Lobby\"}"));
    assertEquals(ChatProtocol.INVALID_FIELD, code("{\"type\":\"message\",\"text\":\"hi\",\"room\":7}"));
    assertEquals(ChatProtocol.INVALID_FIELD, code("{\"type\":\"typing\",\"room\":\"\"}"));
  }

  @Test
  void authCarriesAToken() throws ProtocolError {
    assertEquals(new Auth("a.b.c"), ChatProtocol.parse("{\"type\":\"auth\",\"token\":\"a.b.c\"}", MAX_TEXT));
    assertEquals(ChatProtocol.INVALID_FIELD, code("{\"type\":\"auth\"}"));
    assertEquals(ChatProtocol.INVALID_FIELD, code("{\"type\":\"auth\",\"token\":\"\"}"));
    assertEquals(ChatProtocol.INVALID_FIELD, code("{\"type\":\"auth\",\"token\":[\"a\"]}"));
    assertFalse(new Auth("secret.token.value").toString().contains("secret"), "a token never reaches a log line");
  }

  @Test
  void joinLeavesOutTheNicknameOnlyWhenTheTokenNamesIt() throws ProtocolError {
    String join = "{\"type\":\"join\",\"room\":\"lobby\"}";
    assertEquals(ChatProtocol.INVALID_FIELD, code(join));
    assertEquals(new Join("lobby", null, null), ChatProtocol.parse(join, MAX_TEXT, true));
    assertEquals(new Join("lobby", "ann", null), ChatProtocol.parse("{\"type\":\"join\",\"room\":\"lobby\",\"nickname\":\"ann\"}", MAX_TEXT, true));
    assertEquals(ChatProtocol.INVALID_FIELD, assertThrows(ProtocolError.class,
      () -> ChatProtocol.parse("{\"type\":\"join\",\"room\":\"lobby\",\"nickname\":\" x\"}", MAX_TEXT, true)).code);
  }

  @Test
  void aBusPostIsHeldToTheRulesOfAWebSocketPost() throws ProtocolError {
    JsonObject good = new JsonObject().put("room", "lobby").put("sender", "deploy bot").put("text", "hi").put("extra", 1);
    assertEquals(new Post("lobby", "deploy bot", "hi"), ChatProtocol.post(good, MAX_TEXT));
    assertEquals(ChatProtocol.INVALID_JSON, postCode("{\"room\":\"lobby\"}"));
    assertEquals(ChatProtocol.INVALID_JSON, postCode(null));
    assertEquals(ChatProtocol.INVALID_JSON, postCode(new JsonArray().add(good)));
    Map<String, List<Object>> bad = Map.of(
      "room", Arrays.asList("Lobby", "x".repeat(33), "-x", 1, null),
      "sender", Arrays.asList("", " bot", "a:b", "x".repeat(33), null),
      "text", Arrays.asList(" ", "x".repeat(MAX_TEXT + 1), 5, null));
    bad.forEach((field, values) -> values.forEach(value -> {
      JsonObject body = good.copy().put(field, value);
      ProtocolError error = assertThrows(ProtocolError.class, () -> ChatProtocol.post(body, MAX_TEXT), body::encode);
      assertEquals(ChatProtocol.INVALID_FIELD, error.code);
      assertTrue(error.getMessage().contains("'" + field + "'"), error.getMessage() + " should name " + field);
    }));
  }

  private static String postCode(Object body) {
    return assertThrows(ProtocolError.class, () -> ChatProtocol.post(body, MAX_TEXT)).code;
  }

  @Test
  void closeReasonsFitACloseFrame() {
    assertEquals("unauthorized: token expired", ChatProtocol.closeReason("unauthorized: token expired"));
    String cut = ChatProtocol.closeReason("é".repeat(100));
    assertTrue(cut.getBytes(java.nio.charset.StandardCharsets.UTF_8).length <= ChatProtocol.MAX_CLOSE_REASON_BYTES, cut);
    assertTrue(cut.endsWith("..."), cut);
    assertTrue(ChatConnection.AUTH_FIRST.getBytes(java.nio.charset.StandardCharsets.UTF_8).length <= ChatProtocol.MAX_CLOSE_REASON_BYTES);
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "{", "nope", "[]", "[{\"type\":\"leave\"}]", "\"join\"", "42", "null", "{\"type\":\"leave\"} x"})
  void garbageIsInvalidJson(String frame) {
    assertEquals(ChatProtocol.INVALID_JSON, code(frame));
  }

  @ParameterizedTest
  @ValueSource(strings = {"{}", "{\"type\":1}", "{\"type\":null}", "{\"type\":\"JOIN\"}", "{\"type\":\"shout\"}"})
  void missingOrUnknownTypeIsUnknownType(String frame) {
    assertEquals(ChatProtocol.UNKNOWN_TYPE, code(frame));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "Lobby", "-lobby", "lob by", "lobby!", "a.b", "x23456789012345678901234567890123", "ü"})
  void roomNamesOutsideTheRulesAreRefused(String room) {
    assertEquals(ChatProtocol.INVALID_FIELD, code("{\"type\":\"join\",\"room\":\"" + room + "\",\"nickname\":\"x\"}"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", " ann", "ann ", "a\\tb", "a<b", "x23456789012345678901234567890123", ".ann", "a\\u0000"})
  void nicknamesOutsideTheRulesAreRefused(String nickname) {
    assertEquals(ChatProtocol.INVALID_FIELD, code("{\"type\":\"join\",\"room\":\"r\",\"nickname\":\"" + nickname + "\"}"));
  }

  @Test
  void joinFieldsMustHaveTheirTypes() {
    assertEquals(ChatProtocol.INVALID_FIELD, code("{\"type\":\"join\",\"room\":1,\"nickname\":\"x\"}"));
    assertEquals(ChatProtocol.INVALID_FIELD, code("{\"type\":\"join\",\"room\":\"r\"}"));
  }

  @Test
  void messageTextAndClientIdFollowTheRules() throws ProtocolError {
    assertEquals(ChatProtocol.INVALID_FIELD, code("{\"type\":\"message\"}"));
    assertEquals(ChatProtocol.INVALID_FIELD, code("{\"type\":\"message\",\"text\":\"  \"}"));
    assertEquals(ChatProtocol.INVALID_FIELD, code("{\"type\":\"message\",\"text\":7}"));
    assertEquals(ChatProtocol.INVALID_FIELD, code("{\"type\":\"message\",\"text\":\"12345678901\"}"));
    assertEquals(new Message("1234567890", null), ChatProtocol.parse("{\"type\":\"message\",\"text\":\"1234567890\"}", MAX_TEXT));
    assertEquals(ChatProtocol.INVALID_FIELD, code("{\"type\":\"message\",\"text\":\"x\",\"clientId\":\"\"}"));
    assertEquals(ChatProtocol.INVALID_FIELD, code("{\"type\":\"message\",\"text\":\"x\",\"clientId\":\"a b\"}"));
    assertEquals(ChatProtocol.INVALID_FIELD, code("{\"type\":\"message\",\"text\":\"x\",\"clientId\":" + "1".repeat(65) + "}"));
    assertNull(((Message) ChatProtocol.parse("{\"type\":\"message\",\"text\":\"x\",\"clientId\":null}", MAX_TEXT)).clientId());
  }

  @ParameterizedTest
  @ValueSource(strings = {"-1", "1.5", "\"3\"", "true", "[1]", "1e400", "-1e400", "9223372036854775808", "18446744073709551617",
    "12345678901234567890", "9.3e18", "1e-3", "-0.5"})
  void sinceOutsideTheSequenceNumbersIsBadSince(String since) {
    assertEquals(ChatProtocol.BAD_SINCE, code("{\"type\":\"join\",\"room\":\"r\",\"nickname\":\"x\",\"since\":" + since + "}"));
  }

  @Test
  void sinceTakesEveryIntegerFromZeroToTheLargestLong() throws ProtocolError {
    for (String since : new String[] {"0", "7", "2147483648", "9223372036854775807", "4.0", "1e3", "1E18"}) {
      Join join = (Join) ChatProtocol.parse("{\"type\":\"join\",\"room\":\"r\",\"nickname\":\"x\",\"since\":" + since + "}", MAX_TEXT);
      assertEquals(new java.math.BigDecimal(since).longValueExact(), join.since(), since);
    }
  }

  @Test
  void errorMessagesNameTheFieldAndAreShort() {
    ProtocolError e = assertThrows(ProtocolError.class, () -> ChatProtocol.parse("{\"type\":\"" + "x".repeat(1000) + "\"}", MAX_TEXT));
    assertTrue(e.getMessage().length() < 200, e.getMessage());
    ProtocolError f = assertThrows(ProtocolError.class, () -> ChatProtocol.parse("{\"type\":\"join\",\"room\":\"R\",\"nickname\":\"x\"}", MAX_TEXT));
    assertTrue(f.getMessage().startsWith("'room'"), f.getMessage());
  }
}
