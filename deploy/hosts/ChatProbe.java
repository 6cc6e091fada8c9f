import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A minimal chat client for the multi-host scenario (JDK only):
 * <ul>
 *   <li>{@code java ChatProbe.java converse WS_A WS_B ROOM N}: A and B join ROOM on their nodes; A
 *   sends N messages and waits for each ack; B must receive all N, in the order of their
 *   sequence numbers. Prints {@code ACKED s1 s2 ...}.</li>
 *   <li>{@code java ChatProbe.java history WS ROOM s1 s2 ...}: joins ROOM with {@code since: 0} and
 *   checks that every listed sequence number comes back from history. Prints {@code MISSING ...}.</li>
 * </ul>
 * Exit status 0 when all is as expected.
 */
public class ChatProbe {

  private static final long WAIT_SECONDS = 20;
  private static final Pattern TYPE = Pattern.compile("\"type\"\\s*:\\s*\"(\\w+)\"");
  private static final Pattern SEQ = Pattern.compile("\"seq\"\\s*:\\s*(\\d+)");

  /** A WebSocket whose text messages land in a queue. */
  static final class Client implements WebSocket.Listener {
    final LinkedBlockingQueue<String> inbox = new LinkedBlockingQueue<>();
    private final StringBuilder partial = new StringBuilder();
    WebSocket socket;

    static Client connect(String url) {
      Client client = new Client();
      client.socket = HttpClient.newHttpClient().newWebSocketBuilder().connectTimeout(Duration.ofSeconds(10))
        .buildAsync(URI.create(url), client).join();
      return client;
    }

    @Override
    public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
      partial.append(data);
      if (last) {
        inbox.add(partial.toString());
        partial.setLength(0);
      }
      ws.request(1);
      return null;
    }

    void send(String json) {
      socket.sendText(json, true).join();
    }

    /** The next message of {@code type}, skipping others; fails after the wait. */
    String next(String type) throws InterruptedException {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
      while (System.nanoTime() < deadline) {
        String message = inbox.poll(100, TimeUnit.MILLISECONDS);
        if (message != null && type(message).equals(type)) {
          return message;
        }
      }
      throw new IllegalStateException("no '" + type + "' within " + WAIT_SECONDS + " s");
    }
  }

  public static void main(String[] args) throws Exception {
    switch (args[0]) {
      case "converse" -> converse(args[1], args[2], args[3], Integer.parseInt(args[4]));
      case "history" -> history(args[1], args[2], List.of(args).subList(3, args.length));
      default -> throw new IllegalArgumentException("converse or history");
    }
  }

  private static void converse(String urlA, String urlB, String room, int count) throws Exception {
    Client a = Client.connect(urlA);
    Client b = Client.connect(urlB);
    a.send("{\"type\":\"join\",\"room\":\"" + room + "\",\"nickname\":\"alice\"}");
    a.next("joined");
    b.send("{\"type\":\"join\",\"room\":\"" + room + "\",\"nickname\":\"bob\"}");
    b.next("joined");
    List<Long> acked = new ArrayList<>();
    for (int i = 1; i <= count; i++) {
      a.send("{\"type\":\"message\",\"text\":\"across hosts " + i + "\",\"clientId\":\"probe-" + room + "-" + i + "\"}");
      acked.add(seq(a.next("ack")));
    }
    List<Long> received = new ArrayList<>();
    while (received.size() < count) {
      String message = b.next("message");
      if (message.contains("across hosts")) {
        received.add(seq(message));
      }
    }
    System.out.println("ACKED " + String.join(" ", acked.stream().map(String::valueOf).toList()));
    if (!received.equals(acked)) {
      System.out.println("MISMATCH received " + received);
      System.exit(1);
    }
    System.exit(0);
  }

  private static void history(String url, String room, List<String> seqs) throws Exception {
    Set<Long> missing = new TreeSet<>();
    seqs.forEach(s -> missing.add(Long.parseLong(s)));
    Client c = Client.connect(url);
    c.send("{\"type\":\"join\",\"room\":\"" + room + "\",\"nickname\":\"carol\",\"since\":0}");
    c.next("joined");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
    while (!missing.isEmpty() && System.nanoTime() < deadline) {
      String message = c.inbox.poll(100, TimeUnit.MILLISECONDS);
      if (message != null && type(message).equals("message")) {
        missing.remove(seq(message));
      }
    }
    System.out.println("MISSING " + missing);
    System.exit(missing.isEmpty() ? 0 : 1);
  }

  private static String type(String json) {
    Matcher m = TYPE.matcher(json);
    return m.find() ? m.group(1) : "";
  }

  private static long seq(String json) {
    Matcher m = SEQ.matcher(json);
    if (!m.find()) {
      throw new IllegalStateException("no seq in " + json);
    }
    return Long.parseLong(m.group(1));
  }
}
