package dev.switchboard.chat;

import dev.switchboard.shared.bus.Addresses;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;

/**
 * What the chat answers on the bus for other services, bridge clients and the Node greeter:
 * {@code chat.rooms}, the rooms with members, their counts and last messages, and
 * {@code chat.post}, a message posted into a room as a system sender. Failures are answers:
 * {@value ChatVerticle#POST_INVALID} with what is wrong, {@value ChatVerticle#POST_UNAVAILABLE}
 * when the cluster did not carry it out in time, 500 when the rooms cannot be read.
 */
final class ChatBusApi {

  /** Under the verticle's name, as before it was split, so that log settings keep matching. */
  private static final Logger log = LoggerFactory.getLogger(ChatVerticle.class);

  private final ChatVerticle chat;
  private final Vertx vertx;
  private final ChatOptions options;
  private final ChatStore store;
  private final MessageConsumer<Object> rooms;
  private final MessageConsumer<Object> posts;

  /** Registers both consumers; {@link #completion()} tells when they are registered. */
  ChatBusApi(ChatVerticle chat, Vertx vertx, ChatOptions options, ChatStore store) {
    this.chat = chat;
    this.vertx = vertx;
    this.options = options;
    this.store = store;
    this.rooms = vertx.eventBus().consumer(Addresses.CHAT_ROOMS, this::listRooms);
    this.posts = vertx.eventBus().consumer(Addresses.CHAT_POST, this::onPost);
  }

  Future<?> completion() {
    return Future.all(rooms.completion(), posts.completion());
  }

  Future<?> unregister() {
    return Future.join(rooms.unregister(), posts.unregister());
  }

  /**
   * {@code chat.post}: a service posts into a room as a system sender. A bad body fails with 400
   * and what is wrong; a post the cluster has not numbered within {@code commandTimeout} fails
   * with 503 (like a WebSocket post, it may still be posted later).
   */
  private void onPost(Message<Object> request) {
    ChatProtocol.Post post;
    try {
      post = ChatProtocol.post(request.body(), options.maxTextLength());
    } catch (ChatProtocol.ProtocolError e) {
      request.fail(ChatVerticle.POST_INVALID, e.code + ": " + e.getMessage());
      return;
    }
    Promise<JsonObject> settled = Promise.promise();
    long timeout = options.commandTimeout().toMillis();
    long timer = vertx.setTimer(timeout, id -> settled.tryFail("not numbered within " + timeout + " ms"));
    chat.post(post.room(), post.sender(), post.text(), true).onComplete(done -> {
      vertx.cancelTimer(timer);
      if (done.succeeded()) {
        settled.tryComplete(done.result());
      } else {
        settled.tryFail(done.cause());
      }
    });
    settled.future()
      .onSuccess(message -> request.reply(new JsonObject().put("room", post.room()).put("seq", message.getLong("seq"))
        .put("id", message.getString("id"))))
      .onFailure(e -> {
        log.debug("chat.post to room {} failed: {}", post.room(), e.toString());
        request.fail(ChatVerticle.POST_UNAVAILABLE, ChatProtocol.UNAVAILABLE + ": the chat could not post that just now; try again");
      });
  }

  private void listRooms(Message<Object> request) {
    store.presence().rooms()
      .compose(counts -> {
        List<Future<JsonObject>> rows = new ArrayList<>();
        counts.forEach((room, members) -> rows.add(store.sequences().lastSeq(room)
          .compose(seq -> seq == 0 ? Future.succeededFuture((JsonObject) null) : store.sequences().message(room, seq))
          .map(last -> new JsonObject().put("room", room).put("members", members)
            .put("lastSeq", last == null ? null : last.getLong("seq")).put("last", last))));
        return Future.all(rows).map(all -> new JsonObject().put("rooms", new JsonArray(rows.stream().map(Future::result).toList())));
      })
      .onSuccess(request::reply)
      .onFailure(e -> request.fail(500, "rooms unavailable: " + e.getMessage()));
  }
}
