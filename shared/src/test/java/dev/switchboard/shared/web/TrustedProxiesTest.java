package dev.switchboard.shared.web;

import dev.switchboard.shared.net.AddressBlocks;
import org.junit.jupiter.api.Test;

import java.util.Collections;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class TrustedProxiesTest {

  private final TrustedProxies proxies = new TrustedProxies(AddressBlocks.of(List.of("10.0.0.0/8", "127.0.0.1")));

  @Test
  void anUntrustedPeerIsTheClientWhateverItClaims() {
    assertEquals("203.0.113.9", proxies.client("203.0.113.9", List.of("1.2.3.4")));
  }

  @Test
  void aTrustedPeerNamesTheClientItGotTheRequestFrom() {
    assertEquals("198.51.100.7", proxies.client("127.0.0.1", List.of("198.51.100.7")));
  }

  @Test
  void whatTheClientWroteItselfIsLeftOfWhatTrustedProxiesAppendedAndIsNeverTaken() {
    // The client forged "6.6.6.6"; the edge proxy appended the address it saw, then the gateway its own peer.
    assertEquals("198.51.100.7", proxies.client("127.0.0.1", List.of("6.6.6.6, 198.51.100.7, 10.0.0.5")));
  }

  @Test
  void everyLineCountsFromTheLast() {
    assertEquals("198.51.100.7", proxies.client("127.0.0.1", List.of("6.6.6.6", "198.51.100.7", "10.0.0.5")));
  }

  @Test
  void allTrustedGivesTheLeftmost() {
    assertEquals("10.0.0.1", proxies.client("127.0.0.1", List.of("10.0.0.1, 10.0.0.2")));
  }

  @Test
  void noHeaderFromATrustedPeerLeavesThePeer() {
    assertEquals("127.0.0.1", proxies.client("127.0.0.1", List.of()));
  }

  @Test
  void aMalformedEntryStopsTheWalkAtTheLastGoodAddress() {
    assertEquals("10.0.0.5", proxies.client("127.0.0.1", List.of("198.51.100.7, evil.example, 10.0.0.5")));
    assertEquals("127.0.0.1", proxies.client("127.0.0.1", List.of("198.51.100.7:4000")));
    assertEquals("127.0.0.1", proxies.client("127.0.0.1", List.of("")));
    assertEquals("127.0.0.1", proxies.client("127.0.0.1", List.of("198.51.100.7,")));
  }

  @Test
  void aLongChainIsReadNoFurtherThanMaxHops() {
    List<String> chain = Collections.nCopies(TrustedProxies.MAX_HOPS * 4, "10.0.0.9");
    assertEquals("198.51.100.7", proxies.client("127.0.0.1", List.of(String.join(", ", chain) + ", 198.51.100.7")),
      "the untrusted entry nearest the peer wins");
    assertEquals("10.0.0.9", proxies.client("127.0.0.1", List.of("198.51.100.7, " + String.join(", ", chain))));
  }

  @Test
  void nobodyIsTrustedByDefault() {
    assertEquals("127.0.0.1", new TrustedProxies(AddressBlocks.none()).client("127.0.0.1", List.of("198.51.100.7")));
  }
}
