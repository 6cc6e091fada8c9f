package dev.switchboard.chat;

import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The chat's cluster-wide state, kept in Vert.x shared data: local maps when Vert.x runs alone,
 * Hazelcast maps (one synchronous backup each) when it is clustered, so that every entry survives
 * the loss of any one node.
 * <ul>
 *   <li>{@code chat.seq.<room>}: a counter per room, the only source of sequence numbers;</li>
 *   <li>{@code chat.history}: {@code <room>#<seq>} to the message event, the last {@code historySize} per room;</li>
 *   <li>{@code chat.presence.<room>}: one map per room, nickname to {@code {node, connection}}: a
 *       nickname is unique in a room, and a room's members are read without the other rooms';</li>
 *   <li>{@code chat.roomIndex}: room to the time it was last active (join, leave, message), for
 *       the room list, node departures and the expiry of idle rooms;</li>
 *   <li>{@code chat.clientIds}: {@code <room>#<nickname>#<clientId>} to the sequence number given,
 *       for {@code dedupeTtl}; while it is being given, a negative number unique to that claim,
 *       for {@code claimTtl} at most.</li>
 * </ul>
 * Three parts keep them: {@link SequenceStore} the counters and history, {@link PresenceStore}
 * presence and the room index, {@link ClientIdStore} the client ids.
 */
final class ChatStore {

  static final String HISTORY = "chat.history";
  static final String PRESENCE_PREFIX = "chat.presence.";
  static final String ROOM_INDEX = "chat.roomIndex";
  static final String CLIENT_IDS = "chat.clientIds";
  static final String SEQUENCE_PREFIX = "chat.seq.";
  /** Where vertx-hazelcast 5.0.8 keeps every counter (see {@link SequenceStore}). */
  static final String HAZELCAST_COUNTERS = "__vertx.map.counter";
  /** Counters, presence maps and touch times kept per verticle instance (most recently used). */
  private static final int OPEN_PER_INSTANCE = 1024;

  private final SequenceStore sequences;
  private final PresenceStore presence;
  private final ClientIdStore clientIds;

  ChatStore(Vertx vertx, int historySize, long dedupeTtlMillis, long claimTtlMillis, long touchEveryMillis) {
    this.sequences = new SequenceStore(vertx, historySize);
    this.presence = new PresenceStore(vertx, sequences, touchEveryMillis);
    this.clientIds = new ClientIdStore(vertx, dedupeTtlMillis, claimTtlMillis);
  }

  Future<?> ready() {
    return Future.all(sequences.ready(), presence.ready(), clientIds.ready());
  }

  SequenceStore sequences() {
    return sequences;
  }

  PresenceStore presence() {
    return presence;
  }

  ClientIdStore clientIds() {
    return clientIds;
  }

  /** A map that keeps the {@link #OPEN_PER_INSTANCE} most recently used entries. */
  static <V> Map<String, V> lru() {
    return new LinkedHashMap<>(16, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<String, V> eldest) {
        return size() > OPEN_PER_INSTANCE;
      }
    };
  }
}
