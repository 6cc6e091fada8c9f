package dev.switchboard.shared.bus;

/**
 * Event bus addresses served by Switchboard services.
 */
public final class Addresses {

  /**
   * Request/reply: the echo service answers with the request body unchanged (any body type the bus
   * carries: string, JSON, buffer).
   */
  public static final String ECHO = "echo";

  /**
   * Request/reply: the chat service answers any body with {@code {"rooms": [{"room", "members",
   * "lastSeq", "last"}]}}, every room of the cluster that has members, with its last message.
   */
  public static final String CHAT_ROOMS = "chat.rooms";

  /**
   * Publish: {@code chat.room.<name>} carries every event of a chat room as the JSON object its
   * WebSocket members receive ({@code message}, {@code joined}, {@code left}, {@code typing}).
   */
  public static final String CHAT_ROOM_PREFIX = "chat.room.";

  private Addresses() {
  }
}
