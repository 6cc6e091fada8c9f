package dev.switchboard.chat;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * One room as seen by one verticle instance: its subscription to {@code chat.internal.room.<name>} and the
 * local members. Messages travel the bus from whichever node sent them, so two of them may arrive
 * in either order; the room hands them to its members strictly by sequence number. A missing
 * number is waited for {@code gapTimeout}, then read from history, then skipped (its sender died
 * between taking the number and keeping the message), so every member on every node sees the
 * same order and one loss never stalls a room.
 */
final class Room {

  private static final Logger log = LoggerFactory.getLogger(Room.class);
  /** Out-of-order messages held per room; beyond this, the oldest gap is given up at once. */
  static final int MAX_PENDING = 10_000;

  final String name;
  private final Vertx vertx;
  private final SequenceStore store;
  private final long gapTimeoutMillis;
  /** Compresses frames for members that negotiated permessage-deflate; null with compression off. */
  private final FrameDeflater deflater;
  private final Set<Membership> members = new LinkedHashSet<>();
  private final TreeMap<Long, JsonObject> pending = new TreeMap<>();
  private MessageConsumer<JsonObject> consumer;
  private Future<Room> ready;
  /** The next sequence number to hand out; 0 until the room's last number is known. */
  private long nextSeq;
  private long gapTimer = -1;
  private boolean closed;

  Room(String name, Vertx vertx, SequenceStore store, long gapTimeoutMillis, FrameDeflater deflater) {
    this.name = name;
    this.vertx = vertx;
    this.store = store;
    this.gapTimeoutMillis = gapTimeoutMillis;
    this.deflater = deflater;
  }

  /**
   * Subscribes, then learns the room's last number: what was numbered and kept before is history,
   * what follows is live, from the first number not kept yet (a message numbered just before, still
   * on its way to history, would be in neither a joiner's replay nor, as "history", the live view).
   */
  Future<Room> open() {
    if (ready == null) {
      consumer = vertx.eventBus().consumer(ChatVerticle.INTERNAL_ROOM_PREFIX + name,
        message -> onEvent(message.body(), message.headers().get(ChatVerticle.FROM_HEADER)));
      ready = consumer.completion()
        .compose(v -> store.lastSeq(name))
        .compose(last -> store.opening(name, last).map(opening -> {
          advanceTo(opening.first());
          pending.headMap(nextSeq).clear();
          opening.keptAfter().forEach(message -> pending.putIfAbsent(message.getLong("seq"), message));
          drain();
          if (nextSeq <= last && !pending.containsKey(nextSeq)) {
            // Numbered before the view opened and not kept yet: its live copy is awaited, then history read.
            armGapTimer();
          }
          return this;
        }));
    }
    return ready;
  }

  /** The next number this room will hand to its members; everything before it is history. */
  long nextSeq() {
    return nextSeq;
  }

  void add(Membership member) {
    members.add(member);
  }

  /** Removes a member; true when the room is now empty. */
  boolean remove(Membership member) {
    members.remove(member);
    return members.isEmpty();
  }

  boolean isClosed() {
    return closed;
  }

  Future<Void> close() {
    closed = true;
    if (gapTimer >= 0) {
      vertx.cancelTimer(gapTimer);
    }
    pending.clear();
    return consumer.unregister();
  }

  private void onEvent(JsonObject event, String from) {
    if (closed) {
      return;
    }
    if (ChatVerticle.BINARY_EVENT.equals(event.getString("type"))) {
      relay(event, from);
      return;
    }
    if (!"message".equals(event.getString("type"))) {
      Outgoing frame = Outgoing.text(event.encode(), deflater);
      try {
        for (Membership member : new ArrayList<>(members)) {
          if (from == null || !member.connection().key().equals(from)) {
            member.send(frame);
          }
        }
      } finally {
        frame.release();
      }
      return;
    }
    Long seq = event.getLong("seq");
    if (seq == null) {
      return;
    }
    if (nextSeq == 0 || seq > nextSeq) {
      pending.put(seq, event);
      if (nextSeq != 0) {
        if (pending.size() > MAX_PENDING) {
          skipGap();
        } else {
          armGapTimer();
        }
      }
      return;
    }
    if (seq == nextSeq) {
      deliver(event);
      drain();
    }
    // seq < nextSeq: already handed out (a replay from history raced the bus), dropped.
  }

  /** A binary message: one frame, written to every member but the connection it came from. */
  private void relay(JsonObject event, String from) {
    Buffer data;
    try {
      data = event.getBuffer("data");
    } catch (RuntimeException e) {
      log.debug("room {}: a binary event without data dropped: {}", name, e.toString());
      return;
    }
    if (data == null || event.getString("sender") == null) {
      return;
    }
    Outgoing frame = Outgoing.binary(ChatBinary.encode(name, event.getString("sender"), data), deflater);
    try {
      for (Membership member : new ArrayList<>(members)) {
        if (from == null || !member.connection().key().equals(from)) {
          member.send(frame);
        }
      }
    } finally {
      frame.release();
    }
  }

  private void drain() {
    while (!pending.isEmpty() && pending.firstKey() <= nextSeq) {
      Map.Entry<Long, JsonObject> first = pending.pollFirstEntry();
      if (first.getKey() == nextSeq) {
        deliver(first.getValue());
      }
    }
    if (pending.isEmpty() && gapTimer >= 0) {
      vertx.cancelTimer(gapTimer);
      gapTimer = -1;
    } else if (!pending.isEmpty()) {
      armGapTimer();
    }
  }

  private void deliver(JsonObject message) {
    long seq = message.getLong("seq");
    advanceTo(seq + 1);
    String text = message.encode();
    Outgoing frame = Outgoing.text(text, deflater);
    try {
      for (Membership member : new ArrayList<>(members)) {
        member.deliver(seq, text, frame);
      }
    } finally {
      frame.release();
    }
  }

  private void armGapTimer() {
    if (gapTimer >= 0) {
      return;
    }
    long missing = nextSeq;
    gapTimer = vertx.setTimer(gapTimeoutMillis, id -> {
      gapTimer = -1;
      if (closed || nextSeq != missing) {
        drain();
        return;
      }
      store.message(name, missing)
        .otherwiseEmpty()
        .onSuccess(found -> {
          if (closed || nextSeq != missing) {
            return;
          }
          if (found != null) {
            log.debug("room {}: #{} filled from history", name, missing);
            deliver(found);
          } else {
            log.debug("room {}: #{} never arrived, skipped", name, missing);
            advanceTo(missing + 1);
          }
          drain();
        });
    });
  }

  private void skipGap() {
    long first = pending.firstKey();
    log.warn("room {}: {} messages waiting for #{}, skipping to #{}", name, pending.size(), nextSeq, first);
    advanceTo(first);
    drain();
  }

  /** Everything before {@code next} is handed out (or skipped); the store hears it, so that a number given again is caught. */
  private void advanceTo(long next) {
    nextSeq = next;
    store.handedOut(name, next - 1);
  }
}
