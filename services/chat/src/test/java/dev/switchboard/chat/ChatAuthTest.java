package dev.switchboard.chat;

import dev.switchboard.shared.IngressOptions;
import dev.switchboard.shared.auth.AuthOptions;
import dev.switchboard.shared.bus.Addresses;
import dev.switchboard.shared.testkit.RawWebSocket;
import dev.switchboard.shared.testkit.TestKit;
import dev.switchboard.shared.testkit.TestTokens;
import io.vertx.core.Promise;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static dev.switchboard.chat.ChatTestClient.ofType;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The chat with {@code auth} on: tokens in the upgrade (query or header) or in the first message,
 * every bad token refused with its reason, nicknames and rooms taken from the token, and a
 * connection that ends when its token does.
 */
class ChatAuthTest extends ChatTestBase {

  @TempDir
  Path dir;

  private final TestTokens tokens = TestTokens.create("chat-k1");

  private record Bad(String token, String reason) {
  }

  /** One of each way a token proves nothing, with the reason the client is told. */
  private List<Bad> badTokens() {
    long now = Instant.now().getEpochSecond();
    return List.of(
      new Bad(TestTokens.create("chat-k1").token("ann"), "bad signature"),
      new Bad(tokens.sign(TestTokens.claims("ann").put("iss", "elsewhere")), "wrong issuer"),
      new Bad(tokens.sign(TestTokens.claims("ann").put("aud", "another-app")), "wrong audience"),
      new Bad(tokens.sign(TestTokens.claims("ann").put("exp", now - 120)), "token expired"),
      new Bad(TestTokens.unsigned(TestTokens.claims("ann")), "malformed token"),
      new Bad("not.a.jwt", "malformed token"));
  }

  private AuthOptions authOptions() {
    return TestTokens.options(tokens.writeJwks(dir.resolve("jwks.json")));
  }

  /** Without clock skew: a token's connection ends at its {@code exp} exactly. */
  private AuthOptions noSkew() {
    AuthOptions skewed = authOptions();
    return new AuthOptions(skewed.jwks(), skewed.issuer(), skewed.audience(), Duration.ZERO, skewed.jwksRefresh());
  }

  private void deployAuth(JsonObject settings) {
    deployAuth(settings, authOptions());
  }

  private void deployAuth(JsonObject settings, AuthOptions auth) {
    deployWithAuth(settings, auth);
  }

  private static String query(String token) {
    return ChatVerticle.PATH + "?" + "access_token=" + URLEncoder.encode(token, StandardCharsets.UTF_8);
  }

  private ChatTestClient viaQuery(String token) {
    return ChatTestClient.connect(client, ChatTestClient.options(port).setURI(query(token)));
  }

  /** Connects without a token and sends it as the first message. */
  private ChatTestClient viaMessage(String token) {
    return connect().send(auth(token));
  }

  private static JsonObject auth(String token) {
    return new JsonObject().put("type", "auth").put("token", token);
  }

  private static JsonObject join(String room) {
    return new JsonObject().put("type", "join").put("room", room);
  }

  private RawWebSocket.Response upgrade(RawWebSocket.Request request) throws IOException {
    return RawWebSocket.exchange("127.0.0.1", port, request);
  }

  private RawWebSocket.Request request(String path) {
    return RawWebSocket.Request.upgrade("127.0.0.1", port, path);
  }

  private static short closeCode(ChatTestClient client, String expectedReason) {
    short code = client.closeCode();
    assertEquals(expectedReason, client.closeReason());
    return code;
  }

  // ---- good tokens

  @Test
  void goodTokenInTheQueryMakesTheSubjectTheNickname() {
    deployAuth(new JsonObject());
    ChatTestClient ann = viaQuery(tokens.token("ann", "chat:lobby", "other"));
    JsonObject authenticated = ann.awaitOne(ofType("authenticated"));
    assertEquals("ann", authenticated.getString("nickname"));
    assertEquals(List.of("chat:lobby", "other"), authenticated.getJsonArray("scopes").getList());
    assertTrue(authenticated.getLong("expires") > System.currentTimeMillis(), authenticated.encode());
    assertEquals("ann", ann.join(join("lobby")).getString("nickname"));
    ann.send(ann.message("hello"));
    assertEquals("ann", ann.messages(1).get(0).getString("sender"));
  }

  @Test
  void goodTokenInTheAuthorizationHeaderIsAccepted() {
    deployAuth(new JsonObject());
    ChatTestClient ann = ChatTestClient.connect(client, ChatTestClient.options(port).addHeader("Authorization", "Bearer " + tokens.token("ann")));
    assertEquals("ann", ann.awaitOne(ofType("authenticated")).getString("nickname"));
    assertEquals("ann", ann.join(join("lobby")).getString("nickname"));
  }

