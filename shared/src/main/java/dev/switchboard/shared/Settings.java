package dev.switchboard.shared;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads typed values out of one section of the configuration for an options record's
 * {@code fromJson}. Values may arrive as JSON types (from a file) or as strings (from environment
 * variables and system properties); both are accepted. A value of the wrong shape, or a key the
 * section does not know, is an {@link InvalidSettingException} naming {@code section.key}.
 */
public final class Settings {

  private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*(ms|s|m|h)?");
  private static final Pattern SIZE = Pattern.compile("(\\d{1,19})\\s*([kmg])?b?");

  private final String section;
  private final JsonObject json;
  private final Set<String> known = new HashSet<>();

  private Settings(String section, JsonObject json) {
    this.section = section;
    this.json = json == null ? new JsonObject() : json;
  }

  /** A reader over {@code json}, whose keys belong to {@code section} (e.g. {@code echo}). */
  public static Settings of(String section, JsonObject json) {
    return new Settings(section, json);
  }

  public int integer(String key, int defaultValue) {
    long value = longValue(key, defaultValue);
    if (value < Integer.MIN_VALUE || value > Integer.MAX_VALUE) {
      throw invalid(key, value, "must be an integer from " + Integer.MIN_VALUE + " to " + Integer.MAX_VALUE);
    }
    return (int) value;
  }

  public long longValue(String key, long defaultValue) {
    Object raw = raw(key);
    if (raw == null) {
      return defaultValue;
    }
    if (raw instanceof Number n && (n instanceof Integer || n instanceof Long || n.doubleValue() == Math.rint(n.doubleValue()))) {
      return n.longValue();
    }
    if (raw instanceof String s) {
      try {
        return Long.parseLong(s.trim());
      } catch (NumberFormatException e) {
        // falls through to the error below
      }
    }
    throw invalid(key, raw, "must be an integer");
  }

  /** A number, integral or not, e.g. {@code 0.25}. */
  public double decimal(String key, double defaultValue) {
    Object raw = raw(key);
    if (raw == null) {
      return defaultValue;
    }
    if (raw instanceof Number n) {
      return n.doubleValue();
    }
    if (raw instanceof String s) {
      try {
        double value = Double.parseDouble(s.trim());
        if (Double.isFinite(value)) {
          return value;
        }
      } catch (NumberFormatException e) {
        // falls through to the error below
      }
    }
    throw invalid(key, raw, "must be a number");
  }

  public boolean bool(String key, boolean defaultValue) {
    Object raw = raw(key);
    if (raw == null) {
      return defaultValue;
    }
    if (raw instanceof Boolean b) {
      return b;
    }
    if (raw instanceof String s) {
      switch (s.trim().toLowerCase(Locale.ROOT)) {
        case "true":
        case "yes":
        case "on":
          return true;
        case "false":
        case "no":
        case "off":
          return false;
        default:
          break;
      }
    }
    throw invalid(key, raw, "must be true or false");
  }

  public String string(String key, String defaultValue) {
    Object raw = raw(key);
    if (raw == null) {
      return defaultValue;
    }
    if (raw instanceof String || raw instanceof Number || raw instanceof Boolean) {
      return raw.toString();
    }
    throw invalid(key, raw, "must be a string");
  }

  /** A duration written as {@code 500ms}, {@code 30s}, {@code 5m}, {@code 1h}, or a number of seconds. */
  public Duration duration(String key, Duration defaultValue) {
    Object raw = raw(key);
    if (raw == null) {
      return defaultValue;
    }
    Duration parsed = parseDuration(raw.toString());
    if (parsed == null) {
      throw invalid(key, raw, "must be a duration such as 500ms, 30s, 5m or 1h");
    }
    return parsed;
  }

  /** A size in bytes written as {@code 512}, {@code 64k}, {@code 10m} or {@code 4g} (binary units). */
  public long size(String key, long defaultValue) {
    Object raw = raw(key);
    if (raw == null) {
      return defaultValue;
    }
    long parsed = parseSize(raw.toString());
    if (parsed < 0) {
      throw invalid(key, raw, "must be a size such as 512, 64k, 10m or 4g");
    }
    return parsed;
  }

  /** One of an enum's constants, matched without regard to case. */
  public <E extends Enum<E>> E choice(String key, E defaultValue, Class<E> type) {
    Object raw = raw(key);
    if (raw == null) {
      return defaultValue;
    }
    for (E constant : type.getEnumConstants()) {
      if (constant.name().equalsIgnoreCase(raw.toString().trim())) {
        return constant;
      }
    }
    throw invalid(key, raw, "must be one of " + names(type));
  }

