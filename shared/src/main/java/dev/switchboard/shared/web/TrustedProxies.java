package dev.switchboard.shared.web;

import dev.switchboard.shared.net.AddressBlocks;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.SocketAddress;

import java.util.List;

/**
 * The client behind a request, as the proxies in front of the process tell it. The TCP peer is
 * the client unless it is a trusted proxy; then {@code X-Forwarded-For} (every line, comma-separated
 * entries, each proxy appending the address it got the request from) is read from the right,
 * trusted addresses skipped, and the first untrusted one is the client — the leftmost if every one
 * is trusted. Entries written by the client itself sit left of what the trusted proxies appended,
 * so they are never taken. Entries are IP addresses only (a port or brackets make an entry
 * malformed); the walk stops at a malformed entry and takes the last good address, and looks at no
 * more than {@link #MAX_HOPS} entries.
 */
public final class TrustedProxies {

  /** Entries of X-Forwarded-For looked at, from the right; a longer chain ends at the last one looked at. */
  public static final int MAX_HOPS = 16;
  private static final String FORWARDED_FOR = "X-Forwarded-For";

  private final AddressBlocks proxies;

  public TrustedProxies(AddressBlocks proxies) {
    this.proxies = proxies;
  }

  /** The client's address: the TCP peer, or what trusted proxies say it is. */
  public String client(HttpServerRequest request) {
    SocketAddress peer = request.connection().remoteAddress();
    return client(peer == null ? null : peer.hostAddress(), request.headers().getAll(FORWARDED_FOR));
  }

  /** The client's address behind {@code peer} (the TCP peer's address) with these {@code X-Forwarded-For} lines. */
  public String client(String peer, List<String> forwardedFor) {
    if (peer == null) {
      return "unknown";
    }
    String client = peer;
    if (!proxies.contains(peer)) {
      return client;
    }
    int hops = 0;
    for (int line = forwardedFor.size() - 1; line >= 0; line--) {
      String value = forwardedFor.get(line);
      int end = value.length();
      while (end > 0) {
        int comma = value.lastIndexOf(',', end - 1);
        String entry = value.substring(comma + 1, end).trim();
        end = Math.max(comma, 0);
        if (++hops > MAX_HOPS || !AddressBlocks.isAddress(entry)) {
          return client;
        }
        client = entry;
        if (!proxies.contains(entry)) {
          return client;
        }
      }
    }
    return client;
  }
}
