package dev.switchboard.shared.net;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AddressBlocksTest {

  private final AddressBlocks blocks = AddressBlocks.of(List.of("10.0.0.0/8", "192.168.1.7", "fd00::/8", "::1", "172.16.0.0/12"));

  @Test
  void matchesAddressesInsideItsBlocksOnly() {
    assertTrue(blocks.contains("10.255.3.4"));
    assertTrue(blocks.contains("192.168.1.7"));
    assertTrue(blocks.contains("172.31.255.255"));
    assertTrue(blocks.contains("fd12:3456::1"));
    assertTrue(blocks.contains("::1"));
    assertTrue(blocks.contains("0:0:0:0:0:0:0:1"));
    assertFalse(blocks.contains("11.0.0.1"));
    assertFalse(blocks.contains("192.168.1.8"));
    assertFalse(blocks.contains("172.32.0.1"));
    assertFalse(blocks.contains("fe80::1"));
    assertFalse(blocks.contains("127.0.0.1"));
  }

  @Test
  void anIpv4MappedIpv6AddressMatchesAsItsIpv4Address() {
    assertTrue(blocks.contains("::ffff:10.1.2.3"));
    assertFalse(blocks.contains("::ffff:11.1.2.3"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "localhost", "example.com", "10.1", "0x7f.0.0.1", "256.1.1.1", "1.2.3.4:80", "[::1]", "1.2.3.4 ",
    "10.0.0.1, 10.0.0.2", "::1%lo", "unknown", "1.2.3.4.5"})
  void matchesNothingThatIsNotAnAddress(String text) {
    assertFalse(AddressBlocks.isAddress(text), text);
    assertFalse(AddressBlocks.of(List.of("0.0.0.0/0", "::/0")).contains(text), text);
  }

  @Test
  void theWholeSpaceHoldsEveryAddress() {
    AddressBlocks all = AddressBlocks.of(List.of("0.0.0.0/0", "::/0"));
    assertTrue(all.contains("8.8.8.8"));
    assertTrue(all.contains("2001:db8::1"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"10.0.0.0/33", "fd00::/129", "10.0.0.0/-1", "10.0.0.0/x", "host.example/8", "10.0.0.0/"})
  void refusesWhatIsNotABlock(String block) {
    assertThrows(IllegalArgumentException.class, () -> AddressBlocks.of(List.of(block)));
  }
}
