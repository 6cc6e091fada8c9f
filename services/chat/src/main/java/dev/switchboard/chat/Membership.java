package dev.switchboard.chat;

import java.util.ArrayDeque;

/**
 * One connection in one room: its nickname and session there, and how far the room's messages
 * have been sent to it. The room holds it as one of its members; the connection's
 * {@link ConnectionRooms} holds it from the join until the leave.
 */
final class Membership {

  /** Live messages held for a member while its history is being replayed; more means it cannot keep up. */
  static final int MAX_HELD_WHILE_REPLAYING = 10_000;

  private record Held(long seq, String text) {
  }

  final Room room;
  final String nickname;
  final String session;
  private final ChatConnection connection;
  private boolean replaying = true;
  /** Allocated for the length of a replay only: most of the time a member holds nothing. */
  private ArrayDeque<Held> held;
  private long lastSent;

  Membership(ChatConnection connection, Room room, String nickname, String session) {
    this.connection = connection;
    this.room = room;
    this.nickname = nickname;
    this.session = session;
  }

  ChatConnection connection() {
    return connection;
  }

  /** A room message, by sequence number: held while history is replayed, never sent twice. */
  void deliver(long seq, String text, Outgoing frame) {
    if (replaying) {
      if (held == null) {
        held = new ArrayDeque<>();
      }
      held.add(new Held(seq, text));
      if (held.size() > MAX_HELD_WHILE_REPLAYING) {
        connection.cutOff();
      }
      return;
    }
    if (seq <= lastSent) {
      return;
    }
    lastSent = seq;
    send(frame);
  }

  /** An unsequenced event of the room (joined, left, typing). */
  void send(Outgoing frame) {
    connection.send(frame);
  }

  /** A message of the replay was sent: live messages up to it are not sent again. */
  void replayed(long seq) {
    lastSent = seq;
  }

  /** The replay is over (the room's messages up to {@code last} were history): what was held is sent, then live messages. */
  void endReplay(long last) {
    lastSent = Math.max(lastSent, last);
    endReplay();
  }

  void endReplay() {
    replaying = false;
    ArrayDeque<Held> waiting = held;
    held = null;
    while (waiting != null && !waiting.isEmpty()) {
      Held next = waiting.poll();
      if (next.seq() > lastSent) {
        lastSent = next.seq();
        connection.send(next.text());
      }
    }
  }

  /** Left: nothing more is held or sent for it. */
  void stop() {
    replaying = false;
    held = null;
    lastSent = Long.MAX_VALUE;
  }
}