  @Test
  void goodTokenInTheFirstMessageMakesTheSubjectTheNickname() {
    deployAuth(new JsonObject());
    ChatTestClient bob = viaMessage(tokens.token("bob"));
    // Sent at once after the token, before its answer: commands wait for the token to be checked.
    JsonObject joined = bob.join(join("lobby"));
    assertEquals("bob", joined.getString("nickname"));
    assertEquals("authenticated", bob.events().get(0).getString("type"), "the token's answer comes first");
  }

  @Test
  void membersOnTheBusAndInPresenceAreTheTokensNicknames() {
    deployAuth(new JsonObject());
    Promise<JsonObject> published = Promise.promise();
    MessageConsumer<JsonObject> room = vertx.eventBus().consumer(Addresses.CHAT_ROOM_PREFIX + "lobby", m -> {
      if ("joined".equals(m.body().getString("type")) && "bob".equals(m.body().getString("nickname"))) {
        published.tryComplete(m.body());
      }
    });
    TestKit.awaitUnchecked(room.completion(), ChatTestClient.WAIT);
    ChatTestClient ann = viaQuery(tokens.token("ann"));
    ann.join(join("lobby"));
    ChatTestClient bob = viaMessage(tokens.token("bob"));
    bob.join(join("lobby").put("nickname", "bob"));
    JsonObject presence = bob.awaitOne(ofType("presence"));
    assertEquals(List.of("ann", "bob"), presence.getJsonArray("members").getList());
    assertEquals("bob", ann.awaitOne(e -> "joined".equals(e.getString("type")) && !e.containsKey("self")).getString("nickname"));
    assertEquals("lobby", TestKit.awaitUnchecked(published.future(), ChatTestClient.WAIT).getString("room"));
  }

  @Test
  void nicknameComesFromTheConfiguredClaimAndMustBeANickname() {
    deployAuth(new JsonObject().put("nicknameClaim", "preferred_username"));
    ChatTestClient ann = viaQuery(tokens.sign(TestTokens.claims("u-123").put("preferred_username", "Ann Lee")));
    assertEquals("Ann Lee", ann.join(join("lobby")).getString("nickname"));

    ChatTestClient missing = viaMessage(tokens.token("u-456"));
    assertEquals(1008, closeCode(missing, "unauthorized: the token's preferred_username claim is missing"));
    ChatTestClient unfit = viaMessage(tokens.sign(TestTokens.claims("u-789").put("preferred_username", "<script>")));
    assertEquals(1008, unfit.closeCode());
    assertTrue(unfit.closeReason().startsWith("unauthorized: the token's preferred_username claim is not a nickname"), unfit.closeReason());
  }

  // ---- no token, bad tokens

  @Test
  void badTokensInTheUpgradeAreRefusedWith401AndTheirReason() throws IOException {
    deployAuth(new JsonObject());
    for (Bad bad : badTokens()) {
      for (RawWebSocket.Request request : List.of(request(query(bad.token())),
        request(ChatVerticle.PATH).set("Authorization", "Bearer " + bad.token()))) {
        RawWebSocket.Response refused = upgrade(request);
        assertEquals(401, refused.status(), bad.reason());
        assertEquals("Bearer realm=\"switchboard\", error=\"invalid_token\", error_description=\"" + bad.reason() + "\"",
          refused.header("WWW-Authenticate"));
        JsonObject body = new JsonObject(refused.body());
        assertEquals("unauthorized", body.getString("error"));
        assertEquals(bad.reason(), body.getString("reason"));
        assertFalse(refused.body().contains("Exception"), refused.body());
      }
    }
  }

  @Test
  void tokensTheUpgradeDoesNotCarryAsOneBearerTokenAreRefusedWith401() throws IOException {
    deployAuth(new JsonObject());
    String good = tokens.token("ann");
    List<RawWebSocket.Request> requests = List.of(
      request(ChatVerticle.PATH).set("Authorization", "Basic YW5uOnB3"),
      request(query(good)).set("Authorization", "Bearer " + good),
      request(query(good) + "&access_token=" + good),
      request(ChatVerticle.PATH + "?access_token="));
    for (RawWebSocket.Request request : requests) {
      RawWebSocket.Response refused = upgrade(request);
      assertEquals(401, refused.status(), request.render());
      assertTrue(refused.header("WWW-Authenticate").startsWith("Bearer realm=\"switchboard\""), refused.header("WWW-Authenticate"));
    }
    assertEquals(400, upgrade(request(ChatVerticle.PATH + "?access_token=%zz")).status());
    // The slots taken by refused upgrades are free again.
    assertEquals(101, upgrade(request(query(good))).status());
  }

