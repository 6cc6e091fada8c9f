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
   * Request/reply: the files service answers {@code {"path": "dir/", "after": "name", "limit": n}}
   * (every key optional) with one page of that directory's listing,
   * {@code {"path", "entries": [{"name", "type", "size", "modified", "etag"}], "next"}}; it fails
   * with 400 for a malformed path and 404 for a directory that does not exist.
   */
  public static final String FILES_LIST = "files.list";

  /**
   * Publish: the files service announces every completed upload and delete,
   * {@code {"action": "upload"|"delete", "path": "dir/name", "size": n, "etag": "..."}}.
   */
  public static final String FILES_CHANGED = "files.changed";

  /**
   * Request/reply: the chat service answers any body with {@code {"rooms": [{"room", "members",
   * "lastSeq", "last"}]}}, every room of the cluster that has members, with its last message.
   */
  public static final String CHAT_ROOMS = "chat.rooms";

  /**
   * Request/reply: the chat service posts {@code {"room", "sender", "text"}} into the room as a
   * system sender: the message is numbered, kept in history and delivered like any other, marked
   * {@code "system": true} (which no WebSocket client's message carries, so a user cannot pass for
   * a service), and the reply is {@code {"room", "seq", "id"}}. It fails with 400 when the body
   * breaks the rules of a WebSocket post (room name, {@code sender} by the nickname rules, text
   * 1 to {@code maxTextLength} characters; the message names the field) and with 503 when the
   * cluster did not number the message in time (it may still be posted).
   */
  public static final String CHAT_POST = "chat.post";

  /**
   * Publish: {@code chat.room.<name>} carries every event of a chat room as the JSON object its
   * WebSocket members receive ({@code message}, {@code joined}, {@code left}, {@code typing}).
   */
  public static final String CHAT_ROOM_PREFIX = "chat.room.";

  /**
   * Request/reply: the Node.js greeter (services/greeter-node, on the bus through the bridge)
   * answers {@code {"name"}} with {@code {"greeting": "Hello, <name>!", "by": "greeter-node", "pid"}};
   * it fails with 400 for a missing, blank or over-100-character name.
   */
  public static final String GREETER = "greeter.hello";

  private Addresses() {
  }
}
