package dev.switchboard.chat;

import dev.switchboard.chat.ChatProtocol.Auth;
import dev.switchboard.chat.ChatProtocol.Binary;
import dev.switchboard.chat.ChatProtocol.Command;
import dev.switchboard.chat.ChatProtocol.Join;
import dev.switchboard.chat.ChatProtocol.Leave;
import dev.switchboard.chat.ChatProtocol.Message;
import dev.switchboard.chat.ChatProtocol.Typing;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one connection's commands, one after the other in the order they arrived, each bounded by
 * {@code commandTimeout}: a command the cluster has not carried out by then is answered
 * {@code unavailable} and the next one runs. Joins and leaves go to the connection's
 * {@link ConnectionRooms}, tokens to its {@link ConnectionAuth}; posting (once per client id),
 * typing and binary relays are here.
 */
final class ConnectionCommands {

  /** Under the connection's name, as before it was split, so that log settings keep matching. */
  private static final Logger log = LoggerFactory.getLogger(ChatConnection.class);

  /** A resend that arrives while its first copy is being numbered waits this long, this many times, for the number. */
  static final long DUPLICATE_POLL_MILLIS = 50;
  static final int DUPLICATE_POLLS = 40;

  private final ChatConnection connection;
  private final ChatVerticle chat;
  private final ChatOptions options;
  private final ConnectionAuth auth;
  private final ConnectionRooms rooms;
  /** Commands run one at a time, in the order they arrived. */
  private Future<?> commands = Future.succeededFuture();

  ConnectionCommands(ChatConnection connection, ChatVerticle chat, ChatOptions options, ConnectionAuth auth, ConnectionRooms rooms) {
    this.connection = connection;
    this.chat = chat;
    this.options = options;
    this.auth = auth;
    this.rooms = rooms;
  }

  /** Runs {@code command} once the commands before it are done. */
  void queue(Command command) {
    commands = commands.transform(previous -> run(command));
  }

  private Future<?> run(Command command) {
    if (connection.isReleased() || options.auth() && auth.caller() == null && !(command instanceof Auth)) {
      // Without a caller a command runs only behind a token that was refused: the connection is closing.
      return Future.succeededFuture();
    }
    Future<?> done;
    if (command instanceof Auth token) {
      done = auth.authenticate(token);
    } else if (command instanceof Join join) {
      done = rooms.join(join, auth.caller());
    } else if (command instanceof Message message) {
      done = message(message);
    } else if (command instanceof Leave leave) {
      done = rooms.leave(leave);
    } else if (command instanceof Binary binary) {
      done = binary(binary);
    } else {
      done = typing((Typing) command);
    }
    // Bounded: while the cluster retries (a member gone, partitions moving), the client hears
    // within commandTimeout and its next commands are not held behind this one.
    Promise<Void> settled = Promise.promise();
    long timeout = options.commandTimeout().toMillis();
    String clientId = command instanceof Message message ? message.clientId() : null;
    String about = namedRoom(command);
    long timer = chat.setTimer(timeout, t -> {
      if (settled.tryComplete()) {
        log.debug("connection {}: {} not done after {} ms", connection.serial(), command, timeout);
        connection.sendError(ChatProtocol.UNAVAILABLE, "the chat did not finish that within " + timeout + " ms; try again"
          + (command instanceof Message ? " (a resend with the same clientId is never posted twice)" : ""), clientId, about);
      }
    });
    done.onComplete(result -> {
      chat.cancelTimer(timer);
      if (settled.tryComplete() && result.failed()) {
        log.debug("connection {}: {} failed: {}", connection.serial(), command, result.cause().toString());
        connection.sendError(ChatProtocol.UNAVAILABLE, "the chat could not do that just now; try again", clientId, about);
      }
    });
    return settled.future();
  }

  /**
   * The room a command names in the form for several rooms ({@code join} with {@code add}, or a
   * {@code room} field), which its errors and acks name too; null for the one-room form, whose
   * answers stay as they were.
   */
  private static String namedRoom(Command command) {
    if (command instanceof Join join) {
      return join.add() ? join.room() : null;
    } else if (command instanceof Message message) {
      return message.room();
    } else if (command instanceof Leave leave) {
      return leave.room();
    } else if (command instanceof Typing typing) {
      return typing.room();
    } else if (command instanceof Binary binary) {
      return binary.room();
    }
    return null;
  }

  private Future<?> message(Message message) {
    Membership in = rooms.target(message.room(), message.clientId(), "sending messages");
    if (in == null) {
      return Future.succeededFuture();
    }
    if (message.clientId() == null) {
      return chat.post(in.room.name, in.nickname, message.text());
    }
    return postOnce(in.room.name, in.nickname, message.text(), message.clientId(), message.room(), true);
  }

  /**
   * Posts a message with a client id unless that id was posted before. A claim whose number never
   * came (its node died) expires after {@code claimTtl}; a resend that sees it vanish while waiting
   * claims the id again, once. A resend whose first copy is still being numbered after the wait
   * is answered {@code unavailable}, so that the client sends it again later: never silence.
   */
  private Future<Void> postOnce(String name, String sender, String text, String clientId, String about, boolean again) {
    ClientIdStore store = chat.store().clientIds();
    return store.claim(name, sender, clientId).compose(previous -> {
      if (previous != null) {
        // A resend: acknowledged with the first copy's number, waiting for it if still being given.
        return (previous > 0 ? Future.succeededFuture(previous) : numbered(name, sender, clientId, DUPLICATE_POLLS))
          .compose(seq -> {
            if (seq != null && seq > 0) {
              connection.send(ChatProtocol.ack(clientId, seq, null, true, about).encode());
            } else if (seq == null && again) {
              return postOnce(name, sender, text, clientId, about, false);
            } else {
              connection.sendError(ChatProtocol.UNAVAILABLE, "the message with clientId " + clientId
                + " is still being posted; send it again with the same clientId", clientId, about);
            }
            return Future.<Void>succeededFuture();
          });
      }
      return chat.post(name, sender, text)
        .onFailure(e -> store.release(name, sender, clientId))
        .compose(posted -> store.claimed(name, sender, clientId, posted.getLong("seq"))
          .otherwiseEmpty()
          .onSuccess(v -> connection.send(ChatProtocol.ack(clientId, posted.getLong("seq"), posted.getString("id"), false, about).encode())));
    });
  }

  /** Polls (bounded) for the number the first copy of a resent message gets. */
  private Future<Long> numbered(String room, String sender, String clientId, int polls) {
    return chat.store().clientIds().numberOf(room, sender, clientId).compose(seq -> {
      if (seq == null || seq > 0 || polls == 0) {
        return Future.succeededFuture(seq);
      }
      return chat.timer(DUPLICATE_POLL_MILLIS).compose(v -> numbered(room, sender, clientId, polls - 1));
    });
  }

  private Future<?> typing(Typing typing) {
    Membership in = rooms.target(typing.room(), null, "typing");
    if (in != null) {
      chat.publish(in.room.name, ChatProtocol.typing(in.room.name, in.nickname), connection.key());
    }
    return Future.succeededFuture();
  }

  /** A binary message: relayed to the room's other members, not numbered nor kept (see {@link ChatBinary}). */
  private Future<?> binary(Binary binary) {
    Membership in = rooms.target(binary.room(), null, "sending binary messages");
    if (in != null) {
      chat.relay(in.room.name, in.nickname, binary.payload(), connection.key());
    }
    return Future.succeededFuture();
  }
}