  @Test
  void badTokensInTheFirstMessageCloseWith1008AndTheirReason() {
    deployAuth(new JsonObject());
    for (Bad bad : badTokens()) {
      ChatTestClient refused = connect();
      // Both at once, so that the join is there before the token is refused; the close may beat the second write.
      refused.socket().writeTextMessage(auth(bad.token()).encode());
      refused.socket().writeTextMessage(join("lobby").put("nickname", "ann").encode());
      assertEquals(1008, closeCode(refused, "unauthorized: " + bad.reason()), bad.reason());
      assertEquals(List.of(), refused.events(), "nothing runs behind a refused token");
    }
  }

  @Test
  void firstMessageOtherThanATokenClosesWith1008() throws IOException {
    deployAuth(new JsonObject());
    for (String first : List.of("{\"type\":\"join\",\"room\":\"lobby\",\"nickname\":\"ann\"}", "{\"type\":\"typing\"}",
      "not json", "{\"type\":\"auth\"}", "{\"type\":\"auth\",\"token\":7}")) {
      ChatTestClient refused = connect().sendText(first);
      assertEquals(1008, closeCode(refused, ChatConnection.AUTH_FIRST), first);
      assertEquals(List.of(), refused.events(), first);
    }
    try (RawWebSocket binary = raw()) {
      binary.frame(true, 0, RawWebSocket.BINARY, new byte[] {1, 2, 3});
      assertEquals(1008, binary.awaitClose());
    }
  }

  @Test
  void silentConnectionIsClosedWith1008AfterTheAuthTimeout() throws IOException {
    deployAuth(new JsonObject().put("authTimeout", "300ms"));
    ChatTestClient silent = connect();
    ChatTestClient early = viaMessage(tokens.token("ann"));
    early.awaitOne(ofType("authenticated"));
    try (RawWebSocket rawSilent = raw()) {
      assertEquals(1008, closeCode(silent, "unauthorized: no token within 300ms"));
      assertEquals(1008, rawSilent.awaitClose());
    }
    // Connected at the same time, but it sent its token: its timer was cancelled.
    assertFalse(early.isClosed(), "a connection that sent its token is not timed out");
    early.join(join("lobby"));
  }

  // ---- what the token allows

  @Test
  void joinUnderAnotherNicknameIsRefusedAndNobodySpeaksAsAnother() {
    deployAuth(new JsonObject());
    ChatTestClient bob = viaQuery(tokens.token("bob"));
    bob.join(join("lobby"));
    ChatTestClient mallory = viaQuery(tokens.token("mallory"));
    mallory.send(join("lobby").put("nickname", "bob"));
    JsonObject error = mallory.awaitOne(ofType("error"));
    assertEquals(ChatProtocol.FORBIDDEN, error.getString("code"));
    assertTrue(error.getString("message").contains("'mallory'"), error.getString("message"));
    mallory.send(mallory.message("I am bob"));
    assertEquals(ChatProtocol.NOT_JOINED, mallory.await(ofType("error"), 2).get(1).getString("code"), "the refused join left it in no room");
    assertFalse(mallory.isClosed());

    mallory.join(join("lobby"));
    mallory.send(mallory.message("hi"));
    JsonObject said = bob.messages(1).get(0);
    assertEquals("mallory", said.getString("sender"));
    assertEquals(List.of("bob", "mallory"), bob.await(ofType("joined"), 2).stream().map(e -> e.getString("nickname")).toList());
  }

  @Test
  void restrictedRoomNeedsItsScopeAndARefusalKeepsTheConnection() {
    deployAuth(new JsonObject().put("roomScopes", "staff, ops"));
    ChatTestClient ann = viaQuery(tokens.token("ann", "chat:ops"));
    ann.join(join("lobby"));
    ann.send(join("staff"));
    JsonObject error = ann.awaitOne(ofType("error"));
    assertEquals(ChatProtocol.FORBIDDEN, error.getString("code"));
    assertEquals("room 'staff' needs scope chat:staff or chat:*", error.getString("message"));
    ann.send(ann.message("still in the lobby"));
    assertEquals("lobby", ann.messages(1).get(0).getString("room"), "a refused join leaves the connection where it was");
    assertEquals("ops", ann.join(join("ops")).getString("room"));

    assertEquals("staff", viaQuery(tokens.token("bob", "chat:staff")).join(join("staff")).getString("room"));
    assertEquals("staff", viaMessage(tokens.token("cat", "chat:*")).join(join("staff")).getString("room"));
  }

