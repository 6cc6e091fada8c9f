package dev.switchboard.gateway.config;

import dev.switchboard.shared.Settings;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One aggregated endpoint of a front-end, written in configuration as one line: a path, then its
 * parts, each {@code NAME=bus:ADDRESS} or {@code NAME=get:SERVICE/PATH}, with an optional time-out
 * ({@code @500ms}) and an optional field selection ({@code [rooms.name|rooms.members]}):
 * <pre>/bff/mobile/home rooms=bus:chat.rooms@500ms[rooms.name|rooms.members] greeting=bus:greeter.hello@300ms</pre>
 * The parts are asked in parallel; the answer carries those that answered in time and names the
 * others, instead of failing whole.
 *
 * @param path  the exact path it answers ({@code GET})
 * @param parts what it asks, in the order they appear in the answer
 */
public record BffEndpoint(String path, List<Part> parts) {

  public static final int MAX_PARTS = 16;
  public static final Duration DEFAULT_PART_TIMEOUT = Duration.ofSeconds(1);
  private static final Pattern PATH = Pattern.compile("/[A-Za-z0-9._~/-]*");
  private static final Pattern PART = Pattern.compile(
    "([A-Za-z][A-Za-z0-9_-]{0,31})=(bus|get):([^@\\[\\]]+)(?:@([0-9a-z]+))?(?:\\[([A-Za-z0-9_.|-]*)])?");
  private static final Pattern SERVICE_PATH = Pattern.compile("([a-z][a-z0-9-]{0,62})(/[A-Za-z0-9._~/?=&%-]*)");
  private static final Pattern FIELD = Pattern.compile("[A-Za-z0-9_-]+(\\.[A-Za-z0-9_-]+)*");

  /** How a part is asked. */
  public enum Kind { BUS, GET }

  /**
   * One part of the answer.
   *
   * @param name    its key in the answer
   * @param kind    a bus request, or an HTTP {@code GET} to a node of a service
   * @param target  the bus address, or the service
   * @param path    for {@link Kind#GET}: the path and query asked
   * @param timeout how long it may take; after that it is marked {@code timeout}
   * @param fields  the fields kept, as dotted paths ({@code rooms.name}); empty: all
   */
  public record Part(String name, Kind kind, String target, String path, Duration timeout, List<String> fields) {

    public Part {
      fields = List.copyOf(fields);
      if (timeout == null || timeout.isZero() || timeout.isNegative()) {
        throw new IllegalArgumentException("part " + name + ": timeout must be positive");
      }
    }

    public String format() {
      return name + "=" + kind.name().toLowerCase(java.util.Locale.ROOT) + ":" + target + (path == null ? "" : path)
        + "@" + Settings.format(timeout) + (fields.isEmpty() ? "" : "[" + String.join("|", fields) + "]");
    }
  }

  public BffEndpoint {
    if (path == null || !PATH.matcher(path).matches()) {
      throw new IllegalArgumentException("path '" + path + "' must start with / and hold only URL path characters");
    }
    parts = List.copyOf(parts);
    if (parts.isEmpty() || parts.size() > MAX_PARTS) {
      throw new IllegalArgumentException("endpoint " + path + " needs 1 to " + MAX_PARTS + " parts");
    }
    Set<String> names = new HashSet<>();
    for (Part part : parts) {
      if (!names.add(part.name())) {
        throw new IllegalArgumentException("endpoint " + path + " names part '" + part.name() + "' twice");
      }
    }
  }

  /** Reads one line; throws {@link IllegalArgumentException} naming what is wrong. */
  public static BffEndpoint parse(String line) {
    String[] words = line.trim().split("\\s+");
    if (words.length < 2) {
      throw new IllegalArgumentException("endpoint '" + line.trim() + "' needs a path and at least one part");
    }
    List<Part> parts = new ArrayList<>();
    for (int i = 1; i < words.length; i++) {
      parts.add(part(words[i]));
    }
    return new BffEndpoint(words[0], parts);
  }

  private static Part part(String word) {
    Matcher m = PART.matcher(word);
    if (!m.matches()) {
      throw new IllegalArgumentException("part '" + word + "' is not NAME=bus:ADDRESS or NAME=get:SERVICE/PATH, "
        + "optionally followed by @TIMEOUT and [field|field]");
    }
    Duration timeout = DEFAULT_PART_TIMEOUT;
    if (m.group(4) != null) {
      timeout = Settings.parseDuration(m.group(4));
      if (timeout == null) {
        throw new IllegalArgumentException("part " + m.group(1) + ": '" + m.group(4) + "' is not a duration such as 500ms or 2s");
      }
    }
    List<String> fields = new ArrayList<>();
    if (m.group(5) != null) {
      for (String field : m.group(5).split("\\|")) {
        if (!FIELD.matcher(field).matches()) {
          throw new IllegalArgumentException("part " + m.group(1) + ": field '" + field + "' is not a dotted name such as rooms.name");
        }
        fields.add(field);
      }
    }
    Kind kind = m.group(2).equals("bus") ? Kind.BUS : Kind.GET;
    String target = m.group(3);
    String path = null;
    if (kind == Kind.BUS) {
      if (!BusRoute.ADDRESS.matcher(target).matches()) {
        throw new IllegalArgumentException("part " + m.group(1) + ": '" + target + "' is not a bus address");
      }
    } else {
      Matcher sp = SERVICE_PATH.matcher(target);
      if (!sp.matches()) {
        throw new IllegalArgumentException("part " + m.group(1) + ": '" + target + "' is not SERVICE/PATH, such as files/files/");
      }
      target = sp.group(1);
      path = sp.group(2);
    }
    return new Part(m.group(1), kind, target, path, timeout, fields);
  }

  public String format() {
    return path + " " + String.join(" ", parts.stream().map(Part::format).toList());
  }
}
