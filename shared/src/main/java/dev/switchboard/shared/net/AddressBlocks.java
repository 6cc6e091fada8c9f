package dev.switchboard.shared.net;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * A set of IP address blocks, IPv4 and IPv6, written as addresses or CIDR blocks
 * ({@code 10.0.0.0/8}, {@code 127.0.0.1}, {@code fd00::/8}, {@code ::1}). Matching parses a textual
 * address without any name lookup; an IPv4-mapped IPv6 address ({@code ::ffff:10.0.0.1}) matches as
 * the IPv4 address it holds.
 */
public final class AddressBlocks {

  /** What an address may be written as before it is parsed: digits, hex, dots and colons only (never a host name). */
  private static final Pattern LITERAL = Pattern.compile("[0-9A-Fa-f.:]{2,45}");

  private final List<String> written;
  private final byte[][] networks;
  private final int[] prefixes;

  private AddressBlocks(List<String> written, byte[][] networks, int[] prefixes) {
    this.written = written;
    this.networks = networks;
    this.prefixes = prefixes;
  }

  /** The blocks of {@code blocks}; throws {@link IllegalArgumentException} naming the first that is not a block. */
  public static AddressBlocks of(List<String> blocks) {
    List<String> written = new ArrayList<>();
    byte[][] networks = new byte[blocks.size()][];
    int[] prefixes = new int[blocks.size()];
    for (int i = 0; i < blocks.size(); i++) {
      String block = blocks.get(i).trim();
      int slash = block.indexOf('/');
      byte[] address = parse(slash < 0 ? block : block.substring(0, slash));
      if (address == null) {
        throw new IllegalArgumentException("'" + block + "' is not an IP address or CIDR block, such as 10.0.0.0/8 or fd00::/8");
      }
      int bits = address.length * 8;
      int prefix = bits;
      if (slash >= 0) {
        try {
          prefix = Integer.parseInt(block.substring(slash + 1));
        } catch (NumberFormatException e) {
          prefix = -1;
        }
        if (prefix < 0 || prefix > bits) {
          throw new IllegalArgumentException("'" + block + "': the prefix length must be 0 to " + bits);
        }
      }
      networks[i] = address;
      prefixes[i] = prefix;
      written.add(block);
    }
    return new AddressBlocks(List.copyOf(written), networks, prefixes);
  }

  /** No address at all. */
  public static AddressBlocks none() {
    return of(List.of());
  }

  public boolean isEmpty() {
    return networks.length == 0;
  }

  /** The blocks as written. */
  public List<String> written() {
    return written;
  }

  /** Whether {@code address} (a textual IP address; anything else is not) falls in one of the blocks. */
  public boolean contains(String address) {
    if (networks.length == 0 || address == null) {
      return false;
    }
    byte[] parsed = parse(address);
    if (parsed == null) {
      return false;
    }
    for (int i = 0; i < networks.length; i++) {
      if (networks[i].length == parsed.length && matches(networks[i], parsed, prefixes[i])) {
        return true;
      }
    }
    return false;
  }

  private static boolean matches(byte[] network, byte[] address, int prefix) {
    int whole = prefix / 8;
    for (int b = 0; b < whole; b++) {
      if (network[b] != address[b]) {
        return false;
      }
    }
    int rest = prefix % 8;
    if (rest == 0) {
      return true;
    }
    int mask = 0xff << (8 - rest) & 0xff;
    return (network[whole] & mask) == (address[whole] & mask);
  }

  /** Whether {@code text} is a textual IPv4 or IPv6 address (no port, no brackets, no name). */
  public static boolean isAddress(String text) {
    return parse(text) != null;
  }

  /**
   * The bytes of a textual IP address (4 for IPv4 and IPv4-mapped IPv6, 16 for IPv6), or null. Only
   * literals reach {@link InetAddress}, so this never looks a name up.
   */
  static byte[] parse(String text) {
    if (text == null || !LITERAL.matcher(text).matches()) {
      return null;
    }
    boolean v6 = text.indexOf(':') >= 0;
    if (!v6 && !isDottedQuad(text)) {
      return null;
    }
    try {
      return InetAddress.getByName(text).getAddress();
    } catch (UnknownHostException | SecurityException e) {
      return null;
    }
  }

  /** Four decimal numbers 0-255 (InetAddress would also take {@code 10.1} or {@code 0x7f.1}). */
  private static boolean isDottedQuad(String text) {
    String[] parts = text.split("\\.", -1);
    if (parts.length != 4) {
      return false;
    }
    for (String part : parts) {
      if (part.isEmpty() || part.length() > 3 || !part.chars().allMatch(Character::isDigit) || Integer.parseInt(part) > 255) {
        return false;
      }
    }
    return true;
  }

  @Override
  public String toString() {
    return String.join(",", written);
  }
}