  @Test
  void eachRoomAConnectionAddsNeedsItsOwnScope() {
    deployAuth(new JsonObject().put("roomScopes", "staff, ops"));
    ChatTestClient ann = viaQuery(tokens.token("ann", "chat:ops"));
    ann.join(join("lobby").put("add", true));
    ann.join(join("ops").put("add", true));
    ann.send(join("staff").put("add", true));
    JsonObject error = ann.awaitOne(ofType("error"));
    assertEquals(ChatProtocol.FORBIDDEN, error.getString("code"));
    assertEquals("staff", error.getString("room"));
    assertEquals("room 'staff' needs scope chat:staff or chat:*", error.getString("message"));
    ann.send(ann.message("in the lobby").put("room", "lobby"));
    ann.send(ann.message("in ops").put("room", "ops"));
    assertEquals(List.of("lobby", "ops"), ann.messages(2).stream().map(m -> m.getString("room")).sorted().toList(),
      "a refused room leaves the others joined");
    ann.send(join("staff").put("add", true).put("nickname", "mallory"));
    assertEquals("your token says you are 'ann': join without a nickname, or with that one", ann.await(ofType("error"), 2).get(1).getString("message"));
  }

  @Test
  void everyRoomRestrictedWithAStar() {
    deployAuth(new JsonObject().put("roomScopes", "*"));
    ChatTestClient ann = viaQuery(tokens.token("ann"));
    ann.send(join("lobby"));
    assertEquals("room 'lobby' needs scope chat:lobby or chat:*", ann.awaitOne(ofType("error")).getString("message"));
    assertEquals("lobby", viaQuery(tokens.token("bob", "chat:lobby")).join(join("lobby")).getString("room"));
  }

  // ---- expiry

  @Test
  void tokenThatExpiresWhileConnectedClosesWith1008AndTheRoomHearsWhy() {
    deployAuth(new JsonObject(), noSkew());
    ChatTestClient bob = viaQuery(tokens.token("bob"));
    bob.join(join("lobby"));
    long exp = Instant.now().getEpochSecond() + 2;
    ChatTestClient ann = viaMessage(tokens.sign(TestTokens.claims("ann").put("exp", exp)));
    ann.join(join("lobby"));
    assertEquals(1008, closeCode(ann, "unauthorized: token expired"));
    assertTrue(System.currentTimeMillis() >= exp * 1000, "closed before the token expired");
    JsonObject left = bob.awaitOne(ofType("left"));
    assertEquals("ann", left.getString("nickname"));
    assertEquals("token expired", left.getString("reason"));
  }

  @Test
  void freshTokenForTheSameNicknameExtendsTheConnection() {
    deployAuth(new JsonObject(), noSkew());
    long now = Instant.now().getEpochSecond();
    ChatTestClient ann = viaMessage(tokens.sign(TestTokens.claims("ann").put("exp", now + 2)));
    ann.join(join("lobby"));
    // Refused fresh tokens are errors; the current one stands.
    ann.send(auth(tokens.token("bob")));
    assertEquals(ChatProtocol.FORBIDDEN, ann.awaitOne(ofType("error")).getString("code"));
    ann.send(auth(tokens.sign(TestTokens.claims("ann").put("iss", "elsewhere"))));
    JsonObject refused = ann.await(ofType("error"), 2).get(1);
    assertEquals(ChatProtocol.UNAUTHORIZED, refused.getString("code"));
    assertTrue(refused.getString("message").startsWith("wrong issuer"), refused.getString("message"));

    ann.send(auth(tokens.token("ann")));
    List<JsonObject> answers = ann.await(ofType("authenticated"), 2);
    assertTrue(answers.get(1).getLong("expires") > answers.get(0).getLong("expires"));
    // A witness whose token ends a second after ann's first one: once it is closed, ann's first expiry has passed.
    ChatTestClient witness = viaMessage(tokens.sign(TestTokens.claims("wit").put("exp", now + 3)));
    assertEquals(1008, closeCode(witness, "unauthorized: token expired"));
    assertFalse(ann.isClosed(), "the fresh token moved the end of the connection");
    ann.send(ann.message("still here"));
    assertEquals("still here", ann.messages(1).get(0).getString("text"));
  }

  // ---- settings

  @Test
  void authWithoutKeysFailsTheDeployment() {
    AssertionError failed = assertThrows(AssertionError.class, () -> TestKit.awaitUnchecked(
      TestKit.deploy(vertx, ChatVerticle.DEFINITION, new JsonObject().put("auth", true), 1, new IngressOptions(), new AuthOptions()), ChatTestClient.WAIT));
    assertTrue(failed.getMessage().contains("chat.auth is on but tokens cannot be checked"), failed.getMessage());
  }

  @Test
  void withAuthOffTokensAreNotLookedAtAndAuthIsAnError() {
    deploy(new JsonObject());
    ChatTestClient ann = viaQuery("anything");
    ann.send(auth(tokens.token("bob")));
    JsonObject error = ann.awaitOne(ofType("error"));
    assertEquals(ChatProtocol.UNKNOWN_TYPE, error.getString("code"));
    ann.send(join("lobby"));
    assertEquals(ChatProtocol.INVALID_FIELD, ann.await(ofType("error"), 2).get(1).getString("code"), "a nickname is needed without auth");
    assertEquals("ann", ann.join("lobby", "ann").getString("nickname"));
  }
}
