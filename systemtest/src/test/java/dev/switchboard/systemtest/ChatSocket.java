package dev.switchboard.systemtest;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A member of a chat process's rooms: a JDK WebSocket client that queues every text message it receives. */
final class ChatSocket implements WebSocket.Listener {

  private static final long WAIT_SECONDS = 30;

  private final BlockingQueue<String> received = new LinkedBlockingQueue<>();
  private final StringBuilder partial = new StringBuilder();
  private WebSocket ws;

  private ChatSocket() {
  }

  /** Connects to the chat process's {@code /chat} on {@code port}. */
  static ChatSocket connect(HttpClient http, int port) throws Exception {
    ChatSocket socket = new ChatSocket();
    socket.ws = http.newWebSocketBuilder().buildAsync(URI.create("ws://127.0.0.1:" + port + "/chat"), socket)
      .get(WAIT_SECONDS, TimeUnit.SECONDS);
    return socket;
  }

  @Override
  public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
    partial.append(data);
    if (last) {
      received.add(partial.toString());
      partial.setLength(0);
    }
    webSocket.request(1);
    return null;
  }

  void send(String json) throws Exception {
    ws.sendText(json, true).get(WAIT_SECONDS, TimeUnit.SECONDS);
  }

  /** Closes normally, waiting for the close frame to be sent. */
  void close() throws Exception {
    ws.sendClose(WebSocket.NORMAL_CLOSURE, "done").get(WAIT_SECONDS, TimeUnit.SECONDS);
  }

  /** The next message containing {@code fragment}, skipping others; fails after the wait. */
  String await(String fragment) throws InterruptedException {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
    while (System.nanoTime() < end) {
      String next = received.poll(end - System.nanoTime(), TimeUnit.NANOSECONDS);
      if (next != null && next.contains(fragment)) {
        return next;
      }
    }
    throw new AssertionError("no message with " + fragment + " within " + WAIT_SECONDS + " s");
  }
}