  /** A list of strings: a JSON array, or one string with comma-separated items. */
  public List<String> list(String key, List<String> defaultValue) {
    Object raw = raw(key);
    if (raw == null) {
      return defaultValue;
    }
    List<String> items = new ArrayList<>();
    if (raw instanceof JsonArray array) {
      for (Object item : array) {
        if (!(item instanceof String) && !(item instanceof Number)) {
          throw invalid(key, raw, "must be a list of strings");
        }
        items.add(item.toString().trim());
      }
    } else if (raw instanceof String s) {
      Arrays.stream(s.split(",")).map(String::trim).filter(item -> !item.isEmpty()).forEach(items::add);
    } else {
      throw invalid(key, raw, "must be a list of strings or one comma-separated string");
    }
    return List.copyOf(items);
  }

  /**
   * Builds the options record, turning a failed check in its constructor into an error that names
   * this section, and refusing keys that no reader asked for (a misspelt setting is an error, not
   * a silent default). Read every value inside {@code constructor}, so that errors from the
   * readers are prefixed with the section too.
   */
  public <T> T build(Supplier<T> constructor) {
    T built;
    try {
      built = constructor.get();
    } catch (InvalidSettingException e) {
      throw e.in(section);
    }
    Set<String> unknown = new TreeSet<>(json.fieldNames());
    unknown.removeAll(known);
    if (!unknown.isEmpty()) {
      String key = unknown.iterator().next();
      throw new InvalidSettingException(section + "." + key, json.getValue(key), "is not a setting of " + section + " (known: " + String.join(", ", new TreeSet<>(known)) + ")");
    }
    return built;
  }

  /** Writes a duration the way {@link #duration} reads it, in the largest exact unit. */
  public static String format(Duration duration) {
    long millis = duration.toMillis();
    if (millis != 0 && millis % 3_600_000 == 0) {
      return millis / 3_600_000 + "h";
    }
    if (millis != 0 && millis % 60_000 == 0) {
      return millis / 60_000 + "m";
    }
    if (millis % 1000 == 0) {
      return millis / 1000 + "s";
    }
    return millis + "ms";
  }

  /** Reads {@code 500ms}, {@code 30s}, {@code 5m}, {@code 1h} or a number of seconds; null if it is none of them. */
  public static Duration parseDuration(String text) {
    Matcher m = DURATION.matcher(text.trim().toLowerCase(Locale.ROOT));
    if (!m.matches()) {
      return null;
    }
    long amount;
    try {
      amount = Long.parseLong(m.group(1));
    } catch (NumberFormatException e) {
      return null;
    }
    String unit = m.group(2) == null ? "s" : m.group(2);
    switch (unit) {
      case "ms":
        return Duration.ofMillis(amount);
      case "m":
        return Duration.ofMinutes(amount);
      case "h":
        return Duration.ofHours(amount);
      default:
        return Duration.ofSeconds(amount);
    }
  }

  /** Reads {@code 512}, {@code 64k}, {@code 10m}, {@code 4g} (bytes, binary units); -1 if it is none of them or overflows. */
  public static long parseSize(String text) {
    Matcher m = SIZE.matcher(text.trim().toLowerCase(Locale.ROOT));
    if (!m.matches()) {
      return -1;
    }
    int shift = m.group(2) == null ? 0 : switch (m.group(2)) {
      case "k" -> 10;
      case "m" -> 20;
      default -> 30;
    };
    try {
      long amount = Long.parseLong(m.group(1));
      return amount > (Long.MAX_VALUE >> shift) ? -1 : amount << shift;
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /** Writes a size the way {@link #size} reads it, in the largest exact unit. */
  public static String formatSize(long bytes) {
    for (String unit : new String[] {"g", "m", "k"}) {
      int shift = unit.equals("g") ? 30 : unit.equals("m") ? 20 : 10;
      if (bytes != 0 && bytes % (1L << shift) == 0) {
        return (bytes >> shift) + unit;
      }
    }
    return String.valueOf(bytes);
  }

  static <E extends Enum<E>> String names(Class<E> type) {
    List<String> names = new ArrayList<>();
    for (E constant : type.getEnumConstants()) {
      names.add(constant.name().toLowerCase(Locale.ROOT));
    }
    return String.join(", ", names);
  }

  private Object raw(String key) {
    known.add(key);
    return json.getValue(key);
  }

  private InvalidSettingException invalid(String key, Object value, String rule) {
    return new InvalidSettingException(key, value, rule);
  }
}
